// The gateway's requests and the parsing of its answers, on bytes: etcd's
// own answers (as etcd 3.4 writes them) and whatever else may come.
#include "exporters/registry/etcd_gateway.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace vigil {
namespace {

using nlohmann::json;

// A range answer as etcd 3.4's gateway writes it.
constexpr const char* kRange =
    R"({"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437",)"
    R"("revision":"7","raft_term":"2"},"kvs":[{"key":"L3ZpZ2lsL2E=","create_revision":"5",)"
    R"("mod_revision":"6","version":"2","value":"AAH/","lease":"7587862089417164302"},)"
    R"({"key":"L3ZpZ2lsL2I=","create_revision":"7","mod_revision":"7","version":"1"}],"count":"2"})";

// The base64 of `bytes` zero bytes.
std::string Base64Zeros(size_t bytes) {
  std::string out(bytes / 3 * 4, 'A');
  if (bytes % 3 == 1) out += "AA==";
  if (bytes % 3 == 2) out += "AAA=";
  return out;
}

// The error of `result`, or "" when it holds a value.
template <typename T>
std::string Error(const Result<T>& result) {
  return result.ok() ? "" : result.status().message();
}

TEST(EtcdGatewayTest, ReadsARangeAnswer) {
  Result<EtcdRange> range = ParseRangeAnswer(kRange);
  ASSERT_TRUE(range.ok()) << range.status().message();
  EXPECT_EQ(range->revision, 7);
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[0].key, "/vigil/a");
  EXPECT_EQ(range->kvs[0].value, std::string("\0\x01\xff", 3));
  EXPECT_EQ(range->kvs[0].create_revision, 5);
  EXPECT_EQ(range->kvs[0].mod_revision, 6);
  EXPECT_EQ(range->kvs[0].lease, 7587862089417164302);
  EXPECT_EQ(range->kvs[1].key, "/vigil/b");
  EXPECT_EQ(range->kvs[1].value, "");
  EXPECT_EQ(range->kvs[1].refused_value_bytes, 0u);

  // No kvs at all: an empty range.
  Result<EtcdRange> empty = ParseRangeAnswer(R"({"header":{"revision":"3"}})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->kvs.empty());
}

// Keys are not paths: a field named like a path into the answer is a field
// etcd does not have, ignored (found by the etcd_answers fuzz target).
TEST(EtcdGatewayTest, AFieldNamedLikeAPathIsJustAnUnknownField) {
  Result<EtcdRange> range = ParseRangeAnswer(
      R"({"kvs/[]/key":"L3ZpZ2lsL2E=","header":{"revision":"4"},"kvs/[]":{"key":"eA=="}})");
  ASSERT_TRUE(range.ok()) << range.status().message();
  EXPECT_EQ(range->revision, 4);
  EXPECT_TRUE(range->kvs.empty());
}

TEST(EtcdGatewayTest, RangeAnswersThatAreNotEtcdsAreErrorsSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not JSON"},
      {"ok\n", "not JSON"},
      {R"({"header":{"revision":"7"}} trailing)", "not JSON"},
      {"[1,2]", "not an object"},
      {"\"text\"", "not a JSON object"},
      {"{}", "header without a revision"},
      {R"({"header":"7"})", "header is not an object"},
      {R"({"header":{"revision":"seven"}})", "header.revision is not an integer: seven"},
      {R"({"header":{"revision":"1e3"}})", "not an integer"},
      {R"({"header":{"revision":1.5}})", "not an integer"},
      {R"({"header":{"revision":"99999999999999999999"}})", "not an integer"},
      {R"({"header":{"revision":"7"},"kvs":{}})", "kvs is not an array"},
      {R"({"header":{"revision":"7"},"kvs":3})", "kvs is not an array"},
      {R"({"header":{"revision":"7"},"kvs":[3]})", "a kv is not an object"},
      {R"({"header":{"revision":"7"},"kvs":[[]]})", "a kv is not an object"},
      {R"({"header":{"revision":"7"},"kvs":[{}]})", "a kv has no key"},
      {R"({"header":{"revision":"7"},"kvs":[{"key":"a"}]})", "key: bad base64"},
      {R"({"header":{"revision":"7"},"kvs":[{"key":"YQ==","value":"!!!!"}]})", "value: bad base64"},
      {R"({"header":{"revision":"7"},"kvs":[{"key":"YQ==","value":7}]})", "value is not a string"},
      {R"({"header":{"revision":"7"},"kvs":[{"key":"YQ==","lease":"x"}]})",
       "lease is not an integer"},
  };
  for (const auto& [body, want] : cases) {
    const std::string error = Error(ParseRangeAnswer(body));
    EXPECT_NE(error.find(want), std::string::npos) << body << " → " << error;
  }
}

