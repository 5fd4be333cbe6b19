// The Kubernetes view served for real on loopback (KUBERNETES_API.md), read
// with a real HTTP client: discovery, lists, gets, Tables, selectors,
// errors, watches with their resourceVersion semantics, Events.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/api/api_server.h"
#include "agent/api/kube_view.h"
#include "agent/api/kubernetes/encoded.h"
#include "agent/api/kubernetes/envelopes.h"
#include "agent/api/kubernetes/objects.h"
#include "tests/exporters/registry/endpoints_fixtures.h"
#include "tests/support/watch_stream.h"

namespace vigil {
namespace {

using nlohmann::json;
using testing::Flip;
using testing::MakeEndpoints;

constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s."
    "io,application/json";
constexpr const char* kAggregatedAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/"
    "json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

class CountingObserver final : public ApiObserver {
 public:
  void OnApiRequest(const std::string& dialect, int code) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++requests_[dialect + " " + std::to_string(code)];
  }
  void OnApiWatches(const std::string& dialect, int delta) override {
    std::lock_guard<std::mutex> lock(mutex_);
    watches_[dialect] += delta;
  }
  int requests(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_[key];
  }
  int watches(const std::string& dialect) {
    std::lock_guard<std::mutex> lock(mutex_);
    return watches_[dialect];
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> requests_;
  std::map<std::string, int> watches_;
};

class KubeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alpaca_ = MakeEndpoints("alpaca-prod", {true, true, false});
    alpaca_.labels = {{"app", "alpaca"}, {"env", "prod"}};
    board_.Put({alpaca_, MakeEndpoints("bandicoot-prod", {true})});
    ASSERT_TRUE(server_.Start(ListenAddress{"127.0.0.1", 0}).ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_.port());
    client_->set_connection_timeout(std::chrono::seconds(5));
  }

  httplib::Result Get(const std::string& path, const std::string& accept = "") {
    httplib::Headers headers;
    if (!accept.empty()) headers.emplace("Accept", accept);
    return client_->Get(path, headers);
  }

  json GetJson(const std::string& path, int want_status, const std::string& accept = "") {
    const httplib::Result res = Get(path, accept);
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, want_status) << path << ": " << res->body;
    return json::parse(res->body);
  }

  // Flips endpoint i of alpaca-prod and commits it.
  void FlipAlpaca(size_t i) {
    Flip(alpaca_, i);
    board_.Put({alpaca_});
  }

  std::unique_ptr<testing::WatchStream> Watch(const std::string& target,
                                              const std::string& accept = "") {
    httplib::Headers headers;
    if (!accept.empty()) headers.emplace("Accept", accept);
    return std::make_unique<testing::WatchStream>("127.0.0.1", server_.port(), target, headers);
  }

  EndpointOccurrence Failed(const std::string& endpoint, const std::string& message) {
    EndpointOccurrence o;
    o.what = EndpointHappening::kWentNotReady;
    o.service = "alpaca-prod";
    o.endpoint = endpoint;
    o.node = "node-a";
    o.probe_message = message;
    return o;
  }

  EndpointsObject alpaca_;
  StatusBoard board_{StatusBoard::Options{.start_version = 100}};
  CountingObserver observer_;
  ApiServer server_{
      board_, board_, ApiHooks{},
      ApiOptions{.observer = &observer_,
                 .kubernetes = {.bookmark_interval = std::chrono::milliseconds(200)}}};
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(KubeApiTest, VersionClaimsAKubernetesMinor) {
  const json version = GetJson("/version?timeout=5s", 200);
  EXPECT_EQ(version["major"], "1");
  EXPECT_EQ(version["minor"], "32");
  EXPECT_TRUE(version["gitVersion"].get<std::string>().starts_with("v1.32.0-vigil."));
}

TEST_F(KubeApiTest, PlainDiscovery) {
  const json api = GetJson("/api?timeout=32s", 200);
  EXPECT_EQ(api["kind"], "APIVersions");
  EXPECT_EQ(api["versions"], json::array({"v1"}));
  const json apis = GetJson("/apis", 200);
  EXPECT_EQ(apis["groups"][0]["name"], "discovery.k8s.io");
  const json core = GetJson("/api/v1", 200);
  EXPECT_EQ(core["kind"], "APIResourceList");
  std::vector<std::string> names;
  for (const json& r : core["resources"]) {
    names.push_back(r["name"]);
    EXPECT_EQ(r["verbs"], json::array({"get", "list", "watch"}));
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"endpoints", "events", "namespaces", "services"}));
  EXPECT_EQ(GetJson("/apis/discovery.k8s.io/v1", 200)["resources"][0]["name"], "endpointslices");
  EXPECT_EQ(GetJson("/apis/discovery.k8s.io", 200)["kind"], "APIGroup");
}

