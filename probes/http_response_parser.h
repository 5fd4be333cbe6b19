// HttpResponseParser: reads one HTTP/1.x response from a byte stream as it
// arrives, as far as a probe needs it: the status, the Location of a
// redirect, and the body's end (Content-Length, chunked, or the connection's
// close), reading at most kMaxBodyBytes of body, as kubelet does. The body
// itself is counted, not kept; interim 1xx answers are skipped. Nothing is
// stored but a partial line and the Location.
//
// Pure: no I/O, no clock. Not thread-safe; one parser per response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

class HttpResponseParser {
 public:
  static constexpr size_t kMaxBodyBytes = 10 * 1024;
  // The status line and headers together; curl's limit.
  static constexpr size_t kMaxHeaderBytes = 100 * 1024;

  enum class State {
    kMore,   // feed more bytes
    kDone,   // the response is complete (or its body reached kMaxBodyBytes)
    kError,  // malformed: error() says how
  };

  // Consumes `bytes`; bytes after the end of the response are ignored.
  State Feed(std::string_view bytes);
  // The connection ended: kDone when that ends the body, kError otherwise.
  State Finish();

  State state() const { return state_; }
  int status() const { return status_; }
  // The Location header of the final answer ("" when none).
  const std::string& location() const { return location_; }
  // What was wrong, for "malformed HTTP response: …" or an unexpected end.
  const std::string& error() const { return error_; }
  // Whether the error is an early end of the stream rather than bad bytes.
  bool truncated() const { return truncated_; }
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
  bool chunked_ = false;
  bool has_length_ = false;
  uint64_t length_ = 0;  // of the body, or of the chunk at hand
  uint64_t remaining_ = 0;
  uint64_t body_bytes_ = 0;
};

}  // namespace vigil
