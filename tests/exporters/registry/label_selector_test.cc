#include "exporters/registry/label_selector.h"

#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>
#include <string_view>

namespace vigil {

// So that a failed EXPECT_EQ on selectors shows them.
void PrintTo(const LabelSelector& selector, std::ostream* os) {
  *os << "LabelSelector(\"" << selector.ToString() << "\")";
}

namespace {

using Labels = std::map<std::string, std::string>;

constexpr std::string_view kKeyHelp =
    " is not valid: the name part takes at most 63 letters, digits, \"-\", \"_\" and \".\", "
    "starting and ending with a letter or digit";
constexpr std::string_view kValueHelp =
    " is not valid: use at most 63 letters, digits, \"-\", \"_\" and \".\", starting and ending "
    "with a letter or digit";
constexpr std::string_view kOperatorHelp =
    "expected an operator (=, ==, !=, in or notin), \",\" or the end after the label key ";

LabelSelector MustParse(std::string_view text) {
  Result<LabelSelector> selector = LabelSelector::Parse(text);
  EXPECT_TRUE(selector.ok()) << text << ": " << selector.status().message();
  return selector.ok() ? *selector : LabelSelector();
}

// ---------------------------------------------------------------------------
// Matching: one selector against one label map.

struct MatchCase {
  std::string_view selector;
  Labels labels;
  bool matches;
};

std::ostream& operator<<(std::ostream& os, const MatchCase& c) {
  os << '"' << c.selector << "\" on {";
  for (const auto& [key, value] : c.labels) os << key << ':' << value << ' ';
  return os << "} -> " << (c.matches ? "match" : "no match");
}

class LabelSelectorMatchTest : public testing::TestWithParam<MatchCase> {};

TEST_P(LabelSelectorMatchTest, Matches) {
  const MatchCase& c = GetParam();
  EXPECT_EQ(MustParse(c.selector).Matches(c.labels), c.matches);
}

const Labels kWebProd = {{"app", "web"}, {"env", "prod"}};

INSTANTIATE_TEST_SUITE_P(
    LabelSelectorOperators, LabelSelectorMatchTest,
    testing::Values(
        // key=value and its synonym key==value: the key must be there, with that value.
        MatchCase{"app=web", kWebProd, true}, MatchCase{"app=api", kWebProd, false},
        MatchCase{"tier=web", kWebProd, false}, MatchCase{"app=web", {}, false},
        MatchCase{"app==web", kWebProd, true}, MatchCase{"app==api", kWebProd, false},
        MatchCase{"app==web", {}, false},
        // key!=value: also matches when the key is absent.
        MatchCase{"app!=api", kWebProd, true}, MatchCase{"app!=web", kWebProd, false},
        MatchCase{"tier!=web", kWebProd, true}, MatchCase{"app!=web", {}, true},
        // key in (...): the key must be there, with one of the values.
        MatchCase{"env in (prod,staging)", kWebProd, true},
        MatchCase{"env in (staging,prod)", kWebProd, true},
        MatchCase{"env in (dev,staging)", kWebProd, false},
        MatchCase{"tier in (prod)", kWebProd, false}, MatchCase{"env in (prod)", {}, false},
        // key notin (...): also matches when the key is absent.
        MatchCase{"env notin (dev,staging)", kWebProd, true},
        MatchCase{"env notin (dev,prod)", kWebProd, false},
        MatchCase{"tier notin (a,b)", kWebProd, true}, MatchCase{"env notin (prod)", {}, true},
        // key: exists, with any value, even "".
        MatchCase{"app", kWebProd, true}, MatchCase{"tier", kWebProd, false},
        MatchCase{"app", {{"app", ""}}, true}, MatchCase{"app", {}, false},
        // !key: does not exist.
        MatchCase{"!tier", kWebProd, true}, MatchCase{"!app", kWebProd, false},
        MatchCase{"!app", {{"app", ""}}, false}, MatchCase{"!app", {}, true},
        // Values are case-sensitive, keys too.
        MatchCase{"app=Web", kWebProd, false}, MatchCase{"App=web", kWebProd, false},
        // Keys with a prefix.
        MatchCase{"example.com/tier=a", {{"example.com/tier", "a"}}, true},
        MatchCase{"example.com/tier=a", {{"tier", "a"}}, false},
        MatchCase{"example.com/tier=a", {{"other.com/tier", "a"}}, false},
        MatchCase{"!example.com/tier", {{"tier", "a"}}, true},
        MatchCase{"example.com/tier in (a,b)", {{"example.com/tier", "b"}}, true},
        // "in" and "notin" are keywords only where an operator stands.
        MatchCase{"in in (notin)", {{"in", "notin"}}, true},
        MatchCase{"notin=in", {{"notin", "in"}}, true}, MatchCase{"in", {{"in", "x"}}, true},
        MatchCase{"!notin", {{"in", "x"}}, true}));

INSTANTIATE_TEST_SUITE_P(
    LabelSelectorEmptyValues, LabelSelectorMatchTest,
    testing::Values(
        // "a=" wants the empty value; "a!=" anything else, or no key.
        MatchCase{"a=", {{"a", ""}}, true}, MatchCase{"a=", {{"a", "x"}}, false},
        MatchCase{"a=", {}, false}, MatchCase{"a==", {{"a", ""}}, true},
        MatchCase{"a!=", {{"a", ""}}, false}, MatchCase{"a!=", {{"a", "x"}}, true},
        MatchCase{"a!=", {}, true}, MatchCase{"a=,b", {{"a", ""}, {"b", "x"}}, true},
        MatchCase{"a=,b", {{"a", ""}}, false},
        // As in Kubernetes, an empty list item is the empty value.
        MatchCase{"a in (x,)", {{"a", ""}}, true}, MatchCase{"a in (x,)", {{"a", "x"}}, true},
        MatchCase{"a in (x,)", {{"a", "y"}}, false}, MatchCase{"a in (x,)", {}, false},
        MatchCase{"a in (,x)", {{"a", ""}}, true}, MatchCase{"a in (x,,y)", {{"a", ""}}, true},
        MatchCase{"a in (x,,y)", {{"a", "y"}}, true}, MatchCase{"a in (,)", {{"a", ""}}, true},
        MatchCase{"a in (,)", {{"a", "x"}}, false}, MatchCase{"a in (x,,,)", {{"a", ""}}, true},
        MatchCase{"a notin (x,)", {}, true}, MatchCase{"a notin (x,)", {{"a", ""}}, false},
        MatchCase{"a notin (x,)", {{"a", "x"}}, false},
        MatchCase{"a notin (x,)", {{"a", "y"}}, true}));

const Labels kFull = {{"app", "alpaca"}, {"env", "prod"}, {"tier", "a"}};

INSTANTIATE_TEST_SUITE_P(
    LabelSelectorConjunctions, LabelSelectorMatchTest,
    testing::Values(MatchCase{"app=alpaca,env!=dev,tier in (a,b),!legacy", kFull, true},
                    MatchCase{"app=alpaca,env!=dev,tier in (a,b),!legacy",
                              {{"app", "alpaca"}, {"env", "dev"}, {"tier", "a"}},
                              false},
                    MatchCase{"app=alpaca,env!=dev,tier in (a,b),!legacy",
                              {{"app", "alpaca"}, {"env", "prod"}, {"tier", "c"}},
                              false},
                    MatchCase{"app=alpaca,env!=dev,tier in (a,b),!legacy",
                              {{"app", "alpaca"}, {"tier", "b"}},
                              true},
                    MatchCase{"app=alpaca,env!=dev,tier in (a,b),!legacy",
                              {{"app", "alpaca"}, {"tier", "b"}, {"legacy", "yes"}},
                              false},
                    MatchCase{"app=alpaca,env!=dev,tier in (a,b),!legacy", {{"tier", "b"}}, false},
                    MatchCase{"app,env,tier", kFull, true},
                    MatchCase{"app,env,legacy", kFull, false},
                    MatchCase{"tier notin (b,c),env notin (dev)", kFull, true},
                    MatchCase{"tier notin (a),env notin (dev)", kFull, false},
                    // Requirements that cannot all hold select nothing.
                    MatchCase{"app=alpaca,app=llama", kFull, false},
                    MatchCase{"app=alpaca,app=llama", {{"app", "llama"}}, false},
                    MatchCase{"app,!app", kFull, false}, MatchCase{"app,!app", {}, false},
                    // A repeated requirement is harmless.
                    MatchCase{"app=alpaca,app=alpaca", kFull, true}));

// ---------------------------------------------------------------------------
// The empty selector.

TEST(LabelSelectorTest, EmptySelectsEverything) {
  for (std::string_view text : {"", " ", "\t \r\n"}) {
    SCOPED_TRACE(testing::Message() << '"' << text << '"');
    const LabelSelector selector = MustParse(text);
    EXPECT_TRUE(selector.empty());
    EXPECT_EQ(selector.ToString(), "");
    EXPECT_EQ(selector, LabelSelector());
    EXPECT_TRUE(selector.Matches({}));
    EXPECT_TRUE(selector.Matches(kWebProd));
  }
}

TEST(LabelSelectorTest, DefaultConstructedSelectsEverything) {
  const LabelSelector selector;
  EXPECT_TRUE(selector.empty());
  EXPECT_TRUE(selector.Matches({}));
  EXPECT_TRUE(selector.Matches(kWebProd));
}

TEST(LabelSelectorTest, AnyRequirementMakesItNonEmpty) {
  for (std::string_view text : {"a", "!a", "a=", "a!=b", "a in (b)", "a notin (b)"}) {
    EXPECT_FALSE(MustParse(text).empty()) << text;
  }
}

TEST(LabelSelectorTest, EmptyLabelMapMatchesOnlyNegativeRequirements) {
  const Labels none;
  EXPECT_FALSE(MustParse("a=b").Matches(none));
  EXPECT_FALSE(MustParse("a in (b)").Matches(none));
  EXPECT_FALSE(MustParse("a").Matches(none));
  EXPECT_TRUE(MustParse("a!=b").Matches(none));
  EXPECT_TRUE(MustParse("a notin (b)").Matches(none));
  EXPECT_TRUE(MustParse("!a").Matches(none));
  EXPECT_TRUE(MustParse("a!=b,c notin (d),!e").Matches(none));
}

// ---------------------------------------------------------------------------
// Whitespace: any run of spaces, tabs, CR and LF around tokens is ignored.

TEST(LabelSelectorTest, WhitespaceAroundTokensIsIgnored) {
  const LabelSelector want = MustParse("app=web,env!=dev,tier in (a,b),x notin (c),y,!z");
  for (std::string_view text : {
           " app = web , env != dev , tier in ( a , b ) , x notin ( c ) , y , ! z ",
           "app=web,env!=dev,tier in(a,b),x notin(c),y,!z",
           "\tapp\t=\tweb,\nenv\r\n!=dev,tier   in   (a,\tb),x notin (c)  ,y,!   z\n",
           "app= web,env !=dev,tier in (a ,b),x notin (c ),y ,! z",
       }) {
    EXPECT_EQ(MustParse(text), want) << '"' << text << '"';
  }
}

TEST(LabelSelectorTest, WhitespaceDoesNotSplitAnOperator) {
  // "! =" is "!" then "=", not "!=": "a ! = b" is an error, not a != b.
  EXPECT_FALSE(LabelSelector::Parse("a ! = b").ok());
  EXPECT_FALSE(LabelSelector::Parse("a = = b").ok());
}

// ---------------------------------------------------------------------------
// Canonical form and equality.

TEST(LabelSelectorTest, ToStringIsCanonical) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"app=alpaca,env!=dev,tier in (a,b),!legacy", "app=alpaca,env!=dev,!legacy,tier in (a,b)"},
      {" tier in ( b , a , b ) , !legacy , env != dev , app == alpaca ",
       "app=alpaca,env!=dev,!legacy,tier in (a,b)"},
      {"a==b", "a=b"},
      {"a=", "a="},
      {"a!=", "a!="},
      {"a in (x)", "a in (x)"},
      {"a notin (y,x)", "a notin (x,y)"},
      {"a in (x,)", "a in (,x)"},
      {"a in (x,,y)", "a in (,x,y)"},
      {"a in (,)", "a in (,)"},
      {"a notin (,,,)", "a notin (,)"},
      {"b,a=x,a=x", "a=x,b"},
      {"!a,a,a notin (x),a in (y),a!=z,a=w", "a=w,a!=z,a in (y),a notin (x),a,!a"},
      {"example.com/tier=a,tier=b", "example.com/tier=a,tier=b"},
      {"in in (notin),notin=in", "in in (notin),notin=in"},
  };
  for (const auto& [text, canonical] : cases) {
    SCOPED_TRACE(text);
    const LabelSelector selector = MustParse(text);
    EXPECT_EQ(selector.ToString(), canonical);
    // Round trip: the canonical form parses to an equal selector, whose
    // canonical form is itself.
    const LabelSelector again = MustParse(selector.ToString());
    EXPECT_EQ(again, selector);
    EXPECT_EQ(again.ToString(), canonical);
  }
}

