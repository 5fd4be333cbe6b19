// YamlTree: YAML text read into a tree of nodes with libyaml, within limits
// that bound the time and memory any text may take.
//
// libyaml, fuzzed upstream, reads the text as a stream of events, without
// recursion and in memory bounded by the text; the tree is built from those
// events. (yaml-cpp 0.7.0's parser loops forever, allocating, on malformed
// text such as `{"services": []},`, and on well-formed text such as
// `!t a\n,`: it is not used to read configs.) Parse refuses what libyaml
// refuses, and nesting, nodes and alias expansion beyond YamlLimits, each
// with the position of its cause. An alias is the node its anchor names,
// shared, not copied.
//
// A YamlTree owns its nodes; a YamlNode is a handle into a tree, valid while
// the tree lives. Immutable once parsed: safe to read from many threads.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

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

// A position in the text: 0-based line and column (in characters).
struct YamlMark {
  int line = -1;
  int column = -1;
  bool is_null() const { return line < 0; }
};

// Why a text was refused, and where.
struct YamlProblem {
  int line = 1;    // 1-based
  int column = 1;  // 1-based
  std::string message;
};

namespace yaml_internal {
struct NodeData;
}

class YamlNode {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };

  // A null node without a position: what an absent value reads as.
  YamlNode() = default;

  Kind kind() const;
  bool IsNull() const { return kind() == Kind::kNull; }
  bool IsScalar() const { return kind() == Kind::kScalar; }
  bool IsSequence() const { return kind() == Kind::kSequence; }
  bool IsMap() const { return kind() == Kind::kMap; }

  // A scalar's text ("" for other kinds). A plain, untagged "", "~", "null",
  // "Null" or "NULL" is a null node instead, as YAML's core schema says.
  const std::string& Scalar() const;
  // Whether the author marked the scalar as a string: quoted, a block
  // scalar (| or >), or tagged !!str or !.
  bool StringTagged() const;
  YamlMark Mark() const;
  // A sequence's items; empty for other kinds.
  const std::vector<YamlNode>& items() const;
  // A mapping's key-value pairs in the order written, duplicates kept;
  // empty for other kinds.
  const std::vector<std::pair<YamlNode, YamlNode>>& pairs() const;

 private:
  friend class YamlTree;
  explicit YamlNode(const yaml_internal::NodeData* data) : data_(data) {}

  const yaml_internal::NodeData* data_ = nullptr;
};

namespace yaml_internal {
struct NodeData {
  YamlNode::Kind kind = YamlNode::Kind::kNull;
  bool string_tagged = false;
  YamlMark mark;
  std::string scalar;
  std::vector<YamlNode> items;
  std::vector<std::pair<YamlNode, YamlNode>> pairs;
};
}  // namespace yaml_internal

class YamlTree {
 public:
  // The documents of `text`, or why it was refused.
  static std::variant<YamlTree, YamlProblem> Parse(std::string_view text, const YamlLimits& limits);

  // Each document's root node, in order; none for a text of only comments.
  const std::vector<YamlNode>& documents() const { return documents_; }

 private:
  YamlTree() = default;
  class Builder;

  std::deque<yaml_internal::NodeData> nodes_;  // a deque: handles stay valid as it grows
  std::vector<YamlNode> documents_;
};

}  // namespace vigil
