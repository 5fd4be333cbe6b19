#include "probes/request_headers.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>

#include "common/version.h"

namespace vigil {
namespace {

// RFC 9110 token characters: a header name can hold nothing else.
bool IsToken(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool IsFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Go's textproto.TrimString.
std::string Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

bool IsBoundary(char c) { return c == ' ' || c == ',' || c == '\t'; }

// Go's hasToken: `token` (lowercase) in `value` between boundaries, any case.
bool HasToken(std::string_view value, std::string_view token) {
  for (size_t at = 0; at + token.size() <= value.size(); ++at) {
    if (at > 0 && !IsBoundary(value[at - 1])) continue;
    const size_t end = at + token.size();
    if (end != value.size() && !IsBoundary(value[end])) continue;
    if (std::equal(
            token.begin(), token.end(), value.begin() + static_cast<long>(at),
            [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
      return true;
    }
  }
  return false;
}

// Go's httpguts.HeaderValuesContainsToken: one of the comma-separated
// elements of one of `values` is `token`, any case.
bool ValuesContainToken(const std::vector<std::string>& values, std::string_view token) {
  for (const std::string& value : values) {
    std::string_view rest = value;
    while (true) {
      const size_t comma = rest.find(',');
      std::string element = Trim(rest.substr(0, comma));
      std::transform(element.begin(), element.end(), element.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (element == token) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

}  // namespace

std::string CanonicalHeaderName(std::string name) {
  bool upper = true;
  for (char& c : name) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(upper ? std::toupper(u) : std::tolower(u));
    upper = c == '-';
  }
  return name;
}

Result<RequestHeaders> BuildRequestHeaders(const std::vector<ProbeSpec::Header>& headers) {
  std::map<std::string, std::vector<std::string>>
      merged;  // Go's http.Header, sorted as Go writes it
  for (const ProbeSpec::Header& header : headers) {
    if (!IsToken(header.name) || !IsFieldValue(header.value)) {
      return Status::Error("invalid HTTP header \"" + header.name + "\"");
    }
    merged[CanonicalHeaderName(header.name)].push_back(header.value);
  }
  if (merged.count("User-Agent") == 0) {
    merged["User-Agent"] = {std::string("vigil-probe/") + kVersion};
  }
  if (auto accept = merged.find("Accept"); accept == merged.end()) {
    merged["Accept"] = {"*/*"};
  } else if (accept->second.front().empty()) {
    merged.erase(accept);
  }

  RequestHeaders out;
  if (auto host = merged.find("Host"); host != merged.end()) out.host = host->second.front();
  // Go's client writes only the first User-Agent, and none when it is empty.
  if (const std::string& agent = merged["User-Agent"].front(); !agent.empty()) {
    out.fields.emplace_back("User-Agent", Trim(agent));
  }
  for (const auto& [name, values] : merged) {
    if (name == "Host" || name == "User-Agent" || name == "Content-Length" ||
        name == "Transfer-Encoding" || name == "Trailer") {
      continue;
    }
    for (const std::string& value : values) out.fields.emplace_back(name, Trim(value));
  }
  const auto connection = merged.find("Connection");
  const auto upgrade = merged.find("Upgrade");
  const bool closes = connection != merged.end() && HasToken(connection->second.front(), "close");
  const bool upgrades = upgrade != merged.end() && !upgrade->second.front().empty() &&
                        connection != merged.end() &&
                        ValuesContainToken(connection->second, "upgrade");
  if (!closes && !upgrades) out.fields.emplace_back("Connection", "close");
  return out;
}

}  // namespace vigil
