#include "agent/cli/kubectl_printer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace vigil {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-26T10:30:00Z
const WallTime kNow = std::chrono::system_clock::from_time_t(1795689000);

json Endpoint(std::string address, int port, std::string node, bool ready,
              std::string last_transition, json last_probe = nullptr, json last_result = nullptr,
              std::string message = "", json last_reason = nullptr) {
  json endpoint = {{"address", std::move(address)},
                   {"port", port},
                   {"node", std::move(node)},
                   {"conditions", {{"ready", ready}, {"serving", ready}, {"terminating", false}}},
                   {"lastTransitionTime", std::move(last_transition)},
                   {"lastProbeTime", std::move(last_probe)},
                   {"lastResult", std::move(last_result)},
                   {"message", std::move(message)}};
  if (!last_reason.is_null()) endpoint["lastReason"] = std::move(last_reason);
  return endpoint;
}

json EndpointsObject(std::string name, json labels, std::string created, json endpoints) {
  return {{"kind", "Endpoints"},
          {"name", std::move(name)},
          {"labels", std::move(labels)},
          {"resourceVersion", "42"},
          {"creationTimestamp", std::move(created)},
          {"ports", {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}},
          {"endpoints", std::move(endpoints)}};
}

// An Endpoints object with `ready` ready endpoints 10.0.0.1.. and
// `not_ready` not-ready ones after them.
json WithEndpoints(int ready, int not_ready) {
  json endpoints = json::array();
  for (int i = 1; i <= ready + not_ready; ++i) {
    endpoints.push_back(Endpoint("10.0.0." + std::to_string(i), 8080, "node-a", i <= ready,
                                 "2026-11-26T10:00:00Z"));
  }
  return EndpointsObject("web", json::object(), "2026-11-26T10:00:00Z", std::move(endpoints));
}

// alpaca-prod: 10.0.0.1 and .2 ready, 10.0.0.3 failing, fd00::1 never probed.
json Alpaca() {
  json object = EndpointsObject(
      "alpaca-prod", {{"app", "alpaca"}, {"env", "prod"}}, "2026-11-26T10:25:00Z",
      {Endpoint("10.0.0.1", 8080, "node-a", true, "2026-11-26T10:20:00Z", "2026-11-26T10:29:57Z",
                "success"),
       Endpoint("10.0.0.2", 8080, "node-b", true, "2026-11-26T10:25:00Z", "2026-11-26T10:29:58Z",
                "success"),
       Endpoint("10.0.0.3", 8080, "node-b", false, "2026-11-26T10:29:20Z", "2026-11-26T10:29:59Z",
                "failure", "HTTP probe failed with statuscode: 503", "status"),
       Endpoint("fd00::1", 8080, "node-c", false, "2026-11-26T10:29:50Z")});
  object["ports"].push_back({{"port", 9090}, {"protocol", "TCP"}});
  return object;
}

json AlpacaTransitions() {
  return {{"kind", "TransitionList"},
          {"items",
           {{{"time", "2026-11-26T10:25:00Z"},
             {"endpoint", "10.0.0.2:8080"},
             {"node", "node-b"},
             {"ready", true},
             {"reason", "ready after 1 consecutive success"}},
            {{"time", "2026-11-26T10:29:20Z"},
             {"endpoint", "10.0.0.3:8080"},
             {"node", "node-b"},
             {"ready", false},
             {"reason",
              "not ready after 3 consecutive failures: HTTP probe failed with statuscode: 503"}}}}};
}

json Bandicoot() {
  return EndpointsObject("bandicoot-prod", {{"app", "bandicoot"}}, "2026-11-24T07:00:00Z",
                         {Endpoint("10.0.1.1", 8080, "node-b", false, "2026-11-26T10:29:00Z")});
}

// --- ENDPOINTS column ------------------------------------------------------------------

TEST(KubectlEndpointsColumnTest, ShowsUpToThreeReadyEndpoints) {
  EXPECT_EQ(FormatEndpointsColumn(WithEndpoints(0, 0)), "<none>");
  EXPECT_EQ(FormatEndpointsColumn(WithEndpoints(0, 2)), "<none>");
  EXPECT_EQ(FormatEndpointsColumn(WithEndpoints(1, 0)), "10.0.0.1:8080");
  EXPECT_EQ(FormatEndpointsColumn(WithEndpoints(3, 1)),
            "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080");
  EXPECT_EQ(FormatEndpointsColumn(WithEndpoints(4, 0)),
            "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...");
  EXPECT_EQ(FormatEndpointsColumn(WithEndpoints(10, 5)),
            "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 7 more...");
}

