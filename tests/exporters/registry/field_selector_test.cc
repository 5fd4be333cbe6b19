#include "exporters/registry/field_selector.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

namespace vigil {

void PrintTo(const FieldSelector& selector, std::ostream* os) {
  *os << "FieldSelector(\"" << selector.ToString() << "\")";
}

namespace {

using Fields = FieldSelector::Fields;

FieldSelector MustParse(std::string_view text) {
  Result<FieldSelector> selector = FieldSelector::Parse(text);
  EXPECT_TRUE(selector.ok()) << text << ": " << selector.status().message();
  return selector.ok() ? *selector : FieldSelector();
}

const Fields kEvent = {
    {"metadata.name", "alpaca-prod.18ed17a053884e01"},
    {"metadata.namespace", "default"},
    {"involvedObject.kind", "Endpoints"},
    {"involvedObject.name", "alpaca-prod"},
    {"reason", "Unhealthy"},
    {"type", "Warning"},
    {"involvedObject.fieldPath", ""},
};

TEST(FieldSelectorTest, MatchesEveryTerm) {
  const struct {
    std::string_view selector;
    bool matches;
  } cases[] = {
      {"", true},
      {"metadata.name=alpaca-prod.18ed17a053884e01", true},
      {"metadata.name==alpaca-prod.18ed17a053884e01", true},
      {"metadata.name=alpaca-prod", false},
      {"metadata.name!=alpaca-prod", true},
      {"metadata.name!=alpaca-prod.18ed17a053884e01", false},
      // kubectl describe endpoints' query, and kubectl events --for's.
      {"involvedObject.name=alpaca-prod,involvedObject.namespace=default,"
       "involvedObject.kind=Endpoints",
       false},  // involvedObject.namespace is absent from kEvent: ""
      {"involvedObject.kind=Endpoints,involvedObject.name=alpaca-prod", true},
      {"type=Warning,reason=Unhealthy", true},
      {"type=Warning,reason!=Unhealthy", false},
      {"type!=Normal", true},
      // A field the object lacks, or has empty, has the value "".
      {"source=", true},
      {"source!=", false},
      {"source=vigil", false},
      {"involvedObject.fieldPath=", true},
      {"involvedObject.fieldPath!=", false},
      // Empty terms are skipped, as in Kubernetes.
      {",type=Warning,,reason=Unhealthy,", true},
      {",", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MustParse(c.selector).Matches(kEvent), c.matches) << c.selector;
  }
}

TEST(FieldSelectorTest, UnescapesValues) {
  EXPECT_TRUE(MustParse("reason=a\\,b").Matches({{"reason", "a,b"}}));
  EXPECT_TRUE(MustParse("reason=a\\=b").Matches({{"reason", "a=b"}}));
  EXPECT_TRUE(MustParse("reason=a\\\\b").Matches({{"reason", "a\\b"}}));
  EXPECT_TRUE(MustParse("reason=\\,\\=\\\\").Matches({{"reason", ",=\\"}}));
  // The escaped comma does not end the term.
  EXPECT_TRUE(MustParse("reason=a\\,b,type=x").Matches({{"reason", "a,b"}, {"type", "x"}}));
  EXPECT_FALSE(MustParse("reason=a\\,b").Matches({{"reason", "a"}}));
}

// Kubernetes' splitTerm takes the first operator from the left, and tries
// "!=" and "==" before "=" at each place.
TEST(FieldSelectorTest, SplitsAtTheFirstOperator) {
  EXPECT_TRUE(MustParse("a=!b").Matches({{"a", "!b"}}));
  EXPECT_TRUE(MustParse("a!=b").Matches({{"a", "c"}}));
  EXPECT_FALSE(MustParse("a!=b").Matches({{"a", "b"}}));
  EXPECT_TRUE(MustParse("a!b=c").Matches({{"a!b", "c"}}));
  EXPECT_TRUE(MustParse("a==b").Matches({{"a", "b"}}));
  EXPECT_TRUE(MustParse("=x").Matches({{"", "x"}}));
  EXPECT_TRUE(MustParse("a=").Matches({}));
  // No whitespace is trimmed: " a" is another field than "a".
  EXPECT_TRUE(MustParse(" a = b").Matches({{" a ", " b"}}));
  EXPECT_FALSE(MustParse(" a = b").Matches({{"a", "b"}}));
}

TEST(FieldSelectorTest, RejectsMalformedTerms) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"a", "the term \"a\" has no operator: use field=value, field==value or field!=value"},
      {"type=Warning,reason",
       "the term \"reason\" has no operator: use field=value, field==value or field!=value"},
      {"a!b", "the term \"a!b\" has no operator: use field=value, field==value or field!=value"},
      {"a=b=c", "the term \"a=b=c\" has an unescaped \"=\" in its value: write \"\\=\""},
      {"a===b", "the term \"a===b\" has an unescaped \"=\" in its value: write \"\\=\""},
      {"a=!=b", "the term \"a=!=b\" has an unescaped \"=\" in its value: write \"\\=\""},
      {"a=b\\", "the term \"a=b\\\\\" ends in a lone \"\\\": write \"\\\\\" for a backslash"},
      {"a=b\\n",
       "the term \"a=b\\\\n\" has the escape \"\\\\n\" in its value: only \"\\\\\", \"\\,\" and "
       "\"\\=\" are escapes"},
      // A field cannot be escaped: the "=" after "\" splits the term.
      {"a\\=b=c", "the term \"a\\\\=b=c\" has an unescaped \"=\" in its value: write \"\\=\""},
  };
  for (const auto& [text, problem] : cases) {
    const Result<FieldSelector> selector = FieldSelector::Parse(text);
    ASSERT_FALSE(selector.ok()) << text;
    std::string quoted;
    for (const char c : text) {
      if (c == '\\' || c == '"') quoted += '\\';
      quoted += c;
    }
    EXPECT_EQ(selector.status().message(),
              "invalid field selector \"" + quoted + "\": " + std::string(problem));
  }
  const Result<FieldSelector> control = FieldSelector::Parse("a\n");
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.status().message(),
            "invalid field selector \"a\\n\": the term \"a\\n\" has no operator: use "
            "field=value, field==value or field!=value");
}

