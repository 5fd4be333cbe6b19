// A TCP server on a loopback address that speaks just enough HTTP to
// misbehave on purpose, for the failure paths of a client: it never answers,
// trickles headers, resets, answers bytes that are not HTTP, sends a huge
// body, or answers given bytes and then closes, stalls or resets (a Script).
// Its one well-behaved mode (kOk) has a deep accept backlog, for bursts of
// connections that cpp-httplib's backlog of 5 would drop. It records each
// request's bytes as they came, for tests of what a client sends.
//
// One thread serves every connection with poll(). No connection lives longer
// than a minute; destroying the server closes them all. port() and the
// counters are safe to read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vigil::testing {

class RawTcpServer {
 public:
  enum class Behavior {
    kNeverAnswer,        // reads the request, never writes
    kTrickleHeaders,     // "HTTP/1.1 200 OK", then a header line every 100 ms, never the end
    kResetAfterRequest,  // reads the request, then closes with SO_LINGER 0 (a reset)
    kNotHttp,            // reads the request, answers an SSH banner, closes
    kHugeBody,           // reads the request, answers 200 with a body of kHugeBodyBytes
    kEndlessBody,        // reads the request, answers 200 with a body that never ends
    kHugeStatusLine,     // reads the request, answers a status line of 32 KiB, then "{}"
    kNotJson,            // reads the request, answers 200 application/json "not json"
    kOk,                 // reads the request, answers 200 "ok"
    kScripted,           // reads the request, answers the Script's bytes, then its End
  };
  // What a kScripted server does once its response is sent.
  enum class End {
    kClose,       // closes the connection (a FIN)
    kStall,       // keeps it open, sending nothing more
    kReset,       // closes it with a reset
    kResetLater,  // resets it 100 ms later, once the client has read the response
  };
  struct Script {
    std::string response;
    End end = End::kClose;
  };
  static constexpr uint64_t kHugeBodyBytes = 50 * 1024 * 1024;

  explicit RawTcpServer(Behavior behavior, const std::string& address = "127.0.0.1");
  explicit RawTcpServer(Script script, const std::string& address = "127.0.0.1");
  // Answers every request with `answer` (status line, headers and body), then closes.
  explicit RawTcpServer(std::string answer) : RawTcpServer(Script{std::move(answer)}) {}
  ~RawTcpServer();

  RawTcpServer(const RawTcpServer&) = delete;
  RawTcpServer& operator=(const RawTcpServer&) = delete;

  int port() const { return port_; }
  size_t accepted() const { return accepted_.load(); }
  uint64_t bytes_sent() const { return bytes_sent_.load(); }
  // kScripted: from now on, the next connections get `scripts` in turn, the
  // last one for every connection after.
  void SetScripts(std::vector<Script> scripts);
  // The bytes of each request so far (up to its blank line), in order.
  std::vector<std::string> requests() const;

 private:
  struct Connection;

  RawTcpServer(Behavior behavior, const std::string& address, Script script);
  void Serve();
  // Does what the script says once its response is sent.
  void Ended(Connection& connection);
  void OnRequest(Connection& connection);
  // False when the connection is over.
  bool Read(Connection& connection);
  bool Write(Connection& connection);

  const Behavior behavior_;
  mutable std::mutex mutex_;
  std::vector<Script> scripts_;  // GUARDED_BY(mutex_)
  size_t next_script_ = 0;       // GUARDED_BY(mutex_)
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::atomic<size_t> accepted_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::thread thread_;
  std::vector<std::string> requests_;  // GUARDED_BY(mutex_)
};

}  // namespace vigil::testing
