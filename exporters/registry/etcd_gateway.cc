#include "exporters/registry/etcd_gateway.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "common/log_escape.h"

namespace vigil {
namespace {

using nlohmann::json;

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The length of what standard base64 text `in` decodes to (an estimate
// when `in` is malformed, which decoding then reports).
size_t Base64DecodedSize(std::string_view in) {
  size_t size = in.size() / 4 * 3;
  if (in.size() >= 4 && in.size() % 4 == 0) {
    size -= (in[in.size() - 1] == '=') + (in[in.size() - 2] == '=');
  }
  return size;
}

// Standard base64 with padding, as Go's encoding/json writes []byte; false
// when `in` is not that.
bool Base64Decode(std::string_view in, std::string* out, std::string* error) {
  if (in.size() % 4 != 0) {
    *error = "bad base64 (length " + std::to_string(in.size()) + ")";
    return false;
  }
  out->clear();
  out->reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    const int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=') : 0;
    if (pad == 1 && in[i + 2] == '=') {
      *error = "bad base64 padding";
      return false;
    }
    uint32_t n = 0;
    for (int j = 0; j < 4 - pad; ++j) {
      const int v = Base64Value(in[i + j]);
      if (v < 0) {
        *error = "bad base64 character";
        return false;
      }
      n |= static_cast<uint32_t>(v) << (18 - 6 * j);
    }
    *out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) *out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) *out += static_cast<char>(n & 0xff);
  }
  return true;
}

// One scalar of the JSON at hand.
struct Scalar {
  enum class Type { kNull, kBool, kInteger, kUnsigned, kFloat, kString };
  Type type = Type::kNull;
  bool boolean = false;
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  const std::string* string = nullptr;
};

// A SAX handler of nlohmann::json that knows where it is: each value's
// path is the keys from the root to it joined by "/", an array's elements
// being "[]" ("kvs/[]/key"; "" is the root). Subclasses see every scalar
// and every object or array opening and closing with its path, and keep
// what they want. Refuses nesting deeper than kEtcdMaxJsonDepth.
class JsonWalker {
 public:
  virtual ~JsonWalker() = default;

  // OK, or the first error (of the JSON or of a subclass).
  Status Walk(std::string_view text) {
    const bool parsed = json::sax_parse(text.begin(), text.end(), this);
    if (!error_.empty()) return Status::Error(error_);
    if (!parsed) return Status::Error("not JSON");
    return Status::Ok();
  }

  // The SAX interface.
  bool null() { return Leaf(Scalar{}); }
  bool boolean(bool value) {
    Scalar s;
    s.type = Scalar::Type::kBool;
    s.boolean = value;
    return Leaf(s);
  }
  bool number_integer(int64_t value) {
    Scalar s;
    s.type = Scalar::Type::kInteger;
    s.integer = value;
    return Leaf(s);
  }
  bool number_unsigned(uint64_t value) {
    Scalar s;
    s.type = Scalar::Type::kUnsigned;
    s.unsigned_integer = value;
    return Leaf(s);
  }
  bool number_float(double, const std::string&) {
    Scalar s;
    s.type = Scalar::Type::kFloat;
    return Leaf(s);
  }
  bool string(std::string& value) {
    Scalar s;
    s.type = Scalar::Type::kString;
    s.string = &value;
    return Leaf(s);
  }
  bool binary(json::binary_t&) { return Fail("binary data in JSON"); }
  bool start_object(size_t) { return Open(false); }
  bool key(std::string& key) {
    key_ = key;
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(size_t) { return Open(true); }
  bool end_array() { return Close(); }
  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception&) {
    if (error_.empty()) error_ = "not JSON (at byte " + std::to_string(position) + ")";
    return false;
  }

