// A real etcd (the `etcd` binary, Debian package etcd-server) on free
// loopback ports with a temporary data directory, for tests of the etcd
// client and registry: a single member (EtcdServer) or a cluster of several
// (EtcdCluster). A member can be killed (SIGKILL) and started again on the
// same ports and data; each stops and removes its data when destroyed.
//
// Not thread-safe: one test thread drives them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  bool running() const { return pid_ > 0; }

 private:
  friend class EtcdCluster;

  std::string peer_url() const;
  // Starts the process without waiting for it to answer.
  bool Spawn();
  // Waits until it answers, or it exits, or `timeout` passes.
  bool WaitUp(std::chrono::milliseconds timeout);
  std::string ReadLog() const;
  bool Answers() const;

  std::string name_ = "vigil-test";
  std::string initial_cluster_;  // "name=peer-url,…"; empty: this member alone
  std::string dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  pid_t pid_ = -1;
  std::string error_;
};

// A cluster of `size` members on loopback. Start() starts them all and waits
// for every one to answer (which needs a leader: a quorum); a killed member
// can be started again with StartMember().
class EtcdCluster {
 public:
  explicit EtcdCluster(int size);

  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool StartMember(int index, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void KillMember(int index) { members_[index]->Kill(); }

  EtcdServer& member(int index) { return *members_[index]; }
  // Every member's client URL.
  std::vector<std::string> endpoints() const;
  std::string error() const;

 private:
  std::vector<std::unique_ptr<EtcdServer>> members_;
};

}  // namespace vigil::testing
