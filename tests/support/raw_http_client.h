// A blocking HTTP/1.1 client over a plain socket, written by hand for tests
// that send what no HTTP library would: one byte at a time, pipelined
// requests, huge or malformed heads, a body that never comes. It reads
// answers as they come (Content-Length, chunked, or until the close), one
// after another on the same connection, keeping the bytes of the next.
//
// Not thread-safe: one per thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vigil::testing {

struct RawHttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;                            // chunked: decoded
  bool chunked = false;
  // Chunked: the final chunk ("0\r\n\r\n") came. Otherwise: the whole body.
  bool complete = false;

  std::string Header(const std::string& lowercase_name) const;
};

class RawHttpConnection {
 public:
  // Connects to `host`:`port` (IPv4), from `source` when not empty (a
  // 127.x.y.z, so that tests can appear as many clients). valid() says
  // whether it worked.
  RawHttpConnection(const std::string& host, int port, const std::string& source = "");
  ~RawHttpConnection();

  RawHttpConnection(RawHttpConnection&& other) noexcept;
  RawHttpConnection& operator=(RawHttpConnection&&) = delete;
  RawHttpConnection(const RawHttpConnection&) = delete;

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes all of `bytes`; false when the connection fails (or would block
  // longer than `timeout`).
  bool Send(const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The next answer, or nullopt when none came whole within `timeout`
  // (what came stays buffered) or the connection closed first.
  std::optional<RawHttpResponse> ReadResponse(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // For a streamed (chunked) answer: reads its head, then chunks until
  // `until` holds for the body so far, the stream ends, or `timeout`.
  std::optional<RawHttpResponse> ReadStreamUntil(
      const std::function<bool(const std::string& body)>& until,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Whether the server closed the connection (a read gives end of file or
  // an error) within `timeout`; bytes that come first are buffered.
  bool WaitForClose(std::chrono::milliseconds timeout);
  // Sets SO_RCVBUF small (before reading), for a client that reads slowly.
  void SetReceiveBuffer(int bytes);
  void Close();

 private:
  // Reads what is there into buffer_ within `deadline`; false on end of
  // file, error or timeout (closed_ says which).
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
  // A streamed answer being read by ReadStreamUntil.
  std::optional<RawHttpResponse> stream_;
};

// "GET target HTTP/1.1" with Host and the given extra header lines.
std::string HttpGet(const std::string& target, const std::vector<std::string>& headers = {});

}  // namespace vigil::testing
