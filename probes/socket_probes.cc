#include "probes/socket_probes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "probes/http_probe.h"
#include "probes/probe_messages.h"

namespace vigil {
namespace {

constexpr size_t kBufferBytes = 16 * 1024;

ProbeResult Outcome(ProbeOutcome outcome, std::string message = {},
                    ProbeReason reason = ProbeReason::kNone) {
  ProbeResult result;
  result.outcome = outcome;
  result.reason = outcome == ProbeOutcome::kTimeout ? ProbeReason::kTimeout : reason;
  result.message = std::move(message);
  return result;
}

std::chrono::microseconds Micros(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d);
}

std::string Remote(const ProbeSpec& spec) { return JoinHostPort(spec.host, spec.port); }

}  // namespace

SocketProbes::SocketProbes(int epoll_fd, const Clock& clock, Handoff handoff, Defer defer)
    : epoll_fd_(epoll_fd),
      clock_(clock),
      handoff_(std::move(handoff)),
      defer_(std::move(defer)),
      buffer_(kBufferBytes) {}

SocketProbes::~SocketProbes() { Abandon(); }

void SocketProbes::Start(std::shared_ptr<const PreparedProbe> probe, Done done) {
  const PreparedProbe& p = *probe;
  const int fd = socket(p.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return defer_(std::move(done),
                  Outcome(ProbeOutcome::kError, std::string("socket: ") + ErrnoText(errno)));
  }
  const linger reset{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  const int off = 0;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof(off));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&p.address), p.address_length) != 0 &&
      errno != EINPROGRESS) {
    const int err = errno;
    close(fd);
    return defer_(std::move(done),
                  Outcome(ProbeOutcome::kFailure,
                          DialMessage(p.spec.host, p.spec.port, ErrnoText(err)), DialReason(err)));
  }

  uint32_t slot = 0;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(sockets_.size());
    sockets_.emplace_back();
  }
  Socket& s = sockets_[slot];
  const uint64_t key = Key(slot, s.generation);
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u64 = key;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    const int err = errno;
    close(fd);
    free_.push_back(slot);
    return defer_(std::move(done),
                  Outcome(ProbeOutcome::kError, std::string("epoll_ctl: ") + ErrnoText(err)));
  }
  s.fd = fd;
  s.phase = Phase::kConnecting;
  s.started = clock_.Now();
  s.connected = Time{};
  s.first_byte = Time{};
  s.deadline = s.started + std::chrono::duration_cast<Duration>(p.spec.timeout);
  s.sent = 0;
  s.parser = HttpResponseParser();
  s.planned = false;
  s.redirect = RedirectPlan{};
  s.probe = std::move(probe);
  s.done = std::move(done);
  ++in_flight_;
  const auto timeout = s.probe->spec.timeout;
  auto fifo = std::find_if(deadlines_.begin(), deadlines_.end(),
                           [&](const Deadlines& d) { return d.timeout == timeout; });
  if (fifo == deadlines_.end()) fifo = deadlines_.insert(deadlines_.end(), Deadlines{timeout, {}});
  fifo->queue.emplace_back(s.deadline, key);
}

SocketProbes::Socket* SocketProbes::Find(uint64_t key) {
  const uint32_t slot = static_cast<uint32_t>(key & 0xffffffff);
  if (slot >= sockets_.size()) return nullptr;
  Socket& s = sockets_[slot];
  if (s.phase == Phase::kFree || Key(slot, s.generation) != key) return nullptr;
  return &s;
}

void SocketProbes::OnEvent(uint64_t data, uint32_t events, Time now) {
  Socket* s = Find(data);
  if (s == nullptr) return;
  now_ = now;
  const uint32_t slot = static_cast<uint32_t>(data & 0xffffffff);
  switch (s->phase) {
    case Phase::kConnecting:
      return Connected(slot, events);
    case Phase::kSending:
      return Send(slot, events);
    case Phase::kReading:
      return Read(slot);
    case Phase::kFree:
      return;
  }
}

