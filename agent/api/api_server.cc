#include "agent/api/api_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "agent/api/api_json.h"
#include "agent/api/prometheus_targets.h"
#include "common/http_reason.h"
#include "common/version.h"

namespace vigil {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kEndpointsPath = R"(/api/v1/endpoints/([^/]+))";
constexpr const char* kTransitionsPath = R"(/api/v1/endpoints/([^/]+)/transitions)";
constexpr const char* kPrometheusTargetsPath = "/vigil/v1/prometheus/targets";

void Reply(httplib::Response& res, int code, const nlohmann::json& body) {
  res.status = code;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  kJson);
}

void ReplyStatus(httplib::Response& res, int code, const std::string& message) {
  Reply(res, code, StatusJson(code, message));
}

// The query parameters every list takes: labelSelector, watch, resourceVersion.
struct ListQuery {
  LabelSelector selector;
  bool watch = false;
  std::optional<uint64_t> since;
};

// The query, or an error message for a 400.
Result<ListQuery> ParseListQuery(const httplib::Request& req, uint64_t current_version) {
  ListQuery query;
  if (req.has_param("labelSelector")) {
    Result<LabelSelector> selector = LabelSelector::Parse(req.get_param_value("labelSelector"));
    if (!selector.ok()) return selector.status();
    query.selector = std::move(selector).value();
  }
  if (req.has_param("watch")) {
    const std::string watch = req.get_param_value("watch");
    if (watch != "true" && watch != "1" && watch != "false" && watch != "0") {
      return Status::Error("watch must be true or false, not \"" + watch + "\"");
    }
    query.watch = watch == "true" || watch == "1";
  }
  if (req.has_param("resourceVersion")) {
    const std::string text = req.get_param_value("resourceVersion");
    uint64_t version = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      return Status::Error("resourceVersion must be a number, not \"" + text + "\"");
    }
    if (version > current_version) {
      return Status::Error("resourceVersion " + text + " is newer than the server's (" +
                           std::to_string(current_version) + ")");
    }
    query.since = version;
  }
  return query;
}

nlohmann::json List(const char* kind, const BoardSnapshot& snapshot, nlohmann::json items) {
  return {{"kind", kind},
          {"resourceVersion", std::to_string(snapshot.resource_version)},
          {"items", std::move(items)}};
}

// How often an idle watch stream looks whether its client is still there.
constexpr auto kWatchPollInterval = std::chrono::milliseconds(250);

}  // namespace

ApiServer::ApiServer(const StatusBoard& board, const ProbeDetailsSource& details, ApiHooks hooks,
                     ApiOptions options)
    : board_(board),
      details_(details),
      hooks_(std::move(hooks)),
      options_(options),
      server_(std::make_unique<httplib::Server>()) {}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::ServeWatch(httplib::Response& res, WatchKind kind, std::optional<std::string> name,
                           LabelSelector selector, std::optional<uint64_t> since) {
  if (watchers_.fetch_add(1) >= options_.max_watchers) {
    --watchers_;
    res.set_header("Retry-After", "1");
    ReplyStatus(res, 429,
                "too many watches open (at most " + std::to_string(options_.max_watchers) +
                    "); retry later");
    return;
  }
  auto cursor = std::make_shared<WatchStream>(board_, details_, kind, std::move(name),
                                              std::move(selector), since);
  auto last_write =
      std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [this, cursor, last_write](size_t, httplib::DataSink& sink) {
        const auto write = [&](const std::string& line) {
          *last_write = std::chrono::steady_clock::now();
          return sink.write(line.data(), line.size());
        };
        while (true) {
          // Taken before the stopping check, so that the last changes (an
          // agent's endpoints turning terminating) reach every watcher.
          const bool stopping = stopping_;
          const std::vector<std::string> lines = cursor->Take();
          for (const std::string& line : lines) {
            if (!write(line)) return false;
          }
          if (cursor->finished() || stopping) break;
          if (!lines.empty()) return true;
          if (std::chrono::steady_clock::now() - *last_write >= options_.bookmark_interval) {
            return write(cursor->Bookmark());
          }
          // A client that went away frees its thread within a poll interval.
          if (!sink.is_writable()) return false;
          board_.WaitForChange(cursor->version(), kWatchPollInterval);
        }
        sink.done();
        return true;
      },
      [this](bool) { --watchers_; });
}

