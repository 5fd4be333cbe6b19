// A TCP proxy on loopback in front of a real server (etcd), for tests of what
// a client does when the network misbehaves while the server stays up: the
// proxy can hold every byte in both directions (a stalled network, the
// client does not notice) and cut every connection at once (a network
// break). New connections are forwarded as usual.
//
// One thread forwards with poll(). Thread-safe: the test pauses, resumes and
// cuts while the thread forwards. Destroying it closes everything.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>

namespace vigil::testing {

class TcpProxy {
 public:
  // Forwards 127.0.0.1:port() to 127.0.0.1:`target_port`.
  explicit TcpProxy(int target_port);
  ~TcpProxy();

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  std::string endpoint() const;  // "http://127.0.0.1:PORT"

  // Holds (Pause) or passes again (Resume) the bytes of open connections.
  void Pause();
  void Resume();
  // Closes every open connection, both ways.
  void CutAll();
  size_t connections() const { return connections_.load(); }

 private:
  void Run();
  void Wake();

  const int target_port_;
  int port_ = 0;
  int listener_ = -1;
  int wake_ = -1;  // an eventfd
  std::atomic<bool> paused_{false};
  std::atomic<int> cuts_requested_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  std::thread thread_;
};

}  // namespace vigil::testing
