#include "exporters/registry/label_selector.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "config/names.h"

namespace vigil {
namespace {

// Kubernetes' lexer: whitespace separates tokens, and these bytes are tokens
// of their own ("==" and "!=" are read greedily); any other run of bytes is an
// identifier (a key, a value, or the keywords "in" and "notin").
bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsSymbol(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}
bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && !IsWhitespace(c)) || u == 0x7f;
}

// `s` in double quotes, escaped so that a message stays on one line.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (IsControl(c)) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

enum class TokenKind {
  kIdentifier,
  kComma,
  kOpenParen,
  kCloseParen,
  kNot,
  kEquals,
  kDoubleEquals,
  kNotEquals,
  kGreater,
  kLess,
  kControl,  // a control character, an error wherever it is
  kEnd,
};

struct Token {
  TokenKind kind;
  std::string_view text;
  size_t pos;  // byte offset in the selector; its size at kEnd
};

std::vector<Token> Lex(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < text.size() && IsWhitespace(text[i])) ++i;
    if (i == text.size()) break;
    const size_t start = i;
    TokenKind kind = TokenKind::kIdentifier;
    if (IsControl(text[i])) {
      kind = TokenKind::kControl;
      ++i;
    } else if (IsSymbol(text[i])) {
      const std::string_view two = text.substr(i, 2);
      if (two == "==" || two == "!=") {
        kind = two == "==" ? TokenKind::kDoubleEquals : TokenKind::kNotEquals;
        i += 2;
      } else {
        switch (text[i]) {
          case ',':
            kind = TokenKind::kComma;
            break;
          case '(':
            kind = TokenKind::kOpenParen;
            break;
          case ')':
            kind = TokenKind::kCloseParen;
            break;
          case '!':
            kind = TokenKind::kNot;
            break;
          case '=':
            kind = TokenKind::kEquals;
            break;
          case '>':
            kind = TokenKind::kGreater;
            break;
          default:
            kind = TokenKind::kLess;
            break;
        }
        ++i;
      }
    } else {
      while (i < text.size() && !IsWhitespace(text[i]) && !IsSymbol(text[i]) &&
             !IsControl(text[i])) {
        ++i;
      }
    }
    tokens.push_back({kind, text.substr(start, i - start), start});
  }
  tokens.push_back({TokenKind::kEnd, {}, text.size()});
  return tokens;
}

bool IsKeyword(const Token& t) {
  return t.kind == TokenKind::kIdentifier && (t.text == "in" || t.text == "notin");
}

// How an error names what it found.
std::string Found(const Token& t) { return t.kind == TokenKind::kEnd ? "the end" : Quote(t.text); }

// Kubernetes' strconv.ParseInt(s, 10, 64), for the values a label may hold
// (a label value never starts with a sign).
bool ParseInt64(std::string_view s, int64_t* value) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), *value);
  return error == std::errc() && end == s.data() + s.size();
}

}  // namespace

// A recursive-descent parser over the token list, one requirement at a time.
// Like Kubernetes', it reads "in" and "notin" as keywords only where an
// operator may stand, so they are ordinary keys and values elsewhere
// ("in in (notin)").
class LabelSelector::Parser {
 public:
  Parser(std::string_view text, Dialect dialect)
      : text_(text), dialect_(dialect), tokens_(Lex(text)) {}

  Result<std::vector<Requirement>> ParseAll() {
    std::vector<Requirement> requirements;
    if (Peek().kind == TokenKind::kEnd) return requirements;
    while (true) {
      const size_t start = Peek().pos;
      Result<Requirement> requirement = ParseRequirement();
      if (!requirement.ok()) return requirement.status();
      requirements.push_back(std::move(requirement).value());
      const std::string_view source = text_.substr(start, consumed_end_ - start);
      const Token& t = Next();
      if (t.kind == TokenKind::kEnd) return requirements;
      if (t.kind != TokenKind::kComma) {
        return Unexpected(
            t, "expected \",\" or the end after " + Quote(source) + ", found " + Found(t));
      }
      if (Peek().kind == TokenKind::kEnd) return Error(t, "trailing \",\"");
    }
  }

 private:
  const Token& Peek() const { return tokens_[next_]; }

  const Token& Next() {
    const Token& t = tokens_[next_];
    if (t.kind != TokenKind::kEnd) {
      ++next_;
      consumed_end_ = t.pos + t.text.size();
    }
    return t;
  }

  Status Error(const Token& at, const std::string& problem) const {
    const std::string where =
        at.kind == TokenKind::kEnd ? "at the end" : "at position " + std::to_string(at.pos + 1);
    return Status::Error("invalid label selector " + Quote(text_) + " " + where + ": " + problem);
  }