 protected:
  virtual bool OnScalar(std::string_view path, const Scalar& value) = 0;
  virtual bool OnOpen(std::string_view path, bool array) = 0;
  virtual bool OnClose(std::string_view path) = 0;

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  // Readers of a scalar for field `name`; false (with the error set) when
  // it is not of the kind wanted. Absent or null values are zero values,
  // as the gateway omits them.
  bool Int64(const Scalar& value, std::string_view name, int64_t* out) {
    switch (value.type) {
      case Scalar::Type::kNull:
        *out = 0;
        return true;
      case Scalar::Type::kInteger:
        *out = value.integer;
        return true;
      case Scalar::Type::kUnsigned:
        if (value.unsigned_integer > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          break;
        *out = static_cast<int64_t>(value.unsigned_integer);
        return true;
      case Scalar::Type::kString: {
        const std::string& s = *value.string;
        const char* end = s.data() + s.size();
        const auto [ptr, ec] = std::from_chars(s.data(), end, *out);
        if (!s.empty() && ec == std::errc() && ptr == end) return true;
        return Fail(std::string(name) + " is not an integer: " + EscapeForLog(s, 64));
      }
      default:
        break;
    }
    return Fail(std::string(name) + " is not an integer");
  }
  bool Bool(const Scalar& value, std::string_view name, bool* out) {
    if (value.type == Scalar::Type::kNull) {
      *out = false;
      return true;
    }
    if (value.type != Scalar::Type::kBool) return Fail(std::string(name) + " is not true or false");
    *out = value.boolean;
    return true;
  }
  bool Text(const Scalar& value, std::string_view name, std::string* out) {
    if (value.type == Scalar::Type::kNull) {
      out->clear();
      return true;
    }
    if (value.type != Scalar::Type::kString) return Fail(std::string(name) + " is not a string");
    *out = *value.string;
    return true;
  }
  bool Bytes(const Scalar& value, std::string_view name, std::string* out) {
    if (value.type == Scalar::Type::kNull) {
      out->clear();
      return true;
    }
    if (value.type != Scalar::Type::kString) return Fail(std::string(name) + " is not a string");
    std::string error;
    if (!Base64Decode(*value.string, out, &error)) return Fail(std::string(name) + ": " + error);
    return true;
  }
  // A container (object, or array when `array`) where a value of kind
  // `want` was expected is an error; so is a scalar other than null.
  bool WantObject(bool array, std::string_view name) {
    return !array || Fail(std::string(name) + " is not an object");
  }
  bool WantArray(bool array, std::string_view name) {
    return array || Fail(std::string(name) + " is not an array");
  }
  bool WantContainer(const Scalar& value, std::string_view name, const char* kind) {
    return value.type == Scalar::Type::kNull || Fail(std::string(name) + " is not " + kind);
  }

  // A key-value's fields, at path `field` within the kv (one of the
  // suffixes after "kv/" or "kvs/[]/").
  bool KeyValueField(std::string_view field, const Scalar& value, EtcdKeyValue* kv) {
    if (field == "key") return Bytes(value, "key", &kv->key);
    if (field == "value") {
      if (value.type == Scalar::Type::kString) {
        const size_t size = Base64DecodedSize(*value.string);
        if (size > kEtcdMaxValueBytes) {
          kv->value.clear();
          kv->refused_value_bytes = size;
          return true;
        }
      }
      return Bytes(value, "value", &kv->value);
    }
    if (field == "create_revision") return Int64(value, field, &kv->create_revision);
    if (field == "mod_revision") return Int64(value, field, &kv->mod_revision);
    if (field == "lease") return Int64(value, field, &kv->lease);
    return true;  // version, and whatever later versions add
  }

 private:
  // The path of the value that starts now (its segment appended).
  void Enter() {
    if (frames_.empty()) return;
    if (!path_.empty()) path_ += '/';
    if (frames_.back().array) {
      path_ += "[]";
    } else if (key_.find_first_of("/[]?") != std::string::npos) {
      // No field of etcd's has these; as they are, a key such as "kvs/[]/key"
      // would read as a path into the answer.
      path_ += '?';
    } else {
      path_ += key_;
    }
  }

  bool Leaf(const Scalar& value) {
    const size_t length = path_.size();
    Enter();
    const bool ok = OnScalar(path_, value);
    path_.resize(length);
    return ok;
  }
  bool Open(bool array) {
    if (frames_.size() >= kEtcdMaxJsonDepth) {
      return Fail("nested deeper than " + std::to_string(kEtcdMaxJsonDepth) + " levels");
    }
    const size_t length = path_.size();
    Enter();
    frames_.push_back(Frame{length, array});
    return OnOpen(path_, array);
  }
  bool Close() {
    if (frames_.empty()) return Fail("unbalanced JSON");
    const bool ok = OnClose(path_);
    path_.resize(frames_.back().path_length);
    frames_.pop_back();
    return ok;
  }

  struct Frame {
    size_t path_length;  // of the parent's path
    bool array;
  };
  std::vector<Frame> frames_;
  std::string path_;
  std::string key_;
  std::string error_;
};

// If `path` is `prefix` followed by "/" and more, that more.
std::optional<std::string_view> Below(std::string_view path, std::string_view prefix) {
  if (path.size() <= prefix.size() + 1 || path.substr(0, prefix.size()) != prefix ||
      path[prefix.size()] != '/') {
    return std::nullopt;
  }
  return path.substr(prefix.size() + 1);
}

// A walker of answers whose root is an object with a "header".
class AnswerWalker : public JsonWalker {
 public:
  int64_t revision = 0;  // the header's