TEST_F(KubeApiTest, AggregatedDiscoveryOnlyWhenAsked) {
  const httplib::Result res = Get("/api", kAggregatedAccept);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Content-Type"),
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  EXPECT_EQ(json::parse(res->body)["kind"], "APIGroupDiscoveryList");
  // kubectl 1.27-1.29 ask for v2beta1 only: plain JSON.
  const httplib::Result old =
      Get("/apis",
          "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
          "application/json");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(old->body)["kind"], "APIGroupList");
}

TEST_F(KubeApiTest, ListsAndGetsEveryKind) {
  const httplib::Result res = Get("/api/v1/namespaces/default/endpoints?limit=500");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache, private");
  const json list = json::parse(res->body);
  EXPECT_EQ(list["kind"], "EndpointsList");
  EXPECT_EQ(list["metadata"]["resourceVersion"], "102");
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "alpaca-prod");
  EXPECT_EQ(list["items"][0]["subsets"][0]["addresses"].size(), 2u);
  EXPECT_EQ(list["items"][0]["subsets"][0]["notReadyAddresses"][0]["ip"], "10.0.0.3");

  const json ep = GetJson("/api/v1/namespaces/default/endpoints/alpaca-prod", 200);
  EXPECT_EQ(ep["kind"], "Endpoints");
  EXPECT_EQ(ep["metadata"]["resourceVersion"], "101");
  const json svc = GetJson("/api/v1/namespaces/default/services/alpaca-prod", 200);
  EXPECT_EQ(svc["spec"]["clusterIP"], "None");
  const json slices = GetJson("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", 200);
  EXPECT_EQ(slices["kind"], "EndpointSliceList");
  EXPECT_EQ(slices["items"][0]["metadata"]["name"], "alpaca-prod-ipv4-8080");
  EXPECT_EQ(
      GetJson("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/alpaca-prod-ipv4-8080",
              200)["endpoints"]
          .size(),
      3u);
  EXPECT_EQ(GetJson("/api/v1/services", 200)["items"].size(), 2u);  // every namespace
  const json ns = GetJson("/api/v1/namespaces", 200);
  ASSERT_EQ(ns["items"].size(), 1u);
  EXPECT_EQ(ns["items"][0]["metadata"]["name"], "default");
  EXPECT_EQ(GetJson("/api/v1/namespaces/default", 200)["status"]["phase"], "Active");
  EXPECT_EQ(GetJson("/api/v1/namespaces/default/events", 200)["items"], json::array());
}

TEST_F(KubeApiTest, NamespacesOfTheServices) {
  EndpointsObject other = MakeEndpoints("web", {true});
  other.namespace_name = "shop";
  board_.Put({other});
  const json ns = GetJson("/api/v1/namespaces", 200);
  ASSERT_EQ(ns["items"].size(), 2u);
  EXPECT_EQ(ns["items"][1]["metadata"]["name"], "shop");
  EXPECT_EQ(GetJson("/api/v1/namespaces/shop/endpoints", 200)["items"].size(), 1u);
  EXPECT_EQ(GetJson("/api/v1/namespaces/default/endpoints", 200)["items"].size(), 2u);
  const json all = GetJson("/api/v1/endpoints", 200);
  ASSERT_EQ(all["items"].size(), 3u);
  EXPECT_EQ(all["items"][2]["metadata"]["namespace"], "shop");
  GetJson("/api/v1/namespaces/default/endpoints/web", 404);
}

// A namespace comes with its first service and goes with its last, in a
// watch as in the list; one resumed from a version when it was there sees
// it go too.
TEST_F(KubeApiTest, NamespaceWatchSeesANamespaceComeAndGo) {
  auto watch = Watch("/api/v1/namespaces?watch=1");
  ASSERT_TRUE(watch->WaitForChanges(1));  // default
  EndpointsObject web = MakeEndpoints("web", {true});
  web.namespace_name = "shop";
  EndpointsObject cart = MakeEndpoints("cart", {true});
  cart.namespace_name = "shop";
  board_.Put({web});                  // 103
  board_.Put({cart});                 // 104
  board_.Delete({{"shop", "web"}});   // 105: cart is still in shop
  board_.Delete({{"shop", "cart"}});  // 106: shop goes
  ASSERT_TRUE(watch->WaitForChanges(3));
  auto events = watch->changes();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "default");
  EXPECT_EQ(events[1]["type"], "ADDED");
  EXPECT_EQ(events[1]["object"]["metadata"]["name"], "shop");
  EXPECT_EQ(events[1]["object"]["metadata"]["resourceVersion"], "103");
  EXPECT_EQ(events[2]["type"], "DELETED");
  EXPECT_EQ(events[2]["object"]["metadata"]["name"], "shop");
  EXPECT_EQ(events[2]["object"]["metadata"]["resourceVersion"], "106");
  EXPECT_EQ(GetJson("/api/v1/namespaces", 200)["items"].size(), 1u);

  auto resumed = Watch("/api/v1/namespaces?resourceVersion=104&watch=1");
  ASSERT_TRUE(resumed->WaitForChanges(1));
  events = resumed->changes();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "DELETED");
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "shop");
}

