// Runs probes on a real, started ProbeEngine from a test's thread and waits
// for their results, which the engine delivers on its loop thread. One
// ProbeRunner per test; its methods are for the test's thread.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "probes/probe_engine.h"

namespace vigil::testing {

class ProbeRunner {
 public:
  // Starts the engine; the test fails when it cannot.
  explicit ProbeRunner(ProbeEngine::Options options = {});
  ~ProbeRunner();

  ProbeEngine& engine() { return engine_; }

  ProbeResult Run(const ProbeSpec& spec);
  // Starts every probe on one loop turn, then waits (at most a minute) for all.
  std::vector<ProbeResult> RunAll(const std::vector<ProbeSpec>& specs);

  // Runs `task` on the loop thread and returns what it returns.
  template <typename Task>
  auto OnLoop(Task task) -> decltype(task()) {
    auto packaged = std::make_shared<std::packaged_task<decltype(task())()>>(std::move(task));
    auto result = packaged->get_future();
    engine_.Post([packaged] { (*packaged)(); });
    return result.get();
  }

 private:
  SystemClock clock_;
  ProbeEngine engine_;
};

ProbeSpec HttpSpec(int port, const std::string& path = "/", const std::string& host = "127.0.0.1");
ProbeSpec TcpSpec(int port, const std::string& host = "127.0.0.1");

// A port on `address` where nothing listens (a socket bound to it, not
// listening, keeps it from being taken), so connecting is refused.
class RefusingPort {
 public:
  explicit RefusingPort(const std::string& address = "127.0.0.1");
  ~RefusingPort();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace vigil::testing
