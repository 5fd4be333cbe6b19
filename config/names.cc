#include "config/names.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace vigil {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool IsDns1123Label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], ≤ 63; empty allowed when `allow_empty`.
bool IsQualifiedName(std::string_view s, bool allow_empty) {
  if (s.empty()) return allow_empty;
  if (s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool IsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    if (!IsDns1123Label(s.substr(start, dot == std::string_view::npos ? s.npos : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

Status CheckDns1035Label(std::string_view name) {
  const bool ok = IsDns1123Label(name) && name.front() >= 'a' && name.front() <= 'z';
  if (ok) return Status::Ok();
  return Status::Error(Quote(name) +
                       " is not a DNS-1035 label: use at most 63 lowercase letters, digits and "
                       "\"-\", starting with a letter and ending with a letter or digit");
}

Status CheckDns1123Label(std::string_view name) {
  if (IsDns1123Label(name)) return Status::Ok();
  return Status::Error(Quote(name) +
                       " is not a DNS-1123 label: use at most 63 lowercase letters, digits and "
                       "\"-\", starting and ending with a letter or digit");
}

Status CheckDns1123Subdomain(std::string_view name) {
  if (IsSubdomain(name)) return Status::Ok();
  return Status::Error(Quote(name) +
                       " is not a DNS-1123 subdomain: use at most 253 lowercase letters, digits, "
                       "\"-\" and \".\", starting and ending with a letter or digit");
}

Status CheckLabelKey(std::string_view key) {
  std::string_view name = key;
  const size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    if (!IsSubdomain(key.substr(0, slash))) {
      return Status::Error("label key " + Quote(key) + ": the prefix " +
                           Quote(key.substr(0, slash)) + " is not a DNS-1123 subdomain");
    }
    name = key.substr(slash + 1);
  }
  if (IsQualifiedName(name, false)) return Status::Ok();
  return Status::Error("label key " + Quote(key) +
                       " is not valid: the name part takes at most 63 letters, digits, \"-\", "
                       "\"_\" and \".\", starting and ending with a letter or digit");
}

Status CheckLabelValue(std::string_view value) {
  if (IsQualifiedName(value, true)) return Status::Ok();
  return Status::Error("label value " + Quote(value) +
                       " is not valid: use at most 63 letters, digits, \"-\", \"_\" and \".\", "
                       "starting and ending with a letter or digit");
}

Status CheckPortName(std::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 15 && IsLowerAlnum(name.front()) &&
      IsLowerAlnum(name.back()) && name.find("--") == std::string_view::npos &&
      std::all_of(name.begin(), name.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; }) &&
      std::any_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  if (ok) return Status::Ok();
  return Status::Error(Quote(name) +
                       " is not a valid port name: use at most 15 lowercase letters, digits and "
                       "\"-\", with at least one letter, no \"--\", and no \"-\" at either end");
}

Status CheckHeaderName(std::string_view name) {
  constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return IsAlnum(c) || kTokenPunctuation.find(c) != std::string_view::npos;
  });
  if (ok) return Status::Ok();
  return Status::Error(Quote(name) + " is not a valid HTTP header name");
}

std::string ClosestMatch(std::string_view word, std::span<const std::string_view> candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (std::string_view c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

}  // namespace vigil