  // A control character is reported as itself, whatever was expected there.
  Status Unexpected(const Token& t, const std::string& problem) const {
    if (t.kind == TokenKind::kControl) return Error(t, "unexpected control character " + Found(t));
    return Error(t, problem);
  }

  Result<Requirement> ParseRequirement() {
    Requirement r;
    const Token* key = &Next();
    if (key->kind == TokenKind::kNot) {
      r.op = Operator::kDoesNotExist;
      key = &Next();
      if (key->kind == TokenKind::kEnd) return Error(*key, "missing label key after \"!\"");
      if (key->kind != TokenKind::kIdentifier) {
        return Unexpected(*key, "expected a label key after \"!\", found " + Found(*key));
      }
    } else if (key->kind != TokenKind::kIdentifier) {
      return Unexpected(*key, "expected a label key or \"!\", found " + Found(*key));
    } else if (IsKeyword(*key) && Peek().kind == TokenKind::kOpenParen) {
      return Error(*key, "missing label key before " + Quote(key->text));
    }
    if (Status s = CheckLabelKey(key->text); !s.ok()) return Error(*key, s.message());
    r.key = std::string(key->text);
    if (r.op == Operator::kDoesNotExist) return r;  // what follows must be "," or the end

    const Token& op = Peek();
    if (op.kind == TokenKind::kEnd || op.kind == TokenKind::kComma) return r;  // exists
    Next();
    Status status;
    switch (op.kind) {
      case TokenKind::kEquals:
      case TokenKind::kDoubleEquals:
        r.op = Operator::kEquals;
        status = ParseValue(op, r.values);
        break;
      case TokenKind::kNotEquals:
        r.op = Operator::kNotEquals;
        status = ParseValue(op, r.values);
        break;
      case TokenKind::kGreater:
      case TokenKind::kLess:
        if (dialect_ == Dialect::kVigil) {
          return Error(
              op, "operator " + Quote(op.text) + " is not supported: use =, ==, !=, in or notin");
        }
        r.op = op.kind == TokenKind::kGreater ? Operator::kGreaterThan : Operator::kLessThan;
        status = ParseInteger(op, r.values);
        break;
      default:
        if (!IsKeyword(op)) {
          return Unexpected(op,
                            "expected an operator (=, ==, !=, in or notin), \",\" or the end "
                            "after the label key " +
                                Quote(r.key) + ", found " + Found(op));
        }
        r.op = op.text == "in" ? Operator::kIn : Operator::kNotIn;
        status = ParseValueList(op, r);
        break;
    }
    if (!status.ok()) return status;
    return r;
  }