TEST(FieldSelectorTest, ChecksFieldsAgainstTheResource) {
  constexpr std::string_view kSupported[] = {"metadata.name", "metadata.namespace"};
  EXPECT_TRUE(MustParse("").CheckFields(kSupported).ok());
  EXPECT_TRUE(MustParse("metadata.name=a,metadata.namespace!=b").CheckFields(kSupported).ok());
  const Status unsupported = MustParse("metadata.name=a,spec.nodeName=b").CheckFields(kSupported);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.message(), "field label not supported: spec.nodeName");
  // The first in the order of the fields.
  EXPECT_EQ(MustParse("z=1,b=2,metadata.name=a").CheckFields(kSupported).message(),
            "field label not supported: b");
  EXPECT_EQ(MustParse("=x").CheckFields(kSupported).message(), "field label not supported: ");
  EXPECT_EQ(MustParse(" metadata.name=a").CheckFields(kSupported).message(),
            "field label not supported:  metadata.name");
}

TEST(FieldSelectorTest, RequiredValue) {
  const FieldSelector named = MustParse("metadata.name=alpaca-prod,metadata.namespace=default");
  EXPECT_EQ(named.RequiredValue("metadata.name"), "alpaca-prod");
  EXPECT_EQ(named.RequiredValue("metadata.namespace"), "default");
  EXPECT_EQ(named.RequiredValue("type"), std::nullopt);
  EXPECT_EQ(MustParse("metadata.name!=a").RequiredValue("metadata.name"), std::nullopt);
  EXPECT_EQ(MustParse("metadata.name==a\\,b").RequiredValue("metadata.name"), "a,b");
}

TEST(FieldSelectorTest, CanonicalFormRoundTrips) {
  const FieldSelector selector = MustParse("type=Warning,reason==a\\,b,type=Warning,a!=\\\\");
  EXPECT_EQ(selector.ToString(), "a!=\\\\,reason=a\\,b,type=Warning");
  EXPECT_EQ(MustParse(selector.ToString()), selector);
  EXPECT_EQ(MustParse("a=b,c=d"), MustParse("c==d,,a=b"));
  EXPECT_NE(MustParse("a=b"), MustParse("a!=b"));
  EXPECT_TRUE(MustParse("").empty());
  EXPECT_TRUE(MustParse(",,").empty());
  EXPECT_FALSE(MustParse("a=").empty());
}

}  // namespace
}  // namespace vigil