TEST(LabelSelectorTest, EqualityIgnoresSpellingNotMeaning) {
  EXPECT_EQ(MustParse("a=b"), MustParse("a==b"));
  EXPECT_EQ(MustParse("a=b,c"), MustParse("c,a=b"));
  EXPECT_EQ(MustParse("a in (x,y)"), MustParse("a in (y,x,y)"));
  EXPECT_EQ(MustParse("a=b,a=b"), MustParse("a=b"));
  EXPECT_NE(MustParse("a=b"), MustParse("a!=b"));
  EXPECT_NE(MustParse("a"), MustParse("!a"));
  EXPECT_NE(MustParse("a=b"), MustParse("a=c"));
  EXPECT_NE(MustParse("a=b"), MustParse("c=b"));
  EXPECT_NE(MustParse("a in (x)"), MustParse("a in (x,y)"));
  EXPECT_NE(MustParse("a in (x)"), MustParse("a notin (x)"));
  EXPECT_NE(MustParse("a=b"), LabelSelector());
}

// ---------------------------------------------------------------------------
// Malformed selectors: each error is exact, names the problem and where.

struct ErrorCase {
  std::string_view selector;
  std::string message;  // what follows `invalid label selector "<selector>" `
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) {
  return os << '"' << c.selector << '"';
}

class LabelSelectorErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(LabelSelectorErrorTest, ExactMessage) {
  const ErrorCase& c = GetParam();
  const Result<LabelSelector> selector = LabelSelector::Parse(c.selector);
  ASSERT_FALSE(selector.ok()) << "parsed as \"" << selector->ToString() << '"';
  EXPECT_EQ(selector.status().message(),
            "invalid label selector \"" + std::string(c.selector) + "\" " + c.message);
}

const std::string kLong(64, 'x');
const std::string kLongValueSelector = "a=" + kLong;
const std::string kLongKeySelector = kLong + "=a";

INSTANTIATE_TEST_SUITE_P(
    LabelSelectorMalformed, LabelSelectorErrorTest,
    testing::Values(
        // Unbalanced parentheses and unfinished lists.
        ErrorCase{"app in (a", "at the end: missing \")\""},
        ErrorCase{"a in (x,", "at the end: missing \")\""},
        ErrorCase{"a in (", "at the end: missing \")\""},
        ErrorCase{"a in (x))",
                  "at position 9: expected \",\" or the end after \"a in (x)\", found \")\""},
        ErrorCase{"a in ((x)", "at position 7: expected a value, \",\" or \")\", found \"(\""},
        ErrorCase{"a in (x)(y)",
                  "at position 9: expected \",\" or the end after \"a in (x)\", found \"(\""},
        ErrorCase{"a)", "at position 2: " + std::string(kOperatorHelp) + "\"a\", found \")\""},
        // in / notin without a list, or with an empty one.
        ErrorCase{"a notin", "at the end: missing \"(\" after \"notin\""},
        ErrorCase{"a in", "at the end: missing \"(\" after \"in\""},
        ErrorCase{"a in x", "at position 6: expected \"(\" after \"in\", found \"x\""},
        ErrorCase{"a in ()",
                  "at position 6: empty value list \"()\": to select the empty value write "
                  "\"a=\""},
        ErrorCase{"a notin ( )",
                  "at position 9: empty value list \"()\": to exclude the empty value write "
                  "\"a!=\""},
        ErrorCase{"a in (x,,)",
                  "at position 10: an even run of \",\" before \")\" is an error in Kubernetes; "
                  "one \",\" there adds the empty value"},
        ErrorCase{"a in (,,)",
                  "at position 9: an even run of \",\" before \")\" is an error in Kubernetes; "
                  "one \",\" there adds the empty value"},
        // Junk inside a list.
        ErrorCase{"a in (x y)",
                  "at position 9: expected \",\" or \")\" after the value \"x\", found \"y\""},
        ErrorCase{"a in (x=y)",
                  "at position 8: expected \",\" or \")\" after the value \"x\", found \"=\""},
        ErrorCase{"a in (!x)", "at position 7: expected a value, \",\" or \")\", found \"!\""},
        // A missing key, a missing or wrong operator, a value where none goes.
        ErrorCase{"=b", "at position 1: expected a label key or \"!\", found \"=\""},
        ErrorCase{"!=b", "at position 1: expected a label key or \"!\", found \"!=\""},
        ErrorCase{"in (x)", "at position 1: missing label key before \"in\""},
        ErrorCase{"notin (x)", "at position 1: missing label key before \"notin\""},
        ErrorCase{"a!b", "at position 2: " + std::string(kOperatorHelp) + "\"a\", found \"!\""},
        ErrorCase{"a b", "at position 3: " + std::string(kOperatorHelp) + "\"a\", found \"b\""},
        ErrorCase{"a (x)", "at position 3: " + std::string(kOperatorHelp) + "\"a\", found \"(\""},
        ErrorCase{"a>1",
                  "at position 2: operator \">\" is not supported: use =, ==, !=, in or notin"},
        ErrorCase{"a < 1",
                  "at position 3: operator \"<\" is not supported: use =, ==, !=, in or notin"},
        ErrorCase{"a=b=c", "at position 4: expected \",\" or the end after \"a=b\", found \"=\""},
        ErrorCase{"a===b", "at position 4: expected a value after \"==\", found \"=\""},
        ErrorCase{"a=!b", "at position 3: expected a value after \"=\", found \"!\""},
        ErrorCase{"a!==b", "at position 4: expected a value after \"!=\", found \"=\""},
        ErrorCase{"a=(b)", "at position 3: expected a value after \"=\", found \"(\""},
        ErrorCase{"a=b c", "at position 5: expected \",\" or the end after \"a=b\", found \"c\""},
        ErrorCase{"a in (x) b",
                  "at position 10: expected \",\" or the end after \"a in (x)\", found \"b\""},
        ErrorCase{"!a=b", "at position 3: expected \",\" or the end after \"!a\", found \"=\""},
        ErrorCase{"!a in (x)",
                  "at position 4: expected \",\" or the end after \"!a\", found \"in\""},
        ErrorCase{"!", "at the end: missing label key after \"!\""},
        ErrorCase{"!!a", "at position 2: expected a label key after \"!\", found \"!\""},
        ErrorCase{"!,a", "at position 2: expected a label key after \"!\", found \",\""},
        // Commas: leading, doubled, trailing.
        ErrorCase{",", "at position 1: expected a label key or \"!\", found \",\""},
        ErrorCase{",a", "at position 1: expected a label key or \"!\", found \",\""},
        ErrorCase{"a,,b", "at position 3: expected a label key or \"!\", found \",\""},
        ErrorCase{"a=b,", "at position 4: trailing \",\""},
        ErrorCase{"a=b , ", "at position 5: trailing \",\""},
        ErrorCase{"a in (x),", "at position 9: trailing \",\""},
        // Keys and values that are not labels, with names.h's message.
        ErrorCase{"-a=b", "at position 1: label key \"-a\"" + std::string(kKeyHelp)},
        ErrorCase{"a/b/c", "at position 1: label key \"a/b/c\"" + std::string(kKeyHelp)},
        ErrorCase{"x, Example.com/tier=a",
                  "at position 4: label key \"Example.com/tier\": the prefix \"Example.com\" is "
                  "not a DNS-1123 subdomain"},
        ErrorCase{"/tier",
                  "at position 1: label key \"/tier\": the prefix \"\" is not a DNS-1123 "
                  "subdomain"},
        ErrorCase{"example.com/",
                  "at position 1: label key \"example.com/\"" + std::string(kKeyHelp)},
        ErrorCase{"!a.", "at position 2: label key \"a.\"" + std::string(kKeyHelp)},
        ErrorCase{kLongKeySelector,
                  "at position 1: label key \"" + kLong + "\"" + std::string(kKeyHelp)},
        ErrorCase{"a=-b", "at position 3: label value \"-b\"" + std::string(kValueHelp)},
        ErrorCase{"a != b_", "at position 6: label value \"b_\"" + std::string(kValueHelp)},
        ErrorCase{"a=b;c=d", "at position 3: label value \"b;c\"" + std::string(kValueHelp)},
        ErrorCase{"a in (x, y/z)", "at position 10: label value \"y/z\"" + std::string(kValueHelp)},
        ErrorCase{kLongValueSelector,
                  "at position 3: label value \"" + kLong + "\"" + std::string(kValueHelp)}));

