#include "agent/api/kube_api.h"

#include <memory>
#include <random>
#include <utility>

#include "agent/api/kubernetes/discovery.h"
#include "agent/api/kubernetes/encoded.h"
#include "agent/api/kubernetes/envelopes.h"
#include "agent/api/kubernetes/media_type.h"
#include "agent/api/kubernetes/query.h"
#include "agent/api/kubernetes/tables.h"
#include "common/version.h"

namespace vigil {
namespace {

using kube::KubeJson;
using kube::Resource;

constexpr const char* kJson = "application/json";

HttpResponse TextAnswer(int status, std::string body, std::string_view content_type = kJson) {
  body.push_back('\n');
  HttpResponse response(status, std::string(content_type), std::move(body));
  response.headers.emplace_back("Cache-Control", "no-cache, private");
  return response;
}

HttpResponse Answer(int status, const KubeJson& body, std::string_view content_type = kJson) {
  return TextAnswer(status, kube::Dump(body), content_type);
}

HttpResponse ErrorAnswer(const kube::ApiError& error) {
  return Answer(error.code, kube::StatusJson(error));
}

// A watch as the server streams it: the KubeWatch's lines, bookmarks when
// asked for, and the end at its deadline (timeoutSeconds, else the server's
// watch duration). Holds one of the API's watch slots while it lives.
class KubeWatchAnswer final : public ResponseStream {
 public:
  KubeWatchAnswer(std::unique_ptr<KubeWatch> watch, TimePoint deadline, bool bookmarks,
                  std::chrono::milliseconds bookmark_interval, std::function<void()> release)
      : watch_(std::move(watch)),
        deadline_(deadline),
        bookmarks_(bookmarks),
        bookmark_interval_(bookmark_interval),
        release_(std::move(release)),
        last_bookmark_(std::chrono::steady_clock::now()) {}
  ~KubeWatchAnswer() override { release_(); }

  bool Pull(std::string* out, bool stopping, TimePoint now) override {
    const bool last = stopping || now >= deadline_;
    // At the end, everything so far, then the bookmark.
    watch_->Take(std::chrono::system_clock::now(), out, last);
    if (watch_->finished()) return false;
    if (last) {
      // A client resuming from the last bookmark replays nothing it saw.
      if (bookmarks_) out->append(watch_->Bookmark());
      return false;
    }
    if (bookmarks_ && watch_->caught_up() && now - last_bookmark_ >= bookmark_interval_) {
      out->append(watch_->Bookmark());
      last_bookmark_ = now;
    }
    return true;
  }

  TimePoint WakeAt() const override {
    if (!bookmarks_) return deadline_;
    return std::min(deadline_, last_bookmark_ + bookmark_interval_);
  }

 private:
  const std::unique_ptr<KubeWatch> watch_;
  const TimePoint deadline_;
  const bool bookmarks_;
  const std::chrono::milliseconds bookmark_interval_;
  const std::function<void()> release_;
  TimePoint last_bookmark_;
};

// The decoded path, as the router reads it.
std::string DecodedPath(const HttpRequest& request) {
  std::string path;
  for (const std::string& segment : request.segments) path += "/" + segment;
  return path.empty() ? "/" : path;
}

}  // namespace

KubeApi::KubeApi(const StatusBoard& board, const StatusBoard& events, WatchSlot slot,
                 KubeApiOptions options)
    : board_(board),
      events_(events),
      slot_(std::move(slot)),
      options_(options),
      default_namespace_{
          std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()),
          board.oldest_resumable_version()},
      cache_({&board, &events}) {
  encoding_.cache = &cache_;
  if (&events_ != &board_) encoding_.adjust_event = [this](KubeJson& event) { Relink(event); };
}

const StatusBoard& KubeApi::BoardOf(Resource resource) const {
  return resource == Resource::kEvents ? events_ : board_;
}

void KubeApi::Relink(KubeJson& event) const {
  KubeJson& involved = event["involvedObject"];
  const auto object =
      board_.Get(NamespacedName{involved.value("namespace", ""), involved.value("name", "")});
  if (object == nullptr) return;
  involved["uid"] = kube::EndpointsUid(object->namespace_name, object->name, object->creation_time);
  involved["resourceVersion"] = std::to_string(object->resource_version);
}

HttpResponse KubeApi::Handle(const HttpRequest& request) const {
  const std::optional<kube::ApiResult<kube::KubeRoute>> routed =
      kube::RouteRequest(request.method, DecodedPath(request));
  if (!routed) return HttpResponse(404, "text/plain; charset=utf-8", "404 page not found\n");
  if (!routed->ok()) return ErrorAnswer(routed->error());
  const kube::KubeRoute& route = routed->value();
  const kube::ApiResult<kube::Negotiation> negotiation =
      kube::Negotiate(request.Header("accept"), kube::OfferOf(route));
  if (!negotiation.ok()) return ErrorAnswer(negotiation.error());
  if (const auto* document = std::get_if<kube::Document>(&route.target)) {
    return Discovery(*document, *negotiation, request);
  }
  return Objects(std::get<kube::ResourceRequest>(route.target), *negotiation, request);
}