TEST(KubectlEndpointsColumnTest, SkipsNotReadyAndBracketsIpv6) {
  const json object =
      EndpointsObject("web", json::object(), "2026-11-26T10:00:00Z",
                      {Endpoint("10.0.0.9", 80, "n", false, "2026-11-26T10:00:00Z"),
                       Endpoint("::1", 8080, "n", true, "2026-11-26T10:00:00Z"),
                       Endpoint("fd00::1", 9090, "n", true, "2026-11-26T10:00:00Z")});
  EXPECT_EQ(FormatEndpointsColumn(object), "[::1]:8080,[fd00::1]:9090");
}

TEST(KubectlEndpointsColumnTest, CountsAnAddressReadyOnSeveralNodesOnce) {
  const json object =
      EndpointsObject("web", json::object(), "2026-11-26T10:00:00Z",
                      {Endpoint("10.0.0.1", 80, "node-a", true, "2026-11-26T10:00:00Z"),
                       Endpoint("10.0.0.2", 80, "node-a", true, "2026-11-26T10:00:00Z"),
                       Endpoint("10.0.0.1", 80, "node-b", true, "2026-11-26T10:00:00Z"),
                       Endpoint("10.0.0.2", 80, "node-b", false, "2026-11-26T10:00:00Z"),
                       Endpoint("10.0.0.1", 81, "node-b", true, "2026-11-26T10:00:00Z"),
                       Endpoint("10.0.0.3", 80, "node-c", true, "2026-11-26T10:00:00Z"),
                       Endpoint("10.0.0.4", 80, "node-c", true, "2026-11-26T10:00:00Z")});
  EXPECT_EQ(FormatEndpointsColumn(object), "10.0.0.1:80,10.0.0.2:80,10.0.0.1:81 + 2 more...");
}

TEST(KubectlEndpointsColumnTest, ToleratesMalformedInput) {
  EXPECT_EQ(FormatEndpointsColumn(json()), "<none>");
  EXPECT_EQ(FormatEndpointsColumn(json::array()), "<none>");
  EXPECT_EQ(FormatEndpointsColumn({{"endpoints", "oops"}}), "<none>");
  EXPECT_EQ(FormatEndpointsColumn(
                {{"endpoints", {{{"address", "10.0.0.1"}, {"conditions", {{"ready", true}}}}}}}),
            "10.0.0.1");
}

// --- get endpoints ------------------------------------------------------------------------

TEST(KubectlEndpointsTableTest, PrintsNameEndpointsAge) {
  EXPECT_EQ(FormatEndpointsTable({Alpaca(), Bandicoot(), WithEndpoints(5, 0)}, kNow, {}),
            "NAME             ENDPOINTS                                               AGE\n"
            "alpaca-prod      10.0.0.1:8080,10.0.0.2:8080                             5m\n"
            "bandicoot-prod   <none>                                                  2d3h\n"
            "web              10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 2 more...   30m\n");
}

TEST(KubectlEndpointsTableTest, WideAddsNodesAndLabels) {
  EXPECT_EQ(
      FormatEndpointsTable({Alpaca(), Bandicoot(), WithEndpoints(0, 0)}, kNow, {.wide = true}),
      "NAME             ENDPOINTS                     AGE    NODES                  LABELS\n"
      "alpaca-prod      10.0.0.1:8080,10.0.0.2:8080   5m     node-a,node-b,node-c   "
      "app=alpaca,env=prod\n"
      "bandicoot-prod   <none>                        2d3h   node-b                 "
      "app=bandicoot\n"
      "web              <none>                        30m    <none>                 <none>\n");
}

