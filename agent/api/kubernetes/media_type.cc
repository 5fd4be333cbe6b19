#include "agent/api/kubernetes/media_type.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace vigil::kube {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kTableV1 = "application/json;as=Table;v=v1;g=meta.k8s.io";
constexpr std::string_view kTableV1beta1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
constexpr std::string_view kAggregated =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// RFC 9110 token characters: what a type, subtype or parameter name is.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

// Splits at `separator` outside double quotes.
std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == separator) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::string Unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  std::string out;
  for (size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

// RFC 9110 qvalue: 0 to 1 with at most three decimals.
bool ParseQuality(std::string_view text, double* q) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return false;
  if (text.size() > 1 && text[1] != '.') return false;
  for (size_t i = 2; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  *q = std::strtod(std::string(text).c_str(), nullptr);
  return *q <= 1.0;
}

std::string_view Parameter(const MediaRange& range, std::string_view name) {
  for (const auto& [key, value] : range.parameters) {
    if (key == name) return value;
  }
  return {};
}

bool HasParameter(const MediaRange& range, std::string_view name) {
  for (const auto& [key, value] : range.parameters) {
    if (key == name) return true;
  }
  return false;
}

}  // namespace

std::vector<MediaRange> ParseAccept(std::string_view header) {
  std::vector<MediaRange> ranges;
  for (const std::string_view item : Split(header, ',')) {
    const std::vector<std::string_view> parts = Split(item, ';');
    const std::string_view media = Trim(parts.front());
    if (media.empty()) continue;  // an empty list element, allowed
    const size_t slash = media.find('/');
    if (slash == std::string_view::npos) continue;
    MediaRange range;
    range.type = Lower(Trim(media.substr(0, slash)));
    range.subtype = Lower(Trim(media.substr(slash + 1)));
    if (!IsToken(range.type) || !IsToken(range.subtype)) continue;
    bool valid = true;
    for (size_t i = 1; i < parts.size() && valid; ++i) {
      const std::string_view parameter = Trim(parts[i]);
      const size_t equals = parameter.find('=');
      if (equals == std::string_view::npos) {
        valid = false;
        break;
      }
      const std::string name = Lower(Trim(parameter.substr(0, equals)));
      const std::string value = Unquote(Trim(parameter.substr(equals + 1)));
      if (!IsToken(name)) {
        valid = false;
      } else if (name == "q") {
        valid = ParseQuality(value, &range.quality);
      } else {
        range.parameters.emplace_back(name, value);
      }
    }
    if (valid) ranges.push_back(std::move(range));
  }
  return ranges;
}

ApiResult<Negotiation> Negotiate(std::string_view accept, Offer offer) {
  if (Trim(accept).empty()) return Negotiation{Representation::kJson, kJson};
  std::vector<MediaRange> ranges = ParseAccept(accept);
  std::stable_sort(ranges.begin(), ranges.end(),
                   [](const MediaRange& a, const MediaRange& b) { return a.quality > b.quality; });
  for (const MediaRange& r : ranges) {
    if (r.quality <= 0) continue;
    const bool json = r.subtype == "json" && r.type == "application";
    const bool any_json = json || (r.type == "application" && r.subtype == "*") ||
                          (r.type == "*" && r.subtype == "*");
    if (!any_json) continue;  // protobuf, CBOR, YAML, text, ...
    if (!HasParameter(r, "as")) return Negotiation{Representation::kJson, kJson};
    const std::string_view as = Parameter(r, "as");
    const std::string_view group = Parameter(r, "g");
    const std::string_view version = Parameter(r, "v");
    if (json && offer == Offer::kObjects && as == "Table" && group == "meta.k8s.io" &&
        (version == "v1" || version == "v1beta1")) {
      return Negotiation{Representation::kTable, kJson};
    }
    if (json && offer == Offer::kDiscoveryRoot && as == "APIGroupDiscoveryList" &&
        group == "apidiscovery.k8s.io" && version == "v2") {
      return Negotiation{Representation::kAggregatedDiscovery, kAggregated};
    }
    // Another conversion (PartialObjectMetadataList, discovery v2beta1, ...).
  }
  switch (offer) {
    case Offer::kObjects: {
      constexpr std::string_view accepted[] = {kJson, kTableV1, kTableV1beta1};
      return ApiError::NotAcceptable(accepted);
    }
    case Offer::kDiscoveryRoot: {
      constexpr std::string_view accepted[] = {kJson, kAggregated};
      return ApiError::NotAcceptable(accepted);
    }
    case Offer::kDocument:
      break;
  }
  constexpr std::string_view accepted[] = {kJson};
  return ApiError::NotAcceptable(accepted);
}

}  // namespace vigil::kube
