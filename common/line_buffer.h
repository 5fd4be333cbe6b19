// LineBuffer: splits a byte stream of lines (a watch stream: one JSON object
// per line) into lines as its pieces arrive, holding at most one partial
// line, itself at most `max_line_bytes` long. Each byte is looked at once
// for the newline, so splitting costs time linear in the stream whatever
// sizes its pieces come in, and a line that never ends costs no more than
// `max_line_bytes` of memory before it is refused.
//
// Not thread-safe: one buffer per stream.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace vigil {

class LineBuffer {
 public:
  explicit LineBuffer(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  enum class Outcome {
    kMore,     // every complete line was handed over; waiting for more
    kStopped,  // on_line returned false
    kTooLong,  // a line (complete or not) is over max_line_bytes
  };
  // Appends `data` and hands each line it completes to `on_line`, in order,
  // without its "\n" (nor a "\r" before it). After kStopped or kTooLong the
  // buffer is in no defined state: end the stream.
  Outcome Append(std::string_view data, const std::function<bool(std::string_view)>& on_line);

  // The bytes of the partial line held.
  size_t pending() const { return partial_.size(); }
  size_t max_line_bytes() const { return max_line_bytes_; }

 private:
  const size_t max_line_bytes_;
  std::string partial_;  // the start of a line whose end has not come
};

}  // namespace vigil