TEST(KubectlEndpointsTableTest, SeveralNamespacesGetANamespaceColumn) {
  json shop = Alpaca();
  shop["namespace"] = "shop";
  json other = Alpaca();
  other["namespace"] = "default";
  const json items = {other, shop};
  EXPECT_TRUE(SeveralNamespaces(items));
  EXPECT_FALSE(SeveralNamespaces(json::array({shop, shop})));
  EXPECT_FALSE(SeveralNamespaces(json::array()));
  EXPECT_EQ(FormatEndpointsTable(items, kNow, {.namespaces = true}),
            "NAMESPACE   NAME          ENDPOINTS                     AGE\n"
            "default     alpaca-prod   10.0.0.1:8080,10.0.0.2:8080   5m\n"
            "shop        alpaca-prod   10.0.0.1:8080,10.0.0.2:8080   5m\n");
  const json services = {{{"name", "web"}, {"namespace", "blog"}, {"ready", 1}, {"notReady", 0}},
                         {{"name", "web"}, {"namespace", "shop"}, {"ready", 0}, {"notReady", 2}}};
  EXPECT_EQ(FormatServicesTable(services, kNow, {.namespaces = true}),
            "NAMESPACE   NAME   READY   PORT(S)   AGE\n"
            "blog        web    1/1     <none>    <unknown>\n"
            "shop        web    0/2     <none>    <unknown>\n");
}

TEST(KubectlEndpointsTableTest, HeaderCanBeLeftOut) {
  EXPECT_EQ(FormatEndpointsTable(json::array({Bandicoot()}), kNow, {.header = false}),
            "bandicoot-prod   <none>   2d3h\n");
}

TEST(KubectlEndpointsTableTest, AcceptsOneObjectAsAWatchEventCarriesIt) {
  EXPECT_EQ(FormatEndpointsTable(Bandicoot(), kNow, {.header = false}),
            "bandicoot-prod   <none>   2d3h\n");
}

TEST(KubectlEndpointsTableTest, AcceptsAListObject) {
  const json list = {{"kind", "EndpointsList"}, {"items", {Bandicoot()}}};
  EXPECT_EQ(FormatEndpointsTable(list, kNow, {}),
            "NAME             ENDPOINTS   AGE\n"
            "bandicoot-prod   <none>      2d3h\n");
}

TEST(KubectlEndpointsTableTest, EmptyListPrintsNothing) {
  EXPECT_EQ(FormatEndpointsTable(json::array(), kNow, {}), "");
  EXPECT_EQ(FormatEndpointsTable({{"kind", "EndpointsList"}, {"items", json::array()}}, kNow, {}),
            "");
  EXPECT_EQ(kNoResourcesFound, "No resources found.");
}

TEST(KubectlEndpointsTableTest, WatchRowsKeepTheFirstTablesWidths) {
  TableLayout layout;
  EXPECT_EQ(FormatEndpointsTable({Alpaca(), Bandicoot()}, kNow, {}, &layout),
            "NAME             ENDPOINTS                     AGE\n"
            "alpaca-prod      10.0.0.1:8080,10.0.0.2:8080   5m\n"
            "bandicoot-prod   <none>                        2d3h\n");
  // A shorter row lines up with the table above.
  EXPECT_EQ(
      FormatEndpointsTable(json::array({WithEndpoints(0, 1)}), kNow, {.header = false}, &layout),
      "web              <none>                        30m\n");
  // A wider cell widens its column, for this row and the next ones.
  EXPECT_EQ(
      FormatEndpointsTable(json::array({WithEndpoints(3, 0)}), kNow, {.header = false}, &layout),
      "web              10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080   30m\n");
  EXPECT_EQ(FormatEndpointsTable(json::array({Bandicoot()}), kNow, {.header = false}, &layout),
            "bandicoot-prod   <none>                                      2d3h\n");
}

TEST(KubectlEndpointsTableTest, WatchAfterAnEmptyListStartsWithTheHeader) {
  TableLayout layout;
  EXPECT_EQ(FormatEndpointsTable(json::array(), kNow, {}, &layout), "");
  EXPECT_EQ(FormatEndpointsTable(json::array({Bandicoot()}), kNow, {}, &layout),
            "NAME             ENDPOINTS   AGE\n"
            "bandicoot-prod   <none>      2d3h\n");
}

TEST(KubectlEndpointsTableTest, UnknownAgeAndControlCharacters) {
  json object = WithEndpoints(0, 0);
  object["name"] = "we\tb\n";
  object["creationTimestamp"] = "soon";
  EXPECT_EQ(FormatEndpointsTable(json::array({object}), kNow, {}),
            "NAME    ENDPOINTS   AGE\n"
            "we b    <none>      <unknown>\n");
}