HttpResponse KubeApi::Discovery(kube::Document document, const kube::Negotiation& negotiation,
                                const HttpRequest& request) const {
  const bool aggregated = negotiation.representation == kube::Representation::kAggregatedDiscovery;
  switch (document) {
    case kube::Document::kVersion:
      return Answer(200, kube::VersionJson(kVersion, kube::BuildPlatform()));
    case kube::Document::kApi:
      if (aggregated) {
        return Answer(200, kube::AggregatedDiscoveryJson(true), negotiation.content_type);
      }
      return Answer(200, kube::ApiVersionsJson(request.Header("host")));
    case kube::Document::kApis:
      if (aggregated) {
        return Answer(200, kube::AggregatedDiscoveryJson(false), negotiation.content_type);
      }
      return Answer(200, kube::ApiGroupListJson());
    case kube::Document::kCoreV1:
      return Answer(200, kube::ResourceListJson("v1"));
    case kube::Document::kDiscoveryGroup:
      return Answer(200, kube::DiscoveryGroupJson());
    case kube::Document::kDiscoveryV1:
      return Answer(200, kube::ResourceListJson("discovery.k8s.io/v1"));
  }
  return ErrorAnswer(kube::ApiError::UnknownResource());
}

HttpResponse KubeApi::Objects(const kube::ResourceRequest& target,
                              const kube::Negotiation& negotiation,
                              const HttpRequest& request) const {
  kube::ApiResult<kube::KubeQuery> query = kube::ParseQuery(request.query.all(), target.resource);
  if (!query.ok()) return ErrorAnswer(query.error());
  if (target.watch || query->watch) return Watch(target, std::move(query).value(), negotiation);

  const bool table = negotiation.representation == kube::Representation::kTable;
  const StatusBoard& board = BoardOf(target.resource);
  const BoardSnapshot snapshot = board.Snapshot();
  const WallTime now = std::chrono::system_clock::now();
  KubeFilter filter{target.resource, target.namespace_name, target.name, {}, {}};
  if (target.name.empty()) {
    filter.labels = query->label_selector;
    filter.fields = query->field_selector;
  }
  std::vector<kube::EncodedPtr> selected;
  for (kube::EncodedPtr& object :
       KubeObjects(target.resource, snapshot, default_namespace_, encoding_)) {
    if (filter(*object)) selected.push_back(std::move(object));
  }
  kube::TableOptions options;
  options.include_object = query->include_object;

  std::string body;
  if (!target.name.empty()) {
    if (selected.empty()) {
      return ErrorAnswer(kube::ApiError::NotFound(kube::Info(target.resource), target.name));
    }
    const kube::EncodedPtr& object = selected.front();
    if (table) {
      kube::AppendTable(&body, target.resource, {&object, 1}, object->resource_version(), now,
                        options);
    } else {
      object->AppendJson(&body);
    }
    return TextAnswer(200, std::move(body));
  }
  size_t bytes = 256;
  for (const kube::EncodedPtr& object : selected) {
    bytes += table && options.include_object != kube::IncludeObject::kObject
                 ? 512
                 : object->text_size() + 1;
  }
  body.reserve(bytes);
  if (table) {
    kube::AppendTable(&body, target.resource, selected, snapshot.resource_version, now, options);
  } else {
    kube::AppendList(&body, target.resource, selected, snapshot.resource_version);
  }
  return TextAnswer(200, std::move(body));
}

HttpResponse KubeApi::Watch(const kube::ResourceRequest& target, kube::KubeQuery query,
                            const kube::Negotiation& negotiation) const {
  std::optional<std::function<void()>> release = slot_ ? slot_() : std::function<void()>([] {});
  if (!release) {
    kube::ApiError busy;
    busy.code = 429;
    busy.reason = "TooManyRequests";
    busy.message = "too many watches open; retry later";
    HttpResponse refused = ErrorAnswer(busy);
    refused.headers.emplace_back("Retry-After", "1");
    return refused;
  }
  KubeWatch::Options options;
  options.filter = KubeFilter{target.resource, target.namespace_name, target.name,
                              std::move(query.label_selector), std::move(query.field_selector)};
  options.since = query.resource_version;
  options.table = negotiation.representation == kube::Representation::kTable;
  options.include_object = query.include_object;
  options.fallback = default_namespace_;
  options.encoding = encoding_;

  std::chrono::steady_clock::duration duration;
  if (query.timeout && query.timeout->count() > 0) {
    duration = *query.timeout;
  } else {
    thread_local std::mt19937_64 random{std::random_device{}()};
    const auto base =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.watch_duration);
    std::uniform_int_distribution<int64_t> spread(0, std::max<int64_t>(base.count() - 1, 0));
    duration = base + std::chrono::milliseconds(spread(random));
  }
  HttpResponse answer(200, kJson, "");
  answer.headers.emplace_back("Cache-Control", "no-cache, private");
  answer.stream = std::make_unique<KubeWatchAnswer>(
      std::make_unique<KubeWatch>(BoardOf(target.resource), std::move(options)),
      std::chrono::steady_clock::now() + duration, query.allow_watch_bookmarks,
      options_.bookmark_interval, std::move(*release));
  return answer;
}

}  // namespace vigil