// The selector is quoted escaped, so that a message stays on one line.
TEST(LabelSelectorTest, ErrorQuotesTheSelectorEscaped) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"a=b\nc",
       "invalid label selector \"a=b\\nc\" at position 5: expected \",\" or the end "
       "after \"a=b\", found \"c\""},
      {"a=b\tc\r",
       "invalid label selector \"a=b\\tc\\r\" at position 5: expected \",\" or the "
       "end after \"a=b\", found \"c\""},
      {"a=b\x01",
       "invalid label selector \"a=b\\x01\" at position 4: unexpected control "
       "character \"\\x01\""},
      // Kubernetes stops at a NUL and would select on "a=b" alone.
      {std::string_view("a=b\0,c=d", 8),
       "invalid label selector \"a=b\\x00,c=d\" at position 4: unexpected control character "
       "\"\\x00\""},
      {"a=b\x7f",
       "invalid label selector \"a=b\\x7f\" at position 4: unexpected control "
       "character \"\\x7f\""},
      {"\x1b[0m",
       "invalid label selector \"\\x1b[0m\" at position 1: unexpected control "
       "character \"\\x1b\""},
      {"a in (x\x02)",
       "invalid label selector \"a in (x\\x02)\" at position 8: unexpected "
       "control character \"\\x02\""},
      {"a=\"b\"",
       "invalid label selector \"a=\\\"b\\\"\" at position 3: label value \"\"b\"\""
       " is not valid: use at most 63 letters, digits, \"-\", \"_\" and \".\", "
       "starting and ending with a letter or digit"},
  };
  for (const auto& [text, message] : cases) {
    const Result<LabelSelector> selector = LabelSelector::Parse(text);
    ASSERT_FALSE(selector.ok()) << text;
    EXPECT_EQ(selector.status().message(), message);
  }
}

