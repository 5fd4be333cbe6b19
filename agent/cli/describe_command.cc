#include "agent/cli/api_client.h"
#include "agent/cli/commands.h"
#include "agent/cli/flags.h"
#include "agent/cli/kubectl_printer.h"
#include "agent/cli/resources.h"

namespace vigil {

int RunDescribeCommand(CommandArgs args, std::ostream& out, std::ostream& err) {
  std::string server;
  std::string namespace_name;
  FlagSet flags;
  flags.String("namespace", "n", "NAMESPACE",
               "The service's namespace (needed when its name is in several)", &namespace_name);
  flags.String("server", "", "URL",
               std::string("The agent's API (default: $VIGIL_SERVER, else ") + kDefaultServer + ")",
               &server);
  if (Status s = flags.Parse(args); !s.ok()) {
    err << "vigil describe: " << s.message() << "\n";
    return kExitUsage;
  }
  if (flags.help_requested()) {
    out << "Show one service's endpoints in detail: labels, ports, ready and not-ready\n"
           "addresses with their node, last probe result and message, and the recent\n"
           "transitions.\n\n"
           "Usage:\n  vigil describe endpoints|service NAME [-n NAMESPACE] [FLAGS]\n\n"
        << flags.Usage();
    return kExitOk;
  }
  const std::vector<std::string>& words = flags.positionals();
  if (words.size() != 2) {
    err << "vigil describe: want a resource (service or endpoints) and a name\n";
    return kExitUsage;
  }
  const std::optional<Resource> resource = ParseResource(words[0]);
  if (!resource) {
    err << "vigil describe: unknown resource \"" << words[0] << "\" (want service or endpoints)\n";
    return kExitUsage;
  }
  Result<std::unique_ptr<ApiClient>> client = ApiClient::Create(ServerUrl(server));
  if (!client.ok()) {
    err << "vigil describe: " << client.status().message() << "\n";
    return kExitUsage;
  }
  const std::string path = "/vigil/v1/endpoints/" + QueryEscape(words[1]);
  const std::string query =
      namespace_name.empty() ? "" : "?namespace=" + QueryEscape(namespace_name);
  Result<nlohmann::json> endpoints = (*client)->Get(path + query);
  Result<nlohmann::json> transitions =
      endpoints.ok() ? (*client)->Get(path + "/transitions" + query) : endpoints;
  if (!transitions.ok()) {
    std::string message = CliMessage(transitions.status().message());
    // The API names the object it looked for; a user asked for a service.
    if (*resource == Resource::kServices && message.rfind("endpoints \"", 0) == 0) {
      message.replace(0, 9, "service");
    }
    err << "vigil describe: " << message << "\n";
    return kExitFailure;
  }
  const WallTime now = std::chrono::system_clock::now();
  out << (*resource == Resource::kEndpoints ? DescribeEndpoints(*endpoints, *transitions, now)
                                            : DescribeService(*endpoints, *transitions, now));
  return kExitOk;
}

}  // namespace vigil