  // The value after =, == or !=; "" when the requirement ends there ("a=").
  Status ParseValue(const Token& op, std::vector<std::string>& values) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kEnd || t.kind == TokenKind::kComma) {
      values.emplace_back();
      return Status::Ok();
    }
    Next();
    if (t.kind != TokenKind::kIdentifier) {
      return Unexpected(t, "expected a value after " + Quote(op.text) + ", found " + Found(t));
    }
    if (Status s = CheckLabelValue(t.text); !s.ok()) return Error(t, s.message());
    values.emplace_back(t.text);
    return Status::Ok();
  }

  // The integer after > or <: a label value that is a decimal int64.
  Status ParseInteger(const Token& op, std::vector<std::string>& values) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kEnd || t.kind == TokenKind::kComma) {
      return Error(t, "missing an integer after " + Quote(op.text));
    }
    Next();
    if (t.kind != TokenKind::kIdentifier) {
      return Unexpected(t, "expected an integer after " + Quote(op.text) + ", found " + Found(t));
    }
    if (Status s = CheckLabelValue(t.text); !s.ok()) return Error(t, s.message());
    int64_t unused;
    if (!ParseInt64(t.text, &unused)) {
      return Error(t, "the value " + Quote(t.text) + " after " + Quote(op.text) +
                          " is not an integer (a decimal int64)");
    }
    values.emplace_back(t.text);
    return Status::Ok();
  }

  // "(v1,v2,...)" after in or notin. As in Kubernetes, a list item may be
  // empty and then is the empty value: "(x,)", "(,x)" and "(x,,y)" hold "",
  // and "(,)" holds "" alone. Kubernetes' parser takes the commas of a run in
  // pairs, so it rejects an even run of commas right before ")" — "(x,,)" and
  // "(,,)" are errors there while "(x,)" and "(x,,,)" are not — and so do we:
  // whatever vigil accepts means the same to kubectl. Unlike Kubernetes, "()"
  // is an error (see Parse).
  Status ParseValueList(const Token& op, Requirement& r) {
    const Token& open = Next();
    if (open.kind == TokenKind::kEnd) return Error(open, "missing \"(\" after " + Quote(op.text));
    if (open.kind != TokenKind::kOpenParen) {
      return Unexpected(open, "expected \"(\" after " + Quote(op.text) + ", found " + Found(open));
    }
    if (Peek().kind == TokenKind::kCloseParen) {
      return Error(open, "empty value list \"()\": to " +
                             std::string(r.op == Operator::kIn ? "select" : "exclude") +
                             " the empty value write " +
                             Quote(r.key + (r.op == Operator::kIn ? "=" : "!=")));
    }
    std::vector<std::string>& values = r.values;
    bool expect_value = true;  // at the start and after a comma
    int comma_run = 0;
    const Token* last_value = nullptr;
    while (true) {
      const Token& t = Next();
      switch (t.kind) {
        case TokenKind::kIdentifier:
          if (!expect_value) {
            return Error(t, "expected \",\" or \")\" after the value " + Quote(last_value->text) +
                                ", found " + Found(t));
          }
          if (Status s = CheckLabelValue(t.text); !s.ok()) return Error(t, s.message());
          values.emplace_back(t.text);
          last_value = &t;
          expect_value = false;
          comma_run = 0;
          break;
        case TokenKind::kComma:
          if (expect_value) values.emplace_back();
          expect_value = true;
          ++comma_run;
          break;
        case TokenKind::kCloseParen:
          if (comma_run > 0 && comma_run % 2 == 0) {
            return Error(t,
                         "an even run of \",\" before \")\" is an error in Kubernetes; one \",\" "
                         "there adds the empty value");
          }
          if (expect_value) values.emplace_back();
          std::sort(values.begin(), values.end());
          values.erase(std::unique(values.begin(), values.end()), values.end());
          return Status::Ok();
        case TokenKind::kEnd:
          return Error(t, "missing \")\"");
        default:
          if (expect_value) {
            return Unexpected(t, "expected a value, \",\" or \")\", found " + Found(t));
          }
          return Unexpected(t, "expected \",\" or \")\" after the value " +
                                   Quote(last_value->text) + ", found " + Found(t));
      }
    }
  }

  const std::string_view text_;
  const Dialect dialect_;
  const std::vector<Token> tokens_;
  size_t next_ = 0;          // index of the next token
  size_t consumed_end_ = 0;  // byte offset just past the last token taken
};

LabelSelector::LabelSelector(std::vector<Requirement> requirements)
    : requirements_(std::move(requirements)) {
  std::sort(requirements_.begin(), requirements_.end());
  requirements_.erase(std::unique(requirements_.begin(), requirements_.end()), requirements_.end());
}

Result<LabelSelector> LabelSelector::Parse(std::string_view text, Dialect dialect) {
  Result<std::vector<Requirement>> requirements = Parser(text, dialect).ParseAll();
  if (!requirements.ok()) return requirements.status();
  return LabelSelector(std::move(requirements).value());
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Requirement& r : requirements_) {
    const auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool listed = has && std::binary_search(r.values.begin(), r.values.end(), it->second);
    bool ok = false;
    switch (r.op) {
      case Operator::kEquals:
      case Operator::kIn:
        ok = listed;
        break;
      case Operator::kNotEquals:
      case Operator::kNotIn:
        ok = !listed;
        break;
      case Operator::kExists:
        ok = has;
        break;
      case Operator::kDoesNotExist:
        ok = !has;
        break;
      case Operator::kGreaterThan:
      case Operator::kLessThan: {
        int64_t actual, bound;
        ok = has && ParseInt64(it->second, &actual) && ParseInt64(r.values.front(), &bound) &&
             (r.op == Operator::kGreaterThan ? actual > bound : actual < bound);
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

std::string LabelSelector::ToString() const {
  std::string out;
  for (const Requirement& r : requirements_) {
    if (!out.empty()) out += ',';
    switch (r.op) {
      case Operator::kEquals:
        out += r.key + "=" + r.values.front();
        break;
      case Operator::kNotEquals:
        out += r.key + "!=" + r.values.front();
        break;
      case Operator::kIn:
      case Operator::kNotIn: {
        out += r.key + (r.op == Operator::kIn ? " in (" : " notin (");
        for (size_t i = 0; i < r.values.size(); ++i) {
          if (i > 0) out += ',';
          out += r.values[i];
        }
        // The empty value alone is "(,)": "()" does not parse.
        if (r.values.size() == 1 && r.values.front().empty()) out += ',';
        out += ')';
        break;
      }
      case Operator::kExists:
        out += r.key;
        break;
      case Operator::kDoesNotExist:
        out += "!" + r.key;
        break;
      case Operator::kGreaterThan:
        out += r.key + ">" + r.values.front();
        break;
      case Operator::kLessThan:
        out += r.key + "<" + r.values.front();
        break;
    }
  }
  return out;
}

}  // namespace vigil
