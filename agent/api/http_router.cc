#include "agent/api/http_router.h"

#include <algorithm>
#include <cassert>

namespace vigil {
namespace {

std::vector<std::string> PatternSegments(const std::string& pattern) {
  assert(!pattern.empty() && pattern.front() == '/' && "a route pattern starts with /");
  std::vector<std::string> segments;
  if (pattern.size() == 1) return segments;
  size_t start = 1;
  while (true) {
    const size_t slash = pattern.find('/', start);
    segments.push_back(
        pattern.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool IsRest(const std::string& segment) { return segment == "{**}"; }

bool IsCapture(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void HttpRouter::Add(const std::string& method, const std::string& pattern, int route) {
  Entry entry{method, PatternSegments(pattern), route};
  for ([[maybe_unused]] const Entry& e : entries_) {
    assert(!(e.method == entry.method && e.pattern == entry.pattern) && "a route added twice");
  }
  entries_.push_back(std::move(entry));
}

bool HttpRouter::Matches(const std::vector<std::string>& pattern,
                         const std::vector<std::string>& segments,
                         std::map<std::string, std::string>* captures, int* literals) {
  const bool rest = !pattern.empty() && IsRest(pattern.back());
  if (rest ? segments.size() < pattern.size() - 1 : pattern.size() != segments.size()) {
    return false;
  }
  captures->clear();
  *literals = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (rest && i == pattern.size() - 1) break;
    if (IsCapture(pattern[i])) {
      if (segments[i].empty()) return false;
      (*captures)[pattern[i].substr(1, pattern[i].size() - 2)] = segments[i];
    } else if (pattern[i] == segments[i]) {
      ++*literals;
    } else {
      return false;
    }
  }
  return true;
}

HttpRouter::Match HttpRouter::Find(const std::string& method,
                                   const std::vector<std::string>& segments) const {
  const std::string& wanted = method == "HEAD" ? std::string("GET") : method;
  Match best;
  int best_literals = -1;
  std::vector<std::string> allowed;
  std::map<std::string, std::string> captures;
  int literals = 0;
  for (const Entry& e : entries_) {
    if (!Matches(e.pattern, segments, &captures, &literals)) continue;
    if (e.method != wanted && e.method != "*") {
      if (std::find(allowed.begin(), allowed.end(), e.method) == allowed.end()) {
        allowed.push_back(e.method);
      }
      continue;
    }
    if (literals > best_literals) {
      best_literals = literals;
      best.kind = Match::Kind::kFound;
      best.route = e.route;
      best.captures = captures;
    }
  }
  if (best.kind == Match::Kind::kFound) return best;
  if (!allowed.empty()) {
    best.kind = Match::Kind::kMethodNotAllowed;
    for (const std::string& m : allowed) best.allow += (best.allow.empty() ? "" : ", ") + m;
  }
  return best;
}

}  // namespace vigil