TEST_F(KubeApiTest, NotFoundAnswers) {
  json status = GetJson("/api/v1/namespaces/default/endpoints/nope", 404);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "NotFound");
  EXPECT_EQ(status["message"], "endpoints \"nope\" not found");
  EXPECT_EQ(status["details"]["kind"], "endpoints");
  EXPECT_EQ(GetJson("/api/v1/namespaces/other", 404)["message"], "namespaces \"other\" not found");
  EXPECT_EQ(GetJson("/api/v1/namespaces/other/endpoints", 200)["items"], json::array());
  GetJson("/api/v1/namespaces/other/endpoints/alpaca-prod", 404);
  // A cluster-scoped get of a namespaced kind is no path.
  EXPECT_EQ(GetJson("/api/v1/endpoints/alpaca-prod", 404)["message"],
            "the server could not find the requested resource");
  GetJson("/api/v1/pods", 404);
  GetJson("/apis/apps/v1", 404);
}

TEST_F(KubeApiTest, WritesAreMethodNotAllowed) {
  const std::string path = "/api/v1/namespaces/default/endpoints/alpaca-prod";
  std::vector<httplib::Result> answers;
  answers.push_back(client_->Delete(path));
  answers.push_back(
      client_->Post("/api/v1/namespaces/default/endpoints", "{}", "application/json"));
  answers.push_back(client_->Put(path, "{}", "application/json"));
  answers.push_back(client_->Patch(path, "{}", "application/merge-patch+json"));
  answers.push_back(client_->Delete("/api/v1/namespaces/default/services/alpaca-prod"));
  for (const httplib::Result& res : answers) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 405);
    const json status = json::parse(res->body);
    EXPECT_EQ(status["reason"], "MethodNotAllowed");
    EXPECT_EQ(status["message"], "the server does not allow this method on the requested resource");
  }
  EXPECT_EQ(GetJson(path, 200)["metadata"]["resourceVersion"], "101");  // unchanged
}

TEST_F(KubeApiTest, BadParametersAreBadRequests) {
  for (const char* query : {"labelSelector=a%20b", "watch=maybe", "resourceVersion=abc&watch=1",
                            "fieldSelector=spec.nodeName%3Dx", "includeObject=All"}) {
    const json status = GetJson(std::string("/api/v1/namespaces/default/endpoints?") + query, 400);
    EXPECT_EQ(status["reason"], "BadRequest") << query;
    EXPECT_EQ(status["code"], 400) << query;
  }
}

TEST_F(KubeApiTest, MediaTypes) {
  const std::string path = "/api/v1/namespaces/default/endpoints/alpaca-prod";
  const json status = GetJson(path, 406, "application/vnd.kubernetes.protobuf");
  EXPECT_EQ(status["reason"], "NotAcceptable");
  EXPECT_EQ(GetJson(path, 200, "application/vnd.kubernetes.protobuf,application/json")["kind"],
            "Endpoints");
  EXPECT_EQ(GetJson(path, 200, "*/*")["kind"], "Endpoints");
}

TEST_F(KubeApiTest, Tables) {
  const json table = GetJson("/api/v1/namespaces/default/endpoints?limit=500", 200, kTableAccept);
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(table["metadata"]["resourceVersion"], "102");
  ASSERT_EQ(table["rows"].size(), 2u);
  EXPECT_EQ(table["rows"][0]["cells"][0], "alpaca-prod");
  EXPECT_EQ(table["rows"][0]["cells"][1], "10.0.0.1:8080,10.0.0.2:8080");
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  const json one = GetJson("/api/v1/namespaces/default/services/alpaca-prod?includeObject=Object",
                           200, kTableAccept);
  ASSERT_EQ(one["rows"].size(), 1u);
  EXPECT_EQ(one["rows"][0]["object"]["kind"], "Service");
  EXPECT_EQ(one["metadata"]["resourceVersion"],
            one["rows"][0]["object"]["metadata"]["resourceVersion"]);
}

