// The HTTP API served for real on loopback, read with a real client.
#include "agent/api/api_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/resource.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "exporters/metrics/metrics.h"
#include "tests/exporters/registry/endpoints_fixtures.h"
#include "tests/support/raw_http_client.h"
#include "tests/support/wait.h"
#include "tests/support/watch_stream.h"

namespace vigil {
namespace {

using testing::MakeEndpoints;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    board_.Put(
        {MakeEndpoints("alpaca-prod", {true, true, false}), MakeEndpoints("bandicoot-prod", {})});
    ASSERT_TRUE(server_.Start(ListenAddress{"127.0.0.1", 0}).ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_.port());
    client_->set_connection_timeout(std::chrono::seconds(5));
  }

  nlohmann::json GetJson(const std::string& path, int want_status) {
    const httplib::Result res = client_->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, want_status) << path << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return nlohmann::json::parse(res->body);
  }

  StatusBoard board_{StatusBoard::Options{.start_version = 0}};
  Status health_ = Status::Ok();
  Status ready_ = Status::Ok();
  Status reload_ = Status::Ok();
  ApiServer server_{board_, board_,
                    ApiHooks{.healthz = [this] { return health_; },
                             .metrics = [] { return "m 1\n"; },
                             .readyz = [this] { return ready_; },
                             .reload = [this] { return reload_; }}};
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ApiServerTest, ServiceList) {
  const nlohmann::json list = GetJson("/vigil/v1/services", 200);
  EXPECT_EQ(list["kind"], "ServiceList");
  EXPECT_EQ(list["resourceVersion"], "2");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["name"], "alpaca-prod");
  EXPECT_EQ(list["items"][0]["ready"], 2);
  EXPECT_EQ(list["items"][0]["notReady"], 1);
  EXPECT_EQ(list["items"][0]["labels"], nlohmann::json({{"app", "alpaca-prod"}}));
  EXPECT_EQ(list["items"][1]["name"], "bandicoot-prod");
}

TEST_F(ApiServerTest, EndpointsList) {
  const nlohmann::json list = GetJson("/vigil/v1/endpoints", 200);
  EXPECT_EQ(list["kind"], "EndpointsList");
  EXPECT_EQ(list["resourceVersion"], "2");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["kind"], "Endpoints");
  EXPECT_EQ(list["items"][0]["resourceVersion"], "1");
  EXPECT_EQ(list["items"][0]["endpoints"].size(), 3u);
  EXPECT_EQ(list["items"][1]["endpoints"], nlohmann::json::array());
}

TEST_F(ApiServerTest, OneEndpoints) {
  const nlohmann::json object = GetJson("/vigil/v1/endpoints/alpaca-prod", 200);
  EXPECT_EQ(object["name"], "alpaca-prod");
  EXPECT_EQ(object["endpoints"][2]["address"], "10.0.0.3");
  EXPECT_EQ(object["endpoints"][2]["conditions"]["ready"], false);
}

TEST_F(ApiServerTest, UnknownNameIs404Status) {
  EXPECT_EQ(GetJson("/vigil/v1/endpoints/nope", 404),
            nlohmann::json::parse(
                R"({"kind":"Status","code":404,"message":"endpoints \"nope\" not found"})"));
}

TEST_F(ApiServerTest, UnknownPathIs404Status) {
  const nlohmann::json status = GetJson("/nowhere/things", 404);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["message"], "the server could not find /nowhere/things");
}

TEST_F(ApiServerTest, WrongMethodIs405Status) {
  const httplib::Result res = client_->Delete("/vigil/v1/endpoints/alpaca-prod");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "GET");
  EXPECT_EQ(nlohmann::json::parse(res->body)["message"],
            "method DELETE is not allowed on /vigil/v1/endpoints/alpaca-prod");
  EXPECT_EQ(client_->Post("/vigil/v1/services", "", "application/json")->status, 405);
}

TEST_F(ApiServerTest, HealthzFollowsTheHook) {
  httplib::Result res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
  health_ = Status::Error("probe loop stalled: last turn 9s ago");
  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "probe loop stalled: last turn 9s ago\n");
}