 protected:
  bool OnScalar(std::string_view path, const Scalar& value) override {
    if (path.empty()) return Fail("not a JSON object");
    if (path == "header") return WantContainer(value, "header", "an object");
    if (path == "header/revision") return Int64(value, "header.revision", &revision);
    return Field(path, value);
  }
  bool OnOpen(std::string_view path, bool array) override {
    if (path.empty()) return WantObject(array, "the answer");
    if (path == "header") return WantObject(array, "header");
    return Container(path, array);
  }
  bool OnClose(std::string_view path) override { return Closed(path); }

  virtual bool Field(std::string_view, const Scalar&) { return true; }
  virtual bool Container(std::string_view, bool) { return true; }
  virtual bool Closed(std::string_view) { return true; }
};

class LeaseGrantWalker final : public AnswerWalker {
 public:
  int64_t id = 0;
  std::string error;

 protected:
  bool Field(std::string_view path, const Scalar& value) override {
    if (path == "ID") return Int64(value, "ID", &id);
    if (path == "error") return Text(value, "error", &error);
    return true;
  }
};

class TxnWalker final : public AnswerWalker {
 public:
  bool succeeded = false;

 protected:
  bool Field(std::string_view path, const Scalar& value) override {
    if (path == "succeeded") return Bool(value, "succeeded", &succeeded);
    return true;
  }
};

class RangeWalker final : public AnswerWalker {
 public:
  std::vector<EtcdKeyValue> kvs;

 protected:
  bool Field(std::string_view path, const Scalar& value) override {
    if (path == "kvs") return WantContainer(value, "kvs", "an array");
    if (path == "kvs/[]") return Fail("a kv is not an object");
    if (const auto field = Below(path, "kvs/[]")) {
      return field->find('/') != std::string_view::npos ||
             KeyValueField(*field, value, &kvs.back());
    }
    return true;
  }
  bool Container(std::string_view path, bool array) override {
    if (path == "kvs") return WantArray(array, "kvs");
    if (path == "kvs/[]") {
      if (array) return Fail("a kv is not an object");
      if (kvs.size() >= kEtcdMaxRangeKeys) {
        return Fail("more than " + std::to_string(kEtcdMaxRangeKeys) + " keys");
      }
      kvs.emplace_back();
    }
    return true;
  }
  bool Closed(std::string_view path) override {
    if (path == "kvs/[]" && kvs.back().key.empty()) return Fail("a kv has no key");
    return true;
  }
};

// A message of a stream ({"result":{...}} or {"error":{...}}), in which
// the fields of the result are under "result/".
class StreamWalker : public JsonWalker {
 public:
  bool has_result = false;
  bool has_error = false;
  std::string message;  // of the error
  int64_t revision = 0;

 protected:
  bool OnScalar(std::string_view path, const Scalar& value) override {
    if (path.empty()) return Fail("not a JSON object");
    if (path == "result") return WantContainer(value, "result", "an object");
    if (path == "error") {
      // {"error":"..."} as well as {"error":{"message":"..."}}.
      has_error = has_error || value.type != Scalar::Type::kNull;
      if (value.type == Scalar::Type::kString && message.empty()) message = *value.string;
      return true;
    }
    if (path == "error/message" && value.type == Scalar::Type::kString) {
      message = *value.string;
      return true;
    }
    if (path == "result/header") return WantContainer(value, "header", "an object");
    if (path == "result/header/revision") return Int64(value, "header.revision", &revision);
    if (const auto field = Below(path, "result")) return Field(*field, value);
    return true;
  }
  bool OnOpen(std::string_view path, bool array) override {
    if (path.empty()) return WantObject(array, "the message");
    if (path == "result") {
      has_result = true;
      return WantObject(array, "result");
    }
    if (path == "error") {
      has_error = true;
      return true;
    }
    if (const auto field = Below(path, "result")) return Container(*field, array);
    return true;
  }
  bool OnClose(std::string_view path) override {
    if (const auto field = Below(path, "result")) return Closed(*field);
    return true;
  }

