#include "agent/cli/api_client.h"

#include <chrono>
#include <cstdlib>
#include <string_view>

#include "common/http_session.h"
#include "common/line_buffer.h"
#include "common/log_escape.h"
#include "config/address.h"

namespace vigil {
namespace {

using nlohmann::json;
using Failure = HttpSession::Failure;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kConnectTimeout = std::chrono::seconds(5);
// A list or one object, the whole answer.
constexpr auto kGetTimeout = std::chrono::seconds(60);
// A watch stream carries a BOOKMARK at least every few seconds: this long
// without a complete event means the agent is gone.
constexpr auto kWatchIdleTimeout = std::chrono::seconds(60);
// The start of an error answer kept for its message.
constexpr size_t kMaxErrorBodyBytes = 64 * 1024;

// The message of an API error answer, or a description of the answer.
std::string ErrorOf(int status, std::string_view body) {
  const Result<json> parsed = ParseApiJson(body, ApiClient::kMaxJsonValues);
  const json j = parsed.ok() ? *parsed : json();
  if (j.is_object() && j.contains("kind") && j["kind"] == "Status" && j.contains("message") &&
      j["message"].is_string()) {
    return EscapeForLog(j["message"].get<std::string>());
  }
  return "the server answered HTTP " + std::to_string(status);
}

std::string Mib(size_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

}  // namespace

Result<json> ParseApiJson(std::string_view text, size_t max_values) {
  size_t values = 0;
  bool too_deep = false;
  bool too_many = false;
  const json::parser_callback_t cap = [&](int depth, json::parse_event_t event, json&) {
    if (event == json::parse_event_t::value || event == json::parse_event_t::object_start ||
        event == json::parse_event_t::array_start) {
      ++values;
    }
    too_deep = too_deep || depth > ApiClient::kMaxJsonDepth;
    too_many = too_many || values > max_values;
    // Once over a cap, nothing more is kept: the tree stops growing.
    return !too_deep && !too_many;
  };
  json j = json::parse(text.begin(), text.end(), cap, /*allow_exceptions=*/false);
  if (too_deep) {
    return Status::Error("JSON nested deeper than " + std::to_string(ApiClient::kMaxJsonDepth) +
                         " levels");
  }
  if (too_many) return Status::Error("JSON of more than " + std::to_string(max_values) + " values");
  if (j.is_discarded()) return Status::Error("something that is not JSON");
  if (!j.is_object()) return Status::Error("JSON that is not an object");
  return j;
}

std::string ServerUrl(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("VIGIL_SERVER");
  return env != nullptr && *env != '\0' ? env : kDefaultServer;
}

Result<std::unique_ptr<ApiClient>> ApiClient::Create(const std::string& server) {
  std::string rest = server;
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  } else if (rest.find("://") != std::string::npos) {
    return Status::Error("invalid server \"" + EscapeForLog(server) +
                         "\": only http:// is supported");
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  Result<ListenAddress> address = ParseListenAddress(rest);
  if (!address.ok() || address->host.empty() || address->port == 0 ||
      !HttpSession::ValidUrl("http://" + rest)) {
    return Status::Error("invalid server \"" + EscapeForLog(server) + "\": want http://host:port");
  }
  return std::unique_ptr<ApiClient>(new ApiClient("http://" + rest));
}

ApiClient::ApiClient(std::string server)
    : server_(std::move(server)), session_(std::make_unique<HttpSession>()) {}

ApiClient::~ApiClient() = default;

namespace {

std::string Unreachable(const std::string& server, const std::string& why) {
  return "cannot reach the vigil agent at " + server + ": " + why +
         " (is it running? set --server or $VIGIL_SERVER)";
}

// What went wrong with a request that got no complete answer.
std::string Failed(const std::string& server, const HttpSession::Outcome& outcome) {
  const std::string not_agent = " (is it a vigil agent?)";
  switch (outcome.failure) {
    case Failure::kCannotConnect:
      return Unreachable(server, "connection refused or host unreachable");
    case Failure::kConnectTimeout:
      return Unreachable(server, "connection timed out");
    case Failure::kClosed:
      return Unreachable(server, "the connection broke while reading the answer");
    case Failure::kTimeout:
      return "the server at " + server + " sent no complete answer within " +
             std::to_string(kGetTimeout.count()) + " s";
    case Failure::kNotHttp:
      return "the server at " + server + " did not answer HTTP" + not_agent;
    case Failure::kHeaderTooLarge:
      return "the server at " + server + " answered a header line over " +
             std::to_string(HttpSession::kMaxHeaderLineBytes / 1024) + " KiB or headers over " +
             std::to_string(HttpSession::kMaxHeaderBytes / 1024) + " KiB" + not_agent;
    case Failure::kBodyTooLarge:
      return "the server at " + server + " answered more than " + Mib(ApiClient::kMaxAnswerBytes) +
             not_agent;
    default:
      break;
  }
  return "the request to " + server + " failed (" + EscapeForLog(outcome.error, 200) + ")";
}

}  // namespace

Result<json> ApiClient::Get(const std::string& target) const {
  std::string body;
  HttpSession::Request request;
  request.url = server_ + target;
  request.connect_timeout = kConnectTimeout;
  request.timeout = kGetTimeout;
  request.max_body_bytes = kMaxAnswerBytes;
  request.on_body = [&](int, std::string_view data) {
    HttpSession::AppendCapped(&body, data, kMaxAnswerBytes);
    return true;
  };
  const HttpSession::Outcome outcome = session_->Perform(request);
  if (!outcome.ok()) return Status::Error(Failed(server_, outcome));
  if (outcome.http_status != 200) return Status::Error(ErrorOf(outcome.http_status, body));
  Result<json> parsed = ParseApiJson(body, kMaxJsonValues);
  if (!parsed.ok()) {
    return Status::Error("the server at " + server_ + " answered " + parsed.status().message());
  }
  return parsed;
}

Status ApiClient::Watch(const std::string& target,
                        const std::function<bool(const json&)>& on_event) const {
  LineBuffer lines(kMaxWatchLineBytes);
  std::string error_body;
  std::string error;     // why the stream was ended here
  bool stopped = false;  // on_event said so
  SteadyClock::time_point last_event = SteadyClock::now();
  const auto handle_line = [&](std::string_view line) {
    last_event = SteadyClock::now();
    if (line.empty()) return true;
    const Result<json> event = ParseApiJson(line, kMaxJsonValues);
    if (!event.ok()) {
      error =
          "the server at " + server_ + " sent " + event.status().message() + " as a watch event";
      return false;
    }
    if (!on_event(*event)) {
      stopped = true;
      return false;
    }
    return true;
  };
  HttpSession::Request request;
  request.url = server_ + target;
  request.connect_timeout = kConnectTimeout;
  request.tick = std::chrono::seconds(1);
  request.on_body = [&](int status, std::string_view data) {
    if (status != 200) {  // an error answer: keep its start for the message
      error_body.append(data.substr(0, kMaxErrorBodyBytes - error_body.size()));
      return error_body.size() < kMaxErrorBodyBytes;
    }
    switch (lines.Append(data, handle_line)) {
      case LineBuffer::Outcome::kTooLong:
        error = "the server at " + server_ + " sent a watch event over " + Mib(kMaxWatchLineBytes) +
                " (is it a vigil agent?)";
        return false;
      case LineBuffer::Outcome::kStopped:
        return false;
      case LineBuffer::Outcome::kMore:
        return true;
    }
    return true;
  };
  request.keep_going = [&] {
    if (SteadyClock::now() - last_event <= kWatchIdleTimeout) return true;
    error = "the watch stream from " + server_ + " sent nothing for " +
            std::to_string(kWatchIdleTimeout.count()) + " s";
    return false;
  };
  const HttpSession::Outcome outcome = session_->Perform(request);
  if (stopped) return Status::Ok();
  if (!error.empty()) return Status::Error(error);
  if (outcome.http_status != 0 && outcome.http_status != 200) {
    return Status::Error(ErrorOf(outcome.http_status, error_body));
  }
  if (!outcome.ok()) return Status::Error(Failed(server_, outcome));
  return Status::Error("the watch stream from " + server_ + " ended");
}

}  // namespace vigil
