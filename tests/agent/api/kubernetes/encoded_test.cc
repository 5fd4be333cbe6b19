// What is written from EncodedObjects is, byte for byte, the dump of the
// trees the codecs build: objects, lists, Tables (every includeObject, with
// and without column definitions, at another resourceVersion), watch
// lines; and their selection and state comparison are the trees'.
#include "agent/api/kubernetes/encoded.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/kubernetes/envelopes.h"
#include "agent/api/kubernetes/objects.h"
#include "agent/api/kubernetes/selection.h"
#include "agent/api/kubernetes/tables.h"
#include "tests/agent/api/kubernetes/fixtures.h"

namespace vigil::kube {
namespace {

using testing::AlpacaProd;
using testing::Created;
using testing::Endpoint;
using testing::UnhealthyEvent;

struct Sample {
  Resource resource;
  KubeJson json;
};

// Every kind, with the odd cases: IPv6 and several ports, no endpoint, a
// label and a message that are not valid UTF-8, an Event without count.
std::vector<Sample> Samples() {
  EndpointsObject alpaca = AlpacaProd();
  EndpointsObject mixed = AlpacaProd();
  mixed.name = "mixed";
  mixed.ports = {};
  mixed.labels = {{"app", "mixed"}, {"odd", "caf\xc3\xa9\xff"}};
  mixed.endpoints = {Endpoint("fd00::7", true, "node-a"), Endpoint("10.0.0.1", false, "node-b"),
                     Endpoint("10.0.0.2", true, "node-b", /*terminating=*/true),
                     Endpoint("10.0.0.3", true, "", false, 9090)};
  EndpointsObject empty = AlpacaProd();
  empty.name = "empty";
  empty.endpoints = {};
  KubeEvent odd = UnhealthyEvent();
  odd.message = "  bad \x80 bytes\n";
  odd.count = 0;

  std::vector<Sample> out;
  for (const EndpointsObject* o : {&alpaca, &mixed, &empty}) {
    out.push_back({Resource::kServices, EncodeService(*o)});
    out.push_back({Resource::kEndpoints, EncodeEndpoints(*o)});
    for (KubeJson& slice : EncodeEndpointSlices(*o)) {
      out.push_back({Resource::kEndpointSlices, std::move(slice)});
    }
  }
  out.push_back({Resource::kEvents, EncodeEvent(UnhealthyEvent())});
  out.push_back({Resource::kEvents, EncodeEvent(odd)});
  out.push_back({Resource::kNamespaces, EncodeNamespace({"default", Created(), 1000})});
  return out;
}

EncodedPtr Encode(const Sample& s) { return std::make_shared<EncodedObject>(s.resource, s.json); }

std::string Written(const EncodedObject& e, std::optional<uint64_t> rv = {}) {
  std::string out;
  e.AppendJson(&out, rv);
  return out;
}

TEST(EncodedObjectTest, TextIsTheTreesDump) {
  for (const Sample& s : Samples()) {
    const EncodedObject e(s.resource, s.json);
    EXPECT_EQ(Written(e), Dump(s.json));
    EXPECT_EQ(e.name(), s.json["metadata"]["name"]);
    EXPECT_EQ(e.namespace_name(), s.json["metadata"].value("namespace", ""));
    EXPECT_EQ(e.resource_version(), ResourceVersionOf(s.json));
    EXPECT_EQ(e.text_size(), Dump(s.json).size());
    EXPECT_GT(e.bytes(), e.text_size());
  }
}

TEST(EncodedObjectTest, AtAnotherResourceVersion) {
  for (const Sample& s : Samples()) {
    KubeJson moved = s.json;
    SetResourceVersion(moved, 123456789012345);
    EXPECT_EQ(Written(EncodedObject(s.resource, s.json), 123456789012345), Dump(moved));
  }
}

TEST(EncodedObjectTest, TablesAreEncodeTables) {
  const WallTime now = Created() + std::chrono::minutes(7) + std::chrono::seconds(3);
  const std::vector<Sample> samples = Samples();
  for (const Resource resource :
       {Resource::kServices, Resource::kEndpoints, Resource::kEndpointSlices, Resource::kEvents,
        Resource::kNamespaces}) {
    std::vector<KubeJson> trees;
    std::vector<EncodedPtr> encoded;
    for (const Sample& s : samples) {
      if (s.resource != resource) continue;
      trees.push_back(s.json);
      encoded.push_back(Encode(s));
    }
    ASSERT_FALSE(trees.empty());
    for (const IncludeObject include :
         {IncludeObject::kNone, IncludeObject::kMetadata, IncludeObject::kObject}) {
      for (const bool columns : {true, false}) {
        TableOptions options;
        options.include_object = include;
        options.column_definitions = columns;
        std::string table;
        AppendTable(&table, resource, encoded, 2024, now, options);
        EXPECT_EQ(table, Dump(EncodeTable(resource, trees, 2024, now, options)));

        // One row at a deletion's version, as a DELETED Table event.
        KubeJson deleted = trees.front();
        SetResourceVersion(deleted, 3000);
        std::string row;
        AppendTable(&row, resource, {&encoded.front(), 1}, 3000, now, options, 3000);
        EXPECT_EQ(row, Dump(EncodeTable(resource, {deleted}, 3000, now, options)));
      }
    }
    // Ages move with the clock; the rest is written once.
    std::string later;
    AppendTable(&later, resource, encoded, 2024, now + std::chrono::hours(30), {});
    EXPECT_EQ(later, Dump(EncodeTable(resource, trees, 2024, now + std::chrono::hours(30))));
  }
}

TEST(EncodedObjectTest, ListsAreEncodeLists) {
  const std::vector<Sample> samples = Samples();
  std::vector<KubeJson> trees;
  std::vector<EncodedPtr> encoded;
  for (const Sample& s : samples) {
    if (s.resource != Resource::kEndpointSlices) continue;
    trees.push_back(s.json);
    encoded.push_back(Encode(s));
  }
  SortEncoded(encoded);
  std::string list;
  AppendList(&list, Resource::kEndpointSlices, encoded, 5000);
  EXPECT_EQ(list, Dump(EncodeList(Resource::kEndpointSlices, trees, 5000)));
  std::string none;
  AppendList(&none, Resource::kEndpoints, {}, 7);
  EXPECT_EQ(none, Dump(EncodeList(Resource::kEndpoints, {}, 7)));
}

TEST(EncodedObjectTest, SortedAsSortByName) {
  std::vector<KubeJson> trees;
  std::vector<EncodedPtr> encoded;
  for (const char* ns : {"shop", "default", "a"}) {
    for (const char* name : {"b", "a-b", "a"}) {
      EndpointsObject o = AlpacaProd();
      o.name = name;
      o.namespace_name = ns;
      trees.push_back(EncodeEndpoints(o));
      encoded.push_back(std::make_shared<EncodedObject>(Resource::kEndpoints, trees.back()));
    }
  }
  SortByName(trees);
  SortEncoded(encoded);
  ASSERT_EQ(trees.size(), encoded.size());
  for (size_t i = 0; i < trees.size(); ++i) EXPECT_EQ(Written(*encoded[i]), Dump(trees[i]));
}

TEST(EncodedObjectTest, WatchLines) {
  const KubeJson object = EncodeEndpoints(AlpacaProd());
  for (const WatchEventType type :
       {WatchEventType::kAdded, WatchEventType::kModified, WatchEventType::kDeleted}) {
    std::string line;
    AppendWatchLineHead(&line, type);
    EncodedObject(Resource::kEndpoints, object).AppendJson(&line);
    AppendWatchLineEnd(&line);
    EXPECT_EQ(line, Dump(EncodeWatchEvent(type, object)) + "\n");
  }
}

TEST(EncodedObjectTest, SameStateIgnoresOnlyTheResourceVersion) {
  EndpointsObject a = AlpacaProd();
  EndpointsObject b = a;
  b.resource_version = 2000;
  const EncodedObject ea(Resource::kEndpoints, EncodeEndpoints(a));
  EXPECT_TRUE(ea.SameState(EncodedObject(Resource::kEndpoints, EncodeEndpoints(b))));
  b.endpoints[1].conditions = {true, true, false};  // 10.32.0.12 ready
  EXPECT_FALSE(ea.SameState(EncodedObject(Resource::kEndpoints, EncodeEndpoints(b))));
  // Ready again, at yet another version: the same state as a.
  b.endpoints[1].conditions = {false, false, false};
  b.resource_version = 12;
  EXPECT_TRUE(ea.SameState(EncodedObject(Resource::kEndpoints, EncodeEndpoints(b))));
  // A Service does not show a flip.
  EXPECT_TRUE(EncodedObject(Resource::kServices, EncodeService(a))
                  .SameState(EncodedObject(Resource::kServices, EncodeService(b))));
  b.labels["ver"] = "2";
  EXPECT_FALSE(EncodedObject(Resource::kServices, EncodeService(a))
                   .SameState(EncodedObject(Resource::kServices, EncodeService(b))));
}

TEST(EncodedObjectTest, SelectedAsSelects) {
  const std::vector<std::pair<const char*, const char*>> selectors = {
      {"", ""},
      {"app=alpaca", ""},
      {"app!=alpaca", ""},
      {"kubernetes.io/service-name=alpaca-prod", ""},
      {"odd", ""},
      {"", "metadata.name=alpaca-prod"},
      {"", "metadata.namespace!=default"},
      {"", "involvedObject.kind=Endpoints,type=Warning"},
      {"env in (prod,staging),!nope", "metadata.name!=x"},
  };
  for (const Sample& s : Samples()) {
    const EncodedObject e(s.resource, s.json);
    for (const auto& [label_text, field_text] : selectors) {
      Result<LabelSelector> labels =
          LabelSelector::Parse(label_text, LabelSelector::Dialect::kKubernetes);
      ASSERT_TRUE(labels.ok()) << label_text;
      Result<FieldSelector> fields = FieldSelector::Parse(field_text);
      ASSERT_TRUE(fields.ok()) << field_text;
      EXPECT_EQ(e.Selected(*labels, *fields), Selects(s.resource, s.json, *labels, *fields))
          << e.name() << " " << label_text << " " << field_text;
    }
  }
}

}  // namespace
}  // namespace vigil::kube