  virtual bool Field(std::string_view, const Scalar&) { return true; }
  virtual bool Container(std::string_view, bool) { return true; }
  virtual bool Closed(std::string_view) { return true; }
};

class KeepAliveWalker final : public StreamWalker {
 public:
  int64_t ttl = 0;

 protected:
  bool Field(std::string_view path, const Scalar& value) override {
    if (path == "TTL") return Int64(value, "TTL", &ttl);
    return true;
  }
};

class WatchWalker final : public StreamWalker {
 public:
  EtcdWatchMessage out;

 protected:
  bool Field(std::string_view path, const Scalar& value) override {
    if (path == "created") return Bool(value, "created", &out.created);
    if (path == "canceled") return Bool(value, "canceled", &out.canceled);
    if (path == "compact_revision") return Int64(value, "compact_revision", &out.compact_revision);
    if (path == "cancel_reason") return Text(value, "cancel_reason", &out.cancel_reason);
    if (path == "events") return WantContainer(value, "events", "an array");
    if (path == "events/[]") return Fail("an event is not an object");
    if (path == "events/[]/type") {
      if (value.type == Scalar::Type::kNull) return true;
      const bool put = value.type == Scalar::Type::kString && *value.string == "PUT";
      const bool del = value.type == Scalar::Type::kString && *value.string == "DELETE";
      if (!put && !del) {
        return Fail("unknown event type" + (value.type == Scalar::Type::kString
                                                ? " \"" + EscapeForLog(*value.string, 64) + "\""
                                                : std::string()));
      }
      out.events.back().type = del ? EtcdEvent::Type::kDelete : EtcdEvent::Type::kPut;
      return true;
    }
    if (path == "events/[]/kv") return WantContainer(value, "kv", "an object");
    if (const auto field = Below(path, "events/[]/kv")) {
      return field->find('/') != std::string_view::npos ||
             KeyValueField(*field, value, &out.events.back().kv);
    }
    return true;
  }
  bool Container(std::string_view path, bool array) override {
    if (path == "events") return WantArray(array, "events");
    if (path == "events/[]") {
      if (array) return Fail("an event is not an object");
      out.events.emplace_back();
      has_kv_ = false;
      return true;
    }
    if (path == "events/[]/kv") {
      has_kv_ = true;
      return WantObject(array, "kv");
    }
    return true;
  }
  bool Closed(std::string_view path) override {
    if (path == "events/[]/kv" && out.events.back().kv.key.empty()) {
      return Fail("a kv has no key");
    }
    if (path == "events/[]" && !has_kv_) return Fail("an event has no kv");
    return true;
  }

 private:
  bool has_kv_ = false;  // the event at hand has its kv
};

}  // namespace

std::string EtcdPrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');
  end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

std::string EtcdLeaseGrantRequest(int ttl_seconds) {
  return json{{"TTL", std::to_string(ttl_seconds)}}.dump();
}

std::string EtcdLeaseRequest(int64_t lease) { return json{{"ID", std::to_string(lease)}}.dump(); }

std::string EtcdTxnRequest(const std::vector<EtcdOp>& ops) {
  json success = json::array();
  for (const EtcdOp& op : ops) {
    if (op.type == EtcdOp::Type::kPut) {
      json put = {{"key", Base64Encode(op.key)}, {"value", Base64Encode(op.value)}};
      if (op.lease != 0) put["lease"] = std::to_string(op.lease);
      success.push_back({{"request_put", std::move(put)}});
    } else {
      json del = {{"key", Base64Encode(op.key)}};
      if (!op.range_end.empty()) del["range_end"] = Base64Encode(op.range_end);
      success.push_back({{"request_delete_range", std::move(del)}});
    }
  }
  return json{{"success", std::move(success)}}.dump();
}

