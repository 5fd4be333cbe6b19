#include "agent/api_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "agent/api_json.h"
#include "common/version.h"

namespace vigil {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kEndpointsPath = R"(/api/v1/endpoints/([^/]+))";

void Reply(httplib::Response& res, int code, const nlohmann::json& body) {
  res.status = code;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  kJson);
}

void ReplyStatus(httplib::Response& res, int code, const std::string& message) {
  Reply(res, code, StatusJson(code, message));
}

std::string ReasonPhrase(int code) {
  switch (code) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 413:
      return "request too large";
    case 414:
      return "URI too long";
    case 429:
      return "too many requests";
    case 503:
      return "service unavailable";
    default:
      return "request failed with status " + std::to_string(code);
  }
}

}  // namespace

ApiServer::ApiServer(const StatusBoard& board, ApiHooks hooks)
    : board_(board), hooks_(std::move(hooks)), server_(std::make_unique<httplib::Server>()) {}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::Route() {
  httplib::Server& s = *server_;

  s.Get("/api/v1/services", [this](const httplib::Request&, httplib::Response& res) {
    const BoardSnapshot snapshot = board_.Snapshot();
    nlohmann::json items = nlohmann::json::array();
    for (const auto& object : snapshot.services) items.push_back(ServiceJson(*object));
    Reply(res, 200,
          {{"kind", "ServiceList"},
           {"resourceVersion", std::to_string(snapshot.resource_version)},
           {"items", std::move(items)}});
  });

  s.Get("/api/v1/endpoints", [this](const httplib::Request&, httplib::Response& res) {
    const BoardSnapshot snapshot = board_.Snapshot();
    nlohmann::json items = nlohmann::json::array();
    for (const auto& object : snapshot.services) items.push_back(EndpointsJson(*object, board_));
    Reply(res, 200,
          {{"kind", "EndpointsList"},
           {"resourceVersion", std::to_string(snapshot.resource_version)},
           {"items", std::move(items)}});
  });

  s.Get(kEndpointsPath, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const auto object = board_.Get(name);
    if (object == nullptr) {
      ReplyStatus(res, 404, "endpoints \"" + name + "\" not found");
      return;
    }
    Reply(res, 200, EndpointsJson(*object, board_));
  });

  s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const Status health = hooks_.healthz ? hooks_.healthz() : Status::Ok();
    res.status = health.ok() ? 200 : 503;
    res.set_content(health.ok() ? "ok\n" : health.message() + "\n", "text/plain");
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
       {"/api/v1/services", "/api/v1/endpoints", kEndpointsPath, "/healthz", "/metrics"}) {
    s.Post(path, not_allowed);
    s.Put(path, not_allowed);
    s.Patch(path, not_allowed);
    s.Delete(path, not_allowed);
  }

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
  const std::string host = address.host.empty() ? "0.0.0.0" : address.host;
  const std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                            std::to_string(address.port);
  // httplib's default also sets SO_REUSEPORT, which would let a second agent
  // share the port unnoticed; SO_REUSEADDR alone allows quick restarts only.
  server_->set_socket_options([](int fd) {
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
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
  server_->stop();
  thread_.join();
}

}  // namespace vigil