TEST(KubectlEndpointsTableTest, TerminalControlsFromTheServerPrintAsSpaces) {
  json object = WithEndpoints(0, 0);
  // ESC, a C1 CSI (U+009B), a right-to-left override (U+202E), a line
  // separator (U+2028) and a byte that is not UTF-8; an accent passes.
  object["name"] =
      "a\x1b[2Jb\xc2\x9b"
      "1mc\xe2\x80\xae"
      "d\xe2\x80\xa8"
      "e\xff\xc3\xa9";
  object["creationTimestamp"] = "soon";
  EXPECT_EQ(FormatEndpointsTable(json::array({object}), kNow, {}),
            "NAME               ENDPOINTS   AGE\n"
            "a [2Jb 1mc d e\xef\xbf\xbd\xc3\xa9   <none>      <unknown>\n");
}

// --- get services ----------------------------------------------------------------------------

json Service(std::string name, int ready, int not_ready, json ports, json created,
             json labels = json::object()) {
  return {{"name", std::move(name)},
          {"labels", std::move(labels)},
          {"ports", std::move(ports)},
          {"creationTimestamp", std::move(created)},
          {"ready", ready},
          {"notReady", not_ready}};
}

json Services() {
  return {Service("alpaca-prod", 3, 0,
                  {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}},
                   {{"port", 9090}, {"protocol", "TCP"}}},
                  "2026-11-26T10:25:30Z", {{"env", "prod"}, {"app", "alpaca"}}),
          Service("bandicoot-prod", 1, 1, {{{"port", 80}, {"protocol", "TCP"}}},
                  "2026-11-26T07:25:00Z", {{"app", "bandicoot"}}),
          Service("db", 0, 0, json::array(), "2023-10-27T10:30:00Z")};
}

TEST(KubectlServicesTableTest, PrintsNameReadyPortsAge) {
  EXPECT_EQ(FormatServicesTable(Services(), kNow, {}),
            "NAME             READY   PORT(S)             AGE\n"
            "alpaca-prod      3/3     8080/TCP,9090/TCP   4m30s\n"
            "bandicoot-prod   1/2     80/TCP              3h5m\n"
            "db               0/0     <none>              3y31d\n");
}

TEST(KubectlServicesTableTest, WideAddsLabels) {
  EXPECT_EQ(FormatServicesTable(Services(), kNow, {.wide = true}),
            "NAME             READY   PORT(S)             AGE     LABELS\n"
            "alpaca-prod      3/3     8080/TCP,9090/TCP   4m30s   app=alpaca,env=prod\n"
            "bandicoot-prod   1/2     80/TCP              3h5m    app=bandicoot\n"
            "db               0/0     <none>              3y31d   <none>\n");
}

TEST(KubectlServicesTableTest, HeaderOffAndEmpty) {
  // Columns are at least 6 wide, as in kubectl.
  EXPECT_EQ(FormatServicesTable(json::array({Services()[2]}), kNow, {.header = false}),
            "db    0/0   <none>   3y31d\n");
  EXPECT_EQ(FormatServicesTable(json::array(), kNow, {.wide = true}), "");
}

TEST(KubectlServicesTableTest, AgesTruncateToSecondsLikeKubectl) {
  const json items = json::array({Service("a", 0, 0, json::array(), "2026-11-26T10:29:58.5Z"),
                                  Service("b", 0, 0, json::array(), "2026-11-26T10:30:00.9Z"),
                                  Service("c", 0, 0, json::array(), "2026-11-26T10:30:01.5Z"),
                                  Service("d", 0, 0, json::array(), "2026-11-26T10:30:05Z"),
                                  Service("e", 0, 0, json::array(), "1700-11-26T10:30:00Z"),
                                  Service("f", 0, 0, json::array(), nullptr)});
  EXPECT_EQ(FormatServicesTable(items, kNow + std::chrono::milliseconds(250), {.header = false}),
            "a     0/0   <none>   1s\n"         // 1.75s
            "b     0/0   <none>   0s\n"         // -0.65s
            "c     0/0   <none>   0s\n"         // -1.25s: clock skew
            "d     0/0   <none>   <invalid>\n"  // -4.75s
            "e     0/0   <none>   326y\n"
            "f     0/0   <none>   <unknown>\n");
}

