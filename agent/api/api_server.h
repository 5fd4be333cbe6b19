// The agent's HTTP API: the routes of vigil's own dialect under /vigil/v1
// (the endpoints registry: lists with label selectors, objects, resumable
// watch streams, transitions, Prometheus service discovery), the Kubernetes
// view (KubeApi: /version, /api, /apis) and the agent's own (/healthz,
// /readyz, /-/reload, /metrics), served by an HttpServer. Errors are Kubernetes-style Status
// objects.
//
// Where each route runs: /healthz and /readyz on the server's event loop;
// lists, objects, transitions, Prometheus SD and /metrics (rendered once for all the
// scrapes that arrive while it renders) on a pool of two render threads;
// /-/reload on a control thread of its own, so that a slow reload never
// delays a list. A watch is a stream that holds no thread: a notifier
// thread waits on the board and wakes the server's streams when its version
// moves. At most max_watchers watches are open at once; the next one is a
// 429 with Retry-After.
//
// Threading: the constructor adds the routes; Start() binds and spawns the
// threads; handlers read the StatusBoard (thread-safe) and call the hooks
// from the server's threads. Stop() (or the destructor) gives every watch
// its last events and a clean end, then stops the threads; a hook running
// then must return promptly (the agent's reload is abandoned when it stops).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/http_server.h"
#include "agent/api/kube_api.h"
#include "agent/api/list_query.h"
#include "agent/api/watch_stream.h"
#include "common/status.h"
#include "config/address.h"
#include "exporters/metrics/api_observer.h"
#include "exporters/registry/status_board.h"

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
  static constexpr size_t kDefaultMaxWatchers = 1000;

  size_t max_watchers = kDefaultMaxWatchers;
  // An idle watch stream gets a BOOKMARK this often: it keeps proxies from
  // closing the stream and reveals clients that are gone.
  std::chrono::milliseconds bookmark_interval = std::chrono::seconds(10);
  // Connection caps, request limits and timeouts (README, "HTTP API").
  HttpServerOptions http = {};
  // Told of every answer and of the watches open; may be null.
  ApiObserver* observer = nullptr;
  // Where the Kubernetes view finds its Events; null: the served board.
  const StatusBoard* events = nullptr;
  // The Kubernetes view's watch duration and bookmarks.
  KubeApiOptions kubernetes = {};
};

class ApiServer {
 public:
  // The dialect of vigil's own routes, for metrics.
  static constexpr const char* kDialect = "vigil";

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
  int port() const { return server_.port(); }
  // Watch streams open now.
  size_t watchers() const { return watchers_.load(); }

 private:
  void AddRoutes();
  HttpResponse List(WatchKind kind, const HttpRequest& request);
  HttpResponse Object(const HttpRequest& request);
  HttpResponse Transitions(const HttpRequest& request);
  // The service `name` in `namespace_name`, or, with none given, in the one
  // namespace that has it; else the message of a 404 (none, or several:
  // the namespaces, and to add ?namespace=NS).
  Result<std::shared_ptr<const EndpointsObject>> Find(const std::string& name,
                                                      const std::string& namespace_name) const;
  // GET /vigil/v1/prometheus/targets: Prometheus HTTP SD (prometheus_targets.h).
  HttpResponse PrometheusSd(const HttpRequest& request);
  HttpResponse Watch(WatchKind kind, std::optional<std::string> name, ListQuery query);
  // Wakes the server's streams whenever `board`'s version moves.
  void NotifyChanges(const StatusBoard& board);
  // Takes a watch slot of `dialect`: its release, or nullopt when all are taken.
  std::optional<std::function<void()>> AcquireWatch(const char* dialect);

  const StatusBoard& board_;
  const ProbeDetailsSource& details_;
  const ApiHooks hooks_;
  const ApiOptions options_;
  std::atomic<size_t> watchers_{0};
  std::atomic<bool> stopping_{false};
  const KubeApi kube_;
  HttpServer server_;  // after what its handlers use: destroyed first
  std::vector<std::thread> notifiers_;
};

}  // namespace vigil
