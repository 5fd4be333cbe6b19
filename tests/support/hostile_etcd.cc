#include "tests/support/hostile_etcd.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <limits>
#include <list>
#include <stdexcept>
#include <vector>

#include "tests/support/loopback_socket.h"

namespace vigil::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kPiece = 64 * 1024;  // generated at a time
constexpr uint64_t kEndless = std::numeric_limits<uint64_t>::max();
constexpr auto kTrickleInterval = std::chrono::milliseconds(100);
constexpr size_t kMaxRequestBytes = 4 * 1024 * 1024;

void AppendChunk(std::string* out, std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out->append(size).append(data).append("\r\n");
}

std::string Base64(const std::string& in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// The watch's start revision in a request body ({"create_request":
// {..."start_revision":"N"}}), or 0.
int64_t StartRevision(const std::string& body) {
  const std::string field = "\"start_revision\":\"";
  const size_t at = body.find(field);
  if (at == std::string::npos) return 0;
  return std::atoll(body.c_str() + at + field.size());
}

}  // namespace

struct HostileEtcd::Connection {
  enum class Mode { kReading, kForward, kAttack };
  int client = -1;
  int server = -1;
  Mode mode = Mode::kReading;
  std::string head;  // the first request, until decided
  std::string to_server;
  std::string to_client;
  Plan plan;
  uint64_t left = 0;   // bytes of the value still to generate
  std::string suffix;  // sent after them
  bool close_when_sent = false;
  Clock::time_point next_trickle = Clock::time_point::max();
  bool closed = false;
};

HostileEtcd::HostileEtcd(int etcd_port) : etcd_port_(etcd_port) {
  listener_ = ListenOnLoopback(&port_);
  if (listener_ < 0) throw std::runtime_error("HostileEtcd: cannot listen on loopback");
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
}

HostileEtcd::~HostileEtcd() {
  stopping_ = true;
  Wake();
  thread_.join();
  close(listener_);
  close(wake_);
}

std::string HostileEtcd::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void HostileEtcd::Wake() {
  const uint64_t one = 1;
  (void)!write(wake_, &one, sizeof one);
}

void HostileEtcd::CutAll() {
  ++cuts_requested_;
  Wake();
}

void HostileEtcd::Set(Attack attack, const std::string& path, const std::string& key,
                      uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  plan_ = Plan{attack, path, key, bytes};
}

void HostileEtcd::Decide(Connection& c) {
  const size_t end = c.head.find("\r\n\r\n");
  if (end == std::string::npos) return;
  // The body, when it has come whole (Content-Length, as libcurl sends).
  size_t length = 0;
  for (const char* name : {"Content-Length: ", "content-length: "}) {
    const size_t at = c.head.find(name);
    if (at != std::string::npos && at < end)
      length = std::strtoul(c.head.c_str() + at + 16, nullptr, 10);
  }
  if (c.head.size() < end + 4 + length) return;
  const size_t space = c.head.find(' ');
  const size_t path_end = c.head.find(' ', space + 1);
  const std::string path = c.head.substr(space + 1, path_end - space - 1);
  Plan plan;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    plan = plan_;
  }
  if (plan.attack == Attack::kNone || path.rfind(plan.path, 0) != 0) {
    const int server = ConnectToLoopback(etcd_port_);
    if (server < 0) {
      c.closed = true;  // etcd is down: so is its stand-in
      return;
    }
    c.server = server;
    c.mode = Connection::Mode::kForward;
    c.to_server = std::move(c.head);
    return;
  }
  ++attacked_;
  c.mode = Connection::Mode::kAttack;
  c.plan = plan;
  const std::string stream_head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const int64_t start = std::max<int64_t>(StartRevision(c.head.substr(end + 4)), 2);
  const std::string revision = "\"" + std::to_string(start) + "\"";
  const std::string created =
      "{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\","
      "\"revision\":\"" +
      std::to_string(start - 1) + "\",\"raft_term\":\"2\"},\"created\":true}}\n";
  const std::string put = "{\"result\":{\"header\":{\"revision\":" + revision +
                          "},\"events\":[{\"kv\":{\"key\":\"" + Base64(plan.key) +
                          "\",\"create_revision\":" + revision + ",\"mod_revision\":" + revision +
                          ",\"version\":\"1\",\"value\":\"";
  switch (plan.attack) {
    case Attack::kNone:
      break;
    case Attack::kHugeStatusLine:
      c.to_client = "HTTP/1.1 200 " + std::string(32 * 1024, 'A') +
                    "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
      c.close_when_sent = true;
      break;
    case Attack::kHugeHeader:
      c.to_client = "HTTP/1.1 200 OK\r\nX-Huge: " + std::string(1024 * 1024, 'A') +
                    "\r\nContent-Length: 2\r\n\r\n{}";
      c.close_when_sent = true;
      break;
    case Attack::kEndlessBody:
      c.to_client = stream_head;
      c.left = kEndless;
      break;
    case Attack::kHugeValue:
      c.to_client = stream_head;
      AppendChunk(&c.to_client, created + put);
      // The base64 of `bytes` zero bytes: "AAAA" per three, then the padded rest.
      c.left = plan.bytes / 3 * 4;
      c.suffix = std::string(plan.bytes % 3 == 1   ? "AA=="
                             : plan.bytes % 3 == 2 ? "AAA="
                                                   : "") +
                 "\"}}]}}\n";
      break;
    case Attack::kEndlessLine:
      c.to_client = stream_head;
      AppendChunk(&c.to_client, created + put);
      c.left = kEndless;
      break;
    case Attack::kTrickleLine:
      c.to_client = stream_head;
      AppendChunk(&c.to_client, created + put);
      c.next_trickle = Clock::now() + kTrickleInterval;
      break;
    case Attack::kSilence:
      c.to_client = stream_head;
      AppendChunk(&c.to_client, created);
      break;
    case Attack::kNotJson:
      c.to_client = stream_head;
      AppendChunk(&c.to_client, created + "this is not JSON\n");
      break;
  }
}

