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
  if (headers_complete_) {
    Fail("unexpected EOF");  // Go's error for a body cut short
  } else {
    Fail(phase_ == Phase::kStatusLine && status_ == 0 && partial_.empty() && header_bytes_ == 0
             ? "empty reply from server"
             : "the server closed the connection before the response was complete");
  }
  return state_;
}

void HttpResponseParser::Fail(std::string error) {
  state_ = State::kError;
  error_ = std::move(error);
}

bool HttpResponseParser::Body(size_t n) {
  // kubelet reads at most this much, stops there, and judges by the status.
  // What is counted does not depend on how the bytes were split.
  body_bytes_ += std::min<uint64_t>(n, body_limit_ > body_bytes_ ? body_limit_ - body_bytes_ : 0);
  if (body_bytes_ < body_limit_) return false;
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

// As Go's http.ReadResponse: the version up to the first space
// ("HTTP/x.y"), then the status after any spaces: three characters up to
// the next space that strconv.Atoi reads as a number >= 0.
void HttpResponseParser::StatusLine(std::string_view line) {
  const size_t space = line.find(' ');
  const std::string_view version = line.substr(0, space);
  const bool versioned = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                         std::isdigit(static_cast<unsigned char>(version[5])) &&
                         version[6] == '.' && std::isdigit(static_cast<unsigned char>(version[7]));
  std::string_view code;
  if (space != std::string_view::npos) {
    code = line.substr(space + 1);
    while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
    code = code.substr(0, code.find(' '));
  }
  std::string_view digits = code;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
  const bool numeric =
      code.size() == 3 && !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
  int value = 0;
  if (numeric) {
    for (char c : digits) value = value * 10 + (c - '0');
  }
  if (!versioned || !numeric || (negative && value != 0)) return Fail("status line " + Shown(line));
  status_ = value;
  http10_ = version[5] == '0' || (version[5] == '1' && version[7] == '0');
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
    if (value.empty()) return;  // Go's client takes an empty one as no length
    if (value.size() > 18 || !std::all_of(value.begin(), value.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      return Fail("Content-Length " + Shown(value));
    }
    for (char c : value) length = length * 10 + static_cast<uint64_t>(c - '0');
    if (has_length_ && length != length_) return Fail("two different Content-Lengths");
    has_length_ = true;
    length_ = length;
  } else if (Is(name, "Transfer-Encoding")) {
    ++transfer_encodings_;
    transfer_encoding_ = std::string(value);
  } else if (Is(name, "Location")) {
    location_ = std::string(value);
  }
}

void HttpResponseParser::EndOfHeaders() {
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    if (++interim_answers_ > kMaxInterimAnswers) {
      return Fail("net/http: too many 1xx informational responses");
    }
    phase_ = Phase::kStatusLine;
    status_ = 0;
    location_.clear();
    transfer_encodings_ = 0;
    has_length_ = false;
    return;
  }
  // As Go's client: HTTP/1.0 ignores Transfer-Encoding; from 1.1 on, one
  // field, "chunked", is the only one it takes.
  bool chunked = false;
  if (transfer_encodings_ > 0 && !http10_) {
    if (transfer_encodings_ > 1) return Fail("too many transfer encodings");
    if (!Is(transfer_encoding_, "chunked")) {
      return Fail("unsupported transfer encoding: " + Shown(transfer_encoding_));
    }
    chunked = true;
  }
  headers_complete_ = true;
  if ((status_ >= 100 && status_ < 200) || status_ == 204 || status_ == 304) {
    state_ = State::kDone;
  } else if (chunked) {
    has_length_ = false;  // a length beside chunked is ignored
    phase_ = Phase::kChunkSize;
  } else if (has_length_) {
    remaining_ = length_;
    if (length_ == 0 || body_limit_ == 0) {
      state_ = State::kDone;
    } else {
      phase_ = Phase::kBodyLength;
    }
  } else if (body_limit_ == 0) {
    state_ = State::kDone;
  } else {
    phase_ = Phase::kBodyUntilClose;
  }
}

void HttpResponseParser::LimitBody(size_t limit) {
  body_limit_ = std::min(limit, kMaxBodyBytes);
  if (state_ == State::kMore && headers_complete_ && body_bytes_ >= body_limit_) {
    state_ = State::kDone;
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