TEST_F(ApiServerTest, ReadyzFollowsItsHook) {
  EXPECT_EQ(client_->Get("/readyz")->status, 200);
  ready_ = Status::Error("the agent is stopping");
  const httplib::Result res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "the agent is stopping\n");
}

TEST_F(ApiServerTest, ReloadIsAPostAnsweringTheErrors) {
  httplib::Result res = client_->Post("/-/reload", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(nlohmann::json::parse(res->body)["message"], "the config was reloaded");

  reload_ = Status::Error("vigil.yaml:3:5: services[0].name: bad\nvigil.yaml:9:1: listen: bad");
  res = client_->Post("/-/reload", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(nlohmann::json::parse(res->body)["message"],
            "vigil.yaml:3:5: services[0].name: bad\nvigil.yaml:9:1: listen: bad");

  res = client_->Get("/-/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
}

TEST_F(ApiServerTest, MetricsInTheTextFormat) {
  const httplib::Result res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->body, "m 1\n");
}

TEST_F(ApiServerTest, ChangesShowInTheNextRead) {
  board_.Put({MakeEndpoints("alpaca-prod", {true, true, true})});
  const nlohmann::json object = GetJson("/vigil/v1/endpoints/alpaca-prod", 200);
  EXPECT_EQ(object["resourceVersion"], "3");
  EXPECT_EQ(object["endpoints"][2]["conditions"]["ready"], true);
}

TEST_F(ApiServerTest, PrometheusTargetsTakeASelectorAndReady) {
  const nlohmann::json all = GetJson("/vigil/v1/prometheus/targets", 200);
  ASSERT_EQ(all.size(), 2u) << all.dump();  // alpaca-prod's ready and not-ready groups
  EXPECT_EQ(all[0]["labels"]["__meta_vigil_endpoint_ready"], "false");
  EXPECT_EQ(all[1]["targets"], nlohmann::json({"10.0.0.1:8080", "10.0.0.2:8080"}));
  const nlohmann::json ready =
      GetJson("/vigil/v1/prometheus/targets?ready=true&labelSelector=app%3Dalpaca-prod", 200);
  ASSERT_EQ(ready.size(), 1u) << ready.dump();
  EXPECT_EQ(ready[0]["labels"]["__meta_vigil_service"], "alpaca-prod");
  EXPECT_EQ(GetJson("/vigil/v1/prometheus/targets?labelSelector=app%3Dnone", 200),
            nlohmann::json::array());
  EXPECT_EQ(GetJson("/vigil/v1/prometheus/targets?ready=yes", 400)["message"],
            "ready must be true or false, not \"yes\"");
  EXPECT_EQ(GetJson("/vigil/v1/prometheus/targets?labelSelector=a%3D%3D%3D", 400)["kind"],
            "Status");
  EXPECT_EQ(client_->Post("/vigil/v1/prometheus/targets", "", "application/json")->status, 405);
}

TEST(ApiServerStartTest, ATakenPortIsAClearError) {
  StatusBoard board;
  ApiServer first(board, board, ApiHooks{});
  ASSERT_TRUE(first.Start(ListenAddress{"127.0.0.1", 0}).ok());
  ApiServer second(board, board, ApiHooks{});
  const Status s = second.Start(ListenAddress{"127.0.0.1", first.port()});
  EXPECT_EQ(s.message(), "cannot listen on 127.0.0.1:" + std::to_string(first.port()) +
                             ": Address already in use");
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

using testing::WatchStream;

EndpointsObject InNamespaceForWatch(const std::string& namespace_name, const std::string& name,
                                    const std::vector<bool>& ready) {
  EndpointsObject object = testing::MakeEndpoints(name, ready);
  object.namespace_name = namespace_name;
  return object;
}

// A server with a small watcher cap and quick bookmarks, for the watch tests.
class WatchApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    board_.Put({MakeEndpoints("alpaca-prod", {true}), MakeEndpoints("bandicoot-prod", {false})});
    ASSERT_TRUE(server_.Start(ListenAddress{"127.0.0.1", 0}).ok());
  }

  std::unique_ptr<WatchStream> Watch(const std::string& target) {
    return std::make_unique<WatchStream>("127.0.0.1", server_.port(), target);
  }

  static std::vector<std::string> Types(const std::vector<nlohmann::json>& events) {
    std::vector<std::string> types;
    for (const auto& e : events) types.push_back(e["type"]);
    return types;
  }

  StatusBoard board_{StatusBoard::Options{.start_version = 0}};
  ApiServer server_{board_, board_, ApiHooks{},
                    ApiOptions{/*max_watchers=*/4, std::chrono::milliseconds(100)}};
};

TEST_F(WatchApiTest, ListThenChanges) {
  auto watch = Watch("/vigil/v1/endpoints?watch=true");
  EXPECT_EQ(watch->Status(), 200);
  ASSERT_TRUE(watch->WaitForChanges(2));
  board_.Put({MakeEndpoints("bandicoot-prod", {true})});
  ASSERT_TRUE(watch->WaitForChanges(3));
  const auto events = watch->changes();
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["name"], "alpaca-prod");
  EXPECT_EQ(events[2]["type"], "MODIFIED");
  EXPECT_EQ(events[2]["object"]["resourceVersion"], "3");
  EXPECT_EQ(events[2]["object"]["endpoints"][0]["conditions"]["ready"], true);
}

