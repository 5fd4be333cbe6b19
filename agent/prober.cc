#include "agent/prober.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

namespace vigil {
namespace {

std::optional<ProbeSpec::Tls> SpecTls(const std::optional<TlsConfig>& tls) {
  if (!tls) return std::nullopt;
  return ProbeSpec::Tls{tls->ca_file, tls->cert_file, tls->key_file, tls->server_name};
}

// The engine's view of one endpoint's probe, with ports and hosts resolved.
Result<ProbeSpec> BuildSpec(const Service& service, const Endpoint& endpoint, const Probe& probe) {
  ProbeSpec spec;
  spec.timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Seconds(probe.timing.timeout_seconds));
  PortRef port;  // none: the endpoint's own
  std::string host;
  if (const auto* http = std::get_if<HttpGetAction>(&probe.handler)) {
    spec.kind = ProbeSpec::Kind::kHttp;
    spec.https = http->scheme == Scheme::kHttps;
    spec.path = http->path;
    for (const HttpHeader& h : http->headers) spec.headers.push_back({h.name, h.value});
    spec.http2 = http->protocol == HttpProtocol::kHttp2;
    spec.method = http->method;
    spec.body = http->body;
    spec.follow_redirects = http->follow_redirects;
    spec.tls = SpecTls(http->tls);
    for (const StatusRange& r : http->expect.status) spec.expect_status.push_back({r.low, r.high});
    spec.expect_body = http->expect.body_matches;
    spec.expect_no_body = http->expect.body_not_matches;
    for (const HeaderExpectation& h : http->expect.headers) {
      spec.expect_headers.push_back({h.name, h.matches});
    }
    port = http->port;
    host = http->host;
  } else if (const auto* tcp = std::get_if<TcpSocketAction>(&probe.handler)) {
    spec.kind = ProbeSpec::Kind::kTcp;
    port = tcp->port;
    host = tcp->host;
  } else if (const auto* grpc = std::get_if<GrpcAction>(&probe.handler)) {
    spec.kind = ProbeSpec::Kind::kGrpc;
    spec.grpc_service = grpc->service;
    spec.tls = SpecTls(grpc->tls);
    port = grpc->port;
  } else {
    const auto& exec = std::get<ExecAction>(probe.handler);
    spec.kind = ProbeSpec::Kind::kExec;
    spec.command = exec.command;
    // One definition checks every endpoint: the command is told which.
    spec.environment = {
        "VIGIL_SERVICE=" + service.name, "VIGIL_NAMESPACE=" + service.namespace_name,
        "VIGIL_ENDPOINT=" + endpoint.HostPort(), "VIGIL_ENDPOINT_ADDRESS=" + endpoint.address,
        "VIGIL_ENDPOINT_PORT=" + std::to_string(endpoint.port)};
  }
  Result<int> resolved = ResolvePort(port, service, endpoint);
  if (!resolved.ok()) return resolved.status();
  spec.port = *resolved;
  spec.host = host.empty() ? endpoint.address : host;
  return spec;
}

std::string ProbeType(const std::optional<Probe>& probe) {
  if (!probe) return "none";
  if (const auto* http = std::get_if<HttpGetAction>(&probe->handler)) {
    return http->scheme == Scheme::kHttps ? "https" : "http";
  }
  if (std::holds_alternative<GrpcAction>(probe->handler)) return "grpc";
  if (std::holds_alternative<ExecAction>(probe->handler)) return "exec";
  return "tcp";
}

std::string Consecutive(int run, const char* singular, const char* plural) {
  return std::to_string(run) + " consecutive " + (run == 1 ? singular : plural);
}

// What a log line adds after a result's message: its machine-readable reason.
std::string ReasonSuffix(const ProbeResult& result) {
  if (result.reason == ProbeReason::kNone) return "";
  return " (reason: " + std::string(ReasonName(result.reason)) + ")";
}

std::string WithReason(const ProbeResult& result) { return result.message + ReasonSuffix(result); }

}  // namespace

Prober::Prober(const Clock& clock, ProbeEngine& engine, StatusBoard& board, std::string node,
               uint64_t seed, ProbeObserver* observer, Duration summary_interval)
    : clock_(clock),
      engine_(engine),
      board_(board),
      node_(std::move(node)),
      observer_(observer),
      scheduler_(seed),
      summary_interval_(summary_interval),
      summary_due_(clock.Now() + summary_interval) {}