TEST(EtcdGatewayTest, OutsideTextInErrorsIsEscaped) {
  const std::string error =
      Error(ParseRangeAnswer("{\"header\":{\"revision\":\"7\\n\\u001b[31mforged\"}}"));
  EXPECT_NE(error.find("7\\n\\x1b[31mforged"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
  EXPECT_EQ(error.find('\x1b'), std::string::npos);
}

TEST(EtcdGatewayTest, NestingDeeperThanTheCapIsRefused) {
  std::string deep = R"({"header":{"revision":"7"},"junk":)";
  for (int i = 0; i < 100000; ++i) deep += '[';
  const std::string error = Error(ParseRangeAnswer(deep));
  EXPECT_NE(error.find("nested deeper than 16 levels"), std::string::npos) << error;

  // Fields the parser does not know are passed over, at any allowed depth.
  Result<EtcdRange> range = ParseRangeAnswer(
      R"({"header":{"revision":"7","x":[[[{"y":[1,2,{"z":null}]}]]]},"more":false})");
  ASSERT_TRUE(range.ok()) << range.status().message();
  EXPECT_EQ(range->revision, 7);
}

TEST(EtcdGatewayTest, AValueOverTheCapIsNotDecodedAndTheRestCounts) {
  const std::string big = Base64Zeros(kEtcdMaxValueBytes + 3);
  const std::string fits = Base64Zeros(kEtcdMaxValueBytes);
  const std::string body = R"({"header":{"revision":"9"},"kvs":[{"key":"YQ==","value":")" + big +
                           R"(","mod_revision":"8"},{"key":"Yg==","value":")" + fits +
                           R"("},{"key":"Yw==","value":"eA=="}]})";
  Result<EtcdRange> range = ParseRangeAnswer(body);
  ASSERT_TRUE(range.ok()) << range.status().message();
  ASSERT_EQ(range->kvs.size(), 3u);
  EXPECT_EQ(range->kvs[0].key, "a");
  EXPECT_EQ(range->kvs[0].value, "");
  EXPECT_EQ(range->kvs[0].refused_value_bytes, kEtcdMaxValueBytes + 3);
  EXPECT_EQ(range->kvs[0].mod_revision, 8);
  EXPECT_EQ(range->kvs[1].value.size(), kEtcdMaxValueBytes);
  EXPECT_EQ(range->kvs[1].refused_value_bytes, 0u);
  EXPECT_EQ(range->kvs[2].value, "x");
}

TEST(EtcdGatewayTest, ARangeOfMoreKeysThanTheCapIsRefused) {
  std::string body = R"({"header":{"revision":"9"},"kvs":[)";
  body.reserve(body.size() + (kEtcdMaxRangeKeys + 1) * 15);
  for (size_t i = 0; i <= kEtcdMaxRangeKeys; ++i) body += R"({"key":"YQ=="},)";
  body.back() = ']';
  body += '}';
  const std::string error = Error(ParseRangeAnswer(body));
  EXPECT_NE(error.find("more than 500000 keys"), std::string::npos) << error;
}

