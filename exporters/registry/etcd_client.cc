#include "exporters/registry/etcd_client.h"

#include <httplib.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

namespace vigil {
namespace {

using nlohmann::json;

// Raised by the decoding helpers; caught in this file and turned into a Status.
class MalformedAnswer : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(const std::string& in) {
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

// Standard base64 with padding, as Go's encoding/json writes []byte.
std::string Base64Decode(const std::string& in) {
  if (in.size() % 4 != 0)
    throw MalformedAnswer("bad base64 (length " + std::to_string(in.size()) + ")");
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    const int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=') : 0;
    if (pad == 1 && in[i + 2] == '=') throw MalformedAnswer("bad base64 padding");
    uint32_t n = 0;
    for (int j = 0; j < 4 - pad; ++j) {
      const int v = Base64Value(in[i + j]);
      if (v < 0) throw MalformedAnswer("bad base64 character");
      n |= static_cast<uint32_t>(v) << (18 - 6 * j);
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

const json& Field(const json& object, const char* name) {
  if (!object.is_object())
    throw MalformedAnswer(std::string("not an object where ") + name + " was expected");
  const auto it = object.find(name);
  if (it == object.end()) throw MalformedAnswer(std::string("missing ") + name);
  return *it;
}

// An int64 field: a JSON string of digits (or a number); absent means 0, as the
// gateway omits zero values.
int64_t Int64(const json& object, const char* name) {
  if (!object.is_object())
    throw MalformedAnswer(std::string("not an object where ") + name + " was expected");
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (!it->is_string()) throw MalformedAnswer(std::string(name) + " is not an integer");
  const std::string& s = it->get_ref<const std::string&>();
  size_t used = 0;
  int64_t value = 0;
  try {
    value = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (s.empty() || used != s.size())
    throw MalformedAnswer(std::string(name) + " is not an integer: " + s);
  return value;
}

// A bytes field; absent means empty.
std::string Bytes(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return "";
  if (!it->is_string()) throw MalformedAnswer(std::string(name) + " is not a string");
  return Base64Decode(it->get_ref<const std::string&>());
}

EtcdKeyValue ParseKeyValue(const json& kv) {
  if (!kv.is_object()) throw MalformedAnswer("a kv is not an object");
  EtcdKeyValue out;
  out.key = Bytes(kv, "key");
  if (out.key.empty()) throw MalformedAnswer("a kv has no key");
  out.value = Bytes(kv, "value");
  out.create_revision = Int64(kv, "create_revision");
  out.mod_revision = Int64(kv, "mod_revision");
  out.lease = Int64(kv, "lease");
  return out;
}

int64_t HeaderRevision(const json& answer) {
  const int64_t revision = Int64(Field(answer, "header"), "revision");
  if (revision <= 0) throw MalformedAnswer("header without a revision");
  return revision;
}

std::string Describe(httplib::Error error, const EtcdClient::Options& options) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (connection refused or unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out after " + std::to_string(options.connect_timeout.count()) + " ms";
    case httplib::Error::Read:
      return "no complete answer (connection closed or no answer within " +
             std::to_string(options.request_timeout.count()) + " ms)";
    case httplib::Error::Write:
      return "cannot send the request (connection closed)";
    case httplib::Error::Canceled:
      return "request canceled";
    default:
      return "request failed (" + httplib::to_string(error) + ")";
  }
}

// etcd's message from an error body {"error","message","code"} (or, in a
// stream, {"error":{"message",...}}); the raw status and body otherwise.
std::string EtcdError(int http_status, const std::string& body) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    const json* source = &j;
    if (const auto e = j.find("error"); e != j.end() && e->is_object()) source = &*e;
    for (const char* name : {"message", "error"}) {
      const auto it = source->find(name);
      if (it != source->end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
        return it->get<std::string>();
      }
    }
  }
  std::string shown = body.substr(0, 200);
  return "HTTP " + std::to_string(http_status) + (shown.empty() ? "" : ": " + shown);
}

// Runs `parse` on the answer's JSON; any malformation becomes an error naming
// the member and the call.
template <typename T, typename Parse>
Result<T> ParseAnswer(const std::string& endpoint, const std::string& body, const char* call,
                      Parse&& parse) {
  try {
    return parse(json::parse(body));
  } catch (const std::exception& e) {
    return Status::Error("etcd at " + endpoint + ": malformed answer to " + call + ": " + e.what());
  }
}

// etcd limits requests to 1.5 MiB; a range answer can be larger, not unbounded.
constexpr size_t kMaxAnswerBytes = 256 * 1024 * 1024;

std::string Int64String(int64_t value) { return std::to_string(value); }

template <typename Duration>
void SetTimeout(Duration duration, const std::function<void(time_t, time_t)>& set) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  set(static_cast<time_t>(us / 1000000), static_cast<time_t>(us % 1000000));
}

std::unique_ptr<httplib::Client> MakeClient(const std::string& endpoint,
                                            std::chrono::milliseconds connect_timeout,
                                            std::chrono::milliseconds read_timeout,
                                            std::chrono::milliseconds write_timeout) {
  auto client = std::make_unique<httplib::Client>(endpoint);
  // httplib sends a request's headers and body in separate writes: with
  // Nagle's algorithm the body waits for the ACK of the headers, which the
  // server delays (40 ms on Linux). Every call would take that long.
  client->set_tcp_nodelay(true);
  SetTimeout(connect_timeout, [&](time_t s, time_t us) { client->set_connection_timeout(s, us); });
  SetTimeout(read_timeout, [&](time_t s, time_t us) { client->set_read_timeout(s, us); });
  SetTimeout(write_timeout, [&](time_t s, time_t us) { client->set_write_timeout(s, us); });
  return client;
}

}  // namespace

EtcdClient::EtcdClient(std::vector<std::string> endpoints, Options options)
    : endpoints_(std::move(endpoints)), options_(options) {
  for (const std::string& endpoint : endpoints_) {
    clients_.push_back(MakeClient(endpoint, options_.connect_timeout, options_.request_timeout,
                                  options_.request_timeout));
    clients_.back()->set_keep_alive(true);
  }
}

EtcdClient::~EtcdClient() = default;

std::string EtcdClient::PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');
  end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

Result<EtcdClient::Answer> EtcdClient::Call(const std::string& path, const std::string& body) {
  if (endpoints_.empty()) return Status::Error("etcd: no endpoints configured");
  size_t start = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    start = preferred_;
  }
  std::string failures;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    const size_t index = (start + i) % endpoints_.size();
    const std::string& endpoint = endpoints_[index];
    std::string failure;
    if (!clients_[index]->is_valid()) {
      failure = "not an http://host:port endpoint";
    } else {
      // The body is collected as it comes because etcd's error answers end
      // their chunked body with a trailer, which cpp-httplib 0.11 fails to
      // read: the status and the whole body have come by then.
      int http_status = 0;
      std::string answer;
      httplib::Request request;
      request.method = "POST";
      request.path = path;
      request.body = body;
      request.set_header("Content-Type", "application/json");
      request.response_handler = [&](const httplib::Response& response) {
        http_status = response.status;
        return true;
      };
      request.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
        answer.append(data, length);
        return answer.size() <= kMaxAnswerBytes;
      };
      httplib::Response response;
      httplib::Error error = httplib::Error::Success;
      const bool sent = clients_[index]->send(request, response, error);
      if (http_status != 0 && (sent || http_status != 200)) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          preferred_ = index;
        }
        if (http_status != 200) {
          return Status::Error("etcd at " + endpoint + ": " + EtcdError(http_status, answer));
        }
        return Answer{endpoint, std::move(answer)};
      }
      if (answer.size() > kMaxAnswerBytes)
        return Status::Error("etcd at " + endpoint + ": answer over " +
                             std::to_string(kMaxAnswerBytes) + " bytes");
      failure = Describe(error, options_);
    }
    failures += (failures.empty() ? "" : "; ") + ("etcd at " + endpoint + ": " + failure);
  }
  return Status::Error(failures);
}

