#include "agent/api/api_server.h"

#include <memory>
#include <utility>

#include "agent/api/api_json.h"
#include "agent/api/prometheus_targets.h"
#include "common/version.h"

namespace vigil {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

// How often the notifier looks at the board when it does not change: a
// history restart (its version going back) is seen within this, and Stop()
// waits at most this for the notifier.
constexpr auto kNotifyPoll = std::chrono::milliseconds(100);

std::string Dump(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

HttpResponse Json(int status, const nlohmann::json& body) {
  return HttpResponse(status, kJson, Dump(body));
}

HttpResponse StatusAnswer(int status, const std::string& message) {
  return Json(status, StatusJson(status, message));
}

nlohmann::json ListJson(const char* kind, const BoardSnapshot& snapshot, nlohmann::json items) {
  return {{"kind", kind},
          {"resourceVersion", std::to_string(snapshot.resource_version)},
          {"items", std::move(items)}};
}

// A watch as the server streams it: the WatchStream's lines, a BOOKMARK
// when the stream was idle for a bookmark interval, and the last changes
// when the server stops. Holds one of the API's watch slots while it lives.
class WatchAnswer final : public ResponseStream {
 public:
  WatchAnswer(std::unique_ptr<WatchStream> stream, std::chrono::milliseconds bookmark_interval,
              std::function<void()> release)
      : stream_(std::move(stream)),
        bookmark_interval_(bookmark_interval),
        release_(std::move(release)),
        last_write_(std::chrono::steady_clock::now()) {}
  ~WatchAnswer() override { release_(); }

  bool Pull(std::string* out, bool stopping, TimePoint now) override {
    // Taken even when stopping: the last changes (an agent's endpoints
    // turning terminating) reach every watcher before the end.
    for (const std::string& line : stream_->Take()) out->append(line);
    if (stream_->finished() || stopping) return false;
    if (out->empty() && now - last_write_ >= bookmark_interval_) out->append(stream_->Bookmark());
    if (!out->empty()) last_write_ = now;
    return true;
  }

  TimePoint WakeAt() const override { return last_write_ + bookmark_interval_; }

 private:
  const std::unique_ptr<WatchStream> stream_;
  const std::chrono::milliseconds bookmark_interval_;
  const std::function<void()> release_;
  TimePoint last_write_;
};

HttpServerOptions WithApiDefaults(HttpServerOptions http, ApiObserver* observer) {
  if (http.server_header.empty()) http.server_header = std::string("vigil/") + kVersion;
  if (!http.error_page) {
    http.error_page = [](std::string_view, int status, const std::string& message) {
      return StatusAnswer(status, message);
    };
  }
  if (!http.on_answer && observer != nullptr) {
    http.on_answer = [observer](const std::string& dialect, int status) {
      observer->OnApiRequest(dialect, status);
    };
  }
  return http;
}

}  // namespace

ApiServer::ApiServer(const StatusBoard& board, const ProbeDetailsSource& details, ApiHooks hooks,
                     ApiOptions options)
    : board_(board),
      details_(details),
      hooks_(std::move(hooks)),
      options_(std::move(options)),
      kube_(
          board, options_.events != nullptr ? *options_.events : board,
          [this] { return AcquireWatch(KubeApi::kDialect); }, options_.kubernetes),
      server_(WithApiDefaults(options_.http, options_.observer)) {
  AddRoutes();
}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::AddRoutes() {
  const int render = server_.AddPool("vigil-api", 2, 256);
  const int control = server_.AddPool("vigil-reload", 1, 4);

  const auto vigil_get = [&](const char* pattern,
                             std::function<HttpResponse(const HttpRequest&)> f) {
    server_.AddRoute({.method = "GET",
                      .pattern = pattern,
                      .dialect = kDialect,
                      .handler = std::move(f),
                      .pool = render});
  };
  vigil_get("/vigil/v1/services",
            [this](const HttpRequest& r) { return List(WatchKind::kServices, r); });
  vigil_get("/vigil/v1/endpoints",
            [this](const HttpRequest& r) { return List(WatchKind::kEndpoints, r); });
  vigil_get("/vigil/v1/endpoints/{name}", [this](const HttpRequest& r) { return Object(r); });
  vigil_get("/vigil/v1/endpoints/{name}/transitions",
            [this](const HttpRequest& r) { return Transitions(r); });
  vigil_get("/vigil/v1/prometheus/targets",
            [this](const HttpRequest& r) { return PrometheusSd(r); });

  // The Kubernetes view owns /version, /api and /apis, every method (a
  // write is its 405 Status).
  for (const char* pattern : {"/version", "/api/{**}", "/apis/{**}"}) {
    server_.AddRoute({.method = "*",
                      .pattern = pattern,
                      .dialect = KubeApi::kDialect,
                      .handler = [this](const HttpRequest& r) { return kube_.Handle(r); },
                      .pool = render});
  }

  // Cheap, and what a liveness probe asks: answered on the loop itself.
  const auto probe = [](const std::function<Status()>& hook) {
    return [&hook](const HttpRequest&) {
      const Status health = hook ? hook() : Status::Ok();
      return HttpResponse(health.ok() ? 200 : 503, "text/plain; charset=utf-8",
                          health.ok() ? "ok\n" : health.message() + "\n");
    };
  };
  server_.AddRoute({.method = "GET", .pattern = "/healthz", .handler = probe(hooks_.healthz)});
  server_.AddRoute({.method = "GET", .pattern = "/readyz", .handler = probe(hooks_.readyz)});

  server_.AddRoute({.method = "POST",
                    .pattern = "/-/reload",
                    .handler =
                        [this](const HttpRequest&) {
                          if (!hooks_.reload) {
                            return StatusAnswer(404, "this server has no config to reload");
                          }
                          const Status reloaded = hooks_.reload();
                          if (reloaded.ok()) return StatusAnswer(200, "the config was reloaded");
                          return StatusAnswer(500, reloaded.message());
                        },
                    .pool = control});

  server_.AddRoute({.method = "GET",
                    .pattern = "/metrics",
                    .handler =
                        [this](const HttpRequest&) {
                          return HttpResponse(200, kMetricsType,
                                              hooks_.metrics ? hooks_.metrics() : std::string());
                        },
                    .pool = render,
                    .shared = true});
}

HttpResponse ApiServer::List(WatchKind kind, const HttpRequest& request) {
  Result<ListQuery> query = ParseListQuery(request.query, board_.resource_version());
  if (!query.ok()) return StatusAnswer(400, query.status().message());
  if (query->watch) return Watch(kind, std::nullopt, std::move(query).value());
  const BoardSnapshot snapshot = board_.Snapshot();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& object : snapshot.services) {
    if (!query->namespace_name.empty() && object->namespace_name != query->namespace_name) continue;
    if (!query->selector.Matches(object->labels)) continue;
    items.push_back(kind == WatchKind::kServices ? ServiceJson(*object)
                                                 : EndpointsJson(*object, details_));
  }
  return Json(200, ListJson(kind == WatchKind::kServices ? "ServiceList" : "EndpointsList",
                            snapshot, std::move(items)));
}

