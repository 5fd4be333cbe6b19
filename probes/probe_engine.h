// The probe engine: one event-loop thread on its own epoll that runs every
// in-flight probe, plus one wake-up timer the agent's scheduler drives. Plain
// HTTP and TCP probes of IP literals run on sockets of the engine's own
// (SocketProbes: a handful of system calls each); HTTPS, HTTP/2, HTTP
// probes with extensions, gRPC, DNS names and redirects to follow run
// through libcurl's multi interface (curl_multi_socket_action on the same
// epoll); exec probes are child processes watched through pidfds and pipes
// on the same epoll (ExecProbes). Nothing blocks the loop.
//
// Threading: Start() spawns the loop thread; Stop() (or the destructor) ends
// it and joins, from any thread but the loop's. Post() may be called from any
// thread and runs its task on the loop thread. Probe(), WakeAt() and in_flight() are loop-thread
// only: call them from the wake handler, a Done callback or a posted task. Done callbacks and the
// wake handler run on the loop thread and must not block.
//
// Probe semantics (kubelet's, with the extensions of ProbeSpec):
//  - HTTP(S): GET scheme://host:port/path; success is 200 <= status < 400;
//    same-host redirects are followed (at most 10), a redirect to another host
//    is a success; "User-Agent: vigil-probe/<version>" and "Accept: */*" unless
//    the spec's headers set them; at most 10 KiB of body is read; proxies from
//    the environment are ignored; certificates are not verified unless the
//    spec's tls has a CA file (TlsSession).
//  - TCP: success when the connection is established.
//  - gRPC: grpc.health.v1.Health/Check answering SERVING (GrpcProbe).
//  - exec: the command exits 0 (ExecProbes).
//  - One fresh connection per probe, closed with SO_LINGER 0 so that no
//    TIME_WAIT sockets pile up on the node. The timeout covers the whole probe.
//  - Messages are kubelet-like: "HTTP probe failed with statuscode: 503",
//    "dial tcp 127.0.0.9:8080: connect: connection refused",
//    "probe timed out after 1s"; every failure has a reason, every probe
//    over the network its phases (ProbeResult).
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "common/clock.h"
#include "common/status.h"
#include "probes/prepared_probe.h"
#include "probes/probe_result.h"
#include "probes/probe_spec.h"

namespace vigil {

class ProbeEngine {
 public:
  using Done = std::function<void(const ProbeResult&)>;
  using WakeHandler = std::function<void(Time now)>;

  struct Options {
    // Plain HTTP and TCP probes of IP literals on sockets of the engine's own
    // (SocketProbes); off, libcurl runs every probe.
    bool native_sockets = true;
  };

  // `clock` must outlive the engine; its Now() is the time base of WakeAt().
  explicit ProbeEngine(const Clock& clock) : ProbeEngine(clock, Options{}) {}
  ProbeEngine(const Clock& clock, Options options);
  ~ProbeEngine();

  ProbeEngine(const ProbeEngine&) = delete;
  ProbeEngine& operator=(const ProbeEngine&) = delete;

  // Called on the loop thread once the time given to WakeAt() has come, and
  // at least once a second so that the loop keeps turning; the first call is
  // on the loop's first turn. Set before Start().
  void SetWakeHandler(WakeHandler handler);

  // Starts the loop thread; an error when curl or epoll cannot be set up.
  Status Start();
  // Ends the loop and joins it. In-flight probes are abandoned: their Done is
  // not called. Idempotent.
  void Stop();

  // Any thread: runs `task` on the loop thread soon.
  void Post(std::function<void()> task);

  // Loop thread: starts one probe; `done` is called exactly once with its
  // result (unless the engine stops first), never from inside Probe(): a probe
  // that cannot be attempted (an invalid spec) gets its kError on a later turn.
  void Probe(std::shared_ptr<const PreparedProbe> probe, Done done);
  // The same for a spec prepared on the spot (PrepareProbe).
  void Probe(const ProbeSpec& spec, Done done) { Probe(PrepareProbe(spec), std::move(done)); }
  // Loop thread: the wake handler runs at `when` rounded up to a multiple of
  // kWakeQuantum (earliest wins): work due within one quantum is done in one
  // turn of the loop.
  void WakeAt(Time when);
  // Loop thread: the wake handler runs at the end of this turn (or of the
  // next, when called from the wake handler itself), unrounded: for work
  // that must not wait for the next quantum.
  void WakeAfterTurn();
  using WakeQuantum = std::chrono::duration<int64_t, std::ratio<1, 250>>;  // 4 ms
  static constexpr WakeQuantum kWakeQuantum{1};
  // Loop thread: probes started whose `done` has not run yet.
  size_t in_flight() const;

  // Any thread: when the loop last turned; for /healthz.
  Time last_turn() const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace vigil