Result<int64_t> EtcdClient::GrantLease(int ttl_seconds) {
  const json request = {{"TTL", Int64String(ttl_seconds)}};
  Result<Answer> answer = Call("/v3/lease/grant", request.dump());
  if (!answer.ok()) return answer.status();
  return ParseAnswer<int64_t>(answer->endpoint, answer->body, "lease/grant", [](const json& j) {
    if (const auto e = j.find("error");
        e != j.end() && e->is_string() && !e->get<std::string>().empty()) {
      throw MalformedAnswer("error: " + e->get<std::string>());
    }
    const int64_t id = Int64(j, "ID");
    if (id == 0) throw MalformedAnswer("no lease ID");
    return id;
  });
}

Result<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  const json request = {{"ID", Int64String(lease)}};
  Result<Answer> answer = Call("/v3/lease/keepalive", request.dump());
  if (!answer.ok()) return answer.status();
  // A stream of one message: {"result":{...,"TTL"}} or {"error":{...}}.
  const std::string line = answer->body.substr(0, answer->body.find('\n'));
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && !j.contains("result")) {
    return Status::Error("etcd at " + answer->endpoint + ": " + EtcdError(200, line));
  }
  return ParseAnswer<int64_t>(answer->endpoint, line, "lease/keepalive",
                              [](const json& j) { return Int64(Field(j, "result"), "TTL"); });
}