void ApiServer::Route() {
  httplib::Server& s = *server_;

  // Both lists take a selector and can be watched; they differ in the objects.
  const auto list = [this](WatchKind kind) {
    return [this, kind](const httplib::Request& req, httplib::Response& res) {
      Result<ListQuery> query = ParseListQuery(req, board_.resource_version());
      if (!query.ok()) return ReplyStatus(res, 400, query.status().message());
      if (query->watch) {
        return ServeWatch(res, kind, std::nullopt, std::move(query->selector), query->since);
      }
      const BoardSnapshot snapshot = board_.Snapshot();
      nlohmann::json items = nlohmann::json::array();
      for (const auto& object : snapshot.services) {
        if (!query->selector.Matches(object->labels)) continue;
        items.push_back(kind == WatchKind::kServices ? ServiceJson(*object)
                                                     : EndpointsJson(*object, details_));
      }
      Reply(res, 200,
            List(kind == WatchKind::kServices ? "ServiceList" : "EndpointsList", snapshot,
                 std::move(items)));
    };
  };
  s.Get("/api/v1/services", list(WatchKind::kServices));
  s.Get("/api/v1/endpoints", list(WatchKind::kEndpoints));

  s.Get(kEndpointsPath, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    Result<ListQuery> query = ParseListQuery(req, board_.resource_version());
    if (!query.ok()) return ReplyStatus(res, 400, query.status().message());
    // Watching one object waits for it to exist, as in Kubernetes.
    if (query->watch) {
      return ServeWatch(res, WatchKind::kEndpoints, name, std::move(query->selector), query->since);
    }
    const auto object = board_.Get(name);
    if (object == nullptr) return ReplyStatus(res, 404, "endpoints \"" + name + "\" not found");
    Reply(res, 200, EndpointsJson(*object, details_));
  });

  s.Get(kTransitionsPath, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    if (board_.Get(name) == nullptr) {
      return ReplyStatus(res, 404, "endpoints \"" + name + "\" not found");
    }
    nlohmann::json items = nlohmann::json::array();
    for (const Transition& t : board_.Transitions(name)) items.push_back(TransitionJson(t));
    Reply(res, 200, {{"kind", "TransitionList"}, {"items", std::move(items)}});
  });

  s.Get(kPrometheusTargetsPath, [this](const httplib::Request& req, httplib::Response& res) {
    PrometheusTargetsQuery query;
    if (req.has_param("labelSelector")) {
      Result<LabelSelector> selector = LabelSelector::Parse(req.get_param_value("labelSelector"));
      if (!selector.ok()) return ReplyStatus(res, 400, selector.status().message());
      query.selector = std::move(selector).value();
    }
    if (req.has_param("ready")) {
      const std::string ready = req.get_param_value("ready");
      if (ready != "true" && ready != "false") {
        return ReplyStatus(res, 400, "ready must be true or false, not \"" + ready + "\"");
      }
      query.ready_only = ready == "true";
    }
    Reply(res, 200, PrometheusTargets(board_.Snapshot(), query));
  });

  const auto probe = [](const std::function<Status()>& hook) {
    return [&hook](const httplib::Request&, httplib::Response& res) {
      const Status health = hook ? hook() : Status::Ok();
      res.status = health.ok() ? 200 : 503;
      res.set_content(health.ok() ? "ok\n" : health.message() + "\n", "text/plain");
    };
  };
  s.Get("/healthz", probe(hooks_.healthz));
  s.Get("/readyz", probe(hooks_.readyz));

  s.Post("/-/reload", [this](const httplib::Request&, httplib::Response& res) {
    if (!hooks_.reload) return ReplyStatus(res, 404, "this server has no config to reload");
    const Status reloaded = hooks_.reload();
    if (reloaded.ok()) return ReplyStatus(res, 200, "the config was reloaded");
    ReplyStatus(res, 500, reloaded.message());
  });

  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(hooks_.metrics ? hooks_.metrics() : std::string(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });

  // Known paths with the wrong method are 405, not 404.
  const auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", "GET");
    ReplyStatus(res, 405, "method " + req.method + " is not allowed on " + req.path);
  };
  for (const char* path :
       {"/api/v1/services", "/api/v1/endpoints", kEndpointsPath, kTransitionsPath,
        kPrometheusTargetsPath, "/healthz", "/readyz", "/metrics"}) {
    s.Post(path, not_allowed);
    s.Put(path, not_allowed);
    s.Patch(path, not_allowed);
    s.Delete(path, not_allowed);
  }
  s.Get("/-/reload", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Allow", "POST");
    ReplyStatus(res, 405, "reload with POST /-/reload");
  });

  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    ReplyStatus(
        res, res.status,
        res.status == 404 ? "the server could not find " + req.path : ReasonPhrase(res.status));
  });
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what += ": " + std::string(e.what());
        } catch (...) {
        }
        ReplyStatus(res, 500, what);
      });
  s.set_default_headers({{"Server", std::string("vigil/") + kVersion}});
}

Status ApiServer::Start(const ListenAddress& address) {
  Route();
  const size_t threads = options_.max_watchers + kSpareThreads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  const std::string host = address.host.empty() ? "0.0.0.0" : address.host;
  const std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                            std::to_string(address.port);
  // httplib's default also sets SO_REUSEPORT, which would let a second agent
  // share the port unnoticed; SO_REUSEADDR alone allows quick restarts only.
  server_->set_socket_options([](int fd) {
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // A watch event is a small write after the previous one: with Nagle's
  // algorithm it would wait for the client's delayed ACK (up to 40 ms).
  server_->set_tcp_nodelay(true);
  errno = 0;
  if (address.port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, address.port) ? address.port : -1;
  }
  if (port_ <= 0) {
    const std::string reason = errno != 0 ? std::strerror(errno) : "bind failed";
    port_ = 0;
    return Status::Error("cannot listen on " + where + ": " + reason);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the server runs: wait for it, so Stop() always works.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return Status::Ok();
}

void ApiServer::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;  // watch streams end within a poll interval
  server_->stop();
  thread_.join();
}

}  // namespace vigil