// Every object is encoded once per committed version and the answers are
// written from those encodings: byte for byte what the codecs' trees give,
// and each change shows in the next answer, list or Table.
TEST_F(KubeApiTest, AnswersAreTheCodecsAndFollowEachChange) {
  const auto expected_list = [&] {
    std::vector<kube::KubeJson> items;
    for (const auto& object : board_.Snapshot().services) {
      items.push_back(kube::EncodeEndpoints(*object));
    }
    return kube::Dump(
               kube::EncodeList(kube::Resource::kEndpoints, items, board_.resource_version())) +
           "\n";
  };
  const auto ready_cell = [&] {
    return GetJson("/api/v1/endpoints", 200, kTableAccept)["rows"][0]["cells"][1];
  };
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Get("/api/v1/endpoints")->body, expected_list());
    EXPECT_EQ(Get("/api/v1/endpoints")->body, expected_list());  // the same, again
    EXPECT_EQ(ready_cell(), round % 2 == 0 ? "10.0.0.1:8080,10.0.0.2:8080" : "10.0.0.2:8080");
    FlipAlpaca(0);
  }
  EXPECT_EQ(Get("/api/v1/namespaces/default/endpoints/alpaca-prod")->body,
            kube::Dump(kube::EncodeEndpoints(*board_.Get({"default", "alpaca-prod"}))) + "\n");
  alpaca_.labels["env"] = "dev";
  board_.Put({alpaca_});
  EXPECT_EQ(
      GetJson("/api/v1/namespaces/default/endpoints?labelSelector=env%3Dprod", 200)["items"].size(),
      0u);
  EXPECT_EQ(Get("/api/v1/endpoints")->body, expected_list());
}

TEST_F(KubeApiTest, Selectors) {
  EXPECT_EQ(
      GetJson("/api/v1/namespaces/default/endpoints?labelSelector=env%3Dprod", 200)["items"].size(),
      1u);
  EXPECT_EQ(
      GetJson("/api/v1/namespaces/default/endpoints?labelSelector=env%21%3Dprod", 200)["items"]
          .size(),
      1u);
  EXPECT_EQ(GetJson("/api/v1/namespaces/default/services?labelSelector=app%20in%20(alpaca,x)",
                    200)["items"]
                .size(),
            1u);
  EXPECT_EQ(GetJson("/api/v1/namespaces/default/endpoints?fieldSelector=metadata.name%3Dbandicoot-"
                    "prod",
                    200)["items"][0]["metadata"]["name"],
            "bandicoot-prod");
  EXPECT_EQ(GetJson("/apis/discovery.k8s.io/v1/namespaces/default/"
                    "endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dalpaca-prod",
                    200)["items"]
                .size(),
            1u);
}

TEST_F(KubeApiTest, ServiceVersionDoesNotMoveOnAFlip) {
  const json before = GetJson("/api/v1/namespaces/default/services/alpaca-prod", 200);
  FlipAlpaca(0);
  const json after = GetJson("/api/v1/namespaces/default/services/alpaca-prod", 200);
  EXPECT_EQ(before["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"]);
  EXPECT_EQ(GetJson("/api/v1/namespaces/default/endpoints/alpaca-prod",
                    200)["metadata"]["resourceVersion"],
            "103");
  alpaca_.labels["ver"] = "2";
  board_.Put({alpaca_});
  EXPECT_EQ(GetJson("/api/v1/namespaces/default/services/alpaca-prod",
                    200)["metadata"]["resourceVersion"],
            "104");
}

TEST_F(KubeApiTest, NamedWatchFromZeroStartsWithTheObject) {
  auto watch = Watch(
      "/api/v1/namespaces/default/endpoints?fieldSelector=metadata.name%3Dalpaca-prod&"
      "resourceVersion=0&watch=true");
  ASSERT_TRUE(watch->WaitForChanges(1));
  EXPECT_EQ(watch->Status(), 200);
  EXPECT_EQ(watch->content_type(), "application/json");
  FlipAlpaca(2);
  ASSERT_TRUE(watch->WaitForChanges(2));
  const auto events = watch->changes();
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["kind"], "Endpoints");
  EXPECT_EQ(events[1]["type"], "MODIFIED");
  EXPECT_EQ(events[1]["object"]["metadata"]["resourceVersion"], "103");
  EXPECT_EQ(events[1]["object"]["subsets"][0]["addresses"].size(), 3u);
  EXPECT_EQ(observer_.watches("kubernetes"), 1);
  EXPECT_GE(observer_.requests("kubernetes 200"), 1);
}