// Kubernetes' lexer ends an identifier at an operator character, so these
// are whole selectors, not typos: accepted exactly as kubectl accepts them.
TEST(LabelSelectorTest, OperatorsNeedNoSpaces) {
  EXPECT_EQ(MustParse("a in(x)"), MustParse("a in (x)"));
  EXPECT_EQ(MustParse("a notin(x,y)"), MustParse("a notin (x,y)"));
  EXPECT_EQ(MustParse("!a,b"), MustParse("! a , b"));
  EXPECT_EQ(MustParse("a=b,c!=d"), MustParse("a = b , c != d"));
}

// A selector of well-formed labels up to the limits parses.
TEST(LabelSelectorTest, AcceptsLabelsAtTheLimits) {
  const std::string name(63, 'n');
  const std::string value(63, 'v');
  const std::string prefix = std::string(63, 'p') + "." + std::string(63, 'q');
  const LabelSelector selector = MustParse(prefix + "/" + name + "=" + value + ",A_b.C-9 in (Z)");
  EXPECT_TRUE(selector.Matches({{prefix + "/" + name, value}, {"A_b.C-9", "Z"}}));
}

// ---------------------------------------------------------------------------
// The Kubernetes dialect: Kubernetes' integer comparisons "k>N" and "k<N".

LabelSelector MustParseKubernetes(std::string_view text) {
  Result<LabelSelector> selector = LabelSelector::Parse(text, LabelSelector::Dialect::kKubernetes);
  EXPECT_TRUE(selector.ok()) << text << ": " << selector.status().message();
  return selector.ok() ? *selector : LabelSelector();
}