TEST_F(WatchApiTest, ResumesWithoutDuplicatesOrGaps) {
  for (int i = 0; i < 5; ++i) board_.Put({MakeEndpoints("alpaca-prod", {i % 2 == 1})});
  // Versions 1-2 were listed; resume after 4: expect 5, 6, 7 exactly.
  auto watch = Watch("/vigil/v1/endpoints?watch=true&resourceVersion=4");
  ASSERT_TRUE(watch->WaitForChanges(3));
  board_.Put({MakeEndpoints("bandicoot-prod", {true})});
  ASSERT_TRUE(watch->WaitForChanges(4));
  std::vector<std::string> versions;
  for (const auto& e : watch->changes()) versions.push_back(e["object"]["resourceVersion"]);
  EXPECT_EQ(versions, (std::vector<std::string>{"5", "6", "7", "8"}));
}

TEST_F(WatchApiTest, TooOldIsOneError410ThenTheEnd) {
  StatusBoard small({.history = 2, .start_version = 0});
  for (int i = 0; i < 10; ++i) small.Put({MakeEndpoints("a", {i % 2 == 0})});
  ApiServer server(small, small, ApiHooks{});
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}).ok());
  WatchStream watch("127.0.0.1", server.port(), "/vigil/v1/endpoints?watch=true&resourceVersion=3");
  ASSERT_TRUE(watch.WaitForEnd());
  const auto events = watch.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ERROR");
  EXPECT_EQ(events[0]["object"]["code"], 410);
}

TEST_F(WatchApiTest, ABacklogOfManyBatchesComesWholeAndInOrder) {
  // More than one batch (WatchStream::kBatchBytes) of events after version 2.
  EndpointsObject big = testing::MakeLargeEndpoints("big", 60);
  for (int i = 0; i < 75; ++i) {
    testing::Flip(big, static_cast<size_t>(i % 60));
    board_.Put({big});
  }
  auto watch = Watch("/vigil/v1/endpoints?watch=true&resourceVersion=2");
  ASSERT_TRUE(watch->WaitForChanges(75, std::chrono::seconds(60)));
  board_.Put({MakeEndpoints("bandicoot-prod", {true})});
  ASSERT_TRUE(watch->WaitForChanges(76));
  size_t bytes = 0;
  std::vector<std::string> versions;
  for (const auto& e : watch->changes()) {
    versions.push_back(e["object"]["resourceVersion"]);
    bytes += e.dump().size();
  }
  EXPECT_GT(bytes, vigil::WatchStream::kBatchBytes);
  std::vector<std::string> expected;
  for (int v = 3; v <= 78; ++v) expected.push_back(std::to_string(v));
  EXPECT_EQ(versions, expected);
}

