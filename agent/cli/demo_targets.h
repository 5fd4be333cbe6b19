// The targets of `vigil demo`: five small HTTP servers on loopback standing in
// for the replicas of two services, as in Kubernetes Up & Running's example —
// `alpaca-prod` (3 replicas on 127.0.10.1..3) and `bandicoot-prod` (2 on
// 127.0.11.1..2). Each replica answers `GET /ready` with 200 "ok" or 503 "not
// ready", describes itself at `GET /`, and is flipped by `POST /fail` and
// `POST /recover`; anything else is a 404 or a 405.
//
// All replicas listen on one port, as the pods of a Kubernetes service share a
// container port, so that the agent's `port: http` probes every one of them:
// kDemoPort when it is free on all five addresses, else a free port found at
// start, so that two demos (or a demo and a test) run side by side.
//
// DemoTargets owns the servers (an HttpServer per replica, whose event loop
// thread answers). Start() and Stop() are called from one controlling
// thread; the servers answer on their own threads, and a replica's readiness
// is atomic.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace vigil {

inline constexpr int kDemoPort = 8080;

// The probe the demo's agent runs: Kubernetes Up & Running's, every 2 s,
// not ready after 3 failures.
inline constexpr ProbeTiming kDemoProbeTiming = {.period_seconds = 2, .failure_threshold = 3};

struct DemoReplica {
  std::string address;  // "127.0.10.2"
  int port = 0;

  // "http://127.0.10.2:8080"
  std::string Url() const;
};

struct DemoService {
  std::string name;                           // "alpaca-prod"
  std::map<std::string, std::string> labels;  // app=alpaca, env=prod, ver=1
  std::vector<DemoReplica> replicas;
};

class DemoTargets {
 public:
  // `preferred_port`: the port tried first on every address.
  explicit DemoTargets(int preferred_port = kDemoPort);
  ~DemoTargets();

  DemoTargets(const DemoTargets&) = delete;
  DemoTargets& operator=(const DemoTargets&) = delete;

  // Binds every replica and starts serving; on error nothing is left running.
  Status Start();
  // Stops and joins every server. Idempotent.
  void Stop();

  // The port every replica listens on, once started.
  int port() const { return port_; }
  // The services and their replicas; ports are set once started.
  const std::vector<DemoService>& services() const { return services_; }

 private:
  class Replica;

  // Binds all replicas to `port` (0: a free port on the first address, then
  // the same on the others) and serves. False with `*error` set when an
  // address refuses it; the replicas started so far are stopped.
  bool BindAll(int port, std::string* error);
  void Release();

  const int preferred_port_;
  std::vector<DemoService> services_;
  std::vector<std::unique_ptr<Replica>> replicas_;  // in the order of services_
  int port_ = 0;
};

// The demo's services as an agent config holds them: labels, one port named
// "http", every replica an endpoint, and a readinessProbe `httpGet /ready`
// on port "http" with `timing`.
std::vector<Service> DemoServiceConfigs(const std::vector<DemoService>& services,
                                        const ProbeTiming& timing = kDemoProbeTiming);

}  // namespace vigil
