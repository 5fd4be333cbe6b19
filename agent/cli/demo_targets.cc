#include "agent/cli/demo_targets.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

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

// One replica: its server, its thread, and whether /ready passes.
class DemoTargets::Replica {
 public:
  Replica(const DemoService& service, int index)
      : service_(service.name),
        labels_(LabelsText(service.labels)),
        index_(index),
        count_(static_cast<int>(service.replicas.size())),
        address_(service.replicas[index - 1].address) {
    Route();
  }

  ~Replica() { Stop(); }

  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Binds `port` (0: any free port); returns the bound port, or 0 with
  // `*error` set.
  int Bind(int port, std::string* error) {
    // httplib's default also sets SO_REUSEPORT, which would let a second demo
    // share the port (and split the requests) instead of falling back.
    server_.set_socket_options([](int fd) {
      const int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    errno = 0;
    const int bound = port == 0 ? server_.bind_to_any_port(address_)
                                : (server_.bind_to_port(address_, port) ? port : -1);
    if (bound <= 0) {
      *error = "cannot listen on " + address_ + ":" + (port == 0 ? "0" : std::to_string(port)) +
               ": " + (errno != 0 ? std::strerror(errno) : "bind failed");
      return 0;
    }
    port_ = bound;
    return bound;
  }

  // Serves on the bound socket from a thread of its own.
  void Serve() {
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      listen_returned_ = true;
    });
    // stop() is a no-op until the server runs: wait for it, so Stop() works.
    while (!server_.is_running() && !listen_returned_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Stops serving; a socket bound but never served is served briefly, since
  // httplib closes it only when stopping a running server.
  void Stop() {
    if (port_ == 0) return;
    if (!thread_.joinable()) Serve();
    server_.stop();
    thread_.join();
    port_ = 0;
  }

 private:
  std::string Url() const { return DemoReplica{address_, port_}.Url(); }

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

  void Answer(const httplib::Request& req, httplib::Response& res) {
    const std::string& path = req.path;
    if (path == "/" || path == "/ready") {
      if (req.method != "GET" && req.method != "HEAD") {
        NotAllowed(req, res, "GET, HEAD");
      } else if (path == "/") {
        res.set_content(Describe(), kText);
      } else {
        const bool ready = ready_;
        res.status = ready ? 200 : 503;
        res.set_content(ready ? "ok\n" : "not ready\n", kText);
      }
    } else if (path == "/fail" || path == "/recover") {
      // State changes take a POST, so that a browser's prefetch or a
      // crawler's GET cannot trigger them.
      if (req.method != "POST") {
        NotAllowed(req, res, "POST");
      } else {
        Flip(path == "/recover", req, res);
      }
    } else {
      res.status = 404;
      res.set_content("404 not found: " + path + "; GET / says what this replica serves\n", kText);
    }
  }

  // 405, or the allowed methods for OPTIONS.
  void NotAllowed(const httplib::Request& req, httplib::Response& res, const std::string& allow) {
    res.set_header("Allow", allow + ", OPTIONS");
    if (req.method == "OPTIONS") {
      res.status = 204;
      return;
    }
    res.status = 405;
    std::string body = req.method + " is not allowed on " + req.path + "; use " + allow;
    if (allow == "POST") body += ": curl -X POST " + Url() + req.path;
    res.set_content(body + "\n", kText);
  }

  // Sets readiness; answers and logs whether it changed.
  void Flip(bool ready, const httplib::Request& req, httplib::Response& res) {
    const bool was = ready_.exchange(ready);
    const std::string now = ready ? "200 \"ok\"" : "503 \"not ready\"";
    if (was != ready) {
      spdlog::info("demo: {} now answers /ready with {} ({} {} from {})", Name(), now, req.method,
                   req.path, req.remote_addr);
    }
    res.set_content(service_ + " replica " + std::to_string(index_) + ": /ready " +
                        (was == ready ? "already answers " : "now answers ") + now + "\n",
                    kText);
  }

  void Route() {
    httplib::Server& s = server_;
    s.new_task_queue = [] { return new httplib::ThreadPool(2); };
    // The agent probes on fresh connections; an idle keep-alive connection
    // (a browser's) would hold one of the two workers and delay the probes.
    s.set_keep_alive_max_count(1);
    s.set_read_timeout(std::chrono::seconds(2));
    s.set_payload_max_length(kMaxBody);

    // httplib answers 400 to a POST with neither Content-Length nor
    // Transfer-Encoding, which is what `curl -X POST` sends. Such a request
    // has no body (RFC 9112): answer it before httplib looks for one. The
    // others reach the same answer once their (bounded) body is read.
    s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      Answer(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    const auto answer = [this](const httplib::Request& req, httplib::Response& res) {
      Answer(req, res);
    };
    constexpr const char* kAnyPath = ".*";
    s.Get(kAnyPath, answer);
    s.Post(kAnyPath, answer);
    s.Put(kAnyPath, answer);
    s.Patch(kAnyPath, answer);
    s.Delete(kAnyPath, answer);
    s.Options(kAnyPath, answer);

    s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      res.set_content(std::to_string(res.status) + " " + ReasonPhrase(res.status) + "\n", kText);
    });
    s.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content("500 internal error\n", kText);
        });
  }

  const std::string service_;
  const std::string labels_;
  const int index_;  // 1-based
  const int count_;
  const std::string address_;
  std::atomic<bool> ready_{true};
  std::atomic<bool> listen_returned_{false};
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;  // 0 until bound; set before the server's threads start
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
      const int bound = replica->Bind(port, error);
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
  for (auto& replica : replicas_) replica->Serve();
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
