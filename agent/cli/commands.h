// vigil's subcommands. Each takes the arguments after its name, writes to
// `out` and `err`, and returns the process exit code.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

namespace vigil {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (e.g. an invalid config)
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

using CommandArgs = std::span<const char* const>;

int RunAgentCommand(CommandArgs args, std::ostream& out, std::ostream& err);
int RunDemoCommand(CommandArgs args, std::ostream& out, std::ostream& err);
int RunDescribeCommand(CommandArgs args, std::ostream& out, std::ostream& err);
int RunGetCommand(CommandArgs args, std::ostream& out, std::ostream& err);
int RunKubeconfigCommand(CommandArgs args, std::ostream& out, std::ostream& err);
int RunCheckConfigCommand(CommandArgs args, std::ostream& out, std::ostream& err);
int RunVersionCommand(CommandArgs args, std::ostream& out, std::ostream& err);

// The whole command line, `args` starting after the program name.
int RunCli(CommandArgs args, std::ostream& out, std::ostream& err);

}  // namespace vigil
