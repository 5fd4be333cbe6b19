#include "probes/request_target.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace vigil {
namespace {

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

int HexValue(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10);
}

// Go's shouldEscape(c, encodePath).
bool ShouldEscape(unsigned char c) {
  if (std::isalnum(c)) return false;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '~':
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '@':
      return false;
    default:
      return true;  // '?' included
  }
}

// Go's validEncoded(s, encodePath): `s` may be sent as it is.
bool ValidEncoded(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::string_view("!$&'()*+,;=:@[]%").find(c) != std::string_view::npos ||
           !ShouldEscape(static_cast<unsigned char>(c));
  });
}

// Go's unescape: nullopt on a "%" not followed by two hex digits.
std::optional<std::string> Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) return std::nullopt;
    out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
    i += 2;
  }
  return out;
}

// Go's escape(s, encodePath).
std::string Escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (ShouldEscape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool HasControlByte(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f;
  });
}

// url.Parse(path).RequestURI(); nullopt where url.Parse fails.
std::optional<std::string> ParsedTarget(std::string_view path) {
  if (HasControlByte(path)) return std::nullopt;
  const size_t hash = path.find('#');
  std::string_view rest = path.substr(0, hash);
  if (hash != std::string_view::npos && !Unescape(path.substr(hash + 1))) return std::nullopt;
  bool force_query = false;
  std::string_view query;
  if (!rest.empty() && rest.back() == '?' && std::count(rest.begin(), rest.end(), '?') == 1) {
    force_query = true;
    rest.remove_suffix(1);
  } else if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest.front() != '/' &&
      rest.substr(0, rest.find('/')).find(':') != std::string_view::npos) {
    return std::nullopt;  // "first path segment in URL cannot contain colon"
  }
  const std::optional<std::string> decoded = Unescape(rest);
  if (!decoded) return std::nullopt;
  std::string target = ValidEncoded(rest) ? std::string(rest) : Escape(*decoded);
  if (target.empty()) target = "/";
  if (force_query || !query.empty()) target.append("?").append(query);
  return target;
}

}  // namespace

bool IsNetworkPath(std::string_view path) {
  return path.substr(0, 2) == "//" && path.substr(0, 3) != "///";
}

std::string RequestTarget(std::string_view path) {
  if (std::optional<std::string> target = ParsedTarget(path)) return *target;
  // kubelet's fallback: the whole path as the URL's path, escaped.
  std::string target = Escape(path);
  return target.empty() ? "/" : target;
}

}  // namespace vigil
