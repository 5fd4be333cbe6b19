#include "tests/support/raw_tcp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <list>
#include <stdexcept>
#include <vector>

namespace vigil::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kMaxConnectionLife = std::chrono::minutes(1);
constexpr auto kTrickleInterval = std::chrono::milliseconds(100);
constexpr size_t kMaxRequestBytes = 64 * 1024;
constexpr int kBacklog = 1024;

void CloseWithReset(int fd) {
  const linger reset{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  close(fd);
}

// A non-blocking socket listening on `address`, port chosen by the kernel.
int Listen(const std::string& address, int* port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const bool v6 = address.find(':') != std::string::npos;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    length = sizeof(*in6);
    if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) != 1) return -1;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    length = sizeof(*in4);
    if (inet_pton(AF_INET, address.c_str(), &in4->sin_addr) != 1) return -1;
  }
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || listen(fd, kBacklog) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                   : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return fd;
}

}  // namespace

struct RawTcpServer::Connection {
  int fd = -1;
  Clock::time_point expires;
  std::string request;
  bool answered = false;
  std::string out;  // to send, from out_sent on
  size_t out_sent = 0;
  uint64_t body_left = 0;  // zero bytes to send after `out`
  bool close_when_sent = false;
  Clock::time_point next_trickle = Clock::time_point::max();
  int trickled = 0;
  RawTcpServer::End end = RawTcpServer::End::kStall;  // once `out` is sent
  Clock::time_point reset_at = Clock::time_point::max();
  bool ended = false;
};

RawTcpServer::RawTcpServer(Script script, const std::string& address)
    : RawTcpServer(Behavior::kScripted, address, std::move(script)) {}

RawTcpServer::RawTcpServer(Behavior behavior, const std::string& address)
    : RawTcpServer(behavior, address, Script{}) {}

RawTcpServer::RawTcpServer(Behavior behavior, const std::string& address, Script script)
    : behavior_(behavior), scripts_{std::move(script)} {
  listen_fd_ = Listen(address, &port_);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (listen_fd_ < 0 || stop_fd_ < 0) throw std::runtime_error("cannot listen on " + address);
  thread_ = std::thread([this] { Serve(); });
}

RawTcpServer::~RawTcpServer() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(stop_fd_, &one, sizeof(one));
  thread_.join();
  close(listen_fd_);
  close(stop_fd_);
}

void RawTcpServer::Serve() {
  std::list<Connection> connections;
  std::vector<pollfd> fds;
  while (true) {
    const Clock::time_point now = Clock::now();
    Clock::time_point wake = now + std::chrono::seconds(1);
    fds.assign({{stop_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}});
    for (Connection& connection : connections) {
      const bool sending = connection.out_sent < connection.out.size() || connection.body_left > 0;
      fds.push_back({connection.fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0});
      wake = std::min({wake, connection.expires, connection.next_trickle, connection.reset_at});
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
    if (poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait))) < 0) continue;
    if (fds[0].revents != 0) break;
    if (fds[1].revents != 0) {
      int fd;
      while ((fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        ++accepted_;
        Connection& connection = connections.emplace_back();
        connection.fd = fd;
        connection.expires = Clock::now() + kMaxConnectionLife;
      }
    }
    size_t index = 2;
    for (auto it = connections.begin(); it != connections.end(); ++index) {
      Connection& connection = *it;
      const short revents = index < fds.size() ? fds[index].revents : 0;
      bool open = Clock::now() < connection.expires;
      if (open && connection.reset_at <= Clock::now()) {
        CloseWithReset(connection.fd);
        connection.fd = -1;
        open = false;
      }
      if (open && connection.next_trickle <= Clock::now()) {
        connection.out += "X-Trickle-" + std::to_string(++connection.trickled) + ": a\r\n";
        connection.next_trickle += kTrickleInterval;
      }
      if (open && (revents & (POLLIN | POLLHUP | POLLERR)) != 0) open = Read(connection);
      if (open && (revents & POLLOUT) != 0) open = Write(connection);
      if (open) {
        ++it;
      } else {
        if (connection.fd >= 0) close(connection.fd);
        it = connections.erase(it);
      }
    }
  }
  for (Connection& connection : connections) {
    if (connection.fd >= 0) close(connection.fd);
  }
}