void Prober::ConfigureProbe(Target& target, const Service& service, const Endpoint& endpoint,
                            Time now, bool schedule_first) {
  target.probe = service.readiness_probe;
  target.type = ProbeType(target.probe);
  if (!target.probe) {
    target.spec = Status::Error("no probe");
    scheduler_.Remove(target.id);
    return;
  }
  Result<ProbeSpec> spec = BuildSpec(service, endpoint, *target.probe);
  if (spec.ok()) {
    target.spec = PrepareProbe(std::move(spec).value());
  } else {
    target.spec = spec.status();
  }
  const ProbeTiming& timing = target.probe->timing;
  const Duration period = Seconds(timing.period_seconds);
  if (schedule_first || !scheduler_.Contains(target.id)) {
    scheduler_.Add(target.id, now, Seconds(timing.initial_delay_seconds), period);
  } else {
    scheduler_.Update(target.id, now, period);
  }
}

void Prober::AddTarget(ServiceEntry& entry, const Endpoint& endpoint, size_t index,
                       const std::string& label, Time now) {
  const Service& service = entry.config;
  Target target;
  target.id = next_id_++;
  target.service = service.Id();
  target.label = label;
  target.index = index;
  target.key = endpoint.HostPort();
  target.details = board_.ProbeSlot(target.service, target.key);
  // Without a probe an endpoint is ready at once; with one it must earn it.
  const bool ready = !service.readiness_probe.has_value();
  target.ever_ready = ready;
  if (service.readiness_probe) {
    const ProbeTiming& t = service.readiness_probe->timing;
    target.tracker = ReadinessTracker(t.success_threshold, t.failure_threshold);
  }
  ConfigureProbe(target, service, endpoint, now, /*schedule_first=*/true);

  EndpointStatus& status = entry.object.endpoints[index];
  status.address = endpoint.address;
  status.port = endpoint.port;
  status.node = node_;
  status.conditions = EndpointConditions{ready, ready, false};
  status.last_transition_time = clock_.WallNow();

  if (observer_ != nullptr) {
    observer_->OnTargetAdded(target.id, target.label, target.key, target.type, ready);
  }
  targets_.emplace(target.id, std::move(target));
}

void Prober::RemoveTarget(Scheduler::Id id) {
  auto it = targets_.find(id);
  if (it == targets_.end()) return;
  scheduler_.Remove(id);
  board_.ForgetProbes(it->second.service, it->second.key);
  if (observer_ != nullptr) observer_->OnTargetRemoved(id);
  targets_.erase(it);
}