TEST_F(KubeApiTest, ObjectPathWatchAndPythonBooleans) {
  auto watch = Watch("/api/v1/namespaces/default/endpoints/bandicoot-prod?watch=True");
  ASSERT_TRUE(watch->WaitForChanges(1));
  FlipAlpaca(0);  // another object: nothing for this watch
  board_.Put({MakeEndpoints("bandicoot-prod", {false})});
  ASSERT_TRUE(watch->WaitForChanges(2));
  const auto events = watch->changes();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["object"]["metadata"]["name"], "bandicoot-prod");
  EXPECT_EQ(events[1]["object"]["metadata"]["resourceVersion"], "104");
}

TEST_F(KubeApiTest, ResumeGivesExactlyTheLaterChanges) {
  FlipAlpaca(0);  // 103
  FlipAlpaca(1);  // 104
  FlipAlpaca(0);  // 105
  auto watch = Watch("/api/v1/namespaces/default/endpoints?resourceVersion=103&watch=1");
  ASSERT_TRUE(watch->WaitForChanges(2));
  auto events = watch->changes();
  EXPECT_EQ(events[0]["type"], "MODIFIED");
  EXPECT_EQ(events[0]["object"]["metadata"]["resourceVersion"], "104");
  EXPECT_EQ(events[1]["object"]["metadata"]["resourceVersion"], "105");
  // From the last version: nothing until the next change.
  auto last = Watch("/api/v1/namespaces/default/endpoints?resourceVersion=105&watch=1");
  FlipAlpaca(1);  // 106
  ASSERT_TRUE(last->WaitForChanges(1));
  EXPECT_EQ(last->changes()[0]["object"]["metadata"]["resourceVersion"], "106");
  ASSERT_TRUE(watch->WaitForChanges(3));
  EXPECT_EQ(watch->changes().size(), 3u);
}

TEST_F(KubeApiTest, VersionsOutsideTheHistoryExpire) {
  for (const char* rv : {"99", "1000000"}) {
    auto watch =
        Watch(std::string("/api/v1/namespaces/default/endpoints?watch=true&resourceVersion=") + rv);
    ASSERT_TRUE(watch->WaitForEnd()) << rv;
    EXPECT_EQ(watch->Status(), 200);
    const auto events = watch->events();
    ASSERT_EQ(events.size(), 1u) << rv;
    EXPECT_EQ(events[0]["type"], "ERROR");
    EXPECT_EQ(events[0]["object"]["code"], 410);
    EXPECT_EQ(events[0]["object"]["reason"], "Expired");
    EXPECT_TRUE(events[0]["object"]["message"].get<std::string>().starts_with(
        std::string("too old resource version: ") + rv));
  }
}

TEST_F(KubeApiTest, BookmarksOnlyWhenAskedAndTheWatchEndsAtItsTimeout) {
  auto watch = Watch(
      "/api/v1/namespaces/default/endpoints?allowWatchBookmarks=true&timeoutSeconds=1&watch=true");
  auto plain = Watch("/api/v1/namespaces/default/endpoints?timeoutSeconds=1&watch=true");
  ASSERT_TRUE(watch->WaitForEnd(std::chrono::seconds(5)));
  ASSERT_TRUE(plain->WaitForEnd(std::chrono::seconds(5)));
  const auto events = watch->events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back()["type"], "BOOKMARK");
  EXPECT_EQ(events.back()["object"], json({{"kind", "Endpoints"},
                                           {"apiVersion", "v1"},
                                           {"metadata", {{"resourceVersion", "102"}}}}));
  for (const json& e : plain->events()) EXPECT_NE(e["type"], "BOOKMARK");
  EXPECT_EQ(plain->events().size(), 2u);
}

