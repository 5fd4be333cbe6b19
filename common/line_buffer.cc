#include "common/line_buffer.h"

#include <cstring>

namespace vigil {
namespace {

constexpr size_t kKeptCapacity = 64 * 1024;

std::string_view Chomp(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

LineBuffer::Outcome LineBuffer::Append(std::string_view data,
                                       const std::function<bool(std::string_view)>& on_line) {
  while (!data.empty()) {
    const void* found = std::memchr(data.data(), '\n', data.size());
    if (found == nullptr) {
      if (partial_.size() + data.size() > max_line_bytes_) return Outcome::kTooLong;
      partial_.append(data);
      return Outcome::kMore;
    }
    const size_t end = static_cast<size_t>(static_cast<const char*>(found) - data.data());
    if (partial_.size() + end > max_line_bytes_) return Outcome::kTooLong;
    bool go_on = true;
    if (partial_.empty()) {
      go_on = on_line(Chomp(data.substr(0, end)));
    } else {
      partial_.append(data.substr(0, end));
      go_on = on_line(Chomp(partial_));
      partial_.clear();
      // A long line's room is not kept for the short ones that follow.
      if (partial_.capacity() > kKeptCapacity) std::string().swap(partial_);
    }
    if (!go_on) return Outcome::kStopped;
    data.remove_prefix(end + 1);
  }
  return Outcome::kMore;
}

}  // namespace vigil
