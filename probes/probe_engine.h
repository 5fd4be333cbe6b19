// The probe engine: one event-loop thread that runs every in-flight probe
// through libcurl's multi interface (curl_multi_socket_action on its own
// epoll), plus one wake-up timer the agent's scheduler drives.
//
// Threading: Start() spawns the loop thread; Stop() (or the destructor) ends
// it and joins, from any thread but the loop's. Post() may be called from any
// thread and runs its task on the loop thread. Probe(), WakeAt() and in_flight() are loop-thread
// only: call them from the wake handler, a Done callback or a posted task. Done callbacks and the
// wake handler run on the loop thread and must not block.
//
// Probe semantics (kubelet's):
//  - HTTP(S): GET scheme://host:port/path; success is 200 <= status < 400;
//    same-host redirects are followed (at most 10), a redirect to another host
//    is a success; "User-Agent: vigil-probe/<version>" and "Accept: */*" unless
//    the spec's headers set them; at most 10 KiB of body is read; proxies from
//    the environment are ignored; certificates are not verified.
//  - TCP: success when the connection is established.
//  - One fresh connection per probe, closed with SO_LINGER 0 so that no
//    TIME_WAIT sockets pile up on the node. The timeout covers the whole probe.
//  - Messages are kubelet-like: "HTTP probe failed with statuscode: 503",
//    "dial tcp 127.0.0.9:8080: connect: connection refused",
//    "probe timed out after 1s".
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "common/clock.h"
#include "common/status.h"
#include "probes/probe_result.h"
#include "probes/probe_spec.h"

namespace vigil {

class ProbeEngine {
 public:
  using Done = std::function<void(const ProbeResult&)>;
  using WakeHandler = std::function<void(Time now)>;

  // `clock` must outlive the engine; its Now() is the time base of WakeAt().
  explicit ProbeEngine(const Clock& clock);
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
  void Probe(const ProbeSpec& spec, Done done);
  // Loop thread: the wake handler runs no later than `when` (earliest wins).
  void WakeAt(Time when);
  // Loop thread: probes started whose `done` has not run yet.
  size_t in_flight() const;

  // Any thread: when the loop last turned; for /healthz.
  Time last_turn() const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace vigil
