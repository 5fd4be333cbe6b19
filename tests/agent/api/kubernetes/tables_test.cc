#include "agent/api/kubernetes/tables.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "agent/api/kubernetes/envelopes.h"
#include "agent/api/kubernetes/objects.h"
#include "tests/agent/api/kubernetes/fixtures.h"

namespace vigil::kube {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::AlpacaProd;
using testing::Created;
using testing::Endpoint;
using testing::Golden;

std::vector<std::string> Names(const KubeJson& columns) {
  std::vector<std::string> names;
  for (const KubeJson& c : columns) {
    names.push_back(c["name"].get<std::string>() + (c["priority"] == 1 ? "*" : ""));
  }
  return names;
}

// ---------------------------------------------------------------------------
// Column definitions: printers.go's, priority-1 ones marked "*".

TEST(TablesTest, ColumnsAsTheApiserver) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Names(ColumnDefinitions(Resource::kEndpoints)), (V{"Name", "Endpoints", "Age"}));
  EXPECT_EQ(Names(ColumnDefinitions(Resource::kServices)),
            (V{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector*"}));
  EXPECT_EQ(Names(ColumnDefinitions(Resource::kEndpointSlices)),
            (V{"Name", "AddressType", "Ports", "Endpoints", "Age"}));
  EXPECT_EQ(Names(ColumnDefinitions(Resource::kEvents)),
            (V{"Last Seen", "Type", "Reason", "Object", "Subobject*", "Source*", "Message",
               "First Seen*", "Count*", "Name*"}));
  EXPECT_EQ(Names(ColumnDefinitions(Resource::kNamespaces)), (V{"Name", "Status", "Age"}));
}

TEST(TablesTest, ColumnDefinitionShape) {
  const KubeJson columns = ColumnDefinitions(Resource::kEndpoints);
  EXPECT_EQ(columns[0].dump(),
            R"({"name":"Name","type":"string","format":"name","description":"Name must be )"
            R"(unique within a namespace. Is required when creating resources, although some )"
            R"(resources may allow a client to request the generation of an appropriate name )"
            R"(automatically. Name is primarily intended for creation idempotence and )"
            R"(configuration definition. Cannot be updated. More info: )"
            R"(https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",)"
            R"("priority":0})");
  EXPECT_EQ(columns[0]["format"], "name");
  EXPECT_EQ(columns[1].dump().substr(0, 63),
            R"({"name":"Endpoints","type":"string","format":"","description":")");
  EXPECT_TRUE(columns[1]["description"].get<std::string>().starts_with(
      "The set of all endpoints is the union of all subsets."));
  EXPECT_EQ(columns[2]["description"].get<std::string>().substr(0, 48),
            "CreationTimestamp is a timestamp representing th");
  for (const Resource r : {Resource::kEndpoints, Resource::kServices, Resource::kEndpointSlices,
                           Resource::kEvents, Resource::kNamespaces}) {
    for (const KubeJson& c : ColumnDefinitions(r)) {
      std::vector<std::string> keys;
      for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
      EXPECT_EQ(keys,
                (std::vector<std::string>{"name", "type", "format", "description", "priority"}));
      EXPECT_EQ(c["type"], "string");  // Count too, as printers.go
      EXPECT_FALSE(c["description"].get<std::string>().empty());
      EXPECT_EQ(c["format"], c["name"] == "Name" ? "name" : "");
    }
  }
}

// ---------------------------------------------------------------------------
// Cells.

TEST(TablesTest, EndpointsCells) {
  const WallTime now = Created() + seconds(7);
  EXPECT_EQ(
      TableCells(Resource::kEndpoints, EncodeEndpoints(AlpacaProd()), now).dump(),
      R"(["alpaca-prod","10.32.0.11:8080,10.32.0.13:8080,10.32.0.14:8080 + 1 more...","7s"])");

  EndpointsObject o = AlpacaProd();
  // Three ready: all of them, no "more"; a not-ready one is not shown.
  o.endpoints = {Endpoint("10.0.0.1", true, "a"), Endpoint("10.0.0.2", true, "a"),
                 Endpoint("10.0.0.3", true, "a"), Endpoint("10.0.0.4", false, "a")};
  EXPECT_EQ(TableCells(Resource::kEndpoints, EncodeEndpoints(o), now)[1],
            "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080");
  o.endpoints.push_back(Endpoint("10.0.0.5", true, "a"));
  o.endpoints.push_back(Endpoint("10.0.0.6", true, "a"));
  EXPECT_EQ(TableCells(Resource::kEndpoints, EncodeEndpoints(o), now)[1],
            "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 2 more...");
  // None ready: <none>, as vigil's CLI (the apiserver leaves it blank).
  o.endpoints = {Endpoint("10.0.0.1", false, "a")};
  EXPECT_EQ(TableCells(Resource::kEndpoints, EncodeEndpoints(o), now)[1], "<none>");
  o.endpoints.clear();
  EXPECT_EQ(TableCells(Resource::kEndpoints, EncodeEndpoints(o), now)[1], "<none>");
  // IPv6 in brackets; an address counts once per port.
  o.ports = {{"http", 8080}, {"admin", 9000}};
  o.endpoints = {Endpoint("fd00::7", true, "a"), Endpoint("10.0.0.1", true, "a", false, 9000),
                 Endpoint("10.0.0.1", true, "a"), Endpoint("10.0.0.2", true, "a", false, 9000)};
  EXPECT_EQ(TableCells(Resource::kEndpoints, EncodeEndpoints(o), now)[1],
            "10.0.0.1:8080,[fd00::7]:8080,10.0.0.1:9000 + 1 more...");
}

