// FieldSelector is a Kubernetes field selector, as the Kubernetes API's
// fieldSelector query parameter takes it: comma-separated terms
// "field=value", "field==value" (the same) or "field!=value", all of which an
// object's fields must satisfy — "metadata.name=alpaca-prod",
// "involvedObject.kind=Endpoints,type!=Normal". In a value, "\" escapes ",",
// "=" and "\" ("reason=a\,b" selects the value "a,b"); a field name cannot be
// escaped. The syntax and the meaning are those of Kubernetes'
// fields.ParseSelector, to the byte: no whitespace is trimmed, empty terms
// are skipped, a field an object lacks has the value "".
//
// Which fields exist is the resource's business: Parse takes any field name,
// and CheckFields tells the fields a resource supports from the others.
//
// A plain value, immutable after Parse: safe to copy, and to share between
// threads without synchronization.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil {

class FieldSelector {
 public:
  // An object's selectable fields and their values.
  using Fields = std::map<std::string, std::string, std::less<>>;

  // Selects everything.
  FieldSelector() = default;

  // Parses `text`; "" selects everything. An error names the term and the
  // problem, e.g.
  //   invalid field selector "a=b,c": the term "c" has no operator: use
  //   field=value, field==value or field!=value
  static Result<FieldSelector> Parse(std::string_view text);

  // OK when every field the selector names is in `supported`; otherwise
  // Kubernetes' error for the first one that is not, in the order the terms
  // sort: "field label not supported: spec.nodeName".
  Status CheckFields(std::span<const std::string_view> supported) const;

  // Whether `fields` satisfy every term.
  bool Matches(const Fields& fields) const;

  // Selects everything.
  bool empty() const { return terms_.empty(); }

  // The value that a term "field=value" requires of `field`, if there is one
  // (as Kubernetes' RequiresExactMatch): lets a watch of
  // "metadata.name=NAME" look at one object only.
  std::optional<std::string> RequiredValue(std::string_view field) const;

  // The canonical form: terms sorted and unique, "==" written "=", values
  // escaped; Parse(ToString()) gives back an equal selector.
  std::string ToString() const;

  friend bool operator==(const FieldSelector&, const FieldSelector&) = default;

 private:
  struct Term {
    std::string field;
    bool equals = true;  // "=" or "=="; false: "!="
    std::string value;   // unescaped

    friend auto operator<=>(const Term&, const Term&) = default;
  };

  explicit FieldSelector(std::vector<Term> terms);

  std::vector<Term> terms_;  // sorted, unique
};

}  // namespace vigil