// --- -o json, -o yaml ----------------------------------------------------------------------

json SmallEndpoints() {
  return EndpointsObject(
      "web", {{"app", "web"}}, "2026-11-27T00:08:56Z",
      {Endpoint("127.0.0.2", 8080, "node-a", false, "2026-11-27T00:08:56Z", "2026-11-27T00:08:58Z",
                "failure", "dial tcp 127.0.0.2:8080: connect: connection refused"),
       Endpoint("::1", 8080, "node-a", true, "2026-11-27T00:08:56Z")});
}

TEST(KubectlJsonTest, IndentsByFourSpaces) {
  EXPECT_EQ(FormatJson({{"kind", "Endpoints"}, {"name", "web"}, {"ports", {{{"port", 80}}}}}),
            R"({
    "kind": "Endpoints",
    "name": "web",
    "ports": [
        {
            "port": 80
        }
    ]
}
)");
}

TEST(KubectlJsonTest, ListsWrapItemsInAList) {
  EXPECT_EQ(ListOf({{{"name", "a"}}, {{"name", "b"}}}),
            json({{"kind", "List"}, {"items", {{{"name", "a"}}, {{"name", "b"}}}}}));
  EXPECT_EQ(FormatJson(ListOf(json::array())),
            "{\n    \"items\": [],\n    \"kind\": \"List\"\n}\n");
}

TEST(KubectlYamlTest, PrintsAnObjectLikeKubectl) {
  EXPECT_EQ(FormatYaml(SmallEndpoints()), R"(creationTimestamp: "2026-11-27T00:08:56Z"
endpoints:
- address: 127.0.0.2
  conditions:
    ready: false
    serving: false
    terminating: false
  lastProbeTime: "2026-11-27T00:08:58Z"
  lastResult: failure
  lastTransitionTime: "2026-11-27T00:08:56Z"
  message: "dial tcp 127.0.0.2:8080: connect: connection refused"
  node: node-a
  port: 8080
- address: ::1
  conditions:
    ready: true
    serving: true
    terminating: false
  lastProbeTime: null
  lastResult: null
  lastTransitionTime: "2026-11-27T00:08:56Z"
  message: ""
  node: node-a
  port: 8080
kind: Endpoints
labels:
  app: web
name: web
ports:
- name: http
  port: 8080
  protocol: TCP
resourceVersion: "42"
)");
}

TEST(KubectlYamlTest, PrintsAList) {
  const json list = ListOf({Service("db", 0, 0, json::array(), "2026-11-26T10:00:00Z"),
                            Service("web", 1, 0, {{{"port", 80}, {"protocol", "TCP"}}},
                                    "2026-11-26T10:00:00Z", {{"app", "web"}})});
  EXPECT_EQ(FormatYaml(list), R"(items:
- creationTimestamp: "2026-11-26T10:00:00Z"
  labels: {}
  name: db
  notReady: 0
  ports: []
  ready: 0
- creationTimestamp: "2026-11-26T10:00:00Z"
  labels:
    app: web
  name: web
  notReady: 0
  ports:
  - port: 80
    protocol: TCP
  ready: 1
kind: List
)");
  EXPECT_EQ(FormatYaml(ListOf(json::array())), "items: []\nkind: List\n");
}

// The YAML of a one-element sequence holding `text`, less "- " and "\n".
std::string YamlScalar(const std::string& text) {
  const std::string yaml = FormatYaml(json::array({text}));
  return yaml.substr(2, yaml.size() - 3);
}

TEST(KubectlYamlTest, LeavesOrdinaryStringsPlain) {
  for (const char* text : {"web",  "10.0.0.1",   "fd00::1",    "app.kubernetes.io/name",
                           "-x",   "a b",        "3/5",        "héllo",
                           "a,b",  ":x",         "k=v",        "a\\b",
                           "1e",   "1.2.3",      "0x",         "0b2",
                           "0o8",  "1:60",       "1__:1x",     "+",
                           ".",    "_",          "._",         "1._e",
                           "e3",   "1:3_0",      "2026-11-2x", "2026-11-26x",
                           "v1.2", "yes please", "Nope"}) {
    EXPECT_EQ(YamlScalar(text), text);
  }
}

