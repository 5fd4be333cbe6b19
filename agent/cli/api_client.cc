#include "agent/cli/api_client.h"

#include <httplib.h>

#include <cstdlib>

#include "config/address.h"

namespace vigil {
namespace {

// A watch stream carries a BOOKMARK at least every few seconds: this much
// silence means the agent is gone.
constexpr auto kWatchReadTimeout = std::chrono::seconds(60);
constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr auto kConnectTimeout = std::chrono::seconds(5);

// The message of an API error answer, or a description of the answer.
std::string ErrorOf(int status, const std::string& body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.value("kind", "") == "Status" && j.contains("message") &&
      j["message"].is_string()) {
    return j["message"].get<std::string>();
  }
  return "the server answered HTTP " + std::to_string(status);
}

std::string Describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "connection refused or host unreachable";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "the connection broke while reading the answer";
    case httplib::Error::Write:
      return "the connection broke while sending the request";
    default:
      return "request failed (" + httplib::to_string(error) + ")";
  }
}

}  // namespace

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
    return Status::Error("invalid server \"" + server + "\": only http:// is supported");
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  Result<ListenAddress> address = ParseListenAddress(rest);
  if (!address.ok() || address->host.empty() || address->port == 0) {
    return Status::Error("invalid server \"" + server + "\": want http://host:port");
  }
  return std::unique_ptr<ApiClient>(new ApiClient("http://" + rest));
}

ApiClient::ApiClient(std::string server)
    : server_(std::move(server)), client_(std::make_unique<httplib::Client>(server_)) {
  client_->set_connection_timeout(kConnectTimeout);
  client_->set_read_timeout(kReadTimeout);
}

ApiClient::~ApiClient() = default;

std::string ApiClient::Unreachable(const std::string& why) const {
  return "cannot reach the vigil agent at " + server_ + ": " + why +
         " (is it running? set --server or $VIGIL_SERVER)";
}

Result<nlohmann::json> ApiClient::Get(const std::string& target) const {
  const httplib::Result res = client_->Get(target);
  if (!res) return Status::Error(Unreachable(Describe(res.error())));
  if (res->status != 200) return Status::Error(ErrorOf(res->status, res->body));
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::Error("the server at " + server_ + " answered something that is not JSON");
  }
  return j;
}

Status ApiClient::Watch(const std::string& target,
                        const std::function<bool(const nlohmann::json&)>& on_event) const {
  client_->set_read_timeout(kWatchReadTimeout);
  std::string pending;
  bool stopped = false;
  std::string error;
  int status = 0;
  std::string error_body;
  const httplib::Result res = client_->Get(
      target,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status != 200) {  // an error answer: keep its body for the message
          error_body.append(data, size);
          return true;
        }
        pending.append(data, size);
        size_t newline;
        while ((newline = pending.find('\n')) != std::string::npos) {
          const std::string line = pending.substr(0, newline);
          pending.erase(0, newline + 1);
          if (line.empty()) continue;
          const nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
          if (event.is_discarded() || !event.is_object()) {
            error = "the server at " + server_ + " sent a watch event that is not JSON";
            return false;
          }
          if (!on_event(event)) {
            stopped = true;
            return false;
          }
        }
        return true;
      });
  client_->set_read_timeout(kReadTimeout);
  if (stopped) return Status::Ok();
  if (!error.empty()) return Status::Error(error);
  if (status != 0 && status != 200) return Status::Error(ErrorOf(status, error_body));
  if (!res) return Status::Error(Unreachable(Describe(res.error())));
  return Status::Error("the watch stream from " + server_ + " ended");
}

}  // namespace vigil