TEST_F(WatchApiTest, OneService) {
  auto watch = Watch("/vigil/v1/endpoints/bandicoot-prod?watch=true");
  ASSERT_TRUE(watch->WaitForChanges(1));
  board_.Put({MakeEndpoints("alpaca-prod", {false})});
  board_.Put({MakeEndpoints("bandicoot-prod", {true})});
  ASSERT_TRUE(watch->WaitForChanges(2));
  std::vector<std::string> names;
  for (const auto& e : watch->changes()) names.push_back(e["object"]["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"bandicoot-prod", "bandicoot-prod"}));
}

TEST_F(WatchApiTest, ServicesWithALabelSelector) {
  auto watch = Watch("/vigil/v1/services?watch=true&labelSelector=app%3Dalpaca-prod");
  ASSERT_TRUE(watch->WaitForChanges(1));
  const auto events = watch->changes();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["object"]["kind"], "Service");
  EXPECT_EQ(events[0]["object"]["name"], "alpaca-prod");
}

TEST_F(WatchApiTest, IdleStreamsGetBookmarks) {
  auto watch = Watch("/vigil/v1/endpoints?watch=true");
  ASSERT_TRUE(watch->WaitForEvents(4));  // 2 ADDED, then bookmarks every 100 ms
  const auto events = watch->events();
  EXPECT_EQ(events[2]["type"], "BOOKMARK");
  EXPECT_EQ(events[2]["object"]["resourceVersion"], "2");
}

TEST_F(WatchApiTest, WatchesBeyondTheCapAre429) {
  std::vector<std::unique_ptr<WatchStream>> watches;
  for (int i = 0; i < 4; ++i) {
    watches.push_back(Watch("/vigil/v1/endpoints?watch=true"));
    ASSERT_EQ(watches.back()->Status(), 200);
  }
  httplib::Client client("127.0.0.1", server_.port());
  const httplib::Result res = client.Get("/vigil/v1/endpoints?watch=true");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(nlohmann::json::parse(res->body)["message"],
            "too many watches open (at most 4); retry later");
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
}

TEST_F(WatchApiTest, AClientThatLeavesFreesItsSlot) {
  std::vector<std::unique_ptr<WatchStream>> watches;
  for (int i = 0; i < 4; ++i) {
    watches.push_back(Watch("/vigil/v1/endpoints?watch=true"));
    ASSERT_EQ(watches.back()->Status(), 200);
  }
  EXPECT_EQ(server_.watchers(), 4u);
  watches.clear();  // the clients go away
  ASSERT_TRUE(testing::WaitUntil([&] { return server_.watchers() == 0; }, std::chrono::seconds(5)));
  auto again = Watch("/vigil/v1/endpoints?watch=true");
  EXPECT_EQ(again->Status(), 200);
}

TEST_F(WatchApiTest, BadParametersAre400) {
  httplib::Client client("127.0.0.1", server_.port());
  for (const auto& [target, message] : std::vector<std::pair<std::string, std::string>>{
           {"/vigil/v1/endpoints?watch=maybe", "watch must be true or false, not \"maybe\""},
           {"/vigil/v1/endpoints?watch=true&resourceVersion=abc",
            "resourceVersion must be a number, not \"abc\""},
           {"/vigil/v1/endpoints?watch=true&resourceVersion=99",
            "resourceVersion 99 is newer than the server's (2)"},
       }) {
    const httplib::Result res = client.Get(target);
    ASSERT_TRUE(res) << target;
    EXPECT_EQ(res->status, 400) << target;
    EXPECT_EQ(nlohmann::json::parse(res->body)["message"], message) << target;
  }
  const httplib::Result res = client.Get("/vigil/v1/endpoints?labelSelector=app%20in%20(a");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(WatchApiTest, StopEndsOpenStreams) {
  auto watch = Watch("/vigil/v1/endpoints?watch=true");
  ASSERT_TRUE(watch->WaitForChanges(2));
  server_.Stop();
  EXPECT_TRUE(watch->WaitForEnd());
}

// As many open watches as the default cap (1,000) leave room for lists and
// scrapes, and each receives a change; one more is refused. Raw connections:
// no thread per watch in the test either.
TEST(ApiServerLoadTest, AThousandWatchersDoNotDelayAScrapeAndAllSeeAChange) {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::max<rlim_t>(files.rlim_cur, std::min<rlim_t>(files.rlim_max, 4096));
  setrlimit(RLIMIT_NOFILE, &files);
  ASSERT_GE(files.rlim_cur, 2100u) << "needs 2,100 open files";

  StatusBoard board;
  board.Put({MakeEndpoints("a", {true})});
  ApiHooks hooks;
  hooks.metrics = [] { return std::string("m 1\n"); };
  ApiServer server(board, board, hooks);
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}).ok());
  const size_t cap = ApiOptions::kDefaultMaxWatchers;
  ASSERT_EQ(cap, 1000u);
  std::vector<testing::RawHttpConnection> watches;
  for (size_t i = 0; i < cap; ++i) {
    watches.emplace_back("127.0.0.1", server.port());
    ASSERT_TRUE(watches.back().Send(testing::HttpGet("/vigil/v1/endpoints?watch=true"))) << i;
  }
  const auto has_events = [](size_t n) {
    return [n](const std::string& body) {
      return static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) >= n;
    };
  };
  for (auto& w : watches) ASSERT_TRUE(w.ReadStreamUntil(has_events(1)));
  EXPECT_EQ(server.watchers(), cap);

  testing::RawHttpConnection extra("127.0.0.1", server.port());
  ASSERT_TRUE(extra.Send(testing::HttpGet("/vigil/v1/endpoints?watch=true")));
  const auto refused = extra.ReadResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(nlohmann::json::parse(refused->body)["message"],
            "too many watches open (at most 1000); retry later");

  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(std::chrono::seconds(5));
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const httplib::Result metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200);
    const httplib::Result list = client.Get("/vigil/v1/endpoints");
    ASSERT_TRUE(list);
    EXPECT_EQ(list->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  }
  board.Put({MakeEndpoints("a", {false})});
  for (auto& w : watches) EXPECT_TRUE(w.ReadStreamUntil(has_events(2)));
}