TEST(KubectlYamlTest, DoubleQuotesStringsYamlWouldReadAsAnotherType) {
  const std::vector<std::vector<std::string>> groups = {
      {"42", "-1", "+1_000", "1_", "0b101", "0o17", "017", "0x1F", "20261126"},  // ints
      {"1.5", "1.", "-1.5e-3", "1e3", ".5", "1._5"},                             // floats
      {"1:30", "-1:30:59.5", "1_0:30"},                                          // base 60
      {"true", "False", "TRUE", "yes", "Y", "n", "NO", "on", "Off"},             // bools
      {"null", "Null", "~", ".inf", "-.Inf", ".NaN", "<<"},                      // and others
      {"2026-11-26", "2026-1-2", "2026-11-26T10:20:30Z", "2026-11-26 10:20"},    // timestamps
      {"---", "--- x", "..."},                                                   // document markers
  };
  for (const auto& group : groups) {
    for (const std::string& text : group) EXPECT_EQ(YamlScalar(text), "\"" + text + "\"");
  }
}

TEST(KubectlYamlTest, QuotesWhatAPlainScalarCannotHold) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", R"("")"},
      {"a: b", R"("a: b")"},
      {"x:", R"("x:")"},
      {"#x", R"("#x")"},
      {"a #b", R"("a #b")"},
      {"- x", R"("- x")"},
      {" x", R"(" x")"},
      {"x ", R"("x ")"},
      {"[x]", R"("[x]")"},
      {"{x}", R"("{x}")"},
      {"*x", R"("*x")"},
      {"&x", R"("&x")"},
      {"!x", R"("!x")"},
      {"%x", R"("%x")"},
      {"@x", R"("@x")"},
      {"`x", R"("`x")"},
      {"-", R"("-")"},
      {"1:2:", R"("1:2:")"},
      {"?", R"("?")"},
      {"'x'", R"("'x'")"},
      {"\"x\"", R"("\"x\"")"},
      {"é: x", R"("é: x")"},
      {"line\nbreak", R"("line\nbreak")"},
      {"tab\there", R"("tab\there")"},
      {"trail\n", R"("trail\n")"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(YamlScalar(text), expected) << text;
}

TEST(KubectlYamlTest, NestsSequencesAndMappingsLikeGoYaml) {
  const json value = {
      {"nested", {json::array({1, 2}), json::array(), json::object(), {{"k", json::array({"v"})}}}},
      {"map", {{"inner", {{"deeper", {{"x", nullptr}}}}}, {"list", {true, 1.5, -3}}}},
      {"true", "key quoted, value not"},
  };
  EXPECT_EQ(FormatYaml(value), R"(map:
  inner:
    deeper:
      x: null
  list:
  - true
  - 1.5
  - -3
nested:
- - 1
  - 2
- []
- {}
- k:
  - v
"true": key quoted, value not
)");
}

TEST(KubectlYamlTest, EscapesControlCharactersAndBadUtf8) {
  EXPECT_EQ(FormatYaml({"\x01"
                        "ctl",
                        "del\x7f", "c1\xc2\x85", "bad\xff", "h\xc3\xa9llo", "--- x", "..."}),
            "- \"\\u0001ctl\"\n"
            "- \"del\\u007f\"\n"
            "- \"c1\\u0085\"\n"
            "- \"bad\xef\xbf\xbd\"\n"
            "- h\xc3\xa9llo\n"
            "- \"--- x\"\n"
            "- \"...\"\n");
}

TEST(KubectlYamlTest, PrintsScalarsAndEmptyValuesAlone) {
  EXPECT_EQ(FormatYaml(json::object()), "{}\n");
  EXPECT_EQ(FormatYaml(json::array()), "[]\n");
  EXPECT_EQ(FormatYaml("42"), "\"42\"\n");
  EXPECT_EQ(FormatYaml(nullptr), "null\n");
  EXPECT_EQ(FormatYaml({1, "a"}), "- 1\n- a\n");
}

// --- describe ---------------------------------------------------------------------------------

TEST(KubectlDescribeTest, DescribesEndpointsWithProbeDetails) {
  EXPECT_EQ(DescribeEndpoints(Alpaca(), AlpacaTransitions(), kNow),
            R"(Name:    alpaca-prod
Labels:  app=alpaca
         env=prod
Ports:   http 8080/TCP
         <unset> 9090/TCP
Ready:   2/4
Addresses:
  ADDRESS        NODE    LAST PROBE  RESULT   REASON  MESSAGE  LAST TRANSITION
  10.0.0.1:8080  node-a  3s ago      success                   10m
  10.0.0.2:8080  node-b  2s ago      success                   5m
NotReadyAddresses:
  ADDRESS         NODE    LAST PROBE  RESULT   REASON  MESSAGE                                 LAST TRANSITION
  10.0.0.3:8080   node-b  1s ago      failure  status  HTTP probe failed with statuscode: 503  40s
  [fd00::1]:8080  node-c  <never>     <none>                                                   10s
Transitions:
  AGE  ENDPOINT       NODE    TO         REASON
  5m   10.0.0.2:8080  node-b  ready      ready after 1 consecutive success
  40s  10.0.0.3:8080  node-b  not ready  not ready after 3 consecutive failures: HTTP probe failed with statuscode: 503
)");
}

TEST(KubectlDescribeTest, DescribesAServiceWithoutProbeColumns) {
  EXPECT_EQ(DescribeService(Alpaca(), AlpacaTransitions(), kNow),
            R"(Name:       alpaca-prod
Labels:     app=alpaca
            env=prod
Ports:      http 8080/TCP
            <unset> 9090/TCP
Ready:      2/4
Endpoints:  10.0.0.1:8080,10.0.0.2:8080
Addresses:
  ADDRESS        NODE    LAST TRANSITION
  10.0.0.1:8080  node-a  10m
  10.0.0.2:8080  node-b  5m
NotReadyAddresses:
  ADDRESS         NODE    LAST TRANSITION
  10.0.0.3:8080   node-b  40s
  [fd00::1]:8080  node-c  10s
Transitions:
  AGE  ENDPOINT       NODE    TO         REASON
  5m   10.0.0.2:8080  node-b  ready      ready after 1 consecutive success
  40s  10.0.0.3:8080  node-b  not ready  not ready after 3 consecutive failures: HTTP probe failed with statuscode: 503
)");
}

TEST(KubectlDescribeTest, ShowsTheNamespace) {
  json shop = Alpaca();
  shop["namespace"] = "shop";
  const std::string text = DescribeEndpoints(shop, AlpacaTransitions(), kNow);
  EXPECT_EQ(text.substr(0, text.find("Ports:")),
            "Name:       alpaca-prod\n"
            "Namespace:  shop\n"
            "Labels:     app=alpaca\n"
            "            env=prod\n");
  EXPECT_NE(DescribeService(shop, AlpacaTransitions(), kNow).find("\nNamespace:  shop\n"),
            std::string::npos);
}

TEST(KubectlDescribeTest, PrintsNoneForEmptySections) {
  const json empty = {{"kind", "Endpoints"},
                      {"name", "idle"},
                      {"labels", json::object()},
                      {"ports", json::array()},
                      {"endpoints", json::array()}};
  const json no_transitions = {{"kind", "TransitionList"}, {"items", json::array()}};
  EXPECT_EQ(DescribeEndpoints(empty, no_transitions, kNow),
            "Name:    idle\n"
            "Labels:  <none>\n"
            "Ports:   <none>\n"
            "Ready:   0/0\n"
            "Addresses:  <none>\n"
            "NotReadyAddresses:  <none>\n"
            "Transitions:  <none>\n");
  EXPECT_EQ(DescribeService(empty, json(), kNow),
            "Name:       idle\n"
            "Labels:     <none>\n"
            "Ports:      <none>\n"
            "Ready:      0/0\n"
            "Endpoints:  <none>\n"
            "Addresses:  <none>\n"
            "NotReadyAddresses:  <none>\n"
            "Transitions:  <none>\n");
}

TEST(KubectlDescribeTest, AllReadyLeavesNotReadyEmpty) {
  const std::string text = DescribeEndpoints(WithEndpoints(1, 0), json::array(), kNow);
  EXPECT_NE(
      text.find("Addresses:\n"
                "  ADDRESS        NODE    LAST PROBE  RESULT  REASON  MESSAGE  LAST TRANSITION\n"
                "  10.0.0.1:8080  node-a  <never>     <none>                   30m\n"
                "NotReadyAddresses:  <none>\n"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace vigil
