// A client of the agent's HTTP API, for `vigil get` and `vigil describe`,
// on libcurl (common/http_session.h).
//
// Every failure comes back as a Status with one line a user can act on: the
// agent is not reachable, the server answered an error (its Status message),
// or it answered something that is not the API's JSON. Whatever the server
// sends, the client holds at most kMaxAnswerBytes of an answer and
// kMaxWatchLineBytes of a watch event, refuses JSON nested deeper than
// kMaxJsonDepth or of more than kMaxJsonValues values, and escapes the
// server's words (common/log_escape.h) before they reach the terminal.
//
// Not thread-safe: one client per command.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil {

class HttpSession;

inline constexpr const char* kDefaultServer = "http://127.0.0.1:9476";

// --server, else $VIGIL_SERVER, else kDefaultServer.
std::string ServerUrl(const std::string& flag);

// Parses an answer of the API: JSON nested at most ApiClient::kMaxJsonDepth
// deep, of at most `max_values` values (objects, arrays and scalars), whose
// top is an object; an error says what is wrong. A pure function.
Result<nlohmann::json> ParseApiJson(std::string_view text, size_t max_values);

class ApiClient {
 public:
  static constexpr size_t kMaxAnswerBytes = 64 * 1024 * 1024;
  static constexpr size_t kMaxWatchLineBytes = 16 * 1024 * 1024;
  static constexpr int kMaxJsonDepth = 64;
  static constexpr size_t kMaxJsonValues = 4 * 1024 * 1024;

  // `server`: "http://host:port".
  static Result<std::unique_ptr<ApiClient>> Create(const std::string& server);
  ~ApiClient();

  // GET `target` (path and query) and parse the JSON answer, an object.
  Result<nlohmann::json> Get(const std::string& target) const;

  // GET a watch stream and call `on_event` with each event (an object)
  // until it returns false (an OK status) or the stream ends (an error
  // saying so).
  Status Watch(const std::string& target,
               const std::function<bool(const nlohmann::json&)>& on_event) const;

 private:
  explicit ApiClient(std::string server);

  const std::string server_;
  const std::unique_ptr<HttpSession> session_;
};

}  // namespace vigil
