#include <array>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "agent/cli/commands.h"
#include "common/log_escape.h"

namespace vigil {
namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(CommandArgs, std::ostream&, std::ostream&);
};

constexpr std::array<Command, 7> kCommands = {{
    {"agent", "Run the agent on a config file", RunAgentCommand},
    {"get", "List services or endpoints; -w to follow the changes", RunGetCommand},
    {"describe", "Show one service's endpoints in detail", RunDescribeCommand},
    {"demo", "Start demo replicas and an agent probing them", RunDemoCommand},
    {"kubeconfig", "Print a kubeconfig for kubectl pointing at the agent", RunKubeconfigCommand},
    {"check-config", "Validate config files and print every error", RunCheckConfigCommand},
    {"version", "Print the version", RunVersionCommand},
}};

void PrintUsage(std::ostream& out) {
  out << "vigil: Kubernetes-style readiness probing and an endpoints registry for any node.\n\n"
         "Usage:\n  vigil COMMAND [FLAGS]\n\nCommands:\n";
  for (const Command& c : kCommands) {
    out << "  " << std::left << std::setw(15) << c.name << c.summary << "\n";
  }
  out << "\nRun \"vigil COMMAND --help\" for a command's flags.\n";
}

}  // namespace

int RunCli(CommandArgs args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    PrintUsage(err);
    return kExitUsage;
  }
  const std::string_view name = args[0];
  if (name == "-h" || name == "--help" || name == "help") {
    PrintUsage(out);
    return kExitOk;
  }
  if (name == "--version") return RunVersionCommand(args.subspan(1), out, err);
  for (const Command& c : kCommands) {
    if (c.name != name) continue;
    try {
      return c.run(args.subspan(1), out, err);
    } catch (const nlohmann::json::exception& e) {
      // A server's JSON of another shape than the API's (a number where a
      // string belongs): one line, not an abort.
      err << "vigil " << name << ": the server's answer is not the API's JSON ("
          << EscapeForLog(e.what()) << ")\n";
      return kExitFailure;
    }
  }
  err << "vigil: unknown command \"" << name << "\"; run \"vigil --help\" for the list\n";
  return kExitUsage;
}

}  // namespace vigil
