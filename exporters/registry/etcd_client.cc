#include "exporters/registry/etcd_client.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/http_session.h"
#include "common/line_buffer.h"
#include "common/log_escape.h"

namespace vigil {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Failure = HttpSession::Failure;

// The start of an error answer kept for its message.
constexpr size_t kMaxErrorBodyBytes = 64 * 1024;

std::string Ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

std::string Mib(size_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

// What went wrong with a request that got no (complete) answer.
std::string Describe(const HttpSession::Outcome& outcome, const EtcdClient::Options& options) {
  const std::string detail = EscapeForLog(outcome.error, 200);
  switch (outcome.failure) {
    case Failure::kBadUrl:
      return "not an http://host:port endpoint";
    case Failure::kCannotConnect:
      return "cannot connect (connection refused or unreachable)";
    case Failure::kConnectTimeout:
      return "connect timed out after " + Ms(options.connect_timeout);
    case Failure::kTimeout:
      return "no complete answer (connection closed or no answer within " +
             Ms(options.request_timeout) + ")";
    case Failure::kClosed:
      return "no complete answer (connection closed: " + detail + ")";
    case Failure::kNotHttp:
      return "the answer is not HTTP (" + detail + ")";
    case Failure::kHeaderTooLarge:
      return "refused an answer whose header lines are over " +
             std::to_string(HttpSession::kMaxHeaderLineBytes / 1024) + " KiB or " +
             std::to_string(HttpSession::kMaxHeaderBytes / 1024) + " KiB in all";
    case Failure::kBodyTooLarge:
      return "refused an answer over " + Mib(kEtcdMaxAnswerBytes);
    case Failure::kStopped:
      return "request interrupted";
    case Failure::kNone:
    case Failure::kOther:
      break;
  }
  return "request failed (" + detail + ")";
}

void Append(std::string* failures, const std::string& endpoint, const std::string& failure) {
  *failures += (failures->empty() ? "" : "; ") + ("etcd at " + endpoint + ": " + failure);
}

}  // namespace

EtcdClient::EtcdClient(std::vector<std::string> endpoints, Options options)
    : options_(options), watch_session_(std::make_unique<HttpSession>()) {
  for (std::string& endpoint : endpoints) {
    auto member = std::make_unique<Member>();
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    member->valid = HttpSession::ValidUrl(endpoint);
    member->endpoint = std::move(endpoint);
    member->session = std::make_unique<HttpSession>();
    members_.push_back(std::move(member));
  }
}

EtcdClient::~EtcdClient() = default;

Result<EtcdClient::Answer> EtcdClient::Call(const std::string& path, const std::string& body) {
  if (members_.empty()) return Status::Error("etcd: no endpoints configured");
  size_t start = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    start = preferred_;
  }
  std::string failures;
  for (size_t i = 0; i < members_.size(); ++i) {
    const size_t index = (start + i) % members_.size();
    Member& member = *members_[index];
    if (!member.valid) {
      Append(&failures, member.endpoint, "not an http://host:port endpoint");
      continue;
    }
    std::string answer;
    HttpSession::Outcome outcome;
    {
      std::lock_guard<std::mutex> lock(member.mutex);
      const uint64_t interrupts = interrupts_.load();
      HttpSession::Request request;
      request.method = "POST";
      request.url = member.endpoint + path;
      request.body = body;
      request.connect_timeout = options_.connect_timeout;
      request.timeout = options_.connect_timeout + options_.request_timeout;
      request.max_body_bytes = kEtcdMaxAnswerBytes;
      request.on_body = [&](int, std::string_view data) {
        HttpSession::AppendCapped(&answer, data, kEtcdMaxAnswerBytes);
        return true;
      };
      request.keep_going = [&] { return interrupts_.load() == interrupts; };
      outcome = member.session->Perform(request);
    }
    if (outcome.ok()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        preferred_ = index;
      }
      if (outcome.http_status != 200) {
        return Status::Error("etcd at " + member.endpoint + ": " +
                             ParseErrorAnswer(outcome.http_status, answer));
      }
      return Answer{member.endpoint, std::move(answer)};
    }
    Append(&failures, member.endpoint, Describe(outcome, options_));
  }
  return Status::Error(failures);
}