// The API's answers and watches, counted in the agent's real metrics.
TEST(ApiServerMetricsTest, AnswersByDialectAndCodeAndOpenWatches) {
  StatusBoard board;
  board.Put({MakeEndpoints("a", {true})});
  Metrics metrics("node-a");
  ApiServer server(board, board, ApiHooks{}, ApiOptions{.observer = &metrics});
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}).ok());
  EXPECT_NE(metrics.Render().find("\nvigil_api_watches{dialect=\"vigil\"} 0\n"), std::string::npos);
  httplib::Client client("127.0.0.1", server.port());
  ASSERT_EQ(client.Get("/vigil/v1/endpoints")->status, 200);
  ASSERT_EQ(client.Get("/vigil/v1/endpoints/a")->status, 200);
  ASSERT_EQ(client.Get("/vigil/v1/endpoints/nope")->status, 404);
  ASSERT_EQ(client.Get("/healthz")->status, 200);
  ASSERT_EQ(client.Get("/no/such/path")->status, 404);
  testing::WatchStream watch("127.0.0.1", server.port(), "/vigil/v1/endpoints?watch=true");
  ASSERT_TRUE(watch.WaitForChanges(1));
  const auto rendered = [&] { return metrics.Render(); };
  const auto has = [&](const std::string& line) {
    return rendered().find("\n" + line + "\n") != std::string::npos;
  };
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return has("vigil_api_requests_total{code=\"404\",dialect=\"other\"} 1"); },
      std::chrono::seconds(5)))
      << rendered();
  EXPECT_TRUE(has("vigil_api_requests_total{code=\"200\",dialect=\"vigil\"} 3")) << rendered();
  EXPECT_TRUE(has("vigil_api_requests_total{code=\"404\",dialect=\"vigil\"} 1"));
  EXPECT_TRUE(has("vigil_api_requests_total{code=\"200\",dialect=\"other\"} 1"));
  EXPECT_TRUE(has("vigil_api_watches{dialect=\"vigil\"} 1"));
  watch.Close();
  EXPECT_TRUE(testing::WaitUntil([&] { return has("vigil_api_watches{dialect=\"vigil\"} 0"); },
                                 std::chrono::seconds(5)));
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST(ApiTransitionsTest, ListsAServicesTransitions) {
  StatusBoard board;
  board.Put({testing::MakeEndpoints("web", {false})});
  board.RecordTransition(
      {"default", "web"},
      Transition{std::chrono::system_clock::from_time_t(1795688430), "10.0.0.1:8080", "node-a",
                 false, "not ready after 3 consecutive failures: boom"});
  ApiServer server(board, board, ApiHooks{});
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}).ok());
  httplib::Client client("127.0.0.1", server.port());
  const httplib::Result res = client.Get("/vigil/v1/endpoints/web/transitions");
  ASSERT_TRUE(res);
  EXPECT_EQ(nlohmann::json::parse(res->body), nlohmann::json::parse(R"({
    "kind": "TransitionList",
    "items": [{"time": "2026-11-26T10:20:30Z", "endpoint": "10.0.0.1:8080", "node": "node-a",
               "ready": false, "reason": "not ready after 3 consecutive failures: boom"}]})"));
  EXPECT_EQ(client.Get("/vigil/v1/endpoints/nope/transitions")->status, 404);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// Versions start above the wall clock's microseconds at the start: one from
