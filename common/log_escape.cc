#include "common/log_escape.h"

#include <cstdint>
#include <cstdio>

namespace vigil {
namespace {

// The length of the valid UTF-8 sequence at the start of `text` (its code
// point in *code_point), or 0 when the first byte does not start one.
size_t Utf8Sequence(std::string_view text, uint32_t* code_point) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  size_t length = 0;
  uint32_t value = 0;
  uint32_t min = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, value = lead & 0x1f, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, value = lead & 0x0f, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, value = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    value = (value << 6) | (byte(i) & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if (value < min || (value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) return 0;
  *code_point = value;
  return length;
}

bool Invisible(uint32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9f) || code_point == 0x2028 ||
         code_point == 0x2029 || (code_point >= 0x202a && code_point <= 0x202e) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

}  // namespace

std::string EscapeForLog(std::string_view text, size_t max_bytes) {
  const std::string_view shown = text.substr(0, max_bytes);
  std::string out;
  out.reserve(shown.size() + 16);
  char hex[16];
  for (size_t i = 0; i < shown.size();) {
    const auto c = static_cast<uint8_t>(shown[i]);
    if (c >= 0x20 && c < 0x7f) {
      if (c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c == '\n' || c == '\r' || c == '\t') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
      ++i;
      continue;
    }
    uint32_t code_point = 0;
    const size_t length = c >= 0x80 ? Utf8Sequence(shown.substr(i), &code_point) : 0;
    if (length == 0) {
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
      ++i;
    } else if (Invisible(code_point)) {
      std::snprintf(hex, sizeof hex, "\\u{%04x}", code_point);
      out += hex;
      i += length;
    } else {
      out.append(shown.substr(i, length));
      i += length;
    }
  }
  if (text.size() > shown.size()) {
    out += "...(" + std::to_string(text.size()) + " bytes)";
  }
  return out;
}

}  // namespace vigil