Status EtcdClient::Revoke(int64_t lease) {
  const json request = {{"ID", Int64String(lease)}};
  Result<Answer> answer = Call("/v3/lease/revoke", request.dump());
  return answer.status();
}

Result<int64_t> EtcdClient::Txn(const std::vector<EtcdOp>& ops) {
  json success = json::array();
  for (const EtcdOp& op : ops) {
    if (op.type == EtcdOp::Type::kPut) {
      json put = {{"key", Base64Encode(op.key)}, {"value", Base64Encode(op.value)}};
      if (op.lease != 0) put["lease"] = Int64String(op.lease);
      success.push_back({{"request_put", std::move(put)}});
    } else {
      json del = {{"key", Base64Encode(op.key)}};
      if (!op.range_end.empty()) del["range_end"] = Base64Encode(op.range_end);
      success.push_back({{"request_delete_range", std::move(del)}});
    }
  }
  const json request = {{"success", std::move(success)}};
  Result<Answer> answer = Call("/v3/kv/txn", request.dump());
  if (!answer.ok()) return answer.status();
  return ParseAnswer<int64_t>(answer->endpoint, answer->body, "kv/txn", [](const json& j) {
    // Without compares the success branch always runs; "succeeded" false is
    // omitted, so its absence would mean the transaction did not apply.
    const auto succeeded = j.find("succeeded");
    if (succeeded == j.end() || !succeeded->is_boolean() || !succeeded->get<bool>()) {
      throw MalformedAnswer("the transaction did not succeed");
    }
    return HeaderRevision(j);
  });
}

Result<EtcdClient::Range> EtcdClient::GetPrefix(const std::string& prefix, bool keys_only) {
  const std::string key = prefix.empty() ? std::string(1, '\0') : prefix;
  json request = {{"key", Base64Encode(key)}, {"range_end", Base64Encode(PrefixEnd(prefix))}};
  if (keys_only) request["keys_only"] = true;
  Result<Answer> answer = Call("/v3/kv/range", request.dump());
  if (!answer.ok()) return answer.status();
  return ParseAnswer<Range>(answer->endpoint, answer->body, "kv/range", [](const json& j) {
    Range range;
    range.revision = HeaderRevision(j);
    if (const auto kvs = j.find("kvs"); kvs != j.end()) {
      if (!kvs->is_array()) throw MalformedAnswer("kvs is not an array");
      for (const json& kv : *kvs) range.kvs.push_back(ParseKeyValue(kv));
    }
    return range;
  });
}

void EtcdClient::Interrupt() {
  for (const auto& client : clients_) client->stop();
}

void EtcdClient::Cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  // stop() shuts the socket of a request in flight down; a Watch that has not
  // connected yet sees cancelled_ at its first answer or before it starts.
  if (watch_client_ != nullptr) watch_client_->stop();
}