template <typename T, typename Parse>
Result<T> EtcdClient::Parsed(const char* call, const Result<Answer>& answer, Parse&& parse) {
  if (!answer.ok()) return answer.status();
  Result<T> parsed = parse(answer->body);
  if (!parsed.ok()) {
    return Status::Error("etcd at " + answer->endpoint + ": malformed answer to " + call + ": " +
                         parsed.status().message());
  }
  return parsed;
}

Result<int64_t> EtcdClient::GrantLease(int ttl_seconds) {
  return Parsed<int64_t>("lease/grant", Call("/v3/lease/grant", EtcdLeaseGrantRequest(ttl_seconds)),
                         ParseLeaseGrantAnswer);
}

Result<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  const Result<Answer> answer = Call("/v3/lease/keepalive", EtcdLeaseRequest(lease));
  Result<EtcdKeepAliveAnswer> parsed =
      Parsed<EtcdKeepAliveAnswer>("lease/keepalive", answer, ParseKeepAliveAnswer);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->error.empty())
    return Status::Error("etcd at " + answer->endpoint + ": " + parsed->error);
  return parsed->ttl;
}

Status EtcdClient::Revoke(int64_t lease) {
  return Call("/v3/lease/revoke", EtcdLeaseRequest(lease)).status();
}

Result<int64_t> EtcdClient::Txn(const std::vector<EtcdOp>& ops) {
  return Parsed<int64_t>("kv/txn", Call("/v3/kv/txn", EtcdTxnRequest(ops)), ParseTxnAnswer);
}

Result<EtcdClient::Range> EtcdClient::GetPrefix(const std::string& prefix, bool keys_only) {
  return Parsed<Range>("kv/range", Call("/v3/kv/range", EtcdRangeRequest(prefix, keys_only)),
                       ParseRangeAnswer);
}

void EtcdClient::Interrupt() {
  ++interrupts_;
  for (const auto& member : members_) member->session->Wake();
}

void EtcdClient::Cancel() {
  cancelled_ = true;
  watch_session_->Wake();
}