// The printer reads any Endpoints, as printers.go's formatEndpoints: a
// subset without ports lists bare IPs; several ports in one subset.
TEST(TablesTest, EndpointsCellsOfOtherShapes) {
  const KubeJson headless = KubeJson::parse(R"({"metadata":{"name":"h"},"subsets":[
      {"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}]},
      {"addresses":[{"ip":"10.0.0.3"}],"ports":[{"port":80},{"port":81}]}]})");
  EXPECT_EQ(TableCells(Resource::kEndpoints, headless, Created())[1],
            "10.0.0.1,10.0.0.2,10.0.0.3:80 + 1 more...");
  EXPECT_EQ(
      TableCells(Resource::kEndpoints, KubeJson::parse(R"({"subsets":[]})"), Created()).dump(),
      R"(["","<none>","<unknown>"])");
}

TEST(TablesTest, ServiceCells) {
  const WallTime now = Created() + seconds(1);
  EXPECT_EQ(TableCells(Resource::kServices, EncodeService(AlpacaProd()), now).dump(),
            R"(["alpaca-prod","ClusterIP","None","<none>","8080/TCP","1s","<none>"])");
  EndpointsObject o = AlpacaProd();
  o.ports = {{"http", 8080}, {"metrics", 9100}};
  EXPECT_EQ(TableCells(Resource::kServices, EncodeService(o), now)[4], "8080/TCP,9100/TCP");
  o.ports.clear();
  o.endpoints.clear();
  EXPECT_EQ(TableCells(Resource::kServices, EncodeService(o), now)[4], "<none>");
  // What printers.go prints for what vigil never sends, all the same.
  const KubeJson other = KubeJson::parse(R"({"metadata":{"name":"lb"},"spec":{"type":"ClusterIP",
      "ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},{"port":53,"protocol":"UDP"}],
      "externalIPs":["192.0.2.1","192.0.2.2"],"selector":{"tier":"web","app":"x"}}})");
  EXPECT_EQ(TableCells(Resource::kServices, other, now).dump(),
            R"(["lb","ClusterIP","<none>","192.0.2.1,192.0.2.2","80:30080/TCP,53/UDP",)"
            R"("<unknown>","app=x,tier=web"])");
}

TEST(TablesTest, EndpointSliceCells) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("10.32.0.11", true, "a"), Endpoint("10.32.0.12", false, "b"),
                 Endpoint("10.32.0.13", true, "a"), Endpoint("10.32.0.14", false, "a"),
                 Endpoint("10.32.0.15", true, "a", /*terminating=*/true)};
  // Every address, ready or not, as the apiserver.
  EXPECT_EQ(
      TableCells(Resource::kEndpointSlices, EncodeEndpointSlices(o).at(0), Created() + seconds(1))
          .dump(),
      R"(["alpaca-prod-ipv4-8080","IPv4","8080",)"
      R"("10.32.0.11,10.32.0.12,10.32.0.13 + 2 more...","1s"])");
  const KubeJson other = KubeJson::parse(R"({"metadata":{"name":"s"},"addressType":"IPv6",
      "ports":[{"port":1},{"name":"dns"},{},{"port":4}],
      "endpoints":[{"addresses":["fd00::1","fd00::2"]},{"addresses":["fd00::3"]}]})");
  EXPECT_EQ(TableCells(Resource::kEndpointSlices, other, Created()).dump(),
            R"(["s","IPv6","1,dns,* + 1 more...","fd00::1,fd00::2,fd00::3","<unknown>"])");
  const KubeJson empty = KubeJson::parse(R"({"metadata":{"name":"e"},"ports":[],"endpoints":[]})");
  EXPECT_EQ(TableCells(Resource::kEndpointSlices, empty, Created()).dump(),
            R"(["e","","<unset>","<unset>","<unknown>"])");
}

