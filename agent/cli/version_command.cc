#include "agent/cli/commands.h"
#include "agent/cli/flags.h"
#include "common/version.h"

namespace vigil {

int RunVersionCommand(CommandArgs args, std::ostream& out, std::ostream& err) {
  FlagSet flags;
  if (Status s = flags.Parse(args); !s.ok()) {
    err << "vigil version: " << s.message() << "\n";
    return kExitUsage;
  }
  if (flags.help_requested()) {
    out << "Print vigil's version.\n\nUsage:\n  vigil version\n\n" << flags.Usage();
    return kExitOk;
  }
  if (!flags.positionals().empty()) {
    err << "vigil version: takes no arguments\n";
    return kExitUsage;
  }
  out << "vigil " << kVersion << "\n";
  return kExitOk;
}

}  // namespace vigil