Result<std::shared_ptr<const EndpointsObject>> ApiServer::Find(
    const std::string& name, const std::string& namespace_name) const {
  if (!namespace_name.empty()) {
    auto object = board_.Get(NamespacedName{namespace_name, name});
    if (object == nullptr) {
      return Status::Error("endpoints \"" + name + "\" not found in namespace \"" + namespace_name +
                           "\"");
    }
    return object;
  }
  std::vector<std::shared_ptr<const EndpointsObject>> named = board_.Named(name);
  if (named.empty()) return Status::Error("endpoints \"" + name + "\" not found");
  if (named.size() > 1) {
    std::string namespaces;
    for (const auto& object : named) {
      namespaces += (namespaces.empty() ? "" : ", ") + object->namespace_name;
    }
    return Status::Error("endpoints \"" + name + "\" is in several namespaces (" + namespaces +
                         "): add ?namespace=NS");
  }
  return named.front();
}

HttpResponse ApiServer::Object(const HttpRequest& request) {
  const std::string name = request.Capture("name");
  Result<ListQuery> query = ParseListQuery(request.query, board_.resource_version());
  if (!query.ok()) return StatusAnswer(400, query.status().message());
  // Watching one object waits for it to exist, as in Kubernetes.
  if (query->watch) return Watch(WatchKind::kEndpoints, name, std::move(query).value());
  const Result<std::shared_ptr<const EndpointsObject>> object = Find(name, query->namespace_name);
  if (!object.ok()) return StatusAnswer(404, object.status().message());
  return Json(200, EndpointsJson(**object, details_));
}