TEST(TablesTest, EventCells) {
  KubeEvent e = testing::UnhealthyEvent();
  e.count = 3;
  e.last_timestamp = e.first_timestamp + minutes(2);
  const WallTime now = e.first_timestamp + minutes(2) + seconds(16);
  EXPECT_EQ(TableCells(Resource::kEvents, EncodeEvent(e), now).dump(),
            R"(["16s","Warning","Unhealthy","endpoints/alpaca-prod","","vigil, node-a",)"
            R"("10.32.0.12:8080: Readiness probe failed: HTTP probe failed with statuscode: 503",)"
            R"("2m16s",3,"alpaca-prod.18ed17a053884e01"])");
  EXPECT_TRUE(TableCells(Resource::kEvents, EncodeEvent(e), now)[8].is_number_integer());
}

// printers.go's fallbacks, for Events other writers make.
TEST(TablesTest, EventCellsFallBack) {
  const WallTime now = Created() + seconds(30);
  const KubeJson sparse = KubeJson::parse(R"({"metadata":{"name":"x.1"},
      "involvedObject":{"kind":"Node"},"reason":"R","message":"  spaced out \n",
      "firstTimestamp":"2026-12-01T09:36:43Z","reportingComponent":"kubelet",
      "reportingInstance":"n1","type":"Normal"})");
  EXPECT_EQ(TableCells(Resource::kEvents, sparse, now).dump(),
            R"(["30s","Normal","R","node","","kubelet, n1","spaced out","30s",1,"x.1"])");
  const KubeJson micro = KubeJson::parse(R"({"metadata":{"name":"y"},
      "eventTime":"2026-12-01T09:36:43.123456Z","source":{"component":"c"},"count":0})");
  EXPECT_EQ(TableCells(Resource::kEvents, micro, now).dump(),
            R"(["29s","","","","","c","","29s",1,"y"])");
  EXPECT_EQ(TableCells(Resource::kEvents, KubeJson::parse(R"({"eventTime":null})"), now).dump(),
            R"(["<unknown>","","","","","","","<unknown>",1,""])");
}

TEST(TablesTest, NamespaceCells) {
  EXPECT_EQ(TableCells(Resource::kNamespaces, EncodeNamespace({"default", Created(), 1}),
                       Created() + minutes(5))
                .dump(),
            R"(["default","Active","5m"])");
}

// kubectl's AGE: HumanDuration(now - creationTimestamp).
TEST(TablesTest, AgeEdges) {
  const KubeJson ns = EncodeNamespace({"default", Created(), 1});
  const auto age = [&](WallTime::duration since) {
    return TableCells(Resource::kNamespaces, ns, Created() + since)[2].get<std::string>();
  };
  const struct {
    WallTime::duration since;
    const char* age;
  } cases[] = {
      {seconds(0), "0s"},
      {milliseconds(1900), "1s"},
      {seconds(119), "119s"},
      {seconds(120), "2m"},
      {seconds(121), "2m1s"},
      {seconds(599), "9m59s"},
      {minutes(10), "10m"},
      {minutes(10) + seconds(30), "10m"},
      {hours(3) - seconds(1), "179m"},
      {hours(3), "3h"},
      {hours(3) + minutes(5), "3h5m"},
      {hours(8) - seconds(1), "7h59m"},
      {hours(8), "8h"},
      {hours(47) + minutes(59), "47h"},
      {hours(48), "2d"},
      {hours(49), "2d1h"},
      {hours(24 * 8) - seconds(1), "7d23h"},
      {hours(24 * 8), "8d"},
      {hours(24 * 365 * 2) - seconds(1), "729d"},
      {hours(24 * 365 * 2), "2y"},
      {hours(24 * (365 * 2 + 30)), "2y30d"},
      {hours(24 * 365 * 8) - seconds(1), "7y364d"},
      {hours(24 * 365 * 8), "8y"},
      {hours(24 * 365 * 9 + 24 * 100), "9y"},
      // Clock skew up to a second reads as now; more is invalid.
      {-milliseconds(500), "0s"},
      {-milliseconds(1999), "0s"},
      {-seconds(2), "<invalid>"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(age(c.since), c.age)
        << std::chrono::duration_cast<milliseconds>(c.since).count() << " ms";
  }
  KubeJson bad = ns;
  bad["metadata"]["creationTimestamp"] = "yesterday";
  EXPECT_EQ(TableCells(Resource::kNamespaces, bad, Created())[2], "<unknown>");
  bad["metadata"].erase("creationTimestamp");
  EXPECT_EQ(TableCells(Resource::kNamespaces, bad, Created())[2], "<unknown>");
}

// ---------------------------------------------------------------------------
// Tables.

TEST(TablesTest, TableGolden) {
  const KubeJson table = EncodeTable(Resource::kEndpoints, {EncodeEndpoints(AlpacaProd())}, 1010,
                                     Created() + seconds(7));
  KubeJson without_columns = table;
  without_columns.erase("columnDefinitions");
  EXPECT_EQ(without_columns.dump(), Golden(R"({"kind":"Table","apiVersion":"meta.k8s.io/v1",
 "metadata":{"resourceVersion":"1010"},
 "rows":[
   {"cells":["alpaca-prod","10.32.0.11:8080,10.32.0.13:8080,10.32.0.14:8080 + 1 more...","7s"],
    "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
              "metadata":{"name":"alpaca-prod","namespace":"default","uid":"315dd534-837f-536e-9c74-a286c09cb5ee","resourceVersion":"1008",
                          "creationTimestamp":"2026-12-01T09:36:43Z","labels":{"app":"alpaca","env":"prod","ver":"1"}}}}]})"));
  // The key order of a Table.
  std::vector<std::string> keys;
  for (auto it = table.begin(); it != table.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"kind", "apiVersion", "metadata", "columnDefinitions",
                                            "rows"}));
  EXPECT_EQ(table["columnDefinitions"], ColumnDefinitions(Resource::kEndpoints));
}

