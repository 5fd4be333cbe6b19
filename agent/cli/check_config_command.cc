#include "agent/cli/commands.h"
#include "agent/cli/flags.h"
#include "config/loader.h"

namespace vigil {

int RunCheckConfigCommand(CommandArgs args, std::ostream& out, std::ostream& err) {
  FlagSet flags;
  bool quiet = false;
  flags.Bool("quiet", "q", "Print nothing for valid files", &quiet);
  if (Status s = flags.Parse(args); !s.ok()) {
    err << "vigil check-config: " << s.message() << "\n";
    return kExitUsage;
  }
  if (flags.help_requested()) {
    out << "Validate config files. Errors are printed to stderr as\n"
           "FILE:LINE:COL: key.path: message, the first 100 of a file, then how many more.\n"
           "Exits 0 when every file is valid, 1 otherwise.\n\n"
           "Usage:\n  vigil check-config FILE...\n\n"
        << flags.Usage();
    return kExitOk;
  }
  if (flags.positionals().empty()) {
    err << "vigil check-config: name at least one config file\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  for (const std::string& path : flags.positionals()) {
    const ConfigLoad load = LoadConfigFile(path);
    if (!load.ok()) {
      err << load.ErrorText();
      exit_code = kExitFailure;
      continue;
    }
    if (quiet) continue;
    size_t endpoints = 0;
    for (const Service& s : load.config->services) endpoints += s.endpoints.size();
    const size_t services = load.config->services.size();
    out << path << ": valid (" << services << (services == 1 ? " service, " : " services, ")
        << endpoints << (endpoints == 1 ? " endpoint)\n" : " endpoints)\n");
  }
  return exit_code;
}

}  // namespace vigil
