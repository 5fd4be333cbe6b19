#include "exporters/registry/field_selector.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace vigil {
namespace {

// `s` in double quotes, escaped so that a message stays on one line.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Kubernetes' splitTerms: the terms between unescaped commas, escapes kept.
std::vector<std::string_view> SplitTerms(std::string_view text) {
  std::vector<std::string_view> terms;
  if (text.empty()) return terms;
  size_t start = 0;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (escaped) {
      escaped = false;
    } else if (text[i] == '\\') {
      escaped = true;
    } else if (text[i] == ',') {
      terms.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(text.substr(start));
  return terms;
}

}  // namespace

FieldSelector::FieldSelector(std::vector<Term> terms) : terms_(std::move(terms)) {
  std::sort(terms_.begin(), terms_.end());
  terms_.erase(std::unique(terms_.begin(), terms_.end()), terms_.end());
}

Result<FieldSelector> FieldSelector::Parse(std::string_view text) {
  const auto error = [&](std::string_view term, const std::string& problem) {
    return Status::Error("invalid field selector " + Quote(text) + ": the term " + Quote(term) +
                         " " + problem);
  };
  std::vector<Term> terms;
  for (const std::string_view term : SplitTerms(text)) {
    if (term.empty()) continue;
    // Kubernetes' splitTerm: the first operator from the left, "!=" and "=="
    // tried before "=" at each position; the field cannot be escaped.
    size_t op_at = std::string_view::npos;
    size_t op_size = 0;
    for (size_t i = 0; i < term.size() && op_at == std::string_view::npos; ++i) {
      const std::string_view rest = term.substr(i);
      if (rest.starts_with("!=") || rest.starts_with("==")) {
        op_at = i;
        op_size = 2;
      } else if (rest.starts_with("=")) {
        op_at = i;
        op_size = 1;
      }
    }
    if (op_at == std::string_view::npos) {
      return error(term, "has no operator: use field=value, field==value or field!=value");
    }
    Term t;
    t.field = std::string(term.substr(0, op_at));
    t.equals = term[op_at] == '=';
    const std::string_view raw = term.substr(op_at + op_size);
    bool escaped = false;
    for (const char c : raw) {
      if (escaped) {
        if (c != '\\' && c != ',' && c != '=') {
          return error(term, "has the escape " + Quote(std::string("\\") + c) +
                                 " in its value: only \"\\\\\", \"\\,\" and \"\\=\" are escapes");
        }
        t.value += c;
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '=') {
        // (An unescaped "," has ended the term already.)
        return error(term, "has an unescaped \"=\" in its value: write \"\\=\"");
      } else {
        t.value += c;
      }
    }
    if (escaped) return error(term, "ends in a lone \"\\\": write \"\\\\\" for a backslash");
    terms.push_back(std::move(t));
  }
  return FieldSelector(std::move(terms));
}

Status FieldSelector::CheckFields(std::span<const std::string_view> supported) const {
  for (const Term& t : terms_) {
    if (std::find(supported.begin(), supported.end(), t.field) == supported.end()) {
      return Status::Error("field label not supported: " + t.field);
    }
  }
  return Status::Ok();
}

bool FieldSelector::Matches(const Fields& fields) const {
  for (const Term& t : terms_) {
    const auto it = fields.find(t.field);
    const std::string_view value = it == fields.end() ? std::string_view() : it->second;
    if ((value == t.value) != t.equals) return false;
  }
  return true;
}

std::optional<std::string> FieldSelector::RequiredValue(std::string_view field) const {
  for (const Term& t : terms_) {
    if (t.equals && t.field == field) return t.value;
  }
  return std::nullopt;
}

std::string FieldSelector::ToString() const {
  std::string out;
  for (const Term& t : terms_) {
    if (!out.empty()) out += ',';
    out += t.field;
    out += t.equals ? "=" : "!=";
    for (const char c : t.value) {
      if (c == '\\' || c == ',' || c == '=') out += '\\';
      out += c;
    }
  }
  return out;
}

}  // namespace vigil