TEST(EtcdGatewayTest, ReadsWatchMessages) {
  Result<EtcdWatchMessage> created = ParseWatchLine(
      R"({"result":{"header":{"cluster_id":"1","member_id":"2","revision":"4","raft_term":"2"},"created":true}})");
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->revision, 4);
  EXPECT_TRUE(created->events.empty());

  Result<EtcdWatchMessage> events = ParseWatchLine(
      R"({"result":{"header":{"revision":"6"},"events":[)"
      R"({"kv":{"key":"dy9h","create_revision":"5","mod_revision":"5","version":"1","value":"MQ=="}},)"
      R"({"type":"DELETE","kv":{"key":"dy9i","mod_revision":"6"}}]}})");
  ASSERT_TRUE(events.ok()) << events.status().message();
  EXPECT_FALSE(events->created);
  ASSERT_EQ(events->events.size(), 2u);
  EXPECT_EQ(events->events[0].type, EtcdEvent::Type::kPut);
  EXPECT_EQ(events->events[0].kv.key, "w/a");
  EXPECT_EQ(events->events[0].kv.value, "1");
  EXPECT_EQ(events->events[1].type, EtcdEvent::Type::kDelete);
  EXPECT_EQ(events->events[1].kv.key, "w/b");
  EXPECT_EQ(events->events[1].kv.mod_revision, 6);

  Result<EtcdWatchMessage> progress = ParseWatchLine(R"({"result":{"header":{"revision":"9"}}})");
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->revision, 9);
  EXPECT_TRUE(progress->events.empty());

  Result<EtcdWatchMessage> compacted = ParseWatchLine(
      R"({"result":{"header":{"revision":"9"},"canceled":true,"compact_revision":"8"}})");
  ASSERT_TRUE(compacted.ok());
  EXPECT_TRUE(compacted->canceled);
  EXPECT_EQ(compacted->compact_revision, 8);

  Result<EtcdWatchMessage> canceled =
      ParseWatchLine("{\"result\":{\"canceled\":true,\"cancel_reason\":\"gone\\u001b[2J\"}}");
  ASSERT_TRUE(canceled.ok());
  EXPECT_EQ(canceled->cancel_reason, "gone\\x1b[2J");

  Result<EtcdWatchMessage> error = ParseWatchLine(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}})");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->error, "etcdserver: no leader");
}

TEST(EtcdGatewayTest, WatchMessagesThatAreNotEtcdsAreErrorsSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"this is not JSON", "not JSON"},
      {"{}", "missing result"},
      {R"({"result":7})", "result is not an object"},
      {R"({"result":{"events":{}}})", "events is not an array"},
      {R"({"result":{"events":[1]}})", "an event is not an object"},
      {R"({"result":{"events":[{}]}})", "an event has no kv"},
      {R"({"result":{"events":[{"kv":{}}]}})", "a kv has no key"},
      {R"({"result":{"events":[{"kv":5}]}})", "kv is not an object"},
      {R"({"result":{"events":[{"type":"EXPLODE","kv":{"key":"YQ=="}}]}})",
       "unknown event type \"EXPLODE\""},
      {R"({"result":{"events":[{"type":1,"kv":{"key":"YQ=="}}]}})", "unknown event type"},
      {R"({"result":{"created":"yes"}})", "created is not true or false"},
  };
  for (const auto& [line, want] : cases) {
    const std::string error = Error(ParseWatchLine(line));
    EXPECT_NE(error.find(want), std::string::npos) << line << " → " << error;
  }
}

TEST(EtcdGatewayTest, AWatchedValueOverTheCapIsNotDecodedAndTheOtherEventsCount) {
  const std::string line =
      R"({"result":{"events":[{"kv":{"key":"YQ==","mod_revision":"5","value":")" +
      Base64Zeros(2 * kEtcdMaxValueBytes) +
      R"("}},{"kv":{"key":"Yg==","mod_revision":"5","value":"eA=="}}]}})";
  Result<EtcdWatchMessage> message = ParseWatchLine(line);
  ASSERT_TRUE(message.ok()) << message.status().message();
  ASSERT_EQ(message->events.size(), 2u);
  EXPECT_EQ(message->events[0].kv.refused_value_bytes, 2 * kEtcdMaxValueBytes);
  EXPECT_EQ(message->events[0].kv.value, "");
  EXPECT_EQ(message->events[1].kv.value, "x");
}

