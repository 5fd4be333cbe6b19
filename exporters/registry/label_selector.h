// LabelSelector is a Kubernetes label selector, as the API's labelSelector
// query parameter takes it: comma-separated requirements, all of which a label
// map must satisfy — "app=web", "app==web", "env!=dev", "tier in (a,b)",
// "tier notin (a,b)", "canary" (the key exists), "!legacy" (it does not), and
// in the Kubernetes dialect "replicas>2", "replicas<5". The syntax and the
// meaning are those of Kubernetes' labels.Parse, with keys and values checked
// by the label rules of config/names.h, but stricter where Kubernetes would
// quietly accept a likely mistake (see Parse).
//
// A plain value, immutable after Parse: safe to copy, and to share between
// threads without synchronization.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil {

class LabelSelector {
 public:
  // Which API the selector comes from. vigil's own API keeps to the set
  // operators; the Kubernetes view also takes Kubernetes' integer
  // comparisons, "k>N" and "k<N", so that every selector kubectl sends works.
  enum class Dialect { kVigil, kKubernetes };

  // Selects everything.
  LabelSelector() = default;

  // Parses `text`. "" (or only whitespace, as in Kubernetes) selects
  // everything. An error names the problem and where it is, e.g.
  //   invalid label selector "app in (a" at the end: missing ")"
  //   invalid label selector "a=b c" at position 5: expected "," or the end ...
  // Positions count bytes from 1.
  //
  // Beyond Kubernetes: `in ()` / `notin ()` are errors (Kubernetes reads "()"
  // as the empty value, which nobody means by it); control characters are
  // errors (Kubernetes stops at a NUL and ignores the rest). In the vigil
  // dialect the operators ">" and "<" are not supported; in the Kubernetes
  // one they take a label value that is a decimal integer (int64), as
  // Kubernetes requires.
  static Result<LabelSelector> Parse(std::string_view text, Dialect dialect = Dialect::kVigil);

  // Whether `labels` satisfy every requirement. "!=" and "notin" also match
  // when the key is absent; ">" and "<" only when the key is present and its
  // value is a decimal integer (int64) beyond the bound, as in Kubernetes.
  bool Matches(const std::map<std::string, std::string>& labels) const;

  // Selects everything.
  bool empty() const { return requirements_.empty(); }

  // The canonical form: requirements sorted by key, without duplicates, each
  // value list sorted, "==" written "=". Equal selectors have equal strings,
  // and Parse(ToString()) (in the dialect that parsed it) gives back an equal
  // selector; e.g. "app=alpaca,env!=dev,!legacy,tier in (a,b)".
  std::string ToString() const;

  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;

 private:
  // Declaration order is the canonical order of requirements on one key.
  enum class Operator {
    kEquals,
    kNotEquals,
    kIn,
    kNotIn,
    kExists,
    kDoesNotExist,
    kGreaterThan,
    kLessThan,
  };

  struct Requirement {
    std::string key;
    Operator op = Operator::kExists;
    // Sorted and unique: one for =, !=, > and <, at least one for in and
    // notin, none for exists and does-not-exist. "" is a value.
    std::vector<std::string> values;

    friend auto operator<=>(const Requirement&, const Requirement&) = default;
  };

  class Parser;

  explicit LabelSelector(std::vector<Requirement> requirements);

  std::vector<Requirement> requirements_;  // canonical order
};

}  // namespace vigil
