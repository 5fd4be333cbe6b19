// etcd's v3 JSON gateway (etcd 3.4, `POST /v3/...`) as pure functions: the
// requests' JSON, and the parsing of the answers' bytes, with no I/O, so
// that any input can be tested (and fuzzed) on them. EtcdClient
// (etcd_client.h) carries them over HTTP. Keys and values are raw bytes
// here; the gateway's base64 and int64-as-string encodings stay inside.
//
// An answer comes from outside and may be anything: parsing checks every
// field it uses and ignores the others, and streams over the JSON rather
// than building a tree of it, so an answer costs the memory of what it
// holds, not of its syntax; nesting deeper than kEtcdMaxJsonDepth is
// refused. A value over kEtcdMaxValueBytes is not decoded: its key is kept,
// with `refused_value_bytes` saying how large the value was, and the rest
// of the answer counts. Errors say what was wrong; outside text in them is
// escaped (common/log_escape.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil {

// The caps on what etcd may send (README.md, "etcd"): a unary answer's body
// (a range of the whole prefix is the largest), one message (line) of a
// watch stream, one value, the keys of one range, and the nesting of JSON.
inline constexpr size_t kEtcdMaxAnswerBytes = 64 * 1024 * 1024;
inline constexpr size_t kEtcdMaxWatchLineBytes = 16 * 1024 * 1024;
inline constexpr size_t kEtcdMaxValueBytes = 1024 * 1024;
inline constexpr size_t kEtcdMaxRangeKeys = 500 * 1000;
inline constexpr size_t kEtcdMaxJsonDepth = 16;

struct EtcdKeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
  // > 0: the value had this many bytes, over kEtcdMaxValueBytes; it was not
  // decoded and `value` is empty.
  size_t refused_value_bytes = 0;
};

struct EtcdEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  EtcdKeyValue kv;  // for kDelete: the key and the deletion's mod_revision
};

// Every key of a prefix at one revision, in key order.
struct EtcdRange {
  int64_t revision = 0;  // the store's revision the read saw
  std::vector<EtcdKeyValue> kvs;
};

// One operation of a transaction: a put (key, value, optional lease) or the
// deletion of [key, range_end) (an empty range_end: the key alone).
struct EtcdOp {
  enum class Type { kPut, kDeleteRange };
  Type type = Type::kPut;
  std::string key;
  std::string value;
  std::string range_end;
  int64_t lease = 0;

  static EtcdOp Put(std::string key, std::string value, int64_t lease = 0) {
    return {Type::kPut, std::move(key), std::move(value), "", lease};
  }
  static EtcdOp DeleteRange(std::string key, std::string range_end = "") {
    return {Type::kDeleteRange, std::move(key), "", std::move(range_end), 0};
  }
};

// The range_end that makes [prefix, range_end) every key starting with
// `prefix`: the prefix with its last byte below 0xff incremented ("\0", all
// keys, when there is none).
std::string EtcdPrefixEnd(std::string_view prefix);

// The bodies of the calls EtcdClient makes.
std::string EtcdLeaseGrantRequest(int ttl_seconds);  // lease/grant
std::string EtcdLeaseRequest(int64_t lease);         // lease/keepalive, lease/revoke
std::string EtcdTxnRequest(const std::vector<EtcdOp>& ops);
std::string EtcdRangeRequest(std::string_view prefix, bool keys_only);  // kv/range
// watch, with progress notifications; start_revision 0: from now on.
std::string EtcdWatchRequest(std::string_view prefix, int64_t start_revision);

// The answers to lease/grant (the lease's ID), kv/txn (the revision after
// it; an error unless it succeeded) and kv/range.
Result<int64_t> ParseLeaseGrantAnswer(std::string_view body);
Result<int64_t> ParseTxnAnswer(std::string_view body);
Result<EtcdRange> ParseRangeAnswer(std::string_view body);

// lease/keepalive answers a stream of one message: the lease's remaining
// TTL (<= 0: the lease is gone), or an error etcd sent in the stream.
struct EtcdKeepAliveAnswer {
  int64_t ttl = 0;
  std::string error;  // etcd's message (escaped); empty: `ttl` holds
};
Result<EtcdKeepAliveAnswer> ParseKeepAliveAnswer(std::string_view body);

// One line (message) of a watch stream, without its newline.
struct EtcdWatchMessage {
  std::string error;     // an error etcd sent in the stream (escaped); then nothing else is set
  int64_t revision = 0;  // the header's
  bool created = false;  // etcd set the watch up
  bool canceled = false;
  int64_t compact_revision = 0;  // with `canceled`: the start revision was compacted
  std::string cancel_reason;     // escaped
  // In order; none in a progress notification or the `created` message.
  std::vector<EtcdEvent> events;
};
Result<EtcdWatchMessage> ParseWatchLine(std::string_view line);

// etcd's message in an error answer (HTTP status not 200, or an error in a
// stream): {"error","message","code"} or {"error":{"message",...}};
// otherwise the status and the start of the body. Escaped.
std::string ParseErrorAnswer(int http_status, std::string_view body);

}  // namespace vigil
