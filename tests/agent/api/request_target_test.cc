#include "agent/api/request_target.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(PercentDecodeTest, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(*PercentDecode("app%3Dweb%2C%21legacy", false), "app=web,!legacy");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("%41%62", false), "Ab");
  EXPECT_EQ(*PercentDecode("%00x", false), std::string("\0x", 2));
  EXPECT_EQ(*PercentDecode("", true), "");
}

TEST(PercentDecodeTest, ABadEscapeIsAnErrorSayingWhere) {
  EXPECT_EQ(PercentDecode("ab%4", false).status().message(),
            "bad percent-escape at byte 3 of \"ab%4\"");
  EXPECT_EQ(PercentDecode("%zz", false).status().message(),
            "bad percent-escape at byte 1 of \"%zz\"");
  EXPECT_FALSE(PercentDecode("%", true).ok());
  // Control bytes are not echoed raw, long input is cut.
  EXPECT_EQ(PercentDecode("\x01%", false).status().message(),
            "bad percent-escape at byte 2 of \"\\x01%\"");
  const std::string long_text = std::string(100, 'a') + "%";
  EXPECT_EQ(PercentDecode(long_text, false).status().message(),
            "bad percent-escape at byte 101 of \"" + std::string(64, 'a') + "...\"");
}

TEST(SplitTargetTest, AtTheFirstQuestionMark) {
  EXPECT_EQ(SplitTarget("/a/b?c=d?e").path, "/a/b");
  EXPECT_EQ(SplitTarget("/a/b?c=d?e").query, "c=d?e");
  EXPECT_EQ(SplitTarget("/a").path, "/a");
  EXPECT_EQ(SplitTarget("/a").query, "");
  EXPECT_EQ(SplitTarget("/a?").query, "");
  EXPECT_EQ(SplitTarget("").path, "");
}

TEST(DecodePathSegmentsTest, SplitsThenDecodes) {
  EXPECT_EQ(*DecodePathSegments("/"), std::vector<std::string>{});
  EXPECT_EQ(*DecodePathSegments("/vigil/v1/endpoints"),
            (std::vector<std::string>{"api", "v1", "endpoints"}));
  EXPECT_EQ(*DecodePathSegments("/a/b%2Fc"), (std::vector<std::string>{"a", "b/c"}));
  EXPECT_EQ(*DecodePathSegments("/a/"), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(*DecodePathSegments("//"), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(*DecodePathSegments("/a+b"), (std::vector<std::string>{"a+b"}));
}

TEST(DecodePathSegmentsTest, Errors) {
  EXPECT_EQ(DecodePathSegments("").status().message(), "the path \"\" does not start with \"/\"");
  EXPECT_EQ(DecodePathSegments("*").status().message(), "the path \"*\" does not start with \"/\"");
  EXPECT_EQ(DecodePathSegments("/a/%g0").status().message(),
            "in the path: bad percent-escape at byte 1 of \"%g0\"");
}

TEST(QueryStringTest, ParsesAsGoDoes) {
  const QueryParams q = *ParseQueryString("watch=true&labelSelector=app%3Dweb+x&flag&&a=1&a=2");
  EXPECT_EQ(q.all(), (Params{{"watch", "true"},
                             {"labelSelector", "app=web x"},
                             {"flag", ""},
                             {"a", "1"},
                             {"a", "2"}}));
  EXPECT_EQ(q.Get("a"), "1");
  EXPECT_EQ(q.Get("flag"), "");
  EXPECT_EQ(q.Get("nope"), std::nullopt);
  EXPECT_TRUE(q.Has("flag"));
  EXPECT_FALSE(q.Has("nope"));
  EXPECT_TRUE(ParseQueryString("").value().all().empty());
  EXPECT_EQ(ParseQueryString("=x").value().all(), (Params{{"", "x"}}));
  EXPECT_EQ(ParseQueryString("a==b").value().all(), (Params{{"a", "=b"}}));
  EXPECT_EQ(ParseQueryString("%26=%3D").value().all(), (Params{{"&", "="}}));
}

TEST(QueryStringTest, ABadEscapeIsAnError) {
  EXPECT_EQ(ParseQueryString("a=1&b=%zz").status().message(),
            "in the query: bad percent-escape at byte 1 of \"%zz\"");
  EXPECT_EQ(ParseQueryString("%=1").status().message(),
            "in the query: bad percent-escape at byte 1 of \"%\"");
}

}  // namespace
}  // namespace vigil