TEST(LabelSelectorKubernetesTest, ComparesIntegers) {
  const struct {
    std::string_view selector;
    Labels labels;
    bool matches;
  } cases[] = {
      {"replicas>2", {{"replicas", "3"}}, true},
      {"replicas>2", {{"replicas", "2"}}, false},
      {"replicas>2", {{"replicas", "10"}}, true},  // as integers, not strings
      {"replicas < 5", {{"replicas", "4"}}, true},
      {"replicas<5", {{"replicas", "5"}}, false},
      {"replicas<5", {{"replicas", "10"}}, false},
      {"replicas>007", {{"replicas", "8"}}, true},
      {"replicas>7", {{"replicas", "008"}}, true},
      // Absent, or not an integer: no match either way, as in Kubernetes.
      {"replicas>2", {}, false},
      {"replicas<2", {}, false},
      {"replicas<2", {{"replicas", "one"}}, false},
      {"replicas>2", {{"replicas", "3a"}}, false},
      {"replicas<2", {{"replicas", ""}}, false},
      {"replicas>2", {{"replicas", "99999999999999999999"}}, false},  // beyond int64
      {"big>9223372036854775806", {{"big", "9223372036854775807"}}, true},
      {"big<9223372036854775807", {{"big", "9223372036854775807"}}, false},
      {"a>1,a<3", {{"a", "2"}}, true},
      {"a>1,a<3", {{"a", "3"}}, false},
      {"a>1,app=web", {{"a", "2"}, {"app", "web"}}, true},
      {"a>1,app=web", {{"a", "2"}, {"app", "db"}}, false},
      // The set operators mean the same in both dialects.
      {"app in (web,db),!legacy", {{"app", "db"}}, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MustParseKubernetes(c.selector).Matches(c.labels), c.matches) << c.selector;
  }
}