void HostileEtcd::Generate(Connection& c) {
  static const std::string kA(kPiece, 'A');
  if (c.left > 0 && c.to_client.size() < kPiece) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(c.left, kPiece));
    AppendChunk(&c.to_client, std::string_view(kA).substr(0, n));
    if (c.left != kEndless) {
      c.left -= n;
      if (c.left == 0) AppendChunk(&c.to_client, c.suffix);
    }
  } else if (c.left == 0 && !c.suffix.empty()) {  // a value of fewer than 3 bytes
    AppendChunk(&c.to_client, c.suffix);
  }
  if (c.left == 0) c.suffix.clear();
  if (c.next_trickle <= Clock::now()) {
    AppendChunk(&c.to_client, "A");
    c.next_trickle += kTrickleInterval;
  }
}

void HostileEtcd::Run() {
  std::list<Connection> connections;
  const auto close_connection = [](Connection& c) {
    if (c.client >= 0) close(c.client);
    if (c.server >= 0) close(c.server);
    c.client = c.server = -1;
    c.closed = true;
  };
  char buffer[65536];
  int cuts_done = 0;
  while (!stopping_) {
    if (cuts_requested_ != cuts_done) {
      cuts_done = cuts_requested_;
      for (Connection& c : connections) close_connection(c);
    }
    connections.remove_if([](const Connection& c) { return c.closed; });
    std::vector<pollfd> fds = {{listener_, POLLIN, 0}, {wake_, POLLIN, 0}};
    std::vector<Connection*> owners = {nullptr, nullptr};
    int timeout = 1000;
    for (Connection& c : connections) {
      Generate(c);
      if (c.next_trickle != Clock::time_point::max()) timeout = 20;
      fds.push_back(
          {c.client, static_cast<short>(POLLIN | (c.to_client.empty() ? 0 : POLLOUT)), 0});
      owners.push_back(&c);
      if (c.server >= 0) {
        fds.push_back(
            {c.server, static_cast<short>(POLLIN | (c.to_server.empty() ? 0 : POLLOUT)), 0});
        owners.push_back(&c);
      }
    }
    if (poll(fds.data(), fds.size(), timeout) < 0) continue;
    if (fds[1].revents & POLLIN) {
      uint64_t ignored;
      (void)!read(wake_, &ignored, sizeof ignored);
    }
    if (fds[0].revents & POLLIN) {
      while (true) {
        const int client = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) break;
        connections.emplace_back().client = client;
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      Connection& c = *owners[i];
      if (c.closed || fds[i].revents == 0) continue;
      const bool from_client = fds[i].fd == c.client;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          close_connection(c);
          continue;
        }
        if (n > 0) {
          const std::string_view data(buffer, static_cast<size_t>(n));
          if (!from_client) {
            c.to_client.append(data);
          } else if (c.mode == Connection::Mode::kForward) {
            c.to_server.append(data);
          } else if (c.mode == Connection::Mode::kReading) {
            c.head.append(data);
            if (c.head.size() > kMaxRequestBytes) {
              close_connection(c);
              continue;
            }
            Decide(c);
            if (c.closed) {
              close_connection(c);
              continue;
            }
          }
        }
      }
      if (fds[i].revents & POLLOUT) {
        std::string& out = from_client ? c.to_client : c.to_server;
        const ssize_t n = send(fds[i].fd, out.data(), out.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
          close_connection(c);
          continue;
        }
        if (n > 0) {
          if (from_client && c.mode == Connection::Mode::kAttack) bytes_sent_ += n;
          out.erase(0, static_cast<size_t>(n));
        }
        if (from_client && out.empty() && c.close_when_sent) close_connection(c);
      }
    }
  }
  for (Connection& c : connections) close_connection(c);
}

}  // namespace vigil::testing
