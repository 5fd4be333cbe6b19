#include "config/yaml_precheck.h"

#include <yaml.h>

#include <cstdio>
#include <map>
#include <vector>

namespace vigil {
namespace {

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

std::string AnchorOf(const yaml_event_t& event) {
  const yaml_char_t* anchor = nullptr;
  if (event.type == YAML_SCALAR_EVENT) anchor = event.data.scalar.anchor;
  if (event.type == YAML_SEQUENCE_START_EVENT) anchor = event.data.sequence_start.anchor;
  if (event.type == YAML_MAPPING_START_EVENT) anchor = event.data.mapping_start.anchor;
  return anchor == nullptr ? std::string() : reinterpret_cast<const char*>(anchor);
}

}  // namespace

std::optional<YamlProblem> PrecheckYaml(std::string_view text, const YamlLimits& limits) {
  Parser parser(text);
  if (!parser.ok()) return YamlProblem{1, 1, "cannot start the YAML parser (out of memory)"};

  // A list or mapping not yet ended: where its nodes start in `expanded`.
  struct Open {
    size_t first = 0;
    std::string anchor;
  };
  std::vector<Open> open;
  // Each anchor of the current document, with the nodes it names, aliases
  // in it expanded. An anchor is defined once its node has ended.
  std::map<std::string, size_t, std::less<>> anchors;
  size_t written = 0;   // nodes in the text
  size_t expanded = 0;  // nodes with every alias expanded
  size_t repeated = 0;  // nodes that aliases added

  for (;;) {
    Event event;
    if (yaml_parser_parse(parser.get(), event.get()) == 0) {
      return SyntaxError(text, *parser.get());
    }
    const yaml_event_t& e = *event;
    switch (e.type) {
      case YAML_STREAM_END_EVENT:
        return std::nullopt;
      case YAML_DOCUMENT_START_EVENT:
        anchors.clear();  // anchors do not reach across documents
        break;
      case YAML_SCALAR_EVENT:
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (++written > limits.max_nodes) {
          return At(e.start_mark, "the file holds more than " + std::to_string(limits.max_nodes) +
                                      " YAML nodes (values, lists and mappings)");
        }
        ++expanded;
        std::string anchor = AnchorOf(e);
        if (e.type == YAML_SCALAR_EVENT) {
          if (!anchor.empty()) anchors[anchor] = 1;
          break;
        }
        if (static_cast<int>(open.size()) >= limits.max_depth) {
          return At(e.start_mark, "lists and mappings are nested more than " +
                                      std::to_string(limits.max_depth) + " deep");
        }
        open.push_back(Open{expanded - 1, std::move(anchor)});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (!open.empty()) {
          if (!open.back().anchor.empty()) {
            anchors[open.back().anchor] = expanded - open.back().first;
          }
          open.pop_back();
        }
        break;
      case YAML_ALIAS_EVENT: {
        const std::string name = reinterpret_cast<const char*>(e.data.alias.anchor);
        const auto it = anchors.find(name);
        if (it == anchors.end()) {
          for (const Open& o : open) {
            if (o.anchor == name) {
              return At(e.start_mark,
                        "alias *" + name + " is inside the node that &" + name + " names");
            }
          }
          return At(e.start_mark, "alias *" + name + " names no anchor defined before it");
        }
        repeated += it->second;
        if (repeated > limits.max_alias_nodes) {
          return At(e.start_mark, "alias *" + name + " repeats " + std::to_string(it->second) +
                                      " nodes: aliases may add at most " +
                                      std::to_string(limits.max_alias_nodes) + " in all");
        }
        expanded += it->second;
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace vigil
