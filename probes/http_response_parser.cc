#include "probes/http_response_parser.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

namespace vigil {
namespace {

constexpr size_t kMaxChunkLineBytes = 4096;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool Is(std::string_view name, std::string_view wanted) {
  return name.size() == wanted.size() && strncasecmp(name.data(), wanted.data(), name.size()) == 0;
}

// The line as shown in an error: quoted, at most 60 characters.
std::string Shown(std::string_view line) {
  std::string out = "\"";
  for (char c : line.substr(0, 60)) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  return out + (line.size() > 60 ? "…\"" : "\"");
}

}  // namespace

HttpResponseParser::State HttpResponseParser::Feed(std::string_view bytes) {
  while (!bytes.empty() && state_ == State::kMore) {
    switch (phase_) {
      case Phase::kBodyLength:
      case Phase::kChunkData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
        bytes.remove_prefix(n);
        remaining_ -= n;
        if (Body(n)) break;
        if (remaining_ == 0) {
          if (phase_ == Phase::kBodyLength) {
            state_ = State::kDone;
          } else {
            phase_ = Phase::kChunkDataEnd;
          }
        }
        break;
      }
      case Phase::kBodyUntilClose:
        Body(bytes.size());
        bytes = {};
        break;
      default: {
        const size_t newline = bytes.find('\n');
        const bool chunk_line = phase_ == Phase::kChunkSize || phase_ == Phase::kChunkDataEnd;
        const size_t limit = chunk_line
                                 ? kMaxChunkLineBytes
                                 : kMaxHeaderBytes - std::min(header_bytes_, kMaxHeaderBytes);
        const auto fail_too_long = [&] {
          Fail(chunk_line
                   ? "a chunk line longer than " + std::to_string(kMaxChunkLineBytes) + " bytes"
                   : "headers longer than " + std::to_string(kMaxHeaderBytes / 1024) + " KiB");
        };
        if (newline == std::string_view::npos) {
          // One byte more may be the "\r" of a line of the limit: whether
          // the line is too long must not depend on where the bytes split.
          if (partial_.size() + bytes.size() > limit + 1) {
            fail_too_long();
            break;
          }
          partial_.append(bytes);
          bytes = {};
          break;
        }
        std::string_view line = bytes.substr(0, newline);
        bytes.remove_prefix(newline + 1);
        if (!partial_.empty()) {
          partial_.append(line);
          line = partial_;
        }
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > limit) {
          fail_too_long();
          break;
        }
        Line(line);
        partial_.clear();
        break;
      }
    }
  }
  return state_;
}

HttpResponseParser::State HttpResponseParser::Finish() {
  if (state_ != State::kMore) return state_;
  if (phase_ == Phase::kBodyUntilClose) {
    state_ = State::kDone;
    return state_;
  }
  truncated_ = true;
  Fail(phase_ == Phase::kStatusLine && status_ == 0 && partial_.empty() && header_bytes_ == 0
           ? "empty reply from server"
           : "the server closed the connection before the response was complete");
  return state_;
}

void HttpResponseParser::Fail(std::string error) {
  state_ = State::kError;
  error_ = std::move(error);
}

bool HttpResponseParser::Body(size_t n) {
  // kubelet reads at most this much and judges by the status all the same:
  // a byte past it ends the response. What is counted does not depend on
  // how the bytes were split.
  if (n <= kMaxBodyBytes - body_bytes_) {
    body_bytes_ += n;
    return false;
  }
  body_bytes_ = kMaxBodyBytes;
  state_ = State::kDone;
  return true;
}

void HttpResponseParser::Line(std::string_view line) {
  switch (phase_) {
    case Phase::kStatusLine:
      header_bytes_ += line.size() + 2;
      return StatusLine(line);
    case Phase::kHeaders:
      header_bytes_ += line.size() + 2;
      if (line.empty()) return EndOfHeaders();
      return Header(line);
    case Phase::kChunkSize:
      return ChunkSize(line);
    case Phase::kChunkDataEnd:
      if (!line.empty()) return Fail("a chunk's data is longer than its size");
      phase_ = Phase::kChunkSize;
      return;
    case Phase::kTrailers:
      header_bytes_ += line.size() + 2;
      if (header_bytes_ > kMaxHeaderBytes) {
        return Fail("headers longer than " + std::to_string(kMaxHeaderBytes / 1024) + " KiB");
      }
      if (line.empty()) state_ = State::kDone;
      return;
    default:
      return;
  }
}

// "HTTP/1.1 200 OK": the version, a space, three digits, then a reason or nothing.
void HttpResponseParser::StatusLine(std::string_view line) {
  const bool versioned = line.size() >= 12 && line.substr(0, 5) == "HTTP/" &&
                         std::isdigit(static_cast<unsigned char>(line[5])) && line[6] == '.' &&
                         std::isdigit(static_cast<unsigned char>(line[7])) && line[8] == ' ';
  const bool coded = versioned && std::all_of(line.begin() + 9, line.begin() + 12, [](char c) {
                       return std::isdigit(static_cast<unsigned char>(c));
                     });
  if (!coded || (line.size() > 12 && line[12] != ' ')) {
    return Fail("status line " + Shown(line));
  }
  status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  phase_ = Phase::kHeaders;
}

void HttpResponseParser::Header(std::string_view line) {
  if (header_bytes_ > kMaxHeaderBytes) {
    return Fail("headers longer than " + std::to_string(kMaxHeaderBytes / 1024) + " KiB");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return Fail("header line " + Shown(line));
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = Trim(line.substr(colon + 1));
  if (Is(name, "Content-Length")) {
    uint64_t length = 0;
    if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      return Fail("Content-Length " + Shown(value));
    }
    for (char c : value) length = length * 10 + static_cast<uint64_t>(c - '0');
    if (has_length_ && length != length_) return Fail("two different Content-Lengths");
    has_length_ = true;
    length_ = length;
  } else if (Is(name, "Transfer-Encoding")) {
    // The last coding decides; anything but chunked runs until the close.
    const size_t comma = value.rfind(',');
    chunked_ =
        Is(Trim(comma == std::string_view::npos ? value : value.substr(comma + 1)), "chunked");
  } else if (Is(name, "Location")) {
    location_ = std::string(value);
  }
}

void HttpResponseParser::EndOfHeaders() {
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    phase_ = Phase::kStatusLine;
    status_ = 0;
    location_.clear();
    chunked_ = false;
    has_length_ = false;
    return;
  }
  if (status_ < 200 || status_ == 204 || status_ == 304) {
    state_ = State::kDone;
  } else if (chunked_) {
    phase_ = Phase::kChunkSize;
  } else if (has_length_) {
    remaining_ = length_;
    if (length_ == 0) {
      state_ = State::kDone;
    } else {
      phase_ = Phase::kBodyLength;
    }
  } else {
    phase_ = Phase::kBodyUntilClose;
  }
}

void HttpResponseParser::ChunkSize(std::string_view line) {
  std::string_view size = Trim(line.substr(0, line.find(';')));
  uint64_t value = 0;
  if (size.empty() || size.size() > 15) return Fail("chunk size " + Shown(line));
  for (char c : size) {
    const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                      : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                  : -1;
    if (digit < 0) return Fail("chunk size " + Shown(line));
    value = value * 16 + static_cast<uint64_t>(digit);
  }
  if (value == 0) {
    phase_ = Phase::kTrailers;
  } else {
    remaining_ = value;
    phase_ = Phase::kChunkData;
  }
}

}  // namespace vigil