TEST(TablesTest, IncludeObject) {
  const KubeJson service = EncodeService(AlpacaProd());
  const WallTime now = Created();
  const KubeJson none =
      EncodeTable(Resource::kServices, {service}, 5, now, {IncludeObject::kNone, true});
  EXPECT_FALSE(none["rows"][0].contains("object"));
  const KubeJson whole =
      EncodeTable(Resource::kServices, {service}, 5, now, {IncludeObject::kObject, true});
  EXPECT_EQ(whole["rows"][0]["object"], service);  // kind and apiVersion included
  const KubeJson metadata = EncodeTable(Resource::kServices, {service}, 5, now);
  EXPECT_EQ(metadata["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(metadata["rows"][0]["object"]["metadata"], service["metadata"]);
  // One cell per column, in every row.
  EXPECT_EQ(metadata["rows"][0]["cells"].size(), metadata["columnDefinitions"].size());
}

TEST(TablesTest, RowsInTheOrderGivenAndEmptyTables) {
  EndpointsObject b = AlpacaProd();
  b.name = "bandicoot-prod";
  std::vector<KubeJson> items = {EncodeEndpoints(b), EncodeEndpoints(AlpacaProd())};
  SortByName(items);
  const KubeJson table = EncodeTable(Resource::kEndpoints, items, 1100, Created());
  ASSERT_EQ(table["rows"].size(), 2u);
  EXPECT_EQ(table["rows"][0]["cells"][0], "alpaca-prod");
  EXPECT_EQ(table["rows"][1]["cells"][0], "bandicoot-prod");
  const KubeJson empty = EncodeTable(Resource::kEvents, {}, 9, Created());
  EXPECT_TRUE(empty["rows"].is_array());
  EXPECT_TRUE(empty["rows"].empty());
  EXPECT_EQ(empty["metadata"]["resourceVersion"], "9");
}

// A get with a Table Accept: one row, the object's version.
TEST(TablesTest, OneObjectTable) {
  const KubeJson endpoints = EncodeEndpoints(AlpacaProd());
  const KubeJson table =
      EncodeTable(Resource::kEndpoints, {endpoints}, ResourceVersionOf(endpoints), Created());
  EXPECT_EQ(table["metadata"]["resourceVersion"], "1008");
  EXPECT_EQ(table["rows"].size(), 1u);
}

// A Table watch: each event's object a one-row Table; the first with the
// column definitions, the next ones without.
TEST(TablesTest, TableWatchEvents) {
  const KubeJson endpoints = EncodeEndpoints(AlpacaProd());
  const KubeJson first = EncodeWatchEvent(
      WatchEventType::kAdded, EncodeTable(Resource::kEndpoints, {endpoints}, 1008, Created(),
                                          {IncludeObject::kMetadata, true}));
  const KubeJson next = EncodeWatchEvent(
      WatchEventType::kModified, EncodeTable(Resource::kEndpoints, {endpoints}, 1008, Created(),
                                             {IncludeObject::kMetadata, false}));
  EXPECT_EQ(first["type"], "ADDED");
  EXPECT_EQ(first["object"]["kind"], "Table");
  EXPECT_TRUE(first["object"].contains("columnDefinitions"));
  EXPECT_FALSE(next["object"].contains("columnDefinitions"));
  EXPECT_EQ(next["object"]["rows"], first["object"]["rows"]);
  EXPECT_EQ(next["object"]["metadata"]["resourceVersion"], "1008");
}

}  // namespace
}  // namespace vigil::kube