Status EtcdClient::Watch(const std::string& prefix, int64_t start_revision,
                         const std::function<bool(const std::vector<EtcdEvent>&)>& on_events,
                         int64_t* compact_revision) {
  if (endpoints_.empty()) return Status::Error("etcd: no endpoints configured");
  size_t start = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (watching_) return Status::Error("etcd: a watch already runs on this client");
    if (cancelled_) return Status::Ok();
    watching_ = true;
    start = preferred_;
  }
  struct Done {
    EtcdClient* self;
    ~Done() {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->watching_ = false;
      self->watch_client_ = nullptr;
    }
  } done{this};

  const std::string key = prefix.empty() ? std::string(1, '\0') : prefix;
  json create = {{"key", Base64Encode(key)},
                 {"range_end", Base64Encode(PrefixEnd(prefix))},
                 {"progress_notify", true}};
  if (start_revision > 0) create["start_revision"] = Int64String(start_revision);
  const std::string body = json{{"create_request", std::move(create)}}.dump();

  std::string failures;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    const size_t index = (start + i) % endpoints_.size();
    const std::string& endpoint = endpoints_[index];
    std::unique_ptr<httplib::Client> client = MakeClient(
        endpoint, options_.connect_timeout, options_.watch_idle_timeout, options_.request_timeout);
    if (!client->is_valid()) {
      failures += (failures.empty() ? "" : "; ") +
                  ("etcd at " + endpoint + ": not an http://host:port endpoint");
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cancelled_) return Status::Ok();
      watch_client_ = client.get();
    }

    int http_status = 0;
    std::string buffer;         // a partial line of the stream, or an error body
    bool created = false;       // etcd accepted the watch
    bool just_created = false;  // by the line at hand
    bool stopped = false;       // on_events asked to stop
    Status stream_error;        // an error etcd sent in the stream
    auto handle_line = [&](const std::string& line) -> bool {
      just_created = false;
      const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("error") && !j.contains("result")) {
        stream_error = Status::Error("etcd at " + endpoint + ": watch: " + EtcdError(200, line));
        return false;
      }
      Result<std::vector<EtcdEvent>> events = ParseAnswer<std::vector<EtcdEvent>>(
          endpoint, line, "watch", [&](const json& j) -> std::vector<EtcdEvent> {
            const json& result = Field(j, "result");
            const auto canceled = result.find("canceled");
            if (canceled != result.end() && canceled->is_boolean() && canceled->get<bool>()) {
              const int64_t compacted = Int64(result, "compact_revision");
              if (compacted > 0) {
                if (compact_revision != nullptr) *compact_revision = compacted;
                stream_error = Status::Error(
                    "etcd at " + endpoint + ": watch from revision " +
                    std::to_string(start_revision) +
                    " failed: that revision is compacted (oldest available: " +
                    std::to_string(compacted) + "); read the prefix again and watch from there");
              } else {
                std::string reason;
                if (const auto r = result.find("cancel_reason");
                    r != result.end() && r->is_string())
                  reason = r->get<std::string>();
                stream_error = Status::Error("etcd at " + endpoint + ": watch canceled by etcd" +
                                             (reason.empty() ? "" : ": " + reason));
              }
              return {};
            }
            if (const auto c = result.find("created"); c != result.end() && c->is_boolean())
              just_created = !created && c->get<bool>();
            created = created || just_created;
            std::vector<EtcdEvent> out;
            if (const auto evs = result.find("events"); evs != result.end()) {
              if (!evs->is_array()) throw MalformedAnswer("events is not an array");
              for (const json& ev : *evs) {
                EtcdEvent event;
                if (!ev.is_object()) throw MalformedAnswer("an event is not an object");
                const auto type = ev.find("type");
                if (type == ev.end() || type->is_null() || *type == "PUT") {
                  event.type = EtcdEvent::Type::kPut;
                } else if (*type == "DELETE") {
                  event.type = EtcdEvent::Type::kDelete;
                } else {
                  throw MalformedAnswer("unknown event type " + type->dump());
                }
                event.kv = ParseKeyValue(Field(ev, "kv"));
                out.push_back(std::move(event));
              }
            }
            return out;
          });
      if (!events.ok()) {
        stream_error = events.status();
        return false;
      }
      if (!stream_error.ok()) return false;
      if ((!events->empty() || just_created) && !on_events(*events)) {
        stopped = true;
        return false;
      }
      return true;
    };

    httplib::Request request;
    request.method = "POST";
    request.path = "/v3/watch";
    request.body = body;
    request.set_header("Content-Type", "application/json");
    request.response_handler = [&](const httplib::Response& response) {
      http_status = response.status;
      return !cancelled_;
    };
    request.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
      if (cancelled_) return false;
      buffer.append(data, length);
      if (http_status != 200) return buffer.size() < 64 * 1024;  // an error body
      for (size_t newline; (newline = buffer.find('\n')) != std::string::npos;) {
        const std::string line = buffer.substr(0, newline);
        buffer.erase(0, newline + 1);
        if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
        if (!handle_line(line)) return false;
      }
      return !cancelled_;
    };
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    const bool sent = client->send(request, response, error);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      watch_client_ = nullptr;
      if (created || http_status != 0) preferred_ = index;
    }
    if (stopped || cancelled_) return Status::Ok();
    if (!stream_error.ok()) return stream_error;
    if (http_status != 0 && http_status != 200) {
      return Status::Error("etcd at " + endpoint + ": watch: " + EtcdError(http_status, buffer));
    }
    if (http_status == 0) {  // no answer at all: try the next member
      failures += (failures.empty() ? "" : "; ") +
                  ("etcd at " + endpoint + ": " + Describe(error, options_));
      continue;
    }
    if (!sent) {
      return Status::Error(
          "etcd at " + endpoint + ": the watch stream broke: " +
          (error == httplib::Error::Read
               ? std::string("connection closed or silent for " +
                             std::to_string(options_.watch_idle_timeout.count()) + " ms")
               : Describe(error, options_)));
    }
    return Status::Error("etcd at " + endpoint + ": the watch stream ended");
  }
  return Status::Error(failures);
}

}  // namespace vigil
