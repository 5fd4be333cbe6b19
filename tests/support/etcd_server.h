// A real single-member etcd (the `etcd` binary, Debian package etcd-server) on
// free loopback ports with a temporary data directory, for tests of the etcd
// client and registry. It can be killed (SIGKILL) and started again on the
// same ports and data, and stops and removes its data when destroyed.
//
// Not thread-safe: one test thread drives it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace vigil::testing {

class EtcdServer {
 public:
  // The etcd binary's path, or "" when etcd is not installed (skip the test).
  static std::string Binary();

  EtcdServer();  // picks ports and a data directory; starts nothing
  ~EtcdServer();

  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // Starts etcd and waits until it answers (at most `timeout`); false, with
  // etcd's log in error(), when it does not.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGKILLs etcd and reaps it; its ports and data stay for a Start().
  void Kill();

  // Compacts the store up to `revision`; false when etcd refuses.
  bool Compact(int64_t revision);

  std::string endpoint() const;  // "http://127.0.0.1:PORT"
  int client_port() const { return client_port_; }
  const std::string& error() const { return error_; }

 private:
  std::string ReadLog() const;
  bool Answers() const;

  std::string dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  pid_t pid_ = -1;
  std::string error_;
};

}  // namespace vigil::testing