// before (an agent's earlier run) is too old, not a place in this history.
TEST(WatchApiStartTest, AVersionFromBeforeTheStartIs410AndOneAboveTheCurrentIs400) {
  constexpr uint64_t kStart = 1'795'000'000'000'000;
  StatusBoard board({.start_version = kStart});
  board.Put({testing::MakeEndpoints("a", {true})});
  ApiServer server(board, board, ApiHooks{});
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}).ok());

  WatchStream old("127.0.0.1", server.port(),
                  "/vigil/v1/endpoints?watch=true&resourceVersion=" + std::to_string(kStart - 1));
  ASSERT_TRUE(old.WaitForEnd());
  ASSERT_EQ(old.events().size(), 1u);
  EXPECT_EQ(old.events()[0]["type"], "ERROR");
  EXPECT_EQ(old.events()[0]["object"]["code"], 410);
  EXPECT_EQ(old.events()[0]["object"]["message"],
            "too old resource version: 1794999999999999 (the oldest to resume after is "
            "1795000000000000)");

  WatchStream from_start(
      "127.0.0.1", server.port(),
      "/vigil/v1/endpoints?watch=true&resourceVersion=" + std::to_string(kStart));
  ASSERT_TRUE(from_start.WaitForChanges(1));
  EXPECT_EQ(from_start.changes()[0]["type"], "ADDED");
  EXPECT_EQ(from_start.changes()[0]["object"]["resourceVersion"], "1795000000000001");

  httplib::Client client("127.0.0.1", server.port());
  const httplib::Result res =
      client.Get("/vigil/v1/endpoints?watch=true&resourceVersion=" + std::to_string(kStart + 2));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(nlohmann::json::parse(res->body)["message"],
            "resourceVersion 1795000000000002 is newer than the server's (1795000000000001)");
}

// ---- The same name in two namespaces ----

EndpointsObject InNamespace(const std::string& namespace_name, const std::string& name,
                            const std::vector<bool>& ready) {
  EndpointsObject object = MakeEndpoints(name, ready);
  object.namespace_name = namespace_name;
  return object;
}

