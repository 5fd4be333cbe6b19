#include "config/yaml_tree.h"

#include <yaml.h>

#include <cstdio>
#include <map>

namespace vigil {
namespace {

const yaml_internal::NodeData kNullData;

// Owns a libyaml parser for the length of a scope.
class Parser {
 public:
  explicit Parser(std::string_view text) {
    ok_ = yaml_parser_initialize(&parser_) != 0;
    if (ok_) {
      yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                   text.size());
    }
  }
  ~Parser() {
    if (ok_) yaml_parser_delete(&parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  bool ok() const { return ok_; }
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_{};
  bool ok_ = false;
};

// Owns one event from yaml_parser_parse.
class Event {
 public:
  Event() = default;
  ~Event() { yaml_event_delete(&event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  yaml_event_t* get() { return &event_; }
  const yaml_event_t& operator*() const { return event_; }

 private:
  yaml_event_t event_{};
};

YamlMark MarkOf(const yaml_mark_t& mark) {
  return YamlMark{static_cast<int>(mark.line), static_cast<int>(mark.column)};
}

YamlProblem At(const yaml_mark_t& mark, std::string message) {
  return YamlProblem{static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1,
                     std::move(message)};
}

// The 1-based line and column of byte `offset`, for reader errors, which
// carry an offset rather than a mark.
YamlProblem AtOffset(std::string_view text, size_t offset, std::string message) {
  YamlProblem problem;
  problem.message = std::move(message);
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++problem.line;
      problem.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++problem.column;  // a character starts here, not a UTF-8 continuation byte
    }
  }
  return problem;
}

YamlProblem SyntaxError(std::string_view text, const yaml_parser_t& parser) {
  std::string message = "YAML syntax error: ";
  message += parser.problem != nullptr ? parser.problem : "cannot parse the text";
  if (parser.error == YAML_MEMORY_ERROR) return YamlProblem{1, 1, message + " (out of memory)"};
  if (parser.error == YAML_READER_ERROR) {
    if (parser.problem_value >= 0) {
      char value[16];
      std::snprintf(value, sizeof value, " (0x%X)", static_cast<unsigned>(parser.problem_value));
      message += value;
    }
    return AtOffset(text, parser.problem_offset, std::move(message));
  }
  if (parser.context != nullptr) {
    message += " (" + std::string(parser.context) + " from line " +
               std::to_string(parser.context_mark.line + 1) + ", column " +
               std::to_string(parser.context_mark.column + 1) + ")";
  }
  return At(parser.problem_mark, std::move(message));
}

std::string Text(const yaml_char_t* text) {
  return text == nullptr ? std::string() : reinterpret_cast<const char*>(text);
}

bool IsNullString(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

}  // namespace

YamlNode::Kind YamlNode::kind() const { return (data_ ? data_ : &kNullData)->kind; }
const std::string& YamlNode::Scalar() const { return (data_ ? data_ : &kNullData)->scalar; }
bool YamlNode::StringTagged() const { return data_ != nullptr && data_->string_tagged; }
YamlMark YamlNode::Mark() const { return data_ ? data_->mark : YamlMark(); }
const std::vector<YamlNode>& YamlNode::items() const { return (data_ ? data_ : &kNullData)->items; }
const std::vector<std::pair<YamlNode, YamlNode>>& YamlNode::pairs() const {
  return (data_ ? data_ : &kNullData)->pairs;
}

// Turns libyaml's events into nodes, counting against the limits.
class YamlTree::Builder {
 public:
  Builder(YamlTree& tree, const YamlLimits& limits) : tree_(tree), limits_(limits) {}

  // Takes one event; a problem refuses the text.
  std::optional<YamlProblem> Take(const yaml_event_t& e) {
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        anchors_.clear();  // anchors do not reach across documents
        return std::nullopt;
      case YAML_SCALAR_EVENT:
        return Scalar(e);
      case YAML_SEQUENCE_START_EVENT:
        return Start(e, YamlNode::Kind::kSequence, Text(e.data.sequence_start.anchor));
      case YAML_MAPPING_START_EVENT:
        return Start(e, YamlNode::Kind::kMap, Text(e.data.mapping_start.anchor));
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (!open_.empty()) {
          const Open& o = open_.back();
          if (!o.anchor.empty()) anchors_[o.anchor] = Anchor{o.node, expanded_ - o.first};
          open_.pop_back();
        }
        return std::nullopt;
      case YAML_ALIAS_EVENT:
        return Alias(e);
      default:
        return std::nullopt;
    }
  }

 private:
  struct Open {
    yaml_internal::NodeData* node = nullptr;
    size_t first = 0;  // where its nodes start in expanded_
    std::string anchor;
    std::optional<YamlNode> key;  // a mapping's key awaiting its value
  };
  struct Anchor {
    const yaml_internal::NodeData* node = nullptr;
    size_t nodes = 0;  // aliases in it expanded
  };

  std::optional<YamlProblem> Count(const yaml_event_t& e) {
    if (++written_ > limits_.max_nodes) {
      return At(e.start_mark, "the file holds more than " + std::to_string(limits_.max_nodes) +
                                  " YAML nodes (values, lists and mappings)");
    }
    ++expanded_;
    return std::nullopt;
  }

  yaml_internal::NodeData* New(const yaml_event_t& e, YamlNode::Kind kind) {
    yaml_internal::NodeData& data = tree_.nodes_.emplace_back();
    data.kind = kind;
    data.mark = MarkOf(e.start_mark);
    return &data;
  }

  // Places `node` in the list or mapping open, or makes it a document.
  void Place(YamlNode node) {
    if (open_.empty()) {
      tree_.documents_.push_back(node);
      return;
    }
    Open& o = open_.back();
    if (o.node->kind == YamlNode::Kind::kSequence) {
      o.node->items.push_back(node);
    } else if (!o.key) {
      o.key = node;
    } else {
      o.node->pairs.emplace_back(*o.key, node);
      o.key.reset();
    }
  }

  std::optional<YamlProblem> Scalar(const yaml_event_t& e) {
    if (auto problem = Count(e)) return problem;
    const auto& s = e.data.scalar;
    std::string value(reinterpret_cast<const char*>(s.value), s.length);
    const std::string tag = Text(s.tag);
    const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    yaml_internal::NodeData* data =
        New(e, tag.empty() && plain && IsNullString(value) ? YamlNode::Kind::kNull
                                                           : YamlNode::Kind::kScalar);
    if (data->kind == YamlNode::Kind::kScalar) {
      data->string_tagged = tag.empty() ? !plain : tag == "!" || tag == YAML_STR_TAG;
      data->scalar = std::move(value);
    }
    if (const std::string anchor = Text(s.anchor); !anchor.empty()) {
      anchors_[anchor] = Anchor{data, 1};
    }
    Place(YamlNode(data));
    return std::nullopt;
  }

  std::optional<YamlProblem> Start(const yaml_event_t& e, YamlNode::Kind kind, std::string anchor) {
    if (auto problem = Count(e)) return problem;
    if (static_cast<int>(open_.size()) >= limits_.max_depth) {
      return At(e.start_mark, "lists and mappings are nested more than " +
                                  std::to_string(limits_.max_depth) + " deep");
    }
    yaml_internal::NodeData* data = New(e, kind);
    Place(YamlNode(data));
    open_.push_back(Open{data, expanded_ - 1, std::move(anchor), std::nullopt});
    return std::nullopt;
  }

  std::optional<YamlProblem> Alias(const yaml_event_t& e) {
    const std::string name = Text(e.data.alias.anchor);
    const auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      for (const Open& o : open_) {
        if (o.anchor == name) {
          return At(e.start_mark,
                    "alias *" + name + " is inside the node that &" + name + " names");
        }
      }
      return At(e.start_mark, "alias *" + name + " names no anchor defined before it");
    }
    repeated_ += it->second.nodes;
    if (repeated_ > limits_.max_alias_nodes) {
      return At(e.start_mark, "alias *" + name + " repeats " + std::to_string(it->second.nodes) +
                                  " nodes: aliases may add at most " +
                                  std::to_string(limits_.max_alias_nodes) + " in all");
    }
    expanded_ += it->second.nodes;
    Place(YamlNode(it->second.node));
    return std::nullopt;
  }

  YamlTree& tree_;
  const YamlLimits& limits_;
  std::vector<Open> open_;
  std::map<std::string, Anchor, std::less<>> anchors_;  // of the current document
  size_t written_ = 0;                                  // nodes in the text
  size_t expanded_ = 0;                                 // nodes with every alias expanded
  size_t repeated_ = 0;                                 // nodes that aliases added
};

std::variant<YamlTree, YamlProblem> YamlTree::Parse(std::string_view text,
                                                    const YamlLimits& limits) {
  Parser parser(text);
  if (!parser.ok()) return YamlProblem{1, 1, "cannot start the YAML parser (out of memory)"};
  YamlTree tree;
  Builder builder(tree, limits);
  for (;;) {
    Event event;
    if (yaml_parser_parse(parser.get(), event.get()) == 0) {
      return SyntaxError(text, *parser.get());
    }
    if ((*event).type == YAML_STREAM_END_EVENT) return tree;
    if (std::optional<YamlProblem> problem = builder.Take(*event)) return *std::move(problem);
  }
}

}  // namespace vigil