// The ADDED events of a large list (here 0.7 MB of slices) go out a batch
// at a time, in order, then the changes after them; a bookmark comes only
// once they are all out, at the version they were taken at.
TEST_F(KubeApiTest, ALargeStartGoesOutInBatchesInOrder) {
  constexpr size_t kLarge = 12;
  std::vector<EndpointsObject> large;
  for (size_t i = 0; i < kLarge; ++i) {
    large.push_back(testing::MakeLargeEndpoints("large-" + std::to_string(100 + i), 400));
  }
  board_.Put(large);
  const uint64_t version = board_.resource_version();
  auto watch = Watch("/apis/discovery.k8s.io/v1/endpointslices?allowWatchBookmarks=true&watch=1");
  ASSERT_TRUE(watch->WaitForChanges(kLarge + 2, std::chrono::seconds(30)));
  FlipAlpaca(0);
  ASSERT_TRUE(watch->WaitForChanges(kLarge + 3, std::chrono::seconds(30)));
  std::vector<std::string> names;
  size_t bytes = 0;
  for (const json& e : watch->events()) {
    if (e["type"] == "BOOKMARK") {
      EXPECT_GE(names.size(), kLarge + 2) << "a bookmark before the start was out";
      EXPECT_GE(std::stoull(e["object"]["metadata"]["resourceVersion"].get<std::string>()),
                version);
      continue;
    }
    bytes += e.dump().size();
    names.push_back(e["object"]["metadata"]["name"]);
    EXPECT_EQ(e["type"], names.size() <= kLarge + 2 ? "ADDED" : "MODIFIED");
  }
  EXPECT_GT(bytes, 2 * KubeWatch::kBatchBytes);
  ASSERT_EQ(names.size(), kLarge + 3);
  EXPECT_EQ(names[0], "alpaca-prod-ipv4-8080");
  EXPECT_EQ(names[1], "bandicoot-prod-ipv4-8080");
  for (size_t i = 0; i < kLarge; ++i) {
    EXPECT_EQ(names[2 + i], "large-" + std::to_string(100 + i) + "-ipv4-8080");
  }
  EXPECT_EQ(names[kLarge + 2], "alpaca-prod-ipv4-8080");
}

TEST_F(KubeApiTest, ServiceWatchIgnoresFlips) {
  auto watch = Watch("/api/v1/namespaces/default/services?resourceVersion=102&watch=true");
  FlipAlpaca(0);
  alpaca_.labels["ver"] = "2";
  board_.Put({alpaca_});
  ASSERT_TRUE(watch->WaitForChanges(1));
  const auto events = watch->changes();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "MODIFIED");
  EXPECT_EQ(events[0]["object"]["metadata"]["labels"]["ver"], "2");
  EXPECT_EQ(events[0]["object"]["metadata"]["resourceVersion"], "104");
}

TEST_F(KubeApiTest, SelectorWatchSeesObjectsLeaveAndJoin) {
  auto watch = Watch("/api/v1/namespaces/default/endpoints?labelSelector=env%3Dprod&watch=true");
  ASSERT_TRUE(watch->WaitForChanges(1));
  alpaca_.labels["env"] = "dev";
  board_.Put({alpaca_});  // 103: leaves
  alpaca_.labels["env"] = "prod";
  board_.Put({alpaca_});  // 104: joins
  ASSERT_TRUE(watch->WaitForChanges(3));
  const auto events = watch->changes();
  EXPECT_EQ(events[1]["type"], "DELETED");
  EXPECT_EQ(events[1]["object"]["metadata"]["resourceVersion"], "103");
  EXPECT_EQ(events[2]["type"], "ADDED");
}

TEST_F(KubeApiTest, SliceWatchPerSlice) {
  auto watch = Watch(
      "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=1&"
      "resourceVersion=102");
  EndpointsObject mixed = alpaca_;
  EndpointStatus v6;
  v6.address = "fd00::1";
  v6.port = 8080;
  v6.node = "node-a";
  v6.conditions = {true, true, false};
  mixed.endpoints.push_back(v6);
  board_.Put({mixed});    // 103: a v6 slice appears; the v4 one does not change
  board_.Put({alpaca_});  // 104: and goes
  ASSERT_TRUE(watch->WaitForChanges(2));
  const auto events = watch->changes();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "alpaca-prod-ipv6-8080");
  EXPECT_EQ(events[1]["type"], "DELETED");
  EXPECT_EQ(events[1]["object"]["metadata"]["name"], "alpaca-prod-ipv6-8080");
  EXPECT_EQ(events[1]["object"]["metadata"]["resourceVersion"], "104");
}

TEST_F(KubeApiTest, TableWatchSendsColumnsOnce) {
  auto watch =
      Watch("/api/v1/namespaces/default/endpoints?resourceVersion=102&watch=true", kTableAccept);
  FlipAlpaca(0);
  FlipAlpaca(0);
  ASSERT_TRUE(watch->WaitForChanges(2));
  const auto events = watch->changes();
  EXPECT_EQ(events[0]["object"]["kind"], "Table");
  EXPECT_EQ(events[0]["object"]["columnDefinitions"].size(), 3u);
  EXPECT_EQ(events[0]["object"]["rows"].size(), 1u);
  EXPECT_EQ(events[0]["object"]["metadata"]["resourceVersion"], "103");
  EXPECT_EQ(events[0]["object"]["rows"][0]["cells"][1], "10.0.0.2:8080");
  EXPECT_FALSE(events[1]["object"].contains("columnDefinitions") &&
               !events[1]["object"]["columnDefinitions"].empty());
}