TEST(LabelSelectorKubernetesTest, RejectsWhatIsNotAnInteger) {
  const std::pair<std::string_view, std::string> cases[] = {
      {"a>", "at the end: missing an integer after \">\""},
      {"a<,b", "at position 3: missing an integer after \"<\""},
      {"a>b", "at position 3: the value \"b\" after \">\" is not an integer (a decimal int64)"},
      {"a>1.5", "at position 3: the value \"1.5\" after \">\" is not an integer (a decimal int64)"},
      {"a>9223372036854775808",
       "at position 3: the value \"9223372036854775808\" after \">\" is not an integer (a "
       "decimal int64)"},
      {"a>-1", "at position 3: label value \"-1\"" + std::string(kValueHelp)},
      {"a>(1)", "at position 3: expected an integer after \">\", found \"(\""},
      {"a><1", "at position 3: expected an integer after \">\", found \"<\""},
      {"a>=1", "at position 3: expected an integer after \">\", found \"=\""},
      {"a>1 2", "at position 5: expected \",\" or the end after \"a>1\", found \"2\""},
      {"!a>1", "at position 3: expected \",\" or the end after \"!a\", found \">\""},
  };
  for (const auto& [text, problem] : cases) {
    const Result<LabelSelector> selector =
        LabelSelector::Parse(text, LabelSelector::Dialect::kKubernetes);
    ASSERT_FALSE(selector.ok()) << text;
    EXPECT_EQ(selector.status().message(),
              "invalid label selector \"" + std::string(text) + "\" " + problem);
  }
}

// vigil's own API keeps refusing the comparisons (see LabelSelectorMalformed).
TEST(LabelSelectorKubernetesTest, OnlyTheKubernetesDialectCompares) {
  EXPECT_FALSE(LabelSelector::Parse("a>1").ok());
  EXPECT_FALSE(LabelSelector::Parse("a<1", LabelSelector::Dialect::kVigil).ok());
  EXPECT_TRUE(LabelSelector::Parse("a<1", LabelSelector::Dialect::kKubernetes).ok());
}

TEST(LabelSelectorKubernetesTest, CanonicalFormRoundTrips) {
  const LabelSelector selector = MustParseKubernetes("b < 5, a>1, a, a>1, app=web");
  EXPECT_EQ(selector.ToString(), "a,a>1,app=web,b<5");
  EXPECT_EQ(MustParseKubernetes(selector.ToString()), selector);
  EXPECT_NE(MustParseKubernetes("a>1"), MustParseKubernetes("a<1"));
  EXPECT_NE(MustParseKubernetes("a>1"), MustParseKubernetes("a>2"));
}

}  // namespace
}  // namespace vigil
