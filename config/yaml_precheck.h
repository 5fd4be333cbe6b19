// A pass over YAML text with libyaml that bounds what building a tree of it
// may cost, before yaml-cpp builds one.
//
// yaml-cpp 0.7.0 loops forever, allocating, on some malformed documents (a
// "," after a top-level flow collection: `{"services": []},`), and a tree
// walk costs every node that aliases repeat. libyaml, fuzzed upstream, reads
// the text as a stream of events, without recursion and in memory bounded by
// the text. PrecheckYaml refuses what libyaml refuses, and also nesting, nodes
// and alias expansion beyond `YamlLimits`, each with the position of its
// cause. Text it passes holds no syntax error yaml-cpp could loop on. A pure
// function: safe to call from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

struct YamlLimits {
  // Nodes (scalars, lists and mappings) written in the text.
  size_t max_nodes = 500'000;
  // Nodes that aliases add when expanded: `*a` adds every node of what `&a`
  // names, each time it is used.
  size_t max_alias_nodes = 100'000;
  // Lists and mappings open at once.
  int max_depth = 64;
};

// Why a text was refused, and where.
struct YamlProblem {
  int line = 1;    // 1-based
  int column = 1;  // 1-based
  std::string message;
};

// nullopt when `text` is well-formed YAML within `limits`.
std::optional<YamlProblem> PrecheckYaml(std::string_view text, const YamlLimits& limits);

}  // namespace vigil
