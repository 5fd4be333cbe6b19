// The request target of an HTTP request ("/vigil/v1/endpoints/web?watch=true"),
// taken apart and decoded as the API reads it: the path split into decoded
// segments, and the query string into decoded parameters.
//
// Pure functions of their input (no I/O, no allocation beyond the results),
// so that a fuzz target can call them with anything a client may send. Every
// malformed input is an error naming the problem, never a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vigil {

// Decodes the %XY escapes of `text` (XY: two hexadecimal digits; a decoded
// byte may be anything, NUL included); with `plus_is_space`, '+' decodes to
// a space as in an HTML form's query string. An error for a '%' not followed
// by two hexadecimal digits.
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// A request target split at its first '?': the path and the raw query
// (without the '?'; empty when there is none). A fragment ("#…") is not
// part of a request target and is left in place.
struct TargetParts {
  std::string_view path;
  std::string_view query;
};
TargetParts SplitTarget(std::string_view target);

// The path's segments, each percent-decoded ("/a/b%2Fc" → {"a", "b/c"}).
// The path must start with '/'; "/" has no segment, and a trailing '/'
// gives a last empty segment ("/a/" → {"a", ""}), as it names another
// resource. An error for a path without the leading '/' or with a bad
// escape.
Result<std::vector<std::string>> DecodePathSegments(std::string_view path);

// The parameters of a query string, in their order, names and values
// percent-decoded with '+' as a space (Go's url.ParseQuery, which
// Kubernetes clients speak). "a=1&b" gives a="1" and b=""; empty pieces
// ("a=1&&b=2") are skipped. A name may repeat: Get gives the first value.
class QueryParams {
 public:
  QueryParams() = default;

  bool Has(std::string_view name) const;
  // The first value of `name`, or nullopt when it is absent.
  std::optional<std::string> Get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return params_; }

  void Add(std::string name, std::string value);

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// An error names the piece with the bad escape.
Result<QueryParams> ParseQueryString(std::string_view query);

}  // namespace vigil