TEST(EtcdGatewayTest, ReadsLeaseTxnAndKeepAliveAnswers) {
  Result<int64_t> lease =
      ParseLeaseGrantAnswer(R"({"header":{"revision":"3"},"ID":"7587862089417164302","TTL":"10"})");
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  EXPECT_EQ(*lease, 7587862089417164302);
  EXPECT_NE(Error(ParseLeaseGrantAnswer(R"({"header":{}})")).find("no lease ID"),
            std::string::npos);
  EXPECT_NE(
      Error(ParseLeaseGrantAnswer(R"({"ID":"0","error":"too many"})")).find("error: too many"),
      std::string::npos);

  Result<int64_t> txn = ParseTxnAnswer(
      R"({"header":{"revision":"12"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"12"}}}]})");
  ASSERT_TRUE(txn.ok()) << txn.status().message();
  EXPECT_EQ(*txn, 12);
  EXPECT_NE(Error(ParseTxnAnswer(R"({"header":{"revision":"12"}})")).find("did not succeed"),
            std::string::npos);

  Result<EtcdKeepAliveAnswer> alive = ParseKeepAliveAnswer(
      "{\"result\":{\"header\":{\"revision\":\"3\"},\"ID\":\"5\",\"TTL\":\"9\"}}\n");
  ASSERT_TRUE(alive.ok()) << alive.status().message();
  EXPECT_EQ(alive->ttl, 9);
  EXPECT_EQ(alive->error, "");
  Result<EtcdKeepAliveAnswer> gone =
      ParseKeepAliveAnswer(R"({"result":{"header":{"revision":"3"},"ID":"5"}})");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->ttl, 0);
  Result<EtcdKeepAliveAnswer> failed = ParseKeepAliveAnswer(
      R"({"error":{"grpc_code":14,"message":"etcdserver: request timed out"}})");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->error, "etcdserver: request timed out");
  EXPECT_NE(Error(ParseKeepAliveAnswer("{}")).find("missing result"), std::string::npos);
}

TEST(EtcdGatewayTest, ErrorAnswersGiveEtcdsMessageOrTheStartOfTheBodyEscaped) {
  EXPECT_EQ(
      ParseErrorAnswer(
          400,
          R"({"error":"etcdserver: too many operations in txn request","message":"etcdserver: too many operations in txn request","code":3})"),
      "etcdserver: too many operations in txn request");
  EXPECT_EQ(ParseErrorAnswer(503, R"({"error":{"message":"etcdserver: no leader"}})"),
            "etcdserver: no leader");
  EXPECT_EQ(ParseErrorAnswer(404, R"({"error":"only this"})"), "only this");
  EXPECT_EQ(ParseErrorAnswer(502, "<html>\x1b[31mBad Gateway\n"),
            "HTTP 502: <html>\\x1b[31mBad Gateway\\n");
  EXPECT_EQ(ParseErrorAnswer(500, ""), "HTTP 500");
  EXPECT_EQ(ParseErrorAnswer(500, std::string(1000, 'x')).size(),
            std::string("HTTP 500: ").size() + 200);
}

TEST(EtcdGatewayTest, RequestsAreTheGatewaysJson) {
  EXPECT_EQ(json::parse(EtcdRangeRequest("/vigil/", true)),
            json::parse(R"({"key":"L3ZpZ2lsLw==","range_end":"L3ZpZ2lsMA==","keys_only":true})"));
  EXPECT_EQ(json::parse(EtcdRangeRequest("", false)),
            json::parse(R"({"key":"AA==","range_end":"AA=="})"));
  EXPECT_EQ(
      json::parse(EtcdWatchRequest("w/", 12)),
      json::parse(
          R"({"create_request":{"key":"dy8=","range_end":"dzA=","progress_notify":true,"start_revision":"12"}})"));
  EXPECT_EQ(
      json::parse(EtcdTxnRequest({EtcdOp::Put("a", "b", 5), EtcdOp::DeleteRange("c")})),
      json::parse(
          R"({"success":[{"request_put":{"key":"YQ==","value":"Yg==","lease":"5"}},{"request_delete_range":{"key":"Yw=="}}]})"));
  EXPECT_EQ(json::parse(EtcdLeaseGrantRequest(10)), json::parse(R"({"TTL":"10"})"));
  EXPECT_EQ(json::parse(EtcdLeaseRequest(77)), json::parse(R"({"ID":"77"})"));
}

}  // namespace
}  // namespace vigil
