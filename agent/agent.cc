#include "agent/agent.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <future>
#include <optional>
#include <random>
#include <string>
#include <variant>

#include "agent/health.h"
#include "agent/run_unless_stopped.h"
#include "config/address.h"

namespace vigil {

Agent::Agent(Config config, const Clock& clock, ConfigSource source)
    : config_(std::move(config)),
      source_(std::move(source)),
      clock_(clock),
      metrics_(config_.node),
      engine_(clock),
      prober_(clock, engine_, board_, config_.node, std::random_device{}(), &metrics_),
      registry_(config_.registry.backend == RegistryBackend::kEtcd
                    ? std::make_unique<EtcdRegistry>(
                          config_.registry.etcd, config_.node, board_,
                          EtcdRegistry::Reports{
                              .publish =
                                  [this](bool ok, size_t keys) {
                                    metrics_.RecordPublish("etcd", ok, keys);
                                  },
                              .connected =
                                  [this](bool connected) {
                                    metrics_.SetRegistryConnected("etcd", connected);
                                  },
                          })
                    : nullptr),
      api_(served_board(), registry_ ? registry_->details() : board_,
           ApiHooks{[this] { return Healthz(); }, [this] { return metrics_.Render(); },
                    [this] { return Readyz(); }, [this] { return Reload(); }},
           ApiOptions{.observer = &metrics_, .events = &board_}) {
  engine_.SetWakeHandler([this](Time now) { prober_.OnWake(now); });
  if (!config_.dns.listen.empty()) {
    DnsServer::Options dns;
    dns.zone.domain = config_.dns.domain;
    dns.zone.ttl = static_cast<uint32_t>(config_.dns.ttl_seconds);
    dns.on_answer = [this](std::string_view rcode, uint64_t count) {
      metrics_.RecordDnsQuery(rcode, count);
    };
    dns_ = std::make_unique<DnsServer>(served_board(), clock_, std::move(dns));
    // The usual answers exist from the start, so that rate() sees the first.
    for (const char* rcode : {"NOERROR", "NXDOMAIN", "REFUSED", "FORMERR"}) {
      metrics_.RecordDnsQuery(rcode, 0);
    }
  }
  if (!registry_) {
    // The embedded registry is the board itself: always reachable; each
    // committed object change is one publish.
    prober_.SetPublishListener(
        [this](size_t changes) { metrics_.RecordPublish("embedded", true, changes); });
    metrics_.SetRegistryConnected("embedded", true);
  }
  metrics_.RecordReload(true, clock_.WallNow());
}

Agent::~Agent() { Stop(); }

Status Agent::Start() {
  Result<ListenAddress> listen = ParseListenAddress(config_.listen);
  if (!listen.ok()) return listen.status();
  if (Status s = engine_.Start(); !s.ok()) return s;
  engine_.Post([this] { prober_.Apply(config_.services); });
  if (Status s = api_.Start(*listen); !s.ok()) {
    engine_.Stop();
    return s;
  }
  if (dns_) {
    const ListenAddress dns_listen = *ParseListenAddress(config_.dns.listen);
    if (Status s = dns_->Start(dns_listen); !s.ok()) {
      api_.Stop();
      engine_.Stop();
      return s;
    }
    const std::string host = dns_listen.host.empty() ? "0.0.0.0" : dns_listen.host;
    spdlog::info("serving DNS for zone {} on {}:{} (UDP and TCP)", config_.dns.domain,
                 host.find(':') != std::string::npos ? "[" + host + "]" : host, dns_->port());
  }
  if (registry_) {
    spdlog::info("registry: etcd at {} under {}/, lease TTL {}s",
                 fmt::join(config_.registry.etcd.endpoints, ","), config_.registry.etcd.prefix,
                 config_.registry.etcd.lease_ttl_seconds);
    registry_->Start();
  }
  started_ = true;
  return Status::Ok();
}

void Agent::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = true;
  }
  stop_source_.request_stop();  // a reload waiting for its file gives up
  if (started_) {
    std::promise<void> published;
    engine_.Post([this, &published] {
      prober_.Terminate();
      published.set_value();
    });
    published.get_future().wait();
    started_ = false;
  }
  // The terminating endpoints go to etcd, then the lease, before the API
  // stops, so that the agent's own watchers see them too.
  if (registry_) registry_->Stop();
  if (dns_) dns_->Stop();
  api_.Stop();
  engine_.Stop();
}