TEST_F(ApiServerTest, ANameInSeveralNamespacesWantsTheNamespace) {
  EndpointsObject shop = InNamespace("shop", "alpaca-prod", {false});
  shop.endpoints[0].address = "10.9.0.1";
  board_.Put({shop});
  board_.RecordTransition({"shop", "alpaca-prod"},
                          Transition{{}, "10.9.0.1:8080", "node-a", false, "in shop"});
  board_.RecordTransition({"default", "alpaca-prod"},
                          Transition{{}, "10.0.0.1:8080", "node-a", true, "in default"});

  // Without ?namespace=, the name is ambiguous: a 404 that says where it is.
  for (const char* path :
       {"/vigil/v1/endpoints/alpaca-prod", "/vigil/v1/endpoints/alpaca-prod/transitions"}) {
    const nlohmann::json error = GetJson(path, 404);
    EXPECT_EQ(error["kind"], "Status");
    EXPECT_EQ(error["message"],
              "endpoints \"alpaca-prod\" is in several namespaces (default, shop): add "
              "?namespace=NS")
        << path;
  }
  // With it, each namespace's own.
  const nlohmann::json in_shop = GetJson("/vigil/v1/endpoints/alpaca-prod?namespace=shop", 200);
  EXPECT_EQ(in_shop["namespace"], "shop");
  ASSERT_EQ(in_shop["endpoints"].size(), 1u);
  EXPECT_EQ(in_shop["endpoints"][0]["address"], "10.9.0.1");
  const nlohmann::json in_default =
      GetJson("/vigil/v1/endpoints/alpaca-prod?namespace=default", 200);
  EXPECT_EQ(in_default["namespace"], "default");
  EXPECT_EQ(in_default["endpoints"].size(), 3u);
  const nlohmann::json transitions =
      GetJson("/vigil/v1/endpoints/alpaca-prod/transitions?namespace=shop", 200);
  ASSERT_EQ(transitions["items"].size(), 1u);
  EXPECT_EQ(transitions["items"][0]["reason"], "in shop");
  EXPECT_EQ(GetJson("/vigil/v1/endpoints/alpaca-prod/transitions?namespace=default",
                    200)["items"][0]["reason"],
            "in default");
  EXPECT_EQ(GetJson("/vigil/v1/endpoints/alpaca-prod?namespace=blog", 404)["message"],
            "endpoints \"alpaca-prod\" not found in namespace \"blog\"");
  EXPECT_EQ(GetJson("/vigil/v1/endpoints/bandicoot-prod?namespace=shop", 404)["message"],
            "endpoints \"bandicoot-prod\" not found in namespace \"shop\"");
  EXPECT_EQ(GetJson("/vigil/v1/endpoints/alpaca-prod?namespace=Shop", 400)["message"],
            "namespace \"Shop\" is not a DNS-1123 label: use at most 63 lowercase letters, "
            "digits and \"-\", starting and ending with a letter or digit");
  // A name in one namespace needs none.
  EXPECT_EQ(GetJson("/vigil/v1/endpoints/bandicoot-prod", 200)["namespace"], "default");

  // Lists carry both, each with its namespace; ?namespace= narrows them.
  std::vector<std::string> listed;
  const nlohmann::json list = GetJson("/vigil/v1/endpoints", 200);
  for (const auto& item : list["items"]) {
    listed.push_back(item["namespace"].get<std::string>() + "/" + item["name"].get<std::string>());
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"default/alpaca-prod", "shop/alpaca-prod",
                                              "default/bandicoot-prod"}));
  const nlohmann::json services = GetJson("/vigil/v1/services?namespace=shop", 200)["items"];
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0]["namespace"], "shop");
  EXPECT_EQ(services[0]["notReady"], 1);
  // Prometheus SD: a group per namespace's service.
  const nlohmann::json groups =
      GetJson("/vigil/v1/prometheus/targets?labelSelector=app%3Dalpaca-prod", 200);
  std::set<std::string> namespaces;
  for (const auto& group : groups) {
    namespaces.insert(group["labels"]["__meta_vigil_namespace"].get<std::string>());
  }
  EXPECT_EQ(namespaces, (std::set<std::string>{"default", "shop"}));
}

TEST_F(WatchApiTest, AWatchOfOneNamespaceSeesItsChangesOnly) {
  board_.Put({InNamespaceForWatch("shop", "alpaca-prod", {false})});
  auto shop = Watch("/vigil/v1/endpoints/alpaca-prod?watch=true&namespace=shop");
  auto every = Watch("/vigil/v1/endpoints/alpaca-prod?watch=true");
  ASSERT_TRUE(shop->WaitForChanges(1));
  ASSERT_TRUE(every->WaitForChanges(2));
  board_.Put({MakeEndpoints("alpaca-prod", {false})});               // default's flips
  board_.Put({InNamespaceForWatch("shop", "alpaca-prod", {true})});  // then shop's
  ASSERT_TRUE(shop->WaitForChanges(2));
  ASSERT_TRUE(every->WaitForChanges(4));
  const auto changes = shop->changes();
  ASSERT_EQ(changes.size(), 2u);
  for (const auto& e : changes) EXPECT_EQ(e["object"]["namespace"], "shop") << e.dump();
  EXPECT_EQ(changes[1]["type"], "MODIFIED");
  EXPECT_EQ(changes[1]["object"]["endpoints"][0]["conditions"]["ready"], true);
  EXPECT_EQ(every->changes()[2]["object"]["namespace"], "default");
}

}  // namespace
}  // namespace vigil
