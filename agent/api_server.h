// The agent's HTTP API on cpp-httplib: the endpoints registry's read API
// (services, endpoints) and the agent's own health, as JSON. Errors are
// Kubernetes-style Status objects.
//
// Threading: Start() binds and spawns the server's threads; handlers read the
// StatusBoard (thread-safe) and call the health hooks from those threads.
// Stop() (or the destructor) stops and joins them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "agent/status_board.h"
#include "common/status.h"
#include "config/address.h"

namespace httplib {
class Server;
}

namespace vigil {

struct ApiHooks {
  // OK when the agent is alive (its probe loop turns).
  std::function<Status()> healthz;
  // The metrics in Prometheus' text format.
  std::function<std::string()> metrics;
};

class ApiServer {
 public:
  ApiServer(const StatusBoard& board, ApiHooks hooks);
  ~ApiServer();

  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds `address` (port 0: any free port) and starts serving.
  Status Start(const ListenAddress& address);
  void Stop();

  // The bound port, once started.
  int port() const { return port_; }

 private:
  void Route();

  const StatusBoard& board_;
  ApiHooks hooks_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace vigil
