#include "exporters/dns/dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

namespace vigil {
namespace {

constexpr size_t kMaxUdpDatagram = 65535;
constexpr size_t kTcpReadChunk = 64 << 10;
// Work done per event before the loop looks at the others: a flood on one
// socket cannot hold the rest back.
constexpr int kUdpBatch = 32;  // datagrams per recvmmsg
constexpr int kUdpRounds = 2;
constexpr int kAcceptBatch = 64;
// What one TCP connection gets answered per turn of the loop: the rest of a
// pipeline waits for the next turn, after the other sockets' work.
constexpr size_t kTcpMessagesPerTurn = 16;
constexpr size_t kTcpBytesPerTurn = 64 << 10;
// A connection's send buffer in the kernel (which doubles it): room for the
// largest answer, without the megabytes autotuning would let a client that
// never reads hold.
constexpr int kTcpSendBuffer = 64 << 10;
constexpr int kMaxEvents = 64;
// How long accepting pauses when the process is out of descriptors.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

std::string Where(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Closes with a reset: a client the server drops leaves no TIME_WAIT here.
void Abort(int fd) {
  const linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(fd);
}

struct SocketAddress {
  sockaddr_storage address{};
  socklen_t size = 0;
  int family = AF_INET;
  bool wildcard = false;
};

// `host` is an IP literal or empty (every interface: IPv6 and IPv4 on one
// socket where the machine has IPv6).
std::optional<SocketAddress> MakeEndpoint(const std::string& host, int port, bool ipv6_wildcard) {
  SocketAddress e;
  if (host.empty()) {
    e.wildcard = true;
    if (ipv6_wildcard) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&e.address);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_any;
      a->sin6_port = htons(static_cast<uint16_t>(port));
      e.family = AF_INET6;
      e.size = sizeof(sockaddr_in6);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&e.address);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_ANY);
      a->sin_port = htons(static_cast<uint16_t>(port));
      e.size = sizeof(sockaddr_in);
    }
    return e;
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    e.size = sizeof(sockaddr_in);
    e.wildcard = v4->sin_addr.s_addr == htonl(INADDR_ANY);
    return e;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.address);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    e.family = AF_INET6;
    e.size = sizeof(sockaddr_in6);
    e.wildcard = IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr);
    return e;
  }
  return std::nullopt;
}

int BoundPort(int fd) {
  sockaddr_storage a{};
  socklen_t size = sizeof a;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size) != 0) return 0;
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

}  // namespace

// The event loop and everything it owns; runs on the server's thread.
class DnsServer::Loop {
 public:
  Loop(const StatusBoard& board, const Clock& clock, const Options& options,
       std::atomic<size_t>& connection_count)
      : clock_(clock),
        options_(options),
        responder_(board, options.zone, options.on_answer),
        connection_count_(connection_count),
        udp_buffers_(new uint8_t[kUdpBatch * kMaxUdpDatagram]) {}

  ~Loop() {
    for (auto& [fd, c] : connections_) close(fd);
    CloseFd(udp_);
    CloseFd(listener_);
    CloseFd(wake_);
    CloseFd(epoll_);
  }

  // Binds both sockets; returns the port.
  Result<int> Bind(const ListenAddress& address) {
    // Port 0: UDP takes a free port, TCP the same one; another program may
    // hold it for TCP, then try again.
    for (int attempt = 0; attempt < 20; ++attempt) {
      Result<int> bound = BindOnce(address, address.port);
      if (bound.ok() || address.port != 0 || errno != EADDRINUSE) return bound;
    }
    return Status::Error("cannot listen on " + Where(address.host, address.port) +
                         ": no port free for both UDP and TCP");
  }

