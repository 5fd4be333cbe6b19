#include "agent/api/request_target.h"

namespace vigil {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `text` for a message: quoted, cut after 64 bytes, control bytes escaped.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out + "\"";
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int high = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return Status::Error("bad percent-escape at byte " + std::to_string(i + 1) + " of " +
                             Quote(text));
      }
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

TargetParts SplitTarget(std::string_view target) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

Result<std::vector<std::string>> DecodePathSegments(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return Status::Error("the path " + Quote(path) + " does not start with \"/\"");
  }
  std::vector<std::string> segments;
  if (path.size() == 1) return segments;
  size_t start = 1;
  while (true) {
    const size_t slash = path.find('/', start);
    const std::string_view raw = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    Result<std::string> segment = PercentDecode(raw, /*plus_is_space=*/false);
    if (!segment.ok()) return Status::Error("in the path: " + segment.status().message());
    segments.push_back(std::move(segment).value());
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool QueryParams::Has(std::string_view name) const {
  for (const auto& [n, v] : params_) {
    if (n == name) return true;
  }
  return false;
}

std::optional<std::string> QueryParams::Get(std::string_view name) const {
  for (const auto& [n, v] : params_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

void QueryParams::Add(std::string name, std::string value) {
  params_.emplace_back(std::move(name), std::move(value));
}

Result<QueryParams> ParseQueryString(std::string_view query) {
  QueryParams params;
  size_t start = 0;
  while (start <= query.size()) {
    const size_t amp = query.find('&', start);
    const std::string_view piece =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!piece.empty()) {
      const size_t equals = piece.find('=');
      const std::string_view raw_name = piece.substr(0, equals);
      const std::string_view raw_value =
          equals == std::string_view::npos ? std::string_view() : piece.substr(equals + 1);
      Result<std::string> name = PercentDecode(raw_name, /*plus_is_space=*/true);
      if (!name.ok()) return Status::Error("in the query: " + name.status().message());
      Result<std::string> value = PercentDecode(raw_value, /*plus_is_space=*/true);
      if (!value.ok()) return Status::Error("in the query: " + value.status().message());
      params.Add(std::move(name).value(), std::move(value).value());
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return params;
}

}  // namespace vigil