std::string EtcdRangeRequest(std::string_view prefix, bool keys_only) {
  const std::string key = prefix.empty() ? std::string(1, '\0') : std::string(prefix);
  json request = {{"key", Base64Encode(key)}, {"range_end", Base64Encode(EtcdPrefixEnd(prefix))}};
  if (keys_only) request["keys_only"] = true;
  return request.dump();
}

std::string EtcdWatchRequest(std::string_view prefix, int64_t start_revision) {
  const std::string key = prefix.empty() ? std::string(1, '\0') : std::string(prefix);
  json create = {{"key", Base64Encode(key)},
                 {"range_end", Base64Encode(EtcdPrefixEnd(prefix))},
                 {"progress_notify", true}};
  if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
  return json{{"create_request", std::move(create)}}.dump();
}

Result<int64_t> ParseLeaseGrantAnswer(std::string_view body) {
  LeaseGrantWalker walker;
  if (Status s = walker.Walk(body); !s.ok()) return s;
  if (!walker.error.empty()) return Status::Error("error: " + EscapeForLog(walker.error));
  if (walker.id == 0) return Status::Error("no lease ID");
  return walker.id;
}

Result<int64_t> ParseTxnAnswer(std::string_view body) {
  TxnWalker walker;
  if (Status s = walker.Walk(body); !s.ok()) return s;
  // Without compares the success branch always runs; "succeeded" false is
  // omitted, so its absence would mean the transaction did not apply.
  if (!walker.succeeded) return Status::Error("the transaction did not succeed");
  if (walker.revision <= 0) return Status::Error("header without a revision");
  return walker.revision;
}

Result<EtcdRange> ParseRangeAnswer(std::string_view body) {
  RangeWalker walker;
  if (Status s = walker.Walk(body); !s.ok()) return s;
  if (walker.revision <= 0) return Status::Error("header without a revision");
  return EtcdRange{walker.revision, std::move(walker.kvs)};
}

Result<EtcdKeepAliveAnswer> ParseKeepAliveAnswer(std::string_view body) {
  KeepAliveWalker walker;
  if (Status s = walker.Walk(body.substr(0, body.find('\n'))); !s.ok()) return s;
  if (walker.has_error && !walker.has_result) {
    return EtcdKeepAliveAnswer{0, walker.message.empty() ? std::string("an error without a message")
                                                         : EscapeForLog(walker.message)};
  }
  if (!walker.has_result) return Status::Error("missing result");
  return EtcdKeepAliveAnswer{walker.ttl, ""};
}

Result<EtcdWatchMessage> ParseWatchLine(std::string_view line) {
  WatchWalker walker;
  if (Status s = walker.Walk(line); !s.ok()) return s;
  if (walker.has_error && !walker.has_result) {
    EtcdWatchMessage error;
    error.error =
        walker.message.empty() ? "an error without a message" : EscapeForLog(walker.message);
    return error;
  }
  if (!walker.has_result) return Status::Error("missing result");
  walker.out.revision = walker.revision;
  walker.out.cancel_reason = EscapeForLog(walker.out.cancel_reason);
  return std::move(walker.out);
}

std::string ParseErrorAnswer(int http_status, std::string_view body) {
  // Both forms, at the top or in a stream's message: the first non-empty
  // "message", else "error", wins.
  class ErrorWalker final : public JsonWalker {
   public:
    std::string message;
    std::string error;

   protected:
    bool OnScalar(std::string_view path, const Scalar& value) override {
      if (value.type != Scalar::Type::kString || value.string->empty()) return true;
      if ((path == "message" || path == "error/message") && message.empty()) {
        message = *value.string;
      } else if ((path == "error" || path == "error/error") && error.empty()) {
        error = *value.string;
      }
      return true;
    }
    bool OnOpen(std::string_view, bool) override { return true; }
    bool OnClose(std::string_view) override { return true; }
  };
  ErrorWalker walker;
  if (walker.Walk(body).ok()) {
    if (!walker.message.empty()) return EscapeForLog(walker.message);
    if (!walker.error.empty()) return EscapeForLog(walker.error);
  }
  const std::string shown = EscapeForLog(body.substr(0, 200), 200);
  return "HTTP " + std::to_string(http_status) + (shown.empty() ? "" : ": " + shown);
}

}  // namespace vigil
