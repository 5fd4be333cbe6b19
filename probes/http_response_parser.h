// HttpResponseParser: reads one HTTP/1.x response from a byte stream as it
// arrives, as far as a probe needs it: the status, the Location of a
// redirect, and the body's end (Content-Length, chunked, or the connection's
// close), reading at most kMaxBodyBytes of body, as kubelet does: once that
// much has come the response is done. The body itself is counted, not kept;
// interim 1xx answers are skipped. The status line is read as Go's client
// reads it ("HTTP/1.1  200 OK" is a 200), and so are its framing rules (one
// "Transfer-Encoding: chunked" from HTTP/1.1 on, ignored in HTTP/1.0; at
// most 5 interim answers). Nothing is stored but a partial line, the
// Location and the Transfer-Encoding.
//
// Pure: no I/O, no clock. Not thread-safe; one parser per response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

class HttpResponseParser {
 public:
  static constexpr size_t kMaxBodyBytes = 10 * 1024;
  // The status line and headers together; curl's limit.
  static constexpr size_t kMaxHeaderBytes = 100 * 1024;
  // Interim (1xx) answers before the final one; Go's client takes 5.
  static constexpr int kMaxInterimAnswers = 5;

  enum class State {
    kMore,   // feed more bytes
    kDone,   // the response is complete (or its body reached kMaxBodyBytes)
    kError,  // malformed: error() says how
  };

  // Consumes `bytes`; bytes after the end of the response are ignored.
  State Feed(std::string_view bytes);
  // The connection ended: kDone when that ends the body, kError otherwise.
  State Finish();

  // From now on the body ends once `limit` bytes of it have come (those
  // already read count), as Go's client drains at most 2 KiB of the body of
  // a redirect it follows. At most kMaxBodyBytes.
  void LimitBody(size_t limit);

  State state() const { return state_; }
  int status() const { return status_; }
  // The Location header of the final answer ("" when none).
  const std::string& location() const { return location_; }
  // What was wrong, for "malformed HTTP response: …" or an unexpected end.
  const std::string& error() const { return error_; }
  // Whether the error is an early end of the stream rather than bad bytes.
  bool truncated() const { return truncated_; }
  // Whether the final answer's status line and headers have all come: what
  // goes wrong after is a body that broke off (kubelet's prober error).
  bool headers_complete() const { return headers_complete_; }
  // The final answer's Content-Length, when it has one that decides.
  std::optional<uint64_t> content_length() const {
    return has_length_ ? std::optional<uint64_t>(length_) : std::nullopt;
  }
  // The body bytes read: at most kMaxBodyBytes.
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class Phase {
    kStatusLine,
    kHeaders,
    kBodyLength,      // Content-Length bytes
    kBodyUntilClose,  // no length: until the server closes
    kChunkSize,
    kChunkData,
    kChunkDataEnd,  // the CRLF after a chunk's data
    kTrailers,
  };

  // Takes one complete line (without its line end).
  void Line(std::string_view line);
  void StatusLine(std::string_view line);
  void Header(std::string_view line);
  void EndOfHeaders();
  void ChunkSize(std::string_view line);
  // Counts body bytes; true when the cap is reached.
  bool Body(size_t n);
  void Fail(std::string error);

  State state_ = State::kMore;
  Phase phase_ = Phase::kStatusLine;
  std::string partial_;  // a line not yet ended
  size_t header_bytes_ = 0;
  int status_ = 0;
  std::string location_;
  std::string error_;
  bool truncated_ = false;
  bool headers_complete_ = false;
  int transfer_encodings_ = 0;  // Transfer-Encoding fields of the answer at hand
  std::string transfer_encoding_;
  bool http10_ = false;
  int interim_answers_ = 0;
  size_t body_limit_ = kMaxBodyBytes;
  bool has_length_ = false;
  uint64_t length_ = 0;  // of the body, or of the chunk at hand
  uint64_t remaining_ = 0;
  uint64_t body_bytes_ = 0;
};

}  // namespace vigil