bool RawTcpServer::Read(Connection& connection) {
  char buffer[4096];
  const ssize_t n = recv(connection.fd, buffer, sizeof(buffer), 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return false;
  if (n < 0 || connection.answered) return true;
  connection.request.append(buffer, static_cast<size_t>(n));
  if (const size_t end = connection.request.find("\r\n\r\n"); end != std::string::npos) {
    connection.answered = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(connection.request.substr(0, end + 4));
    }
    OnRequest(connection);
    if (connection.fd < 0) return false;  // reset
  }
  return connection.request.size() <= kMaxRequestBytes;
}

void RawTcpServer::OnRequest(Connection& connection) {
  switch (behavior_) {
    case Behavior::kNeverAnswer:
      break;
    case Behavior::kTrickleHeaders:
      connection.out = "HTTP/1.1 200 OK\r\n";
      connection.next_trickle = Clock::now() + kTrickleInterval;
      break;
    case Behavior::kResetAfterRequest:
      CloseWithReset(connection.fd);
      connection.fd = -1;
      break;
    case Behavior::kNotHttp:
      connection.out = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
      connection.close_when_sent = true;
      break;
    case Behavior::kHugeBody:
      connection.out =
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
          "Content-Length: " +
          std::to_string(kHugeBodyBytes) + "\r\n\r\n";
      connection.body_left = kHugeBodyBytes;
      break;
    case Behavior::kEndlessBody:  // no length: the body lasts until the connection closes
      connection.out = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n";
      connection.body_left = UINT64_MAX;
      break;
    case Behavior::kHugeStatusLine:
      connection.out = "HTTP/1.1 200 " + std::string(32 * 1024, 'A') +
                       "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
      break;
    case Behavior::kNotJson:
      connection.out =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n"
          "not json\n";
      break;
    case Behavior::kOk:
      connection.out =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
      break;
    case Behavior::kScripted: {
      std::lock_guard<std::mutex> lock(mutex_);
      const Script& script = scripts_[std::min(next_script_, scripts_.size() - 1)];
      ++next_script_;
      connection.out = script.response;
      connection.end = script.end;
    }
      if (connection.out.empty()) Ended(connection);
      break;
  }
}

void RawTcpServer::Ended(Connection& connection) {
  switch (connection.end) {
    case End::kClose:
      shutdown(connection.fd, SHUT_WR);
      break;
    case End::kStall:
      break;
    case End::kReset:
      CloseWithReset(connection.fd);
      connection.fd = -1;
      break;
    case End::kResetLater:
      connection.reset_at = Clock::now() + std::chrono::milliseconds(100);
      break;
  }
}

void RawTcpServer::SetScripts(std::vector<Script> scripts) {
  std::lock_guard<std::mutex> lock(mutex_);
  scripts_ = std::move(scripts);
  next_script_ = 0;
}

std::vector<std::string> RawTcpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

bool RawTcpServer::Write(Connection& connection) {
  static const std::vector<char> kZeros(64 * 1024);
  const char* data = kZeros.data();
  size_t size = 0;
  if (connection.out_sent < connection.out.size()) {
    data = connection.out.data() + connection.out_sent;
    size = connection.out.size() - connection.out_sent;
  } else {
    size = static_cast<size_t>(std::min<uint64_t>(connection.body_left, kZeros.size()));
  }
  const ssize_t n = send(connection.fd, data, size, MSG_NOSIGNAL);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  bytes_sent_ += static_cast<uint64_t>(n);
  if (connection.out_sent < connection.out.size()) {
    connection.out_sent += static_cast<size_t>(n);
  } else {
    connection.body_left -= static_cast<uint64_t>(n);
  }
  const bool done = connection.out_sent == connection.out.size() && connection.body_left == 0;
  if (done && behavior_ == Behavior::kScripted && !connection.ended) {
    connection.ended = true;
    Ended(connection);
    return connection.fd >= 0;
  }
  return !(done && connection.close_when_sent);
}

}  // namespace vigil::testing
