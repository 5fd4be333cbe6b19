#include "tests/support/tcp_proxy.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <list>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/loopback_socket.h"

namespace vigil::testing {
namespace {

// One forwarded connection: bytes read from one side wait in `pending` until
// the other side takes them.
struct Link {
  int client = -1;
  int server = -1;
  std::string to_server;
  std::string to_client;
  bool closed = false;
};

// Moves what `from` has into `buffer`; false when `from` is done.
bool ReadInto(int from, std::string* buffer) {
  char chunk[65536];
  const ssize_t n = read(from, chunk, sizeof chunk);
  if (n > 0) {
    buffer->append(chunk, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

bool WriteFrom(int to, std::string* buffer) {
  if (buffer->empty()) return true;
  const ssize_t n = send(to, buffer->data(), buffer->size(), MSG_NOSIGNAL);
  if (n > 0) {
    buffer->erase(0, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listener_ = ListenOnLoopback(&port_);
  if (listener_ < 0) throw std::runtime_error("TcpProxy: cannot listen on loopback");
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  Wake();
  thread_.join();
  close(listener_);
  close(wake_);
}

std::string TcpProxy::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void TcpProxy::Wake() {
  const uint64_t one = 1;
  (void)!write(wake_, &one, sizeof one);
}

void TcpProxy::Pause() {
  paused_ = true;
  Wake();
}

void TcpProxy::Resume() {
  paused_ = false;
  Wake();
}

void TcpProxy::CutAll() {
  ++cuts_requested_;
  Wake();
}

void TcpProxy::Run() {
  std::list<Link> links;
  int cuts_done = 0;
  const auto close_link = [](Link& link) {
    if (link.client >= 0) close(link.client);
    if (link.server >= 0) close(link.server);
    link.client = link.server = -1;
    link.closed = true;
  };
  while (!stopping_) {
    if (cuts_requested_ != cuts_done) {
      cuts_done = cuts_requested_;
      for (Link& link : links) close_link(link);
    }
    links.remove_if([](const Link& link) { return link.closed; });
    connections_ = links.size();

    std::vector<pollfd> fds = {{listener_, POLLIN, 0}, {wake_, POLLIN, 0}};
    std::vector<Link*> owners = {nullptr, nullptr};
    const bool paused = paused_;
    for (Link& link : links) {
      short client_events = paused ? 0 : POLLIN;
      short server_events = paused ? 0 : POLLIN;
      if (!paused && !link.to_client.empty()) client_events |= POLLOUT;
      if (!paused && !link.to_server.empty()) server_events |= POLLOUT;
      fds.push_back({link.client, client_events, 0});
      owners.push_back(&link);
      fds.push_back({link.server, server_events, 0});
      owners.push_back(&link);
    }
    if (poll(fds.data(), fds.size(), 1000) < 0) continue;
    if (fds[1].revents & POLLIN) {
      uint64_t ignored;
      (void)!read(wake_, &ignored, sizeof ignored);
    }
    if (fds[0].revents & POLLIN) {
      while (true) {
        const int client = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) break;
        const int server = ConnectToLoopback(target_port_);
        if (server < 0) {
          close(client);  // the server is down: so is the proxy
          continue;
        }
        links.push_back(Link{client, server, "", "", false});
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      Link& link = *owners[i];
      if (link.closed || fds[i].revents == 0) continue;
      const bool is_client = fds[i].fd == link.client;
      std::string* inbound = is_client ? &link.to_server : &link.to_client;
      std::string* outbound = is_client ? &link.to_client : &link.to_server;
      bool ok = true;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) ok = ReadInto(fds[i].fd, inbound);
      if (ok && (fds[i].revents & POLLOUT)) ok = WriteFrom(fds[i].fd, outbound);
      if (!ok) close_link(link);
    }
    // Forward at once what came, rather than on the next turn.
    for (Link& link : links) {
      if (link.closed || paused_) continue;
      if (!WriteFrom(link.server, &link.to_server) || !WriteFrom(link.client, &link.to_client)) {
        close_link(link);
      }
    }
  }
  for (Link& link : links) close_link(link);
}

}  // namespace vigil::testing
