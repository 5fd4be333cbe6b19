// A client of the agent's HTTP API, for `vigil get` and `vigil describe`.
//
// Every failure comes back as a Status with one line a user can act on: the
// agent is not reachable, the server answered an error (its Status message),
// or it answered something that is not the API's JSON.
//
// Not thread-safe: one client per command.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace httplib {
class Client;
}

namespace vigil {

inline constexpr const char* kDefaultServer = "http://127.0.0.1:9476";

// --server, else $VIGIL_SERVER, else kDefaultServer.
std::string ServerUrl(const std::string& flag);

class ApiClient {
 public:
  // `server`: "http://host:port".
  static Result<std::unique_ptr<ApiClient>> Create(const std::string& server);
  ~ApiClient();

  // GET `target` (path and query) and parse the JSON answer.
  Result<nlohmann::json> Get(const std::string& target) const;

  // GET a watch stream and call `on_event` with each event until it returns
  // false (an OK status) or the stream ends (an error saying so).
  Status Watch(const std::string& target,
               const std::function<bool(const nlohmann::json&)>& on_event) const;

 private:
  explicit ApiClient(std::string server);

  std::string Unreachable(const std::string& why) const;

  const std::string server_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace vigil
