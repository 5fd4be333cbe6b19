#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "agent/agent.h"
#include "agent/cli/commands.h"
#include "agent/cli/flags.h"
#include "agent/node_name.h"
#include "agent/stop_signals.h"
#include "common/logging.h"
#include "common/version.h"
#include "config/address.h"
#include "config/loader.h"
#include "config/names.h"

namespace vigil {
namespace {

struct AgentFlags {
  std::string config_path;
  std::string listen;
  std::string node;
  std::string log_level;
  std::string log_format;
};

// "1 service", "3 services".
std::string Count(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// Flags win over the config file.
Status ApplyFlags(const AgentFlags& flags, Config* config) {
  if (!flags.listen.empty()) {
    if (Result<ListenAddress> a = ParseListenAddress(flags.listen); !a.ok()) {
      return Status::Error("--listen: " + a.status().message());
    }
    config->listen = flags.listen;
  }
  if (!flags.node.empty()) {
    if (Status s = CheckDns1123Subdomain(flags.node); !s.ok()) {
      return Status::Error("--node: " + s.message());
    }
    config->node = flags.node;
  }
  if (!flags.log_level.empty()) {
    if (Result<spdlog::level::level_enum> l = ParseLogLevel(flags.log_level); !l.ok()) {
      return Status::Error("--log-level: " + l.status().message());
    }
    config->logging.level = flags.log_level;
  }
  if (!flags.log_format.empty()) {
    Result<LogFormat> format = ParseLogFormat(flags.log_format);
    if (!format.ok()) return Status::Error("--log-format: " + format.status().message());
    config->logging.format = *format;
  }
  return Status::Ok();
}

// Runs the reloads SIGHUP asks for on a thread of its own, so that the main
// thread goes on waiting for signals: a SIGTERM during a slow reload stops
// the agent at once (Agent::Stop abandons the reload). SIGHUPs that come
// during a reload make one more reload after it.
class SighupReloader {
 public:
  explicit SighupReloader(Agent& agent) : thread_([this, &agent] { Run(agent); }) {}
  ~SighupReloader() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wanted_.notify_all();
    thread_.join();
  }

  void Request() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requested_ = true;
    }
    wanted_.notify_all();
  }

 private:
  void Run(Agent& agent) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wanted_.wait(lock, [&] { return requested_ || done_; });
      if (done_) return;
      requested_ = false;
      lock.unlock();
      agent.Reload();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wanted_;
  bool requested_ = false;  // GUARDED_BY(mutex_)
  bool done_ = false;       // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace

int RunAgentCommand(CommandArgs args, std::ostream& out, std::ostream& err) {
  AgentFlags values;
  FlagSet flags;
  flags.String("config", "c", "FILE", "The config file (required)", &values.config_path);
  flags.String("listen", "", "ADDR",
               std::string("Address of the API and /metrics (default: the config's, else ") +
                   kDefaultListen + ")",
               &values.listen);
  flags.String("node", "", "NAME", "This node's name (default: the config's, else the host name)",
               &values.node);
  flags.String("log-level", "", "LEVEL",
               "Log level: " + std::string(kLogLevelNames) + " (default: info)", &values.log_level);
  flags.String("log-format", "", "FORMAT", "Log format: text or json (default: text)",
               &values.log_format);
  if (Status s = flags.Parse(args); !s.ok()) {
    err << "vigil agent: " << s.message() << "\n";
    return kExitUsage;
  }
  if (flags.help_requested()) {
    out << "Run the agent: load the config, probe every endpoint of every service, and publish\n"
           "their readiness. Flags override the config file.\n\n"
           "Usage:\n  vigil agent --config FILE [FLAGS]\n\n"
        << flags.Usage();
    return kExitOk;
  }
  if (!flags.positionals().empty()) {
    err << "vigil agent: unexpected argument \"" << flags.positionals().front()
        << "\" (the config file goes after --config)\n";
    return kExitUsage;
  }
  if (values.config_path.empty()) {
    err << "vigil agent: --config FILE is required\n";
    return kExitUsage;
  }

  ConfigLoad load = LoadConfigFile(values.config_path);
  if (!load.ok()) {
    err << load.ErrorText() << "vigil agent: " << values.config_path << " is not valid ("
        << load.error_count() << (load.error_count() == 1 ? " error" : " errors") << ")\n";
    return kExitFailure;
  }
  Config config = std::move(*load.config);
  if (Status s = ApplyFlags(values, &config); !s.ok()) {
    err << "vigil agent: " << s.message() << "\n";
    return kExitUsage;
  }
  if (config.node.empty()) {
    Result<std::string> node = HostNodeName();
    if (!node.ok()) {
      err << "vigil agent: " << node.status().message() << "\n";
      return kExitFailure;
    }
    config.node = *node;
  }

  SetupLogging(*ParseLogLevel(config.logging.level), config.logging.format);
  BlockSignals();
  // Each probe allocates and frees a few KiB on the probe thread. glibc grows a
  // thread's own arena a page at a time (an mprotect and a page fault for most
  // probes); the main arena grows with padding and keeps what it trimmed less
  // eagerly. The probe thread is the only busy allocator: one arena suffices.
  mallopt(M_ARENA_MAX, 1);
  size_t endpoints = 0;
  for (const Service& s : config.services) endpoints += s.endpoints.size();
  spdlog::info("vigil {} starting on node {}: {} from {}", kVersion, config.node,
               Count(config.services.size(), "service") + ", " + Count(endpoints, "endpoint"),
               values.config_path);

  SystemClock clock;
  const std::string listen_host = ParseListenAddress(config.listen)->host;
  // A reload reads the file again, and the command line still wins.
  ConfigSource source = [values] {
    ConfigLoad load = LoadConfigFile(values.config_path);
    if (load.ok()) {
      if (Status s = ApplyFlags(values, &*load.config); !s.ok()) {
        load.config.reset();
        load.errors.push_back(Diagnostic{values.config_path, 0, 0, "", s.message()});
      }
    }
    return load;
  };
  Agent agent(std::move(config), clock, std::move(source));
  if (Status s = agent.Start(); !s.ok()) {
    spdlog::error("{}", s.message());
    return kExitFailure;
  }
  spdlog::info("serving the API on http://{}:{}",
               listen_host.empty()                          ? "0.0.0.0"
               : listen_host.find(':') != std::string::npos ? "[" + listen_host + "]"
                                                            : listen_host,
               agent.api_port());

  {
    SighupReloader reloader(agent);
    int signal = WaitForSignal();
    for (; signal == SIGHUP; signal = WaitForSignal()) {
      spdlog::info("received SIGHUP, reloading {}", values.config_path);
      reloader.Request();
    }
    spdlog::info("received {}, stopping", SignalName(signal));
    agent.Stop();
  }
  return kExitOk;
}

}  // namespace vigil