void SocketProbes::Connected(uint32_t slot, uint32_t events) {
  Socket& s = sockets_[slot];
  const ProbeSpec& spec = s.probe->spec;
  if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
    int err = 0;
    socklen_t length = sizeof(err);
    getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &length);
    if (err == 0) err = ECONNRESET;
    return Finish(slot,
                  Outcome(ProbeOutcome::kFailure, DialMessage(spec.host, spec.port, ErrnoText(err)),
                          DialReason(err)));
  }
  if ((events & EPOLLOUT) == 0) return;
  s.connected = now_;
  if (spec.kind == ProbeSpec::Kind::kTcp) return Finish(slot, Outcome(ProbeOutcome::kSuccess));
  s.phase = Phase::kSending;
  Send(slot, events);
}

void SocketProbes::Send(uint32_t slot, uint32_t events) {
  Socket& s = sockets_[slot];
  const std::string& request = s.probe->request;
  while (s.sent < request.size()) {
    const ssize_t n =
        send(s.fd, request.data() + s.sent, request.size() - s.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      s.sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT comes again
    const int err = n < 0 ? errno : EPIPE;
    return Finish(slot, Outcome(ProbeOutcome::kFailure,
                                ConnectionMessage("write", LocalAddress(s.fd),
                                                  Remote(s.probe->spec), ErrnoText(err)),
                                ConnectionReason(err)));
  }
  s.phase = Phase::kReading;
  // The answer usually comes with a later event; an early one is read now.
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) Read(slot);
}

