#include "agent/api/list_query.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

Result<ListQuery> Parse(const std::string& query, uint64_t version = 10) {
  return ParseListQuery(*ParseQueryString(query), version);
}

TEST(ListQueryTest, Defaults) {
  const ListQuery q = *Parse("");
  EXPECT_TRUE(q.selector.empty());
  EXPECT_FALSE(q.watch);
  EXPECT_EQ(q.since, std::nullopt);
}

TEST(ListQueryTest, EveryParameter) {
  const ListQuery q = *Parse("labelSelector=app%3Dweb%2Cenv!%3Ddev&watch=true&resourceVersion=7");
  EXPECT_EQ(q.selector.ToString(), "app=web,env!=dev");
  EXPECT_TRUE(q.watch);
  EXPECT_EQ(q.since, 7u);
  EXPECT_TRUE(Parse("watch=1")->watch);
  EXPECT_FALSE(Parse("watch=false")->watch);
  EXPECT_FALSE(Parse("watch=0")->watch);
  EXPECT_EQ(Parse("resourceVersion=10")->since, 10u);
  EXPECT_EQ(Parse("resourceVersion=0")->since, 0u);
}

TEST(ListQueryTest, ErrorsNameTheProblem) {
  EXPECT_EQ(Parse("watch=maybe").status().message(), "watch must be true or false, not \"maybe\"");
  EXPECT_EQ(Parse("watch=").status().message(), "watch must be true or false, not \"\"");
  EXPECT_EQ(Parse("resourceVersion=abc").status().message(),
            "resourceVersion must be a number, not \"abc\"");
  EXPECT_EQ(Parse("resourceVersion=").status().message(),
            "resourceVersion must be a number, not \"\"");
  EXPECT_EQ(Parse("resourceVersion=-1").status().message(),
            "resourceVersion must be a number, not \"-1\"");
  EXPECT_EQ(Parse("resourceVersion=99999999999999999999").status().message(),
            "resourceVersion must be a number, not \"99999999999999999999\"");
  EXPECT_EQ(Parse("resourceVersion=11").status().message(),
            "resourceVersion 11 is newer than the server's (10)");
  EXPECT_FALSE(Parse("labelSelector=app%20in%20(a").ok());
}

}  // namespace
}  // namespace vigil
