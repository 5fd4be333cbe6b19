// The agent's HTTP API on cpp-httplib: the endpoints registry (lists with
// label selectors, objects, resumable watch streams, transitions) and the
// agent's own health and metrics. Errors are Kubernetes-style Status objects.
//
// cpp-httplib gives each connection a worker thread for its whole life, and a
// watch stream is a long connection: the pool has room for max_watchers
// streams plus kSpareThreads for everything else, so that open watches never
// delay a list or a scrape; watches beyond the cap are refused with 429.
//
// Threading: Start() binds and spawns the server's threads; handlers read the
// StatusBoard (thread-safe) and call the hooks from those threads. Stop() (or
// the destructor) ends the watch streams, stops and joins the threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "agent/api/watch_stream.h"
#include "common/status.h"
#include "config/address.h"
#include "exporters/registry/label_selector.h"
#include "exporters/registry/status_board.h"

namespace httplib {
class Server;
struct Response;
}  // namespace httplib

namespace vigil {

struct ApiHooks {
  // OK when the agent is alive (its probe loop turns).
  std::function<Status()> healthz;
  // The metrics in Prometheus' text format.
  std::function<std::string()> metrics;
  // OK when the agent is ready: config loaded, registry reachable, not stopping.
  std::function<Status()> readyz;
  // Reloads the config file: OK, or every error.
  std::function<Status()> reload;
};

struct ApiOptions {
  size_t max_watchers = 64;
  // An idle watch stream gets a BOOKMARK this often: it keeps proxies from
  // closing the stream and reveals clients that are gone.
  std::chrono::milliseconds bookmark_interval = std::chrono::seconds(10);
};

class ApiServer {
 public:
  // Threads for lists, scrapes and idle keep-alive connections.
  static constexpr size_t kSpareThreads = 16;

  // Serves the objects of `board` with the probe details of `details` (for
  // the embedded registry, both are the agent's own board).
  ApiServer(const StatusBoard& board, const ProbeDetailsSource& details, ApiHooks hooks,
            ApiOptions options = {});
  ~ApiServer();

  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds `address` (port 0: any free port) and starts serving.
  Status Start(const ListenAddress& address);
  void Stop();

  // The bound port, once started.
  int port() const { return port_; }
  // Watch streams open now.
  size_t watchers() const { return watchers_.load(); }

 private:
  void Route();
  void ServeWatch(httplib::Response& res, WatchKind kind, std::optional<std::string> name,
                  LabelSelector selector, std::optional<uint64_t> since);

  const StatusBoard& board_;
  const ProbeDetailsSource& details_;
  ApiHooks hooks_;
  const ApiOptions options_;
  std::atomic<size_t> watchers_{0};
  std::atomic<bool> stopping_{false};
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace vigil