void Prober::Apply(const std::vector<Service>& services) {
  const Time now = clock_.Now();
  // Targets by service and endpoint key, to diff against.
  std::map<NamespacedName, std::map<std::string, Scheduler::Id>> existing;
  for (const auto& [id, target] : targets_) existing[target.service][target.key] = id;
  const std::set<std::string> shared = SharedServiceNames(services);

  std::set<NamespacedName> wanted;
  for (const Service& service : services) {
    const NamespacedName name = service.Id();
    const std::string label = ServiceLabel(name, shared);
    wanted.insert(name);
    auto [it, created] = services_.try_emplace(name);
    ServiceEntry& entry = it->second;
    const Service previous = std::move(entry.config);
    entry.config = service;
    if (created) entry.object.creation_time = clock_.WallNow();
    entry.object.name = service.name;
    entry.object.namespace_name = service.namespace_name;
    entry.object.publish_not_ready_addresses = service.publish_not_ready_addresses;
    entry.object.labels = service.labels;
    entry.object.ports = service.ports;
    const bool probe_changed = !created && (previous.readiness_probe != service.readiness_probe ||
                                            previous.ports != service.ports);

    std::map<std::string, Scheduler::Id> old_targets = std::move(existing[name]);
    const EndpointList old_statuses = std::move(entry.object.endpoints);
    entry.object.endpoints.assign(service.endpoints.size(), EndpointStatus{});
    for (size_t i = 0; i < service.endpoints.size(); ++i) {
      const Endpoint& endpoint = service.endpoints[i];
      auto kept = old_targets.find(endpoint.HostPort());
      if (kept == old_targets.end()) {
        AddTarget(entry, endpoint, i, label, now);
        continue;
      }
      Target& target = targets_.at(kept->second);
      entry.object.endpoints[i] = old_statuses[target.index];
      target.index = i;
      old_targets.erase(kept);
      if (target.label != label) {
        // Its name came to be used in another namespace, or stopped being:
        // its series go by the new label.
        target.label = label;
        if (observer_ != nullptr) {
          observer_->OnTargetRemoved(target.id);
          observer_->OnTargetAdded(target.id, target.label, target.key, target.type,
                                   entry.object.endpoints[i].conditions.serving);
        }
      }
      if (!probe_changed) continue;
      // A changed probe keeps the endpoint's readiness and restarts its counts.
      EndpointStatus& status = entry.object.endpoints[i];
      const bool had_probe = target.probe.has_value();
      if (service.readiness_probe) {
        const ProbeTiming& t = service.readiness_probe->timing;
        target.tracker =
            ReadinessTracker(t.success_threshold, t.failure_threshold, status.conditions.serving);
      } else if (!status.conditions.serving) {
        status.conditions = EndpointConditions{true, true, false};
        status.last_transition_time = clock_.WallNow();
        board_.RecordTransition(name,
                                Transition{status.last_transition_time, target.key, node_, true,
                                           "ready: the service no longer has a readinessProbe"});
        if (observer_ != nullptr) observer_->OnReadinessChanged(target.id, true);
      }
      ConfigureProbe(target, service, endpoint, now, /*schedule_first=*/!had_probe);
      if (observer_ != nullptr) observer_->OnTargetUpdated(target.id, target.type);
    }
    for (const auto& [key, id] : old_targets) RemoveTarget(id);
    MarkDirty(entry);
  }

  std::vector<NamespacedName> removed;
  for (auto it = services_.begin(); it != services_.end();) {
    if (wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    for (const auto& [key, id] : existing[it->first]) RemoveTarget(id);
    removed.push_back(it->first);
    it = services_.erase(it);
  }
  if (!removed.empty()) {
    board_.Delete(removed);
    if (publish_listener_) publish_listener_(removed.size());
  }
  Commit();
  ScheduleWake();
}

void Prober::Terminate() {
  terminating_ = true;
  const WallTime now = clock_.WallNow();
  for (auto& [name, entry] : services_) {
    EndpointList& endpoints = entry.object.endpoints;
    for (size_t i = 0; i < endpoints.size(); ++i) {
      if (std::as_const(endpoints)[i].conditions.terminating) continue;
      EndpointStatus& status = endpoints[i];
      status.conditions.terminating = true;
      status.conditions.ready = false;
      status.last_transition_time = now;
    }
    MarkDirty(entry);
  }
  Commit();
}

void Prober::OnWake(Time now) {
  if (commit_due_ && now >= *commit_due_) Commit();
  if (terminating_) return;
  if (now >= summary_due_) {
    LogFailureSummary();
    summary_due_ = now + summary_interval_;
  }
  scheduler_.TakeDue(now, &due_);
  for (const Scheduler::Due& due : due_) {
    auto it = targets_.find(due.id);
    if (it == targets_.end()) continue;
    if (observer_ != nullptr) observer_->OnProbeStarted(now - due.slot);
    const Target& target = it->second;
    if (!target.spec.ok()) {
      ProbeResult error;
      error.outcome = ProbeOutcome::kError;
      error.message = target.spec.status().message();
      OnResult(due.id, error);
      continue;
    }
    const Scheduler::Id id = due.id;
    engine_.Probe(*target.spec, [this, id](const ProbeResult& result) { OnResult(id, result); });
  }
  ScheduleWake();
}

void Prober::OnResult(Scheduler::Id id, const ProbeResult& result) {
  auto it = targets_.find(id);
  if (it == targets_.end()) return;  // removed while its probe ran
  Target& target = it->second;
  // A probe that cannot be attempted would fail the same way: not retried.
  const bool attempted = target.spec.ok() && (*target.spec)->invalid.ok();
  if (result.outcome == ProbeOutcome::kError && attempted && ++target.tries < kMaxProbeTries) {
    if (observer_ != nullptr) observer_->OnProbeDone(id, result);  // each try is counted
    engine_.Probe(*target.spec, [this, id](const ProbeResult& again) { OnResult(id, again); });
    return;
  }
  target.tries = 0;
  scheduler_.Finish(id);
  board_.RecordProbe(target.details, target.service, target.key,
                     ProbeDetails{clock_.WallNow(), result.outcome, result.message, result.reason,
                                  result.latency});
  if (observer_ != nullptr) observer_->OnProbeDone(id, result);

  if (result.outcome == ProbeOutcome::kError) {
    if (result.message != target.last_error) {
      spdlog::warn("{} {}: probe errored, readiness unchanged: {}", target.label, target.key,
                   WithReason(result));
      target.last_error = result.message;
    }
    return;
  }
  target.last_error.clear();
  const bool failure = result.outcome != ProbeOutcome::kSuccess;
  const bool run_continues = target.tracker.last_success() == !failure;
  const bool flipped = target.tracker.Observe(result.outcome);
  if (flipped) {
    ServiceEntry& entry = services_.at(target.service);
    EndpointStatus& status = entry.object.endpoints[target.index];
    const bool ready = target.tracker.ready();
    status.conditions.serving = ready;
    status.conditions.ready = ready && !status.conditions.terminating;
    status.last_transition_time = clock_.WallNow();
    MarkDirty(entry);
    const std::string reason =
        ready ? "ready after " + Consecutive(target.tracker.run(), "success", "successes")
              : "not ready after " + Consecutive(target.tracker.run(), "failure", "failures") +
                    ": " + result.message;
    spdlog::info("{} {} {}{}", target.label, target.key, reason, ready ? "" : ReasonSuffix(result));
    if (ready) {
      target.ever_ready = true;
      target.unhealthy_message.reset();
      Note(EndpointHappening::kWentReady, target, "");
    } else {
      target.unhealthy_message = result.message;
      Note(EndpointHappening::kWentNotReady, target, result.message);
    }
    board_.RecordTransition(
        target.service, Transition{status.last_transition_time, target.key, node_, ready, reason});
    if (observer_ != nullptr) observer_->OnReadinessChanged(target.id, ready);
  }
  if (failure && !target.tracker.ready()) {
    // Not ready and failing: a never-ready endpoint explains itself once
    // its failures reach the threshold; then each new message is told.
    const int threshold = target.probe ? target.probe->timing.failure_threshold : 1;
    if (!target.unhealthy_message && !target.ever_ready && target.tracker.run() >= threshold) {
      target.unhealthy_message = result.message;
      Note(EndpointHappening::kNeverReadyFailed, target, result.message);
    } else if (target.unhealthy_message && *target.unhealthy_message != result.message) {
      target.unhealthy_message = result.message;
      Note(EndpointHappening::kMessageChanged, target, result.message);
    }
  }
  if (flipped) {
    // Logged above.
  } else if (failure && !run_continues) {
    spdlog::info("{} {} probe failed: {}", target.label, target.key, WithReason(result));
  } else if (failure) {
    // Counted for the summary rather than logged one by one.
    ++target.unlogged_failures;
    target.last_failure = result.message;
    spdlog::debug("{} {} probe failed: {}", target.label, target.key, WithReason(result));
  }
  // The schedule is as OnWake left it; only a change to commit needs a wake
  // (one due now has asked for the end of this turn).
  if (commit_due_) engine_.WakeAt(*commit_due_);
}

void Prober::Note(EndpointHappening what, const Target& target, std::string probe_message) {
  EndpointOccurrence occurrence;
  occurrence.what = what;
  occurrence.namespace_name = target.service.namespace_name;
  occurrence.service = target.service.name;
  occurrence.endpoint = target.key;
  occurrence.node = node_;
  occurrence.probe_message = std::move(probe_message);
  occurrences_.push_back(std::move(occurrence));
  ScheduleCommit();
}

void Prober::MarkDirty(ServiceEntry& entry) {
  entry.dirty = true;
  ScheduleCommit();
}

void Prober::ScheduleCommit() {
  if (commit_due_) return;
  const Time now = clock_.Now();
  if (!last_commit_ || now - *last_commit_ >= kCommitDelay) {
    commit_due_ = now;
    engine_.WakeAfterTurn();
  } else {
    commit_due_ = *last_commit_ + kCommitDelay;
  }
}

void Prober::Commit() {
  std::vector<EndpointsObject> changed;
  for (auto& [name, entry] : services_) {
    if (!entry.dirty) continue;
    changed.push_back(entry.object);
    entry.dirty = false;
  }
  commit_due_.reset();
  if (!changed.empty() || !occurrences_.empty()) last_commit_ = clock_.Now();
  if (!changed.empty()) {
    const size_t count = changed.size();
    board_.Put(std::move(changed));
    if (publish_listener_) publish_listener_(count);
  }
  // After the objects: an Event names the Endpoints' version it is about.
  if (!occurrences_.empty())
    board_.RecordOccurrences(std::exchange(occurrences_, {}), clock_.WallNow());
}

void Prober::ScheduleWake() {
  if (std::optional<Time> due = scheduler_.NextDue()) engine_.WakeAt(*due);
  if (commit_due_) engine_.WakeAt(*commit_due_);
  engine_.WakeAt(summary_due_);
}

void Prober::LogFailureSummary() {
  constexpr size_t kListed = 5;
  std::vector<const Target*> failing;
  for (const auto& [id, target] : targets_) {
    if (target.unlogged_failures > 0) failing.push_back(&target);
  }
  if (failing.empty()) return;
  std::sort(failing.begin(), failing.end(), [](const Target* a, const Target* b) {
    return std::tie(a->label, a->key) < std::tie(b->label, b->key);
  });
  std::string list;
  for (size_t i = 0; i < std::min(kListed, failing.size()); ++i) {
    const Target& t = *failing[i];
    list += (i == 0 ? "" : "; ") + t.label + " " + t.key + " (" +
            std::to_string(t.unlogged_failures) + "x: " + t.last_failure + ")";
  }
  if (failing.size() > kListed)
    list += "; and " + std::to_string(failing.size() - kListed) + " more";
  spdlog::warn("{} {} failing probes in the last {:g}s: {}", failing.size(),
               failing.size() == 1 ? "endpoint is" : "endpoints are",
               std::chrono::duration<double>(summary_interval_).count(), list);
  for (auto& [id, target] : targets_) target.unlogged_failures = 0;
}

}  // namespace vigil
