#include "agent/api/kubernetes/query.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace vigil::kube {
namespace {

KubeQuery MustParse(const QueryParameters& parameters, Resource resource = Resource::kEndpoints) {
  ApiResult<KubeQuery> query = ParseQuery(parameters, resource);
  EXPECT_TRUE(query.ok()) << (query.ok() ? "" : query.error().message);
  return query.ok() ? *query : KubeQuery();
}

std::string ErrorOf(const QueryParameters& parameters, Resource resource = Resource::kEndpoints) {
  const ApiResult<KubeQuery> query = ParseQuery(parameters, resource);
  if (query.ok()) return "(accepted)";
  EXPECT_EQ(query.error().code, 400);
  EXPECT_EQ(query.error().reason, "BadRequest");
  return query.error().message;
}

TEST(QueryTest, ParseBoolAsGo) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) EXPECT_EQ(ParseBool(t), true) << t;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_EQ(ParseBool(f), false) << f;
  }
  for (const char* bad :
       {"", "maybe", "yes", "no", "tRUE", "TRue", "fALSE", "2", " true", "true ", "on", "01"}) {
    EXPECT_EQ(ParseBool(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(QueryTest, Defaults) {
  const KubeQuery q = MustParse({});
  EXPECT_FALSE(q.watch);
  EXPECT_TRUE(q.label_selector.empty());
  EXPECT_TRUE(q.field_selector.empty());
  EXPECT_EQ(q.resource_version, std::nullopt);
  EXPECT_EQ(q.timeout, std::nullopt);
  EXPECT_FALSE(q.allow_watch_bookmarks);
  EXPECT_EQ(q.send_initial_events, std::nullopt);
  EXPECT_EQ(q.limit, std::nullopt);
  EXPECT_EQ(q.include_object, IncludeObject::kMetadata);
}

// What kubectl and the Python client send (KUBERNETES_API.md §12).
TEST(QueryTest, WhatTheClientsSend) {
  EXPECT_EQ(MustParse({{"limit", "500"}}).limit, 500);
  const KubeQuery kubectl_watch = MustParse({{"resourceVersion", "1010"}, {"watch", "true"}});
  EXPECT_TRUE(kubectl_watch.watch);
  EXPECT_EQ(kubectl_watch.resource_version, 1010u);
  const KubeQuery named = MustParse({{"fieldSelector", "metadata.name=alpaca-prod"},
                                     {"resourceVersion", "0"},
                                     {"watch", "true"}});
  EXPECT_EQ(named.resource_version, 0u);
  EXPECT_EQ(named.field_selector.RequiredValue("metadata.name"), "alpaca-prod");
  const KubeQuery python =
      MustParse({{"allowWatchBookmarks", "True"}, {"timeoutSeconds", "2"}, {"watch", "True"}});
  EXPECT_TRUE(python.watch);
  EXPECT_TRUE(python.allow_watch_bookmarks);
  EXPECT_EQ(python.timeout, std::chrono::seconds(2));
  EXPECT_TRUE(MustParse({{"watch", "1"}}).watch);
  const KubeQuery describe = MustParse(
      {{"fieldSelector",
        "involvedObject.name=alpaca-prod,involvedObject.namespace=default,"
        "involvedObject.kind=Endpoints,involvedObject.uid=315dd534-837f-536e-9c74-a286c09cb5ee"},
       {"limit", "500"}},
      Resource::kEvents);
  EXPECT_EQ(describe.field_selector.RequiredValue("involvedObject.kind"), "Endpoints");
  EXPECT_EQ(MustParse({{"labelSelector", "app=alpaca"}}).label_selector.ToString(), "app=alpaca");
  EXPECT_EQ(MustParse({{"includeObject", "Object"}}).include_object, IncludeObject::kObject);
  // Unknown parameters are ignored: kubectl's timeout, pretty, resourceVersionMatch.
  EXPECT_FALSE(MustParse({{"timeout", "32s"},
                          {"pretty", "maybe"},
                          {"resourceVersionMatch", "NotOlderThan"},
                          {"x", "y"}})
                   .watch);
}

TEST(QueryTest, BadBooleans) {
  EXPECT_EQ(ErrorOf({{"watch", "maybe"}}),
            "invalid value for watch: \"maybe\": want true or false (1, t, T, TRUE, true, True / "
            "0, f, F, FALSE, false, False)");
  EXPECT_EQ(ErrorOf({{"watch", ""}}).substr(0, 28), "invalid value for watch: \"\":");
  EXPECT_EQ(ErrorOf({{"allowWatchBookmarks", "yes"}}).substr(0, 45),
            "invalid value for allowWatchBookmarks: \"yes\":");
  EXPECT_EQ(ErrorOf({{"sendInitialEvents", "on"}}).substr(0, 42),
            "invalid value for sendInitialEvents: \"on\":");
  EXPECT_EQ(MustParse({{"sendInitialEvents", "false"}}).send_initial_events, false);
}

TEST(QueryTest, FirstValueCounts) {
  EXPECT_TRUE(MustParse({{"watch", "true"}, {"watch", "false"}}).watch);
  EXPECT_EQ(ErrorOf({{"watch", "maybe"}, {"watch", "true"}}).substr(0, 33),
            "invalid value for watch: \"maybe\":");
}

TEST(QueryTest, ResourceVersion) {
  EXPECT_EQ(MustParse({{"resourceVersion", ""}}).resource_version, std::nullopt);
  EXPECT_EQ(MustParse({{"resourceVersion", "0"}}).resource_version, 0u);
  EXPECT_EQ(MustParse({{"resourceVersion", "1796117803754343"}}).resource_version,
            1796117803754343u);
  EXPECT_EQ(MustParse({{"resourceVersion", "18446744073709551615"}}).resource_version,
            18446744073709551615u);
  for (const char* bad : {"abc", "-1", "+1", "1.5", " 1", "1 ", "0x10", "18446744073709551616"}) {
    EXPECT_EQ(ErrorOf({{"resourceVersion", bad}}),
              "invalid resourceVersion \"" + std::string(bad) +
                  "\": want a decimal number, as metadata.resourceVersion holds")
        << bad;
  }
}

TEST(QueryTest, TimeoutSeconds) {
  EXPECT_EQ(MustParse({{"timeoutSeconds", "0"}}).timeout, std::nullopt);  // the server's own
  EXPECT_EQ(MustParse({{"timeoutSeconds", "1800"}}).timeout, std::chrono::seconds(1800));
  EXPECT_EQ(MustParse({{"timeoutSeconds", "+5"}}).timeout, std::chrono::seconds(5));
  for (const char* bad : {"-1", "x", "", "1s", "2.5", "+-1", "99999999999999999999"}) {
    EXPECT_EQ(ErrorOf({{"timeoutSeconds", bad}}), "invalid timeoutSeconds \"" + std::string(bad) +
                                                      "\": want a number of seconds, 0 or more")
        << bad;
  }
}

// limit is accepted and not honoured; continue is never handed out.
TEST(QueryTest, LimitAndContinue) {
  EXPECT_EQ(MustParse({{"limit", "1"}}).limit, 1);
  EXPECT_EQ(MustParse({{"limit", "0"}}).limit, 0);
  EXPECT_EQ(MustParse({{"continue", ""}, {"limit", "1"}}).limit, 1);
  EXPECT_EQ(ErrorOf({{"limit", "-1"}}), "invalid limit \"-1\": want a number of items, 0 or more");
  EXPECT_EQ(ErrorOf({{"limit", "many"}}),
            "invalid limit \"many\": want a number of items, 0 or more");
  EXPECT_EQ(ErrorOf({{"continue", "abc"}, {"limit", "1"}}),
            "invalid continue \"abc\": this server sends every list whole and hands out no "
            "continue tokens; list again without it");
}

TEST(QueryTest, IncludeObject) {
  EXPECT_EQ(MustParse({{"includeObject", "None"}}).include_object, IncludeObject::kNone);
  EXPECT_EQ(MustParse({{"includeObject", "Metadata"}}).include_object, IncludeObject::kMetadata);
  EXPECT_EQ(MustParse({{"includeObject", ""}}).include_object, IncludeObject::kMetadata);
  EXPECT_EQ(MustParse({{"includeObject", "Object"}}).include_object, IncludeObject::kObject);
  EXPECT_EQ(ErrorOf({{"includeObject", "object"}}),
            "invalid includeObject \"object\": want None, Metadata or Object");
  EXPECT_EQ(ErrorOf({{"includeObject", "All"}}),
            "invalid includeObject \"All\": want None, Metadata or Object");
}

TEST(QueryTest, LabelSelectors) {
  EXPECT_EQ(MustParse({{"labelSelector", "ver>1,app in (alpaca,bandicoot),!legacy"}})
                .label_selector.ToString(),
            "app in (alpaca,bandicoot),!legacy,ver>1");
  // Syntax errors read as the apiserver's start.
  EXPECT_EQ(
      ErrorOf({{"labelSelector", "a b"}}),
      "unable to parse requirement: invalid label selector \"a b\" at position 3: expected an "
      "operator (=, ==, !=, in or notin), \",\" or the end after the label key \"a\", found "
      "\"b\"");
  EXPECT_EQ(ErrorOf({{"labelSelector", "a>x"}}).substr(0, 28), "unable to parse requirement:");
}

TEST(QueryTest, FieldSelectorsPerResource) {
  EXPECT_EQ(ErrorOf({{"fieldSelector", "spec.nodeName=a"}}),
            "field label not supported: spec.nodeName");
  EXPECT_EQ(ErrorOf({{"fieldSelector", "type=Warning"}}, Resource::kEndpoints),
            "field label not supported: type");
  EXPECT_EQ(
      MustParse({{"fieldSelector", "type=Warning,reason!=Ready,source=vigil"}}, Resource::kEvents)
          .field_selector.ToString(),
      "reason!=Ready,source=vigil,type=Warning");
  EXPECT_EQ(ErrorOf({{"fieldSelector", "metadata.namespace=default"}}, Resource::kNamespaces),
            "field label not supported: metadata.namespace");
  MustParse({{"fieldSelector", "status.phase=Active,metadata.name=default"}},
            Resource::kNamespaces);
  MustParse({{"fieldSelector", "metadata.namespace=default"}}, Resource::kEndpointSlices);
  EXPECT_EQ(ErrorOf({{"fieldSelector", "metadata.name"}}),
            "invalid field selector \"metadata.name\": the term \"metadata.name\" has no "
            "operator: use field=value, field==value or field!=value");
}

// Every event field the apiserver supports, for kubectl describe and
// kubectl events --for.
TEST(QueryTest, EventFields) {
  for (const char* field :
       {"metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
        "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
        "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
        "reportingComponent", "source", "type"}) {
    MustParse({{"fieldSelector", std::string(field) + "=x"}}, Resource::kEvents);
  }
  EXPECT_EQ(ErrorOf({{"fieldSelector", "message=x"}}, Resource::kEvents),
            "field label not supported: message");
}

TEST(QueryTest, MessagesStayOnOneLine) {
  EXPECT_EQ(ErrorOf({{"resourceVersion", "1\n2"}}),
            "invalid resourceVersion \"1\\x0a2\": want a decimal number, as "
            "metadata.resourceVersion holds");
  EXPECT_EQ(ErrorOf({{"includeObject", "\"x\\"}}),
            "invalid includeObject \"\\\"x\\\\\": want None, Metadata or Object");
}

}  // namespace
}  // namespace vigil::kube
