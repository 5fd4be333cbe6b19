// A TCP server on a loopback address that speaks just enough HTTP to
// misbehave on purpose, for the failure paths of a client: it never answers,
// trickles headers, resets, answers bytes that are not HTTP, or sends a huge
// body. Its one well-behaved mode (kOk) has a deep accept backlog, for bursts
// of connections that cpp-httplib's backlog of 5 would drop.
//
// One thread serves every connection with poll(). No connection lives longer
// than a minute; destroying the server closes them all. port() and the
// counters are safe to read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

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
    kFixedAnswer,        // reads the request, answers the bytes given, then closes
  };
  static constexpr uint64_t kHugeBodyBytes = 50 * 1024 * 1024;

  // `answer`: kFixedAnswer's bytes (status line, headers and body).
  explicit RawTcpServer(Behavior behavior, const std::string& address = "127.0.0.1",
                        std::string answer = "");
  explicit RawTcpServer(std::string answer)
      : RawTcpServer(Behavior::kFixedAnswer, "127.0.0.1", std::move(answer)) {}
  ~RawTcpServer();

  RawTcpServer(const RawTcpServer&) = delete;
  RawTcpServer& operator=(const RawTcpServer&) = delete;

  int port() const { return port_; }
  size_t accepted() const { return accepted_.load(); }
  uint64_t bytes_sent() const { return bytes_sent_.load(); }

 private:
  struct Connection;

  void Serve();
  void OnRequest(Connection& connection);
  // False when the connection is over.
  bool Read(Connection& connection);
  bool Write(Connection& connection);

  const Behavior behavior_;
  const std::string answer_;  // kFixedAnswer's
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::atomic<size_t> accepted_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::thread thread_;
};

}  // namespace vigil::testing