HttpResponse ApiServer::Transitions(const HttpRequest& request) {
  const std::string name = request.Capture("name");
  std::string namespace_name;
  if (std::optional<std::string> ns = request.query.Get("namespace")) namespace_name = *ns;
  const Result<std::shared_ptr<const EndpointsObject>> object = Find(name, namespace_name);
  if (!object.ok()) return StatusAnswer(404, object.status().message());
  nlohmann::json items = nlohmann::json::array();
  for (const Transition& t : board_.Transitions((*object)->Id())) {
    items.push_back(TransitionJson(t));
  }
  return Json(200, {{"kind", "TransitionList"}, {"items", std::move(items)}});
}

HttpResponse ApiServer::PrometheusSd(const HttpRequest& request) {
  PrometheusTargetsQuery query;
  if (const std::optional<std::string> text = request.query.Get("labelSelector")) {
    Result<LabelSelector> selector = LabelSelector::Parse(*text);
    if (!selector.ok()) return StatusAnswer(400, selector.status().message());
    query.selector = std::move(selector).value();
  }
  if (const std::optional<std::string> ready = request.query.Get("ready")) {
    if (*ready != "true" && *ready != "false") {
      return StatusAnswer(400, "ready must be true or false, not \"" + *ready + "\"");
    }
    query.ready_only = *ready == "true";
  }
  return Json(200, PrometheusTargets(board_.Snapshot(), query));
}

std::optional<std::function<void()>> ApiServer::AcquireWatch(const char* dialect) {
  if (watchers_.fetch_add(1) >= options_.max_watchers) {
    --watchers_;
    return std::nullopt;
  }
  if (options_.observer != nullptr) options_.observer->OnApiWatches(dialect, 1);
  return std::function<void()>([this, dialect] {
    --watchers_;
    if (options_.observer != nullptr) options_.observer->OnApiWatches(dialect, -1);
  });
}

HttpResponse ApiServer::Watch(WatchKind kind, std::optional<std::string> name, ListQuery query) {
  std::optional<std::function<void()>> release = AcquireWatch(kDialect);
  if (!release) {
    HttpResponse refused =
        StatusAnswer(429, "too many watches open (at most " +
                              std::to_string(options_.max_watchers) + "); retry later");
    refused.headers.emplace_back("Retry-After", "1");
    return refused;
  }
  HttpResponse answer(200, "application/x-ndjson", "");
  answer.stream = std::make_unique<WatchAnswer>(
      std::make_unique<WatchStream>(board_, details_, kind, std::move(query.namespace_name),
                                    std::move(name), std::move(query.selector), query.since),
      options_.bookmark_interval, std::move(*release));
  return answer;
}

void ApiServer::NotifyChanges(const StatusBoard& board) {
  uint64_t seen = board.resource_version();
  uint64_t epoch = board.epoch();
  while (!stopping_) {
    const uint64_t version = board.WaitForChange(seen, kNotifyPoll);
    // Not only upward: a history restart may set the version back, or
    // leave it where it was.
    const uint64_t now_epoch = board.epoch();
    if (version != seen || now_epoch != epoch) {
      seen = version;
      epoch = now_epoch;
      server_.WakeStreams();
    }
  }
}

Status ApiServer::Start(const ListenAddress& address) {
  if (options_.observer != nullptr) {
    options_.observer->OnApiWatches(kDialect, 0);
    options_.observer->OnApiWatches(KubeApi::kDialect, 0);
  }
  if (Status s = server_.Start(address); !s.ok()) return s;
  notifiers_.emplace_back([this] { NotifyChanges(board_); });
  if (options_.events != nullptr && options_.events != &board_) {
    notifiers_.emplace_back([this] { NotifyChanges(*options_.events); });
  }
  return Status::Ok();
}

void ApiServer::Stop() {
  stopping_ = true;
  for (std::thread& notifier : notifiers_) {
    if (notifier.joinable()) notifier.join();
  }
  notifiers_.clear();
  // Stopping, the server pulls every stream once more: each watch gets the
  // changes up to now, then its end.
  server_.Stop();
}

}  // namespace vigil
