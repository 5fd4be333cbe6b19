// `vigil demo`: the demo targets and an agent probing them, in one process,
// until SIGINT or SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iomanip>
#include <sstream>

#include "agent/agent.h"
#include "agent/cli/commands.h"
#include "agent/cli/demo_targets.h"
#include "agent/cli/flags.h"
#include "agent/node_name.h"
#include "agent/stop_signals.h"
#include "common/logging.h"
#include "common/version.h"
#include "config/address.h"
#include "config/names.h"

namespace vigil {
namespace {

struct DemoFlags {
  std::string listen = kDefaultListen;
  std::string node;
  std::string log_level = "info";
};

// "host:port" with IPv6 hosts bracketed; `host` empty means every interface.
std::string HostPort(const std::string& host, int port) {
  const std::string h = host.empty() ? "0.0.0.0" : host;
  return (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(port);
}

// The URL a client on this machine reaches the API at.
std::string ApiUrl(const std::string& host, int port) {
  if (host.empty() || host == "0.0.0.0") return "http://" + HostPort("127.0.0.1", port);
  if (host == "::") return "http://" + HostPort("::1", port);
  return "http://" + HostPort(host, port);
}

// "6s", "1.5s".
std::string SecondsText(double seconds) {
  std::ostringstream text;
  text << seconds << "s";
  return text.str();
}

// What the user sees first: the replicas, and what to try next.
void PrintWelcome(std::ostream& out, const DemoTargets& targets, const std::string& api_url,
                  const std::string& node) {
  size_t replicas = 0;
  size_t name_width = 0;
  for (const DemoService& s : targets.services()) {
    replicas += s.replicas.size();
    name_width = std::max(name_width, s.name.size());
  }
  out << "vigil demo: " << replicas << " demo replicas and an agent probing them every "
      << SecondsText(kDemoProbeTiming.period_seconds) << ".\n";
  for (const DemoService& s : targets.services()) {
    out << "  " << std::left << std::setw(static_cast<int>(name_width) + 2) << s.name;
    for (size_t i = 0; i < s.replicas.size(); ++i) {
      out << (i == 0 ? "" : "  ") << s.replicas[i].Url();
    }
    out << "\n";
  }
  out << "The agent (node " << node << ") serves its API on " << api_url << ".\n";

  // `vigil get` finds the agent by itself only at the default address.
  const char* env_server = std::getenv("VIGIL_SERVER");
  const std::string default_url = std::string("http://") + kDefaultListen;
  const bool found = env_server != nullptr ? api_url == env_server : api_url == default_url;
  const std::string server = found ? "" : " --server " + api_url;

  const DemoService& first = targets.services().front();
  const std::string example = first.replicas[std::min<size_t>(1, first.replicas.size() - 1)].Url();
  const std::vector<std::pair<std::string, std::string>> tries = {
      {"vigil get endpoints -w" + server, "watch the set change"},
      {"curl -X POST " + example + "/fail",
       "break a replica: it leaves after " + std::to_string(kDemoProbeTiming.failure_threshold) +
           " failed probes (~" +
           SecondsText(kDemoProbeTiming.period_seconds * kDemoProbeTiming.failure_threshold) + ")"},
      {"curl -X POST " + example + "/recover", "and it comes back"},
      {"vigil get services -o wide" + server, ""},
      {"vigil describe endpoints " + first.name + server, ""},
      // kubectl, unchanged: the agent speaks the Kubernetes API too.
      {"kubectl --server " + api_url + " get endpoints " + first.name + " --watch", ""},
      {"kubectl --server " + api_url + " describe endpoints " + first.name,
       "with its Unhealthy events"},
      {"kubectl --server " + api_url + " get services -o wide", ""},
      {"kubectl --server " + api_url + " get events -w", ""},
  };
  size_t width = 0;
  for (const auto& [command, comment] : tries) width = std::max(width, command.size());
  out << "Try, in another terminal:\n";
  for (const auto& [command, comment] : tries) {
    out << "  " << command;
    if (!comment.empty()) out << std::string(width - command.size() + 3, ' ') << "# " << comment;
    out << "\n";
  }
  out << "Ctrl-C stops the demo." << std::endl;
}

}  // namespace

int RunDemoCommand(CommandArgs args, std::ostream& out, std::ostream& err) {
  DemoFlags values;
  FlagSet flags;
  flags.String(
      "listen", "", "ADDR",
      std::string("Address of the agent's API and /metrics (default: ") + kDefaultListen + ")",
      &values.listen);
  flags.String("node", "", "NAME", "The agent's node name (default: the host name)", &values.node);
  flags.String("log-level", "", "LEVEL",
               "Log level: " + std::string(kLogLevelNames) + " (default: info)", &values.log_level);
  if (Status s = flags.Parse(args); !s.ok()) {
    err << "vigil demo: " << s.message() << "\n";
    return kExitUsage;
  }
  if (flags.help_requested()) {
    out << "Run a demo on this machine: five HTTP replicas of two services on loopback\n"
           "(alpaca-prod on 127.0.10.1-3, bandicoot-prod on 127.0.11.1-2; port "
        << kDemoPort << ", or a free\nport when " << kDemoPort
        << " is taken) and an agent probing their /ready every "
        << SecondsText(kDemoProbeTiming.period_seconds)
        << ". Break a replica\n"
           "with POST /fail, mend it with POST /recover, and watch it leave and rejoin with\n"
           "\"vigil get endpoints -w\".\n\n"
           "Usage:\n  vigil demo [FLAGS]\n\n"
        << flags.Usage();
    return kExitOk;
  }
  if (!flags.positionals().empty()) {
    err << "vigil demo: unexpected argument \"" << flags.positionals().front() << "\"\n";
    return kExitUsage;
  }
  Result<ListenAddress> listen = ParseListenAddress(values.listen);
  if (!listen.ok()) {
    err << "vigil demo: --listen: " << listen.status().message() << "\n";
    return kExitUsage;
  }
  Result<spdlog::level::level_enum> level = ParseLogLevel(values.log_level);
  if (!level.ok()) {
    err << "vigil demo: --log-level: " << level.status().message() << "\n";
    return kExitUsage;
  }
  if (!values.node.empty()) {
    if (Status s = CheckDns1123Subdomain(values.node); !s.ok()) {
      err << "vigil demo: --node: " << s.message() << "\n";
      return kExitUsage;
    }
  } else {
    Result<std::string> node = HostNodeName();
    if (!node.ok()) {
      err << "vigil demo: " << node.status().message() << "\n";
      return kExitFailure;
    }
    values.node = *node;
  }

  SetupLogging(*level, LogFormat::kText);
  BlockSignals();

  spdlog::info("vigil {} demo starting on node {}", kVersion, values.node);
  DemoTargets targets;
  if (Status s = targets.Start(); !s.ok()) {
    spdlog::error("{}", s.message());
    return kExitFailure;
  }

  Config config;
  config.node = values.node;
  config.listen = values.listen;
  config.logging.level = values.log_level;
  config.services = DemoServiceConfigs(targets.services());

  SystemClock clock;
  Agent agent(std::move(config), clock);
  if (Status s = agent.Start(); !s.ok()) {
    const bool in_use = s.message().find("Address already in use") != std::string::npos;
    spdlog::error("{}{}", s.message(),
                  in_use ? "; is another vigil agent or demo running? Choose another address "
                           "with --listen"
                         : "");
    targets.Stop();
    return kExitFailure;
  }
  if (targets.port() != kDemoPort) {
    spdlog::info("port {} is taken on a demo address; the demo replicas listen on port {}",
                 kDemoPort, targets.port());
  }
  spdlog::info("serving the API on http://{}", HostPort(listen->host, agent.api_port()));
  PrintWelcome(out, targets, ApiUrl(listen->host, agent.api_port()), values.node);

  int signal = WaitForSignal();
  for (; signal == SIGHUP; signal = WaitForSignal()) {
    spdlog::info("received SIGHUP: the demo has no config file to reload");
  }
  spdlog::info("received {}, stopping", SignalName(signal));
  agent.Stop();
  targets.Stop();
  return kExitOk;
}

}  // namespace vigil