Status EtcdClient::Watch(const std::string& prefix, int64_t start_revision,
                         const std::function<bool(const std::vector<EtcdEvent>&)>& on_events,
                         WatchEnd* end) {
  WatchEnd ignored;
  if (end == nullptr) end = &ignored;
  *end = WatchEnd{};
  if (members_.empty()) return Status::Error("etcd: no endpoints configured");
  size_t start = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (watching_) return Status::Error("etcd: a watch already runs on this client");
    if (cancelled_) return Status::Ok();
    watching_ = true;
    start = preferred_;
  }
  struct Done {
    EtcdClient* self;
    ~Done() {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->watching_ = false;
    }
  } done{this};

  const std::string body = EtcdWatchRequest(prefix, start_revision);
  // The waits below are checked at least this often.
  const auto tick =
      std::clamp(std::min(options_.watch_idle_timeout, options_.watch_line_timeout) / 4,
                 std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  std::string failures;
  for (size_t i = 0; i < members_.size(); ++i) {
    const size_t index = (start + i) % members_.size();
    Member& member = *members_[index];
    const std::string& endpoint = member.endpoint;
    if (!member.valid) {
      Append(&failures, endpoint, "not an http://host:port endpoint");
      continue;
    }
    if (cancelled_) return Status::Ok();

    LineBuffer lines(kEtcdMaxWatchLineBytes);
    std::string error_body;  // the start of an error answer
    bool answered = false;   // bytes of the body came
    bool created = false;    // etcd accepted the watch
    bool stopped = false;    // on_events asked to stop
    Status stream_error;     // why the stream was ended here
    const SteadyClock::time_point began = SteadyClock::now();
    SteadyClock::time_point last_message = began;
    std::optional<SteadyClock::time_point> line_began;  // of the partial line held
    const auto misbehaved = [&](const std::string& why) {
      stream_error = Status::Error("etcd at " + endpoint + ": " + why + "; ending the watch");
      end->misbehaved = true;
      return false;
    };

    const auto handle_line = [&](std::string_view line) -> bool {
      last_message = SteadyClock::now();
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) return true;
      Result<EtcdWatchMessage> message = ParseWatchLine(line);
      if (!message.ok())
        return misbehaved("malformed watch message: " + message.status().message());
      if (!message->error.empty()) {
        stream_error = Status::Error("etcd at " + endpoint + ": watch: " + message->error);
        return false;
      }
      if (message->canceled) {
        if (message->compact_revision > 0) {
          end->compact_revision = message->compact_revision;
          stream_error = Status::Error("etcd at " + endpoint + ": watch from revision " +
                                       std::to_string(start_revision) +
                                       " failed: that revision is compacted (oldest available: " +
                                       std::to_string(message->compact_revision) +
                                       "); read the prefix again and watch from there");
        } else {
          stream_error =
              Status::Error("etcd at " + endpoint + ": watch canceled by etcd" +
                            (message->cancel_reason.empty() ? "" : ": " + message->cancel_reason));
        }
        return false;
      }
      // After the watch is created, a message without events is etcd's
      // progress notification: passed on too, as a sign of life.
      const bool just_created = !created && message->created;
      const bool progress = created && message->events.empty();
      created = created || just_created;
      if ((!message->events.empty() || just_created || progress) && !on_events(message->events)) {
        stopped = true;
        return false;
      }
      return true;
    };

    HttpSession::Request request;
    request.method = "POST";
    request.url = endpoint + "/v3/watch";
    request.body = body;
    request.connect_timeout = options_.connect_timeout;
    request.keep_alive = false;
    request.tick = tick;
    request.on_body = [&](int http_status, std::string_view data) {
      if (cancelled_) return false;
      answered = true;
      if (http_status != 200) {
        error_body.append(data.substr(0, kMaxErrorBodyBytes - error_body.size()));
        return error_body.size() < kMaxErrorBodyBytes;
      }
      switch (lines.Append(data, handle_line)) {
        case LineBuffer::Outcome::kTooLong:
          return misbehaved("a watch message over " + Mib(kEtcdMaxWatchLineBytes));
        case LineBuffer::Outcome::kStopped:
          return false;
        case LineBuffer::Outcome::kMore:
          break;
      }
      if (lines.pending() == 0) {
        line_began.reset();
      } else if (!line_began) {
        line_began = SteadyClock::now();
      }
      return !cancelled_;
    };
    request.keep_going = [&] {
      if (cancelled_) return false;
      const SteadyClock::time_point now = SteadyClock::now();
      if (!answered) {
        // No answer yet: another member may do better.
        return now - began < options_.connect_timeout + options_.request_timeout;
      }
      if (now - last_message > options_.watch_idle_timeout) {
        return misbehaved(
            "the watch stream delivered nothing (not even a progress "
            "notification) for " +
            Ms(options_.watch_idle_timeout));
      }
      if (line_began && now - *line_began > options_.watch_line_timeout) {
        return misbehaved("a watch message (" + std::to_string(lines.pending()) +
                          " bytes so far) did not end within " + Ms(options_.watch_line_timeout));
      }
      return true;
    };
    const HttpSession::Outcome outcome = watch_session_->Perform(request);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (created || outcome.http_status != 0) preferred_ = index;
    }
    if (stopped || cancelled_) return Status::Ok();
    if (!stream_error.ok()) return stream_error;
    if (outcome.http_status != 0 && outcome.http_status != 200) {
      return Status::Error("etcd at " + endpoint +
                           ": watch: " + ParseErrorAnswer(outcome.http_status, error_body));
    }
    if (!answered) {  // no answer at all: try the next member
      if (outcome.failure == Failure::kHeaderTooLarge || outcome.failure == Failure::kNotHttp) {
        end->misbehaved = true;
      }
      Append(&failures, endpoint,
             outcome.failure == Failure::kStopped
                 ? "no answer to the watch within " +
                       Ms(options_.connect_timeout + options_.request_timeout)
                 : Describe(outcome, options_));
      continue;
    }
    if (outcome.ok()) return Status::Error("etcd at " + endpoint + ": the watch stream ended");
    return Status::Error("etcd at " + endpoint + ": the watch stream broke: " +
                         (outcome.failure == Failure::kClosed
                              ? "connection closed (" + EscapeForLog(outcome.error, 200) + ")"
                              : Describe(outcome, options_)));
  }
  return Status::Error(failures);
}

}  // namespace vigil
