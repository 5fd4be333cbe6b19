// SocketProbes: plain HTTP and TCP probes of IP literals, run on
// non-blocking sockets of the probe engine's own epoll with as few system
// calls as a probe can take: socket, two socket options, connect, one
// edge-triggered epoll registration, then for HTTP one send and usually one
// recv, and close. The engine's libcurl path runs everything else (HTTPS,
// DNS names) and follows the redirects of the rare probe that meets one.
//
// Each probe's socket:
//  - SO_LINGER 0: closing it sends a reset, so no TIME_WAIT socket stays
//    behind on the node (kubelet, for its issue #89898, lingers 1 s instead);
//  - TCP_QUICKACK off: the handshake's last ACK rides on the request instead
//    of being a packet of its own (HAProxy's checks do the same). A TCP
//    probe is a success once its SYN is answered, and is reset before the
//    server's accept: the target's application is not woken for it.
//  - HTTP: the request kubelet's client would send (HttpRequestBytes); the
//    response is read as far as HttpResponseParser says (status, headers,
//    body to its end or 10 KiB), then the socket is closed. A body that
//    breaks off, resets or outlasts the timeout after the headers is an
//    error (BodyError), not a failure, as in kubelet.
//
// Messages are the engine's (kubelet's): "dial tcp 127.0.0.1:8080: connect:
// connection refused", "read tcp L->R: read: connection reset by peer",
// "probe timed out after 1s", "HTTP probe failed with statuscode: 503".
//
// Loop thread only; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "probes/http_probe.h"
#include "probes/http_response_parser.h"
#include "probes/prepared_probe.h"
#include "probes/probe_result.h"

namespace vigil {

class SocketProbes {
 public:
  using Done = std::function<void(const ProbeResult&)>;
  // Goes on with the probe on libcurl, within what is left of its time: the
  // redirect to `url` (absolute) is the first one followed, with the spec's
  // Host header when `keep_host`. `started` is when the probe began.
  using Handoff = std::function<void(std::shared_ptr<const PreparedProbe>, Done, Time started,
                                     std::string url, bool keep_host)>;
  // Delivers a result on a later turn of the loop (never inside Start).
  using Defer = std::function<void(Done, ProbeResult)>;

  SocketProbes(int epoll_fd, const Clock& clock, Handoff handoff, Defer defer);
  ~SocketProbes();  // closes what is in flight, without results

  SocketProbes(const SocketProbes&) = delete;
  SocketProbes& operator=(const SocketProbes&) = delete;

  // Starts `probe` (prepared, native); `done` gets its result on a later call.
  void Start(std::shared_ptr<const PreparedProbe> probe, Done done);
  // Whether an epoll event's data is one of these probes'.
  static bool Owns(uint64_t data) { return (data & kTag) != 0; }
  // `now`: when the loop's turn learned of the event (epoll_wait returned).
  // It stamps the probe's phases and end, so that a turn of many events
  // reads the clock once rather than for each.
  void OnEvent(uint64_t data, uint32_t events, Time now);
  // Ends the probes whose time is up at `now` as timeouts.
  void Expire(Time now);
  // The earliest deadline of a probe in flight.
  std::optional<Time> NextDeadline();
  size_t in_flight() const { return in_flight_; }
  // Closes every probe in flight; their results are never delivered.
  void Abandon();

 private:
  static constexpr uint64_t kTag = uint64_t{1} << 63;

  enum class Phase { kFree, kConnecting, kSending, kReading };

  struct Socket {
    int fd = -1;
    uint32_t generation = 0;  // of the slot: events of an earlier probe are stale
    Phase phase = Phase::kFree;
    std::shared_ptr<const PreparedProbe> probe;
    Done done;
    Time started;
    Time connected;   // Time{} until the handshake completes
    Time first_byte;  // Time{} until the answer's first byte
    Time deadline;
    size_t sent = 0;
    HttpResponseParser parser;
    bool planned = false;   // once the headers have come:
    RedirectPlan redirect;  // what kubelet's client does with the answer
  };

  static uint64_t Key(uint32_t slot, uint32_t generation) {
    return kTag | (uint64_t{generation & 0x7fffffff} << 32) | slot;
  }
  // The live slot an event or deadline names, or nullptr.
  Socket* Find(uint64_t key);
  void Connected(uint32_t slot, uint32_t events);
  void Send(uint32_t slot, uint32_t events);
  void Read(uint32_t slot);
  // Plans the answer's redirect once its headers have come (PlanRedirect).
  static void Plan(Socket& s);
  void Judge(uint32_t slot);
  void Finish(uint32_t slot, ProbeResult result);
  // Closes the slot's socket and frees the slot; returns its probe, done
  // and start.
  Socket Release(uint32_t slot);
  // "ip:port" of the socket's own end, for read/write errors.
  static std::string LocalAddress(int fd);

  const int epoll_fd_;
  const Clock& clock_;
  const Handoff handoff_;
  const Defer defer_;
  std::vector<Socket> sockets_;
  std::vector<uint32_t> free_;
  size_t in_flight_ = 0;
  // Deadlines in one FIFO per probe timeout: probes start in time order, so
  // each FIFO is sorted by itself, and there are few distinct timeouts. An
  // entry stays until its time even when its probe ended long before.
  using Deadline = std::pair<Time, uint64_t>;
  struct Deadlines {
    std::chrono::nanoseconds timeout;
    std::deque<Deadline> queue;
  };
  std::vector<Deadlines> deadlines_;
  std::vector<char> buffer_;  // one recv buffer for every probe
  Time now_;                  // the time of the event or expiry being handled
};

}  // namespace vigil
