// HostileEtcd: a real etcd's client port behind a TCP server on loopback
// that, when told to, answers the requests to one path with attack bytes
// instead of etcd's answer: what a broken or hostile member (or whatever
// answers on its address) may send. Requests it does not attack go to etcd
// byte for byte, so everything else works for real.
//
// A connection is judged by its first request: attacked for its whole life
// (the attack is its answer; the connection closes when a finite attack is
// sent), or forwarded for its whole life. Changing the attack affects new
// connections only.
//
// One thread serves every connection with poll(). Thread-safe: the test
// changes the attack and reads the counters while the thread serves.
// Destroying it closes everything.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace vigil::testing {

class HostileEtcd {
 public:
  enum class Attack {
    kNone,            // forward everything to etcd
    kHugeStatusLine,  // "HTTP/1.1 200 " and 32 KiB of 'A' as the status line, then a body
    kHugeHeader,      // a well-formed status line, then one header line of 1 MiB
    kEndlessBody,     // 200, then a chunked body of 'A' that never ends, at full speed
    // The attacks of a watch stream: 200, etcd's "created" message (at the
    // watch's start revision), then:
    kHugeValue,    // a PUT of `bytes` bytes of value to `key`, streamed at full speed
    kEndlessLine,  // a PUT whose value never ends, at full speed
    kTrickleLine,  // a PUT whose value never ends, one byte every 100 ms
    kSilence,      // nothing more, ever
    kNotJson,      // a line that is not JSON
  };

  // Forwards 127.0.0.1:port() to 127.0.0.1:`etcd_port`.
  explicit HostileEtcd(int etcd_port);
  ~HostileEtcd();

  HostileEtcd(const HostileEtcd&) = delete;
  HostileEtcd& operator=(const HostileEtcd&) = delete;

  // From now on, new connections whose first request's path starts with
  // `path` ("" for all) get `attack`; `key` and `bytes` are kHugeValue's.
  void Set(Attack attack, const std::string& path = "/v3/watch", const std::string& key = "",
           uint64_t bytes = 0);

  // Closes every open connection, both ways (the next ones are judged by
  // the attack set then).
  void CutAll();

  int port() const { return port_; }
  std::string endpoint() const;                               // "http://127.0.0.1:PORT"
  size_t attacked() const { return attacked_.load(); }        // connections attacked so far
  uint64_t bytes_sent() const { return bytes_sent_.load(); }  // of attacks

 private:
  struct Connection;
  struct Plan {
    Attack attack = Attack::kNone;
    std::string path;
    std::string key;
    uint64_t bytes = 0;
  };

  void Run();
  void Wake();
  void Decide(Connection& connection);
  void Generate(Connection& connection);

  const int etcd_port_;
  int port_ = 0;
  int listener_ = -1;
  int wake_ = -1;  // an eventfd
  std::mutex mutex_;
  Plan plan_;  // GUARDED_BY(mutex_)
  std::atomic<bool> stopping_{false};
  std::atomic<int> cuts_requested_{0};
  std::atomic<size_t> attacked_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::thread thread_;
};

}  // namespace vigil::testing