TEST_F(KubeApiTest, EventsFromOccurrences) {
  board_.RecordOccurrences({Failed("10.0.0.3:8080", "HTTP probe failed with statuscode: 503")},
                           std::chrono::system_clock::now());
  const json ep = GetJson("/api/v1/namespaces/default/endpoints/alpaca-prod", 200);
  const std::string uid = ep["metadata"]["uid"];
  const std::string query =
      "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dalpaca-prod%"
      "2CinvolvedObject.namespace%3Ddefault%2CinvolvedObject.kind%3DEndpoints%"
      "2CinvolvedObject.uid%3D" +
      uid + "&limit=500";
  json list = GetJson(query, 200, "application/vnd.kubernetes.protobuf,application/json");
  ASSERT_EQ(list["items"].size(), 1u);
  const json event = list["items"][0];
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["reason"], "Unhealthy");
  EXPECT_EQ(event["message"],
            "10.0.0.3:8080: Readiness probe failed: HTTP probe failed with statuscode: 503");
  EXPECT_EQ(event["metadata"]["resourceVersion"], "103");
  EXPECT_EQ(event["involvedObject"]["resourceVersion"], "101");
  EXPECT_EQ(event["count"], 1);

  auto watch = Watch("/api/v1/namespaces/default/events?resourceVersion=103&watch=true");
  // The same again: one Event, counted twice.
  board_.RecordOccurrences({Failed("10.0.0.3:8080", "HTTP probe failed with statuscode: 503")},
                           std::chrono::system_clock::now());
  ASSERT_TRUE(watch->WaitForChanges(1));
  EXPECT_EQ(watch->changes()[0]["type"], "MODIFIED");
  EXPECT_EQ(watch->changes()[0]["object"]["count"], 2);
  EXPECT_EQ(watch->changes()[0]["object"]["metadata"]["name"], event["metadata"]["name"]);
  list = GetJson("/api/v1/namespaces/default/events?fieldSelector=type%3DWarning", 200);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["metadata"]["resourceVersion"], "104");
  EXPECT_EQ(GetJson("/api/v1/namespaces/default/events?fieldSelector=type%3DNormal", 200)["items"],
            json::array());
  EXPECT_EQ(
      GetJson("/api/v1/namespaces/default/events/" + event["metadata"]["name"].get<std::string>(),
              200)["count"],
      2);
}

// A service is known by its namespace and name: alpaca-prod in shop is its
// own Endpoints, Service, slices and Events, and a watch of one namespace
// sees only its own changes.
TEST_F(KubeApiTest, TheSameNameInTwoNamespaces) {
  EndpointsObject shop = MakeEndpoints("alpaca-prod", {false});
  shop.namespace_name = "shop";
  shop.endpoints[0].address = "10.9.0.1";
  board_.Put({shop});  // 103
  const json in_shop = GetJson("/api/v1/namespaces/shop/endpoints/alpaca-prod", 200);
  EXPECT_EQ(in_shop["metadata"]["namespace"], "shop");
  EXPECT_EQ(in_shop["subsets"][0]["notReadyAddresses"][0]["ip"], "10.9.0.1");
  const json in_default = GetJson("/api/v1/namespaces/default/endpoints/alpaca-prod", 200);
  EXPECT_EQ(in_default["subsets"][0]["addresses"].size(), 2u);
  EXPECT_NE(in_shop["metadata"]["uid"], in_default["metadata"]["uid"]);
  std::vector<std::string> all;
  const json list = GetJson("/api/v1/endpoints", 200);
  for (const json& item : list["items"]) {
    all.push_back(item["metadata"]["namespace"].get<std::string>() + "/" +
                  item["metadata"]["name"].get<std::string>());
  }
  EXPECT_EQ(all, (std::vector<std::string>{"default/alpaca-prod", "default/bandicoot-prod",
                                           "shop/alpaca-prod"}));
  EXPECT_EQ(GetJson("/api/v1/namespaces/shop/services", 200)["items"].size(), 1u);
  EXPECT_EQ(
      GetJson("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices", 200)["items"].size(), 1u);

  // Each namespace's Events point at its own Endpoints.
  EndpointOccurrence failed = Failed("10.9.0.1:8080", "HTTP probe failed with statuscode: 503");
  failed.namespace_name = "shop";
  board_.RecordOccurrences({failed, Failed("10.0.0.3:8080", "HTTP probe failed")},
                           std::chrono::system_clock::now());
  const json shop_events = GetJson("/api/v1/namespaces/shop/events", 200)["items"];
  ASSERT_EQ(shop_events.size(), 1u);
  EXPECT_EQ(shop_events[0]["involvedObject"]["namespace"], "shop");
  EXPECT_EQ(shop_events[0]["involvedObject"]["uid"], in_shop["metadata"]["uid"]);
  EXPECT_EQ(shop_events[0]["involvedObject"]["resourceVersion"], "103");
  const json default_events = GetJson("/api/v1/namespaces/default/events", 200)["items"];
  ASSERT_EQ(default_events.size(), 1u);
  EXPECT_EQ(default_events[0]["involvedObject"]["uid"], in_default["metadata"]["uid"]);

  auto shop_watch = Watch("/api/v1/namespaces/shop/endpoints/alpaca-prod?watch=true");
  auto default_watch = Watch("/api/v1/namespaces/default/endpoints/alpaca-prod?watch=true");
  ASSERT_TRUE(shop_watch->WaitForChanges(1));
  ASSERT_TRUE(default_watch->WaitForChanges(1));
  FlipAlpaca(0);  // default's
  Flip(shop, 0);
  board_.Put({shop});
  ASSERT_TRUE(shop_watch->WaitForChanges(2));
  ASSERT_TRUE(default_watch->WaitForChanges(2));
  const auto shop_changes = shop_watch->changes();
  ASSERT_EQ(shop_changes.size(), 2u);
  EXPECT_EQ(shop_changes[1]["type"], "MODIFIED");
  EXPECT_EQ(shop_changes[1]["object"]["metadata"]["namespace"], "shop");
  EXPECT_EQ(shop_changes[1]["object"]["subsets"][0]["addresses"][0]["ip"], "10.9.0.1");
  const auto default_changes = default_watch->changes();
  ASSERT_EQ(default_changes.size(), 2u);
  EXPECT_EQ(default_changes[1]["object"]["metadata"]["namespace"], "default");
}

