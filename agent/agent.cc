#include "agent/agent.h"

#include <random>

#include "config/address.h"

namespace vigil {
namespace {

// The engine wakes at least once a second; this long without a turn is a stall.
constexpr Duration kStalledAfter = std::chrono::seconds(5);

}  // namespace

Agent::Agent(Config config, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      engine_(clock),
      prober_(clock, engine_, board_, config_.node, std::random_device{}(), &metrics_),
      api_(board_, ApiHooks{[this] { return Healthz(); }, [this] { return metrics_.Render(); }}) {
  engine_.SetWakeHandler([this](Time now) { prober_.OnWake(now); });
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
  return Status::Ok();
}

void Agent::Stop() {
  api_.Stop();
  engine_.Stop();
}

Status Agent::Healthz() const {
  const Duration since = clock_.Now() - engine_.last_turn();
  if (since <= kStalledAfter) return Status::Ok();
  return Status::Error(
      "probe loop stalled: last turn " +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since).count()) + "s ago");
}

}  // namespace vigil
