#include "agent/api/http_router.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using Kind = HttpRouter::Match::Kind;

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  if (path == "/") return out;
  size_t start = 1;
  while (true) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string::npos ? slash : slash - start));
    if (slash == std::string::npos) return out;
    start = slash + 1;
  }
}

class HttpRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/vigil/v1/endpoints", 1);
    router_.Add("GET", "/vigil/v1/endpoints/{name}", 2);
    router_.Add("GET", "/vigil/v1/endpoints/{name}/transitions", 3);
    router_.Add("GET", "/vigil/v1/endpoints/special", 4);
    router_.Add("POST", "/-/reload", 5);
    router_.Add("GET", "/", 6);
    router_.Add("PUT", "/vigil/v1/endpoints/{name}", 7);
  }
  HttpRouter::Match Find(const std::string& method, const std::string& path) {
    return router_.Find(method, Split(path));
  }
  HttpRouter router_;
};

TEST_F(HttpRouterTest, LiteralsAndCaptures) {
  EXPECT_EQ(Find("GET", "/vigil/v1/endpoints").route, 1);
  const HttpRouter::Match one = Find("GET", "/vigil/v1/endpoints/web");
  EXPECT_EQ(one.kind, Kind::kFound);
  EXPECT_EQ(one.route, 2);
  EXPECT_EQ(one.captures, (std::map<std::string, std::string>{{"name", "web"}}));
  EXPECT_EQ(Find("GET", "/vigil/v1/endpoints/web/transitions").route, 3);
  EXPECT_EQ(Find("GET", "/").route, 6);
  EXPECT_EQ(Find("POST", "/-/reload").route, 5);
  EXPECT_EQ(Find("PUT", "/vigil/v1/endpoints/web").route, 7);
}

TEST_F(HttpRouterTest, ALiteralWinsOverACapture) {
  EXPECT_EQ(Find("GET", "/vigil/v1/endpoints/special").route, 4);
  EXPECT_TRUE(Find("GET", "/vigil/v1/endpoints/special").captures.empty());
}

TEST_F(HttpRouterTest, HeadIsAnsweredByGet) {
  EXPECT_EQ(Find("HEAD", "/vigil/v1/endpoints").route, 1);
  EXPECT_EQ(Find("HEAD", "/-/reload").kind, Kind::kMethodNotAllowed);
}

TEST_F(HttpRouterTest, NotFound) {
  EXPECT_EQ(Find("GET", "/api/v2/things").kind, Kind::kNotFound);
  EXPECT_EQ(Find("GET", "/vigil/v1/endpoints/").kind, Kind::kNotFound);  // an empty capture
  EXPECT_EQ(Find("GET", "/vigil/v1/endpoints/a/b").kind, Kind::kNotFound);
  EXPECT_EQ(Find("GET", "/vigil/v1").kind, Kind::kNotFound);
  EXPECT_EQ(Find("DELETE", "/nowhere").kind, Kind::kNotFound);
}

TEST_F(HttpRouterTest, MethodNotAllowedSaysWhatIs) {
  const HttpRouter::Match wrong = Find("DELETE", "/vigil/v1/endpoints/web");
  EXPECT_EQ(wrong.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(wrong.allow, "GET, PUT");
  EXPECT_EQ(Find("GET", "/-/reload").allow, "POST");
  EXPECT_EQ(Find("POST", "/vigil/v1/endpoints").allow, "GET");
}

TEST(HttpRouterRestTest, ARestPatternTakesEveryMethodAndDepth) {
  HttpRouter router;
  router.Add("*", "/api/{**}", 1);
  router.Add("GET", "/api/special", 2);
  for (const char* path : {"/api", "/api/v1", "/api/v1/namespaces/default/endpoints/x"}) {
    for (const char* method : {"GET", "HEAD", "DELETE", "PATCH"}) {
      const HttpRouter::Match m = router.Find(method, Split(path));
      EXPECT_EQ(m.kind, Kind::kFound) << method << " " << path;
      EXPECT_EQ(m.route, 1) << method << " " << path;
    }
  }
  EXPECT_EQ(router.Find("GET", Split("/api/special")).route, 2);  // more literals
  EXPECT_EQ(router.Find("POST", Split("/api/special")).route, 1);
  EXPECT_EQ(router.Find("GET", Split("/apis")).kind, Kind::kNotFound);
  EXPECT_EQ(router.Find("GET", Split("/")).kind, Kind::kNotFound);
}

}  // namespace
}  // namespace vigil