void SocketProbes::Read(uint32_t slot) {
  while (true) {
    Socket& s = sockets_[slot];
    const ssize_t n = recv(s.fd, buffer_.data(), buffer_.size(), 0);
    if (n > 0) {
      if (s.first_byte == Time{}) s.first_byte = now_;
      HttpResponseParser::State state =
          s.parser.Feed(std::string_view(buffer_.data(), static_cast<size_t>(n)));
      if (state == HttpResponseParser::State::kMore && !s.planned && s.parser.headers_complete()) {
        Plan(s);
        state = s.parser.state();
      }
      if (state != HttpResponseParser::State::kMore) return Judge(slot);
      continue;
    }
    if (n == 0) {
      s.parser.Finish();
      return Judge(slot);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    const int err = errno;
    const std::string message =
        ConnectionMessage("read", LocalAddress(s.fd), Remote(s.probe->spec), ErrnoText(err));
    if (!s.parser.headers_complete()) {
      return Finish(slot, Outcome(ProbeOutcome::kFailure, message, ConnectionReason(err)));
    }
    if (!s.planned) Plan(s);
    if (s.redirect.kind == RedirectPlan::Kind::kSameHost) return Judge(slot);  // body dropped
    ProbeResult error = BodyError(message, ConnectionReason(err));
    error.code = s.parser.status();
    return Finish(slot, std::move(error));
  }
}

void SocketProbes::Plan(Socket& s) {
  s.planned = true;
  s.redirect = PlanRedirect(s.probe->spec, s.probe->url, s.parser.status(), s.parser.location());
  if (s.redirect.kind == RedirectPlan::Kind::kSameHost) {
    s.parser.LimitBody(DrainLimit(s.parser.content_length()));
  } else if (s.redirect.kind == RedirectPlan::Kind::kBadLocation) {
    s.parser.LimitBody(0);  // Go reads no more of it
  }
}

void SocketProbes::Judge(uint32_t slot) {
  Socket& s = sockets_[slot];
  const HttpResponseParser& parser = s.parser;
  const int status = parser.status();
  if (parser.state() == HttpResponseParser::State::kError && !parser.headers_complete()) {
    return Finish(
        slot, parser.truncated()
                  ? Outcome(ProbeOutcome::kFailure, parser.error(), ProbeReason::kReset)
                  : Outcome(ProbeOutcome::kFailure, "malformed HTTP response: " + parser.error(),
                            ProbeReason::kProtocol));
  }
  if (!s.planned) Plan(s);
  ProbeResult result;
  if (s.redirect.kind == RedirectPlan::Kind::kSameHost) {
    // Go drains the body (errors dropped), then checks and follows.
    const auto left = s.deadline - now_;
    std::optional<ProbeResult> stop =
        JudgeFollow(s.probe->spec, s.redirect, 0, std::chrono::steady_clock::now() + left);
    if (!stop) {
      // The redirects that follow are libcurl's, within the same deadline.
      Socket ended = Release(slot);
      return handoff_(std::move(ended.probe), std::move(ended.done), ended.started,
                      std::move(ended.redirect.next), ended.redirect.keep_host);
    }
    result = std::move(*stop);
  } else if (s.redirect.kind == RedirectPlan::Kind::kBadLocation) {
    result = s.redirect.result;
  } else if (parser.state() == HttpResponseParser::State::kError) {
    // What broke after the headers: kubelet's prober error.
    result = BodyError(parser.error(),
                       parser.truncated() ? ProbeReason::kReset : ProbeReason::kProtocol);
  } else if (s.redirect.kind == RedirectPlan::Kind::kOtherHost) {
    result = s.redirect.result;
  } else {
    return Finish(slot, JudgeStatus(status));
  }
  result.code = status;
  Finish(slot, std::move(result));
}

SocketProbes::Socket SocketProbes::Release(uint32_t slot) {
  Socket& s = sockets_[slot];
  close(s.fd);  // SO_LINGER 0: a reset
  Socket ended;
  ended.probe = std::move(s.probe);
  ended.done = std::move(s.done);
  ended.started = s.started;
  ended.connected = s.connected;
  ended.first_byte = s.first_byte;
  ended.redirect = std::move(s.redirect);
  s.fd = -1;
  s.phase = Phase::kFree;
  ++s.generation;
  free_.push_back(slot);
  --in_flight_;
  return ended;
}

void SocketProbes::Finish(uint32_t slot, ProbeResult result) {
  Socket ended = Release(slot);
  result.latency = Micros(now_ - ended.started);
  // An IP literal: no name to resolve, no TLS.
  if (ended.connected != Time{}) {
    result.set_phase(ProbePhase::kConnect, Micros(ended.connected - ended.started));
    if (ended.first_byte != Time{}) {
      result.set_phase(ProbePhase::kFirstByte, Micros(ended.first_byte - ended.connected));
    }
  }
  // Last: `done` may start probes, which may move the slots.
  ended.done(result);
}

void SocketProbes::Expire(Time now) {
  now_ = now;
  // By index: a result's callback may start probes, which may add a FIFO.
  for (size_t i = 0; i < deadlines_.size(); ++i) {
    while (!deadlines_[i].queue.empty() && deadlines_[i].queue.front().first <= now) {
      const uint64_t key = deadlines_[i].queue.front().second;
      deadlines_[i].queue.pop_front();
      if (Socket* s = Find(key)) {
        // Out of time in the body of a final answer: kubelet's prober
        // error. In a redirect's, Go's client fails the next request.
        const HttpResponseParser& parser = s->parser;
        const bool in_body = s->phase == Phase::kReading && parser.headers_complete() &&
                             s->redirect.kind != RedirectPlan::Kind::kSameHost;
        ProbeResult result =
            in_body ? BodyError(BodyTimeoutMessage(), ProbeReason::kTimeout)
                    : Outcome(ProbeOutcome::kTimeout, TimeoutMessage(s->probe->spec.timeout));
        if (in_body) result.code = parser.status();
        Finish(static_cast<uint32_t>(key & 0xffffffff), std::move(result));
      }
    }
  }
}

std::optional<Time> SocketProbes::NextDeadline() {
  std::optional<Time> next;
  for (Deadlines& fifo : deadlines_) {
    // Most probes end long before their deadline: their entries go here,
    // rather than waking the loop for nothing.
    while (!fifo.queue.empty() && Find(fifo.queue.front().second) == nullptr) {
      fifo.queue.pop_front();
    }
    if (!fifo.queue.empty() && (!next || fifo.queue.front().first < *next)) {
      next = fifo.queue.front().first;
    }
  }
  return next;
}

void SocketProbes::Abandon() {
  for (uint32_t slot = 0; slot < sockets_.size(); ++slot) {
    Socket& s = sockets_[slot];
    if (s.phase == Phase::kFree) continue;
    close(s.fd);
    s.fd = -1;
    s.phase = Phase::kFree;
    s.probe.reset();
    s.done = nullptr;
    ++s.generation;
    free_.push_back(slot);
  }
  in_flight_ = 0;
}

std::string SocketProbes::LocalAddress(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "";
  char ip[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
    port = ntohs(v6->sin6_port);
  } else {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
    port = ntohs(v4->sin_port);
  }
  return JoinHostPort(ip, port);
}

}  // namespace vigil
