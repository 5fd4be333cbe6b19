#include "probes/request_target.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace vigil {
namespace {

enum class Part { kPath, kFragment };

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

int HexValue(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10);
}

// Go's shouldEscape(c, encodePath | encodeFragment).
bool ShouldEscape(unsigned char c, Part part) {
  if (std::isalnum(c)) return false;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '~':
      return false;
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '?':
    case '@':
      return part == Part::kPath && c == '?';
    case '!':
    case '(':
    case ')':
    case '*':
      return part == Part::kPath;
    default:
      return true;
  }
}

// Go's validEncoded: `s` may be written as it is.
bool ValidEncoded(std::string_view s, Part part) {
  return std::all_of(s.begin(), s.end(), [part](char c) {
    return std::string_view("!$&'()*+,;=:@[]%").find(c) != std::string_view::npos ||
           !ShouldEscape(static_cast<unsigned char>(c), part);
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

// Go's escape.
std::string Escape(std::string_view s, Part part) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (ShouldEscape(c, part)) {
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

// What url.Parse makes of a path, as URL.String() and RequestURI() write it.
struct ParsedPath {
  std::string path;      // EscapedPath(), maybe empty
  std::string query;     // "?..." when there is one
  std::string fragment;  // "#..." when there is one
};

std::optional<ParsedPath> Parse(std::string_view raw) {
  if (HasControlByte(raw)) return std::nullopt;
  ParsedPath out;
  const size_t hash = raw.find('#');
  std::string_view rest = raw.substr(0, hash);
  if (hash != std::string_view::npos) {
    const std::string_view fragment = raw.substr(hash + 1);
    const std::optional<std::string> decoded = Unescape(fragment);
    if (!decoded) return std::nullopt;
    if (!decoded->empty()) {
      out.fragment =
          "#" + (ValidEncoded(fragment, Part::kFragment) ? std::string(fragment)
                                                         : Escape(*decoded, Part::kFragment));
    }
  }
  if (!rest.empty() && rest.back() == '?' && std::count(rest.begin(), rest.end(), '?') == 1) {
    out.query = "?";
    rest.remove_suffix(1);
  } else if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    if (q + 1 < rest.size()) out.query = std::string(rest.substr(q));
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest.front() != '/' &&
      rest.substr(0, rest.find('/')).find(':') != std::string_view::npos) {
    return std::nullopt;  // "first path segment in URL cannot contain colon"
  }
  const std::optional<std::string> decoded = Unescape(rest);
  if (!decoded) return std::nullopt;
  out.path = ValidEncoded(rest, Part::kPath) ? std::string(rest) : Escape(*decoded, Part::kPath);
  return out;
}

}  // namespace

bool IsNetworkPath(std::string_view path) {
  return path.substr(0, 2) == "//" && path.substr(0, 3) != "///";
}

std::string RequestTarget(std::string_view path) {
  if (std::optional<ParsedPath> parsed = Parse(path)) {
    return (parsed->path.empty() ? "/" : parsed->path) + parsed->query;
  }
  // kubelet's fallback: the whole path as the URL's path, escaped.
  std::string target = Escape(path, Part::kPath);
  return target.empty() ? "/" : target;
}

std::string UrlTail(std::string_view path) {
  if (std::optional<ParsedPath> parsed = Parse(path)) {
    return parsed->path + parsed->query + parsed->fragment;
  }
  return Escape(path, Part::kPath);
}

bool ParsesAsGoUrl(std::string_view url) {
  if (HasControlByte(url)) return false;
  const size_t hash = url.find('#');
  if (hash != std::string_view::npos && !Unescape(url.substr(hash + 1))) return false;
  return Unescape(url.substr(0, std::min(hash, url.find('?')))).has_value();
}

}  // namespace vigil
