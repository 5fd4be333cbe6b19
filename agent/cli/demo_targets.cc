#include "agent/cli/demo_targets.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include "agent/api/http_server.h"
#include "common/http_reason.h"

namespace vigil {
namespace {

struct ServiceSpec {
  const char* name;
  std::map<std::string, std::string> labels;
  const char* address_prefix;  // replica i (1-based) listens on prefix + i
  int replicas;
};

// Kubernetes Up & Running's example deployments.
const ServiceSpec kServices[] = {
    {"alpaca-prod", {{"app", "alpaca"}, {"env", "prod"}, {"ver", "1"}}, "127.0.10.", 3},
    {"bandicoot-prod", {{"app", "bandicoot"}, {"env", "prod"}, {"ver", "2"}}, "127.0.11.", 2},
};

// A port free on the first address is almost always free on the other four;
// a few tries cover the rare exception.
constexpr int kPortAttempts = 10;

// Nothing the demo serves needs a body: a bounded one keeps a large POST from
// filling memory.
constexpr size_t kMaxBody = 64 * 1024;

constexpr const char* kText = "text/plain; charset=utf-8";

std::string LabelsText(const std::map<std::string, std::string>& labels) {
  std::string text;
  for (const auto& [key, value] : labels) {
    text += (text.empty() ? "" : ",") + key + "=" + value;
  }
  return text;
}

}  // namespace

std::string DemoReplica::Url() const {
  const bool v6 = address.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

// One replica: its server (libmicrohttpd's event loop, which runs the
// routes: they are cheap) and whether /ready passes.
class DemoTargets::Replica {
 public:
  Replica(const DemoService& service, int index)
      : service_(service.name),
        labels_(LabelsText(service.labels)),
        index_(index),
        count_(static_cast<int>(service.replicas.size())),
        address_(service.replicas[index - 1].address),
        server_(Options()) {
    Route();
  }

  ~Replica() { Stop(); }

  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Binds `port` (0: any free port) and serves; returns the bound port, or
  // 0 with `*error` set.
  int Serve(int port, std::string* error) {
    const Status started = server_.Start({address_, port});
    if (!started.ok()) {
      *error = started.message();
      return 0;
    }
    port_ = server_.port();
    return port_;
  }

  void Stop() {
    if (port_ == 0) return;
    server_.Stop();
    port_ = 0;
  }

 private:
  static HttpServerOptions Options() {
    HttpServerOptions options;
    options.max_connections = 64;
    options.max_connections_per_ip = 64;
    options.listen_backlog = 64;
    options.max_body_bytes = kMaxBody;
    options.header_timeout = std::chrono::seconds(2);
    options.request_timeout = std::chrono::seconds(5);
    options.idle_timeout = std::chrono::seconds(5);
    options.error_page = [](std::string_view path, int status, const std::string& message) {
      if (status == 404) {
        return HttpResponse(
            404, kText,
            "404 not found: " + std::string(path) + "; GET / says what this replica serves\n");
      }
      return HttpResponse(
          status, kText,
          std::to_string(status) + " " + ReasonPhrase(status) + ": " + message + "\n");
    };
    return options;
  }

  std::string Url() const { return DemoReplica{address_, port_.load()}.Url(); }

  std::string Name() const {
    return service_ + " replica " + std::to_string(index_) + " of " + std::to_string(count_) +
           " (" + Url() + ")";
  }

  std::string Describe() const {
    const std::string url = Url();
    return service_ + ", replica " + std::to_string(index_) + " of " + std::to_string(count_) +
           ", labels " + labels_ + ", at " + url + ": " +
           (ready_ ? "ready" : "not ready (failed on purpose)") +
           ".\n\n"
           "GET  /ready    200 \"ok\" while ready, 503 \"not ready\" after /fail\n"
           "POST /fail     make /ready answer 503:  curl -X POST " +
           url +
           "/fail\n"
           "POST /recover  make /ready answer 200:  curl -X POST " +
           url + "/recover\n";
  }

  HttpResponse Answer(const HttpRequest& req) {
    const std::string& path = req.path;
    if (path == "/" || path == "/ready") {
      if (req.method != "GET" && req.method != "HEAD") return NotAllowed(req, "GET, HEAD");
      if (path == "/") return HttpResponse(200, kText, Describe());
      const bool ready = ready_;
      return HttpResponse(ready ? 200 : 503, kText, ready ? "ok\n" : "not ready\n");
    }
    // State changes take a POST, so that a browser's prefetch or a
    // crawler's GET cannot trigger them.
    if (req.method != "POST") return NotAllowed(req, "POST");
    return Flip(path == "/recover", req);
  }

  // 405, or the allowed methods for OPTIONS.
  HttpResponse NotAllowed(const HttpRequest& req, const std::string& allow) {
    HttpResponse res;
    res.headers.emplace_back("Allow", allow + ", OPTIONS");
    if (req.method == "OPTIONS") {
      res.status = 204;
      return res;
    }
    res.status = 405;
    res.body = req.method + " is not allowed on " + req.path + "; use " + allow;
    if (allow == "POST") res.body += ": curl -X POST " + Url() + req.path;
    res.body += "\n";
    return res;
  }

  // Sets readiness; answers and logs whether it changed.
  HttpResponse Flip(bool ready, const HttpRequest& req) {
    const bool was = ready_.exchange(ready);
    const std::string now = ready ? "200 \"ok\"" : "503 \"not ready\"";
    if (was != ready) {
      spdlog::info("demo: {} now answers /ready with {} ({} {} from {})", Name(), now, req.method,
                   req.path, req.peer);
    }
    return HttpResponse(200, kText,
                        service_ + " replica " + std::to_string(index_) + ": /ready " +
                            (was == ready ? "already answers " : "now answers ") + now + "\n");
  }

  // Every method a client may try on the four paths reaches Answer, which
  // says what is allowed; other methods and paths get the server's 405 and
  // 404.
  void Route() {
    for (const char* path : {"/", "/ready", "/fail", "/recover"}) {
      for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
        server_.AddRoute({.method = method,
                          .pattern = path,
                          .handler = [this](const HttpRequest& req) { return Answer(req); },
                          .pool = HttpServer::kOnLoop});
      }
    }
  }

  const std::string service_;
  const std::string labels_;
  const int index_;  // 1-based
  const int count_;
  const std::string address_;
  std::atomic<bool> ready_{true};
  HttpServer server_;
  std::atomic<int> port_{0};  // 0 until serving
};

DemoTargets::DemoTargets(int preferred_port) : preferred_port_(preferred_port) {
  for (const ServiceSpec& spec : kServices) {
    DemoService service{spec.name, spec.labels, {}};
    for (int i = 1; i <= spec.replicas; ++i) {
      service.replicas.push_back({spec.address_prefix + std::to_string(i), 0});
    }
    services_.push_back(std::move(service));
  }
}

DemoTargets::~DemoTargets() { Stop(); }

bool DemoTargets::BindAll(int port, std::string* error) {
  for (const DemoService& service : services_) {
    for (size_t i = 0; i < service.replicas.size(); ++i) {
      auto replica = std::make_unique<Replica>(service, static_cast<int>(i) + 1);
      const int bound = replica->Serve(port, error);
      if (bound == 0) {
        Release();
        return false;
      }
      port = bound;
      replicas_.push_back(std::move(replica));
    }
  }
  port_ = port;
  return true;
}

void DemoTargets::Release() {
  for (auto& replica : replicas_) replica->Stop();
  replicas_.clear();
  port_ = 0;
}

Status DemoTargets::Start() {
  if (!replicas_.empty()) return Status::Error("the demo targets are already running");
  std::string error;
  bool bound = preferred_port_ > 0 && BindAll(preferred_port_, &error);
  for (int attempt = 0; !bound && attempt < kPortAttempts; ++attempt) {
    bound = BindAll(0, &error);
  }
  if (!bound) return Status::Error("cannot start the demo targets: " + error);
  for (DemoService& service : services_) {
    for (DemoReplica& replica : service.replicas) replica.port = port_;
  }
  return Status::Ok();
}

void DemoTargets::Stop() {
  Release();
  for (DemoService& service : services_) {
    for (DemoReplica& replica : service.replicas) replica.port = 0;
  }
}

std::vector<Service> DemoServiceConfigs(const std::vector<DemoService>& services,
                                        const ProbeTiming& timing) {
  std::vector<Service> configs;
  for (const DemoService& demo : services) {
    Service service;
    service.name = demo.name;
    service.labels = demo.labels;
    const int port = demo.replicas.empty() ? 0 : demo.replicas.front().port;
    service.ports = {{"http", port}};
    for (const DemoReplica& replica : demo.replicas) {
      service.endpoints.push_back({replica.address, replica.port});
    }
    HttpGetAction http;
    http.path = "/ready";
    http.port.name = "http";
    service.readiness_probe = Probe{http, timing};
    configs.push_back(std::move(service));
  }
  return configs;
}

}  // namespace vigil