Status Agent::Reload() {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  if (!source_) return Status::Error("this agent has no config file to reload");
  // The loader returns its errors; what it could not return (running out of
  // memory) fails the reload all the same, and the running config stays.
  using Loaded = std::variant<ConfigLoad, std::string>;
  std::function<Loaded()> guarded = [source = source_]() -> Loaded {
    try {
      return source();
    } catch (const std::exception& e) {
      return std::string(e.what());
    } catch (...) {
      return std::string("unknown error");
    }
  };
  std::optional<Loaded> loaded = RunUnlessStopped(guarded, stop_source_.get_token());
  if (!loaded) return Abandoned();
  if (const std::string* thrown = std::get_if<std::string>(&*loaded)) {
    spdlog::error("reload failed ({}); the running config stays", *thrown);
    metrics_.RecordReload(false, clock_.WallNow());
    return Status::Error("cannot load the config: " + *thrown);
  }
  ConfigLoad load = std::move(std::get<ConfigLoad>(*loaded));
  if (!load.ok()) {
    for (const Diagnostic& d : load.errors) spdlog::error("reload: {}", d.ToString());
    if (load.more_errors > 0) {
      spdlog::error("reload: \u2026 {} more error{}", load.more_errors,
                    load.more_errors == 1 ? "" : "s");
    }
    spdlog::error("reload failed ({} {}); the running config stays", load.error_count(),
                  load.error_count() == 1 ? "error" : "errors");
    metrics_.RecordReload(false, clock_.WallNow());
    std::string errors = load.ErrorText();
    if (!errors.empty() && errors.back() == '\n') errors.pop_back();
    return Status::Error(errors);
  }
  Config next = std::move(*load.config);
  if (next.node.empty()) next.node = config_.node;
  // What the running agent cannot change in place.
  const auto keep = [](const char* what, const std::string& from, const std::string& to) {
    if (from != to)
      spdlog::warn("reload: {} changed ({} to {}); restart the agent to apply it", what, from, to);
  };
  keep("listen", config_.listen, next.listen);
  keep("node", config_.node, next.node);
  if (next.registry != config_.registry) {
    spdlog::warn("reload: registry changed; restart the agent to apply it");
  }
  if (next.dns != config_.dns) {
    spdlog::warn("reload: dns changed; restart the agent to apply it");
  }
  if (next.logging.format != config_.logging.format) {
    spdlog::warn("reload: logging.format changed; restart the agent to apply it");
  }
  next.listen = config_.listen;
  next.node = config_.node;
  next.registry = config_.registry;
  next.dns = config_.dns;
  next.logging.format = config_.logging.format;
  spdlog::set_level(*ParseLogLevel(next.logging.level));

  std::promise<void> applied;
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    if (stopping_) return Abandoned();
    engine_.Post([this, &next, &applied] {
      prober_.Apply(next.services);
      applied.set_value();
    });
  }
  applied.get_future().wait();
  size_t endpoints = 0;
  for (const Service& service : next.services) endpoints += service.endpoints.size();
  spdlog::info("reloaded the config: {} services, {} endpoints", next.services.size(), endpoints);
  config_ = std::move(next);
  metrics_.RecordReload(true, clock_.WallNow());
  return Status::Ok();
}

Status Agent::Abandoned() {
  spdlog::warn("reload abandoned: the agent is stopping");
  return Status::Error("the agent is stopping: the reload was abandoned");
}

Status Agent::Readyz() const {
  if (stopping_) return Status::Error("the agent is stopping");
  if (Status s = Healthz(); !s.ok()) return s;
  if (registry_) return registry_->Health();
  return Status::Ok();
}

Status Agent::Healthz() const { return LoopHealth(clock_.Now(), engine_.last_turn()); }

}  // namespace vigil