TEST_F(KubeApiTest, VigilDialectMovedUnderItsOwnRoot) {
  EXPECT_EQ(GetJson("/vigil/v1/endpoints/alpaca-prod", 200)["namespace"], "default");
  EXPECT_EQ(GetJson("/vigil/v1/services", 200)["items"][0]["namespace"], "default");
  EXPECT_EQ(observer_.requests("vigil 200"), 2);
  EXPECT_EQ(observer_.requests("kubernetes 200"), 0);
}

// With etcd the served board is the cluster view (at etcd's revisions) and
// the Events are the agent's own, on its local board: each points at the
// cluster view's Endpoints object, whatever the local one's creation time.
TEST(KubeApiEventsBoardTest, EventsOfTheLocalBoardPointAtTheServedEndpoints) {
  StatusBoard cluster({.start_version = 0});
  StatusBoard local({.start_version = 5000});
  EndpointsObject web = MakeEndpoints("web", {true});
  web.creation_time = std::chrono::system_clock::now() - std::chrono::hours(1);
  cluster.ReplaceAt(40, {web});
  EndpointsObject mine = MakeEndpoints("web", {false});
  mine.creation_time = std::chrono::system_clock::now();
  local.Put({mine});
  EndpointOccurrence o;
  o.service = "web";
  o.endpoint = "10.0.0.1:8080";
  o.node = "node-a";
  o.probe_message = "HTTP probe failed with statuscode: 503";
  local.RecordOccurrences({o}, std::chrono::system_clock::now());
  ApiServer server(cluster, cluster, ApiHooks{}, ApiOptions{.events = &local});
  ASSERT_TRUE(server.Start(ListenAddress{"127.0.0.1", 0}).ok());
  httplib::Client client("127.0.0.1", server.port());
  const json ep = json::parse(client.Get("/api/v1/namespaces/default/endpoints/web")->body);
  EXPECT_EQ(ep["metadata"]["resourceVersion"], "40");
  const json events =
      json::parse(client
                      .Get("/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid%3D" +
                           ep["metadata"]["uid"].get<std::string>())
                      ->body);
  ASSERT_EQ(events["items"].size(), 1u);
  EXPECT_EQ(events["items"][0]["involvedObject"]["resourceVersion"], "40");
  EXPECT_EQ(events["metadata"]["resourceVersion"], "5002");
  // Their watch is woken by the local board.
  testing::WatchStream watch("127.0.0.1", server.port(),
                             "/api/v1/namespaces/default/events?watch=1&resourceVersion=5002");
  local.RecordOccurrences({o}, std::chrono::system_clock::now());
  ASSERT_TRUE(watch.WaitForChanges(1));
  EXPECT_EQ(watch.changes()[0]["object"]["count"], 2);
  EXPECT_EQ(watch.changes()[0]["object"]["involvedObject"]["uid"], ep["metadata"]["uid"]);
}

}  // namespace
}  // namespace vigil