  Status Prepare() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) return Status::Error(Errno("epoll_create1"));
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_ < 0) return Status::Error(Errno("eventfd"));
    for (int fd : {udp_, listener_, wake_}) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) {
        return Status::Error(Errno("epoll_ctl"));
      }
    }
    return Status::Ok();
  }

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_, &one, sizeof one);
  }

  void Run() {
    std::array<epoll_event, kMaxEvents> events;
    while (!stopping_) {
      // Connections with queries left over from the last turn: look at the
      // sockets without waiting, then go on with them.
      const int n =
          epoll_wait(epoll_, events.data(), kMaxEvents, pending_.empty() ? TimeoutMs() : 0);
      if (n < 0 && errno != EINTR) {
        spdlog::error("dns: epoll_wait: {}", std::strerror(errno));
        return;
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_) {
          stopping_ = true;
        } else if (fd == udp_) {
          ReadUdp();
        } else if (fd == listener_) {
          Accept();
        } else {
          OnConnection(fd, events[i].events);
        }
      }
      std::vector<int> pending;
      pending.swap(pending_);
      for (int fd : pending) OnConnection(fd, 0);
      Expire();
    }
  }

 private:
  // One datagram of a batch: where it came from, and its answer.
  struct UdpSlot {
    sockaddr_storage from{};
    iovec iov{};
    alignas(cmsghdr) char control[256];
    std::vector<uint8_t> answer;
    iovec reply_iov{};
    alignas(cmsghdr) char reply_control[CMSG_SPACE(sizeof(in6_pktinfo))];
  };

  struct Connection {
    std::vector<uint8_t> in;  // received, not yet answered
    size_t in_start = 0;      // where the next message's length begins
    std::vector<uint8_t> out;
    size_t out_sent = 0;
    Time deadline;
    uint32_t events = 0;  // as registered with epoll
    bool peer_closed = false;
  };

  Result<int> BindOnce(const ListenAddress& address, int port) {
    CloseFd(udp_);
    CloseFd(listener_);
    std::optional<SocketAddress> endpoint =
        MakeEndpoint(address.host, port, /*ipv6_wildcard=*/true);
    if (!endpoint) {
      errno = EINVAL;
      return Status::Error("cannot listen on " + Where(address.host, port) + ": not an IP address");
    }
    udp_ = socket(endpoint->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (udp_ < 0 && endpoint->wildcard && endpoint->family == AF_INET6) {
      // No IPv6 on this machine: every IPv4 interface, then.
      endpoint = MakeEndpoint("0.0.0.0", port, false);
      udp_ = socket(endpoint->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    const std::string where = Where(address.host.empty() ? "" : address.host, port);
    if (udp_ < 0) return Status::Error(Errno("cannot listen on " + where + " (UDP)"));
    const int yes = 1;
    const int no = 0;
    if (endpoint->family == AF_INET6) {
      setsockopt(udp_, IPPROTO_IPV6, IPV6_V6ONLY, endpoint->wildcard ? &no : &yes, sizeof yes);
    }
    if (endpoint->wildcard) {
      // Answers leave from the address the query came to.
      setsockopt(udp_, IPPROTO_IP, IP_PKTINFO, &yes, sizeof yes);
      if (endpoint->family == AF_INET6) {
        setsockopt(udp_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &yes, sizeof yes);
      }
    }
    if (bind(udp_, reinterpret_cast<const sockaddr*>(&endpoint->address), endpoint->size) != 0) {
      const int saved = errno;
      CloseFd(udp_);
      errno = saved;
      return Status::Error("cannot listen on " + where + " (UDP): " + std::strerror(saved));
    }
    const int bound = BoundPort(udp_);
    SocketAddress tcp_endpoint = *endpoint;
    SocketAddress* tcp = &tcp_endpoint;
    if (endpoint->family == AF_INET6) {
      reinterpret_cast<sockaddr_in6*>(&tcp->address)->sin6_port =
          htons(static_cast<uint16_t>(bound));
    } else {
      reinterpret_cast<sockaddr_in*>(&tcp->address)->sin_port = htons(static_cast<uint16_t>(bound));
    }
    listener_ = socket(tcp->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener_ < 0) return Status::Error(Errno("cannot listen on " + where + " (TCP)"));
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (tcp->family == AF_INET6) {
      setsockopt(listener_, IPPROTO_IPV6, IPV6_V6ONLY, tcp->wildcard ? &no : &yes, sizeof yes);
    }
    if (bind(listener_, reinterpret_cast<const sockaddr*>(&tcp->address), tcp->size) != 0 ||
        listen(listener_, SOMAXCONN) != 0) {
      const int saved = errno;
      CloseFd(listener_);
      CloseFd(udp_);
      errno = saved;
      return Status::Error("cannot listen on " + Where(address.host, bound) +
                           " (TCP): " + std::strerror(saved));
    }
    return bound;
  }

  int TimeoutMs() const {
    Time next = clock_.Now() + std::chrono::seconds(1);
    if (accept_paused_until_) next = std::min(next, *accept_paused_until_);
    for (const auto& [fd, c] : connections_) next = std::min(next, c.deadline);
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - clock_.Now());
    return static_cast<int>(std::max<int64_t>(0, wait.count()));
  }

  // Receives up to kUdpBatch datagrams at once, answers them from the
  // board as it is after they arrived, and sends the answers at once.
  void ReadUdp() {
    for (int round = 0; round < kUdpRounds; ++round) {
      std::array<mmsghdr, kUdpBatch> received{};
      for (int i = 0; i < kUdpBatch; ++i) {
        UdpSlot& slot = udp_slots_[i];
        slot.iov = {udp_buffers_.get() + static_cast<size_t>(i) * kMaxUdpDatagram, kMaxUdpDatagram};
        msghdr& m = received[i].msg_hdr;
        m.msg_name = &slot.from;
        m.msg_namelen = sizeof slot.from;
        m.msg_iov = &slot.iov;
        m.msg_iovlen = 1;
        m.msg_control = slot.control;
        m.msg_controllen = sizeof slot.control;
      }
      const int n = recvmmsg(udp_, received.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          spdlog::debug("dns: recvmmsg: {}", std::strerror(errno));
        }
        return;
      }
      std::array<mmsghdr, kUdpBatch> replies{};
      int answered = 0;
      responder_.BeginBatch();
      for (int i = 0; i < n; ++i) {
        UdpSlot& slot = udp_slots_[i];
        const msghdr& m = received[i].msg_hdr;
        if ((m.msg_flags & MSG_TRUNC) != 0) continue;  // larger than any datagram: cannot be
        if (!responder_.Answer(
                {static_cast<const uint8_t*>(slot.iov.iov_base), received[i].msg_len},
                DnsTransport::kUdp, &slot.answer)) {
          continue;
        }
        Reply(slot, m, &replies[answered++].msg_hdr);
      }
      responder_.EndBatch();
      Send(replies.data(), answered);
      if (n < kUdpBatch) return;
    }
  }

  // Sends `count` replies. A full socket buffer loses answers, as UDP may;
  // the clients ask again.
  void Send(mmsghdr* replies, int count) {
    while (count > 0) {
      const int sent =
          sendmmsg(udp_, replies, static_cast<unsigned>(count), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        // The first reply fails alone (an address the kernel refuses): skip it.
        spdlog::debug("dns: sendmmsg: {}", std::strerror(errno));
        ++replies;
        --count;
        continue;
      }
      replies += sent;
      count -= sent;
    }
  }

  // The reply to the datagram `received` of `slot`: its answer, to the
  // sender, from the address the query came to when the socket listens on
  // every interface.
  static void Reply(UdpSlot& slot, const msghdr& received, msghdr* reply) {
    slot.reply_iov = {slot.answer.data(), slot.answer.size()};
    reply->msg_name = &slot.from;
    reply->msg_namelen = received.msg_namelen;
    reply->msg_iov = &slot.reply_iov;
    reply->msg_iovlen = 1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&received); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&received), c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        in_pktinfo source{};
        source.ipi_spec_dst = info.ipi_addr;
        SetControl(slot, reply, IPPROTO_IP, IP_PKTINFO, &source, sizeof source);
        break;
      }
      if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo source;
        std::memcpy(&source, CMSG_DATA(c), sizeof source);
        SetControl(slot, reply, IPPROTO_IPV6, IPV6_PKTINFO, &source, sizeof source);
        break;
      }
    }
  }

  static void SetControl(UdpSlot& slot, msghdr* reply, int level, int type, const void* data,
                         size_t size) {
    std::memset(slot.reply_control, 0, sizeof slot.reply_control);
    reply->msg_control = slot.reply_control;
    reply->msg_controllen = CMSG_SPACE(size);
    cmsghdr* out = CMSG_FIRSTHDR(reply);
    out->cmsg_level = level;
    out->cmsg_type = type;
    out->cmsg_len = CMSG_LEN(size);
    std::memcpy(CMSG_DATA(out), data, size);
  }

  void Accept() {
    for (int i = 0; i < kAcceptBatch; ++i) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: the listener would stay readable and spin the
          // loop. Make room, or rest a moment.
          if (!connections_.empty()) {
            Drop(Oldest());
          } else {
            PauseAccepting();
          }
        }
        return;
      }
      if (connections_.size() >= options_.max_tcp_connections) Drop(Oldest());
      const int yes = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kTcpSendBuffer, sizeof kTcpSendBuffer);
      Connection& c = connections_[fd];
      c.deadline = clock_.Now() + options_.tcp_idle_timeout;
      SetEvents(fd, c, EPOLLIN, EPOLL_CTL_ADD);
      connection_count_ = connections_.size();
    }
  }

  void PauseAccepting() {
    epoll_event event{};
    event.data.fd = listener_;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, listener_, &event);
    accept_paused_until_ = clock_.Now() + kAcceptPause;
  }

  int Oldest() const {
    int oldest = -1;
    Time when = Time::max();
    for (const auto& [fd, c] : connections_) {
      if (c.deadline < when) {
        when = c.deadline;
        oldest = fd;
      }
    }
    return oldest;
  }

  void SetEvents(int fd, Connection& c, uint32_t events, int op = EPOLL_CTL_MOD) {
    if (op == EPOLL_CTL_MOD && c.events == events) return;
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    epoll_ctl(epoll_, op, fd, &event);
    c.events = events;
  }

  void OnConnection(int fd, uint32_t events) {
    auto it = connections_.find(fd);
    if (it == connections_.end()) return;
    Connection& c = it->second;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !Read(fd, c)) return;
    // Writable, readable, or queries left over: answers go out, and those
    // waiting for room follow.
    if (!Pump(fd, c)) return;
    Update(fd, c);
  }

  bool HasRoom(const Connection& c) const {
    return c.out.size() - c.out_sent < options_.max_tcp_output;
  }

  // Whether a whole message waits in the connection's input.
  static bool HasMessage(const Connection& c) {
    const size_t available = c.in.size() - c.in_start;
    if (available < 2) return false;
    return available >= 2 + static_cast<size_t>(c.in[c.in_start] << 8 | c.in[c.in_start + 1]);
  }

  // Reads once from the client, unless its earlier queries still wait;
  // false when the connection was closed.
  bool Read(int fd, Connection& c) {
    if (c.peer_closed || !HasRoom(c) || HasMessage(c)) return true;
    uint8_t chunk[kTcpReadChunk];
    while (true) {
      const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        c.in.insert(c.in.end(), chunk, chunk + n);
        return true;
      }
      if (n == 0) {
        c.peer_closed = true;
        return true;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      Close(fd);
      return false;
    }
  }

  // Answers waiting messages and writes the answers, while the client
  // reads them and within one turn's budget, so that one connection cannot
  // hold the loop; false when the connection was closed.
  bool Pump(int fd, Connection& c) {
    Budget budget{kTcpMessagesPerTurn, kTcpBytesPerTurn};
    while (true) {
      std::optional<size_t> answered = AnswerReceived(fd, c, budget);
      if (!answered) return false;
      if (!Flush(fd, c)) return false;
      if (*answered == 0 || c.out_sent < c.out.size() || budget.spent()) break;
    }
    if (budget.spent() && HasRoom(c) && HasMessage(c)) pending_.push_back(fd);
    return true;
  }

  struct Budget {
    size_t messages;
    size_t bytes;
    bool spent() const { return messages == 0 || bytes == 0; }
    void Spend(size_t answer_bytes) {
      --messages;
      bytes -= std::min(bytes, answer_bytes);
    }
  };

  // Answers complete messages received, while there is room for the
  // answers and budget left; how many, or nullopt when the connection was
  // dropped.
  std::optional<size_t> AnswerReceived(int fd, Connection& c, Budget& budget) {
    if (budget.spent() || !HasRoom(c) || !HasMessage(c)) return 0;
    size_t answered = 0;
    responder_.BeginBatch();
    while (!budget.spent() && HasRoom(c) && HasMessage(c)) {
      const size_t length = static_cast<size_t>(c.in[c.in_start] << 8 | c.in[c.in_start + 1]);
      const std::span<const uint8_t> message(c.in.data() + c.in_start + 2, length);
      c.in_start += 2 + length;
      if (!responder_.Answer(message, DnsTransport::kTcp, &answer_)) {
        // Nothing to say to it: a stream that carries such a message has
        // lost its framing, or its sender means no good.
        responder_.EndBatch();
        Drop(fd);
        return std::nullopt;
      }
      c.out.push_back(static_cast<uint8_t>(answer_.size() >> 8));
      c.out.push_back(static_cast<uint8_t>(answer_.size() & 0xff));
      c.out.insert(c.out.end(), answer_.begin(), answer_.end());
      c.deadline = clock_.Now() + options_.tcp_idle_timeout;
      budget.Spend(answer_.size());
      ++answered;
    }
    responder_.EndBatch();
    // Keep only the unanswered bytes.
    if (c.in_start > 0) {
      c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(c.in_start));
      c.in_start = 0;
    }
    return answered;
  }

  // Writes pending answers; false when the connection was closed.
  bool Flush(int fd, Connection& c) {
    while (c.out_sent < c.out.size()) {
      const ssize_t n = send(fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        Close(fd);
        return false;
      }
      c.out_sent += static_cast<size_t>(n);
    }
    c.out.clear();
    c.out_sent = 0;
    return true;
  }

  // Closes a connection with nothing left to do; else registers what it waits for.
  void Update(int fd, Connection& c) {
    const bool pending_out = c.out_sent < c.out.size();
    if (c.peer_closed && !pending_out && !HasMessage(c)) {
      Close(fd);
      return;
    }
    uint32_t events = 0;
    if (pending_out) events |= EPOLLOUT;
    if (!c.peer_closed && HasRoom(c) && !HasMessage(c)) events |= EPOLLIN;
    SetEvents(fd, c, events);
  }

  void Expire() {
    const Time now = clock_.Now();
    if (accept_paused_until_ && now >= *accept_paused_until_) {
      accept_paused_until_.reset();
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = listener_;
      epoll_ctl(epoll_, EPOLL_CTL_MOD, listener_, &event);
    }
    std::vector<int> expired;
    for (const auto& [fd, c] : connections_) {
      if (c.deadline <= now) expired.push_back(fd);
    }
    for (int fd : expired) Drop(fd);
  }

  void Close(int fd) {
    if (connections_.erase(fd) == 0) return;
    close(fd);
    connection_count_ = connections_.size();
  }

  void Drop(int fd) {
    if (connections_.erase(fd) == 0) return;
    Abort(fd);
    connection_count_ = connections_.size();
  }

  const Clock& clock_;
  const Options& options_;
  DnsResponder responder_;
  std::atomic<size_t>& connection_count_;
  int epoll_ = -1;
  int wake_ = -1;
  int udp_ = -1;
  int listener_ = -1;
  bool stopping_ = false;
  std::optional<Time> accept_paused_until_;
  std::unordered_map<int, Connection> connections_;
  std::vector<int> pending_;  // connections with queries left for the next turn
  // kUdpBatch datagrams of kMaxUdpDatagram, left uninitialized: only the
  // pages datagrams fill are ever touched.
  std::unique_ptr<uint8_t[]> udp_buffers_;
  std::array<UdpSlot, kUdpBatch> udp_slots_;
  std::vector<uint8_t> answer_;  // TCP's
};

DnsServer::DnsServer(const StatusBoard& board, const Clock& clock, Options options)
    : board_(board), clock_(clock), options_(std::move(options)) {}

DnsServer::~DnsServer() { Stop(); }

Status DnsServer::Start(const ListenAddress& address) {
  if (loop_ != nullptr) return Status::Error("the DNS server is already running");
  if (options_.zone.name_server_addresses.empty() && !address.host.empty() &&
      address.host != "0.0.0.0" && address.host != "::") {
    options_.zone.name_server_addresses = {address.host};
  }
  auto loop = std::make_unique<Loop>(board_, clock_, options_, tcp_connections_);
  Result<int> port = loop->Bind(address);
  if (!port.ok()) return port.status();
  if (Status s = loop->Prepare(); !s.ok()) return s;
  port_ = *port;
  loop_ = std::move(loop);
  thread_ = std::thread([this] { loop_->Run(); });
  return Status::Ok();
}

void DnsServer::Stop() {
  if (loop_ == nullptr) return;
  loop_->Wake();
  if (thread_.joinable()) thread_.join();
  loop_.reset();
  tcp_connections_ = 0;
}

}  // namespace vigil
