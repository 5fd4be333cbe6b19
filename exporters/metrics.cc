#include "exporters/metrics.h"

#include <prometheus/text_serializer.h>

#include "common/version.h"

namespace vigil {
namespace {

// Probes take from a millisecond (loopback) to their timeout (seconds).
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
// The budget is p99 < 10 ms: resolve well below and around it.
const prometheus::Histogram::BucketBoundaries kLatenessBuckets = {
    0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1};

// Indexed by the outcome's value.
constexpr std::array<ProbeOutcome, 4> kOutcomes = {ProbeOutcome::kSuccess, ProbeOutcome::kFailure,
                                                   ProbeOutcome::kTimeout, ProbeOutcome::kError};
static_assert(static_cast<size_t>(ProbeOutcome::kError) == 3);

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      probe_total_(prometheus::BuildCounter()
                       .Name("vigil_probe_total")
                       .Help("Probes run, by service, endpoint, probe type and result.")
                       .Register(*registry_)),
      probe_duration_(prometheus::BuildHistogram()
                          .Name("vigil_probe_duration_seconds")
                          .Help("How long probes took, by service and probe type.")
                          .Register(*registry_)),
      lateness_(prometheus::BuildHistogram()
                    .Name("vigil_probe_schedule_lateness_seconds")
                    .Help("How long after its scheduled time each probe started.")
                    .Register(*registry_)
                    .Add({}, kLatenessBuckets)) {
  prometheus::BuildGauge()
      .Name("vigil_build_info")
      .Help("Always 1; the labels describe the running build.")
      .Register(*registry_)
      .Add({{"version", kVersion}})
      .Set(1);
}

void Metrics::OnTargetAdded(uint64_t id, const std::string& service, const std::string& endpoint,
                            const std::string& type) {
  if (type == "none") return;  // no probe, nothing to count
  TargetSeries series;
  for (size_t i = 0; i < kOutcomes.size(); ++i) {
    series.results[i] = &probe_total_.Add({{"service", service},
                                           {"endpoint", endpoint},
                                           {"type", type},
                                           {"result", std::string(OutcomeName(kOutcomes[i]))}});
  }
  series.duration_key = {service, type};
  DurationSeries& duration = durations_[series.duration_key];
  if (duration.targets++ == 0) {
    duration.histogram =
        &probe_duration_.Add({{"service", service}, {"type", type}}, kDurationBuckets);
  }
  series.duration = duration.histogram;
  targets_[id] = series;
}

void Metrics::OnTargetRemoved(uint64_t id) {
  auto it = targets_.find(id);
  if (it == targets_.end()) return;
  for (prometheus::Counter* counter : it->second.results) probe_total_.Remove(counter);
  auto duration = durations_.find(it->second.duration_key);
  if (--duration->second.targets == 0) {
    probe_duration_.Remove(duration->second.histogram);
    durations_.erase(duration);
  }
  targets_.erase(it);
}

void Metrics::OnProbeStarted(Duration lateness) {
  lateness_.Observe(std::chrono::duration<double>(lateness).count());
}

void Metrics::OnProbeDone(uint64_t id, const ProbeResult& result) {
  auto it = targets_.find(id);
  if (it == targets_.end()) return;
  it->second.results[static_cast<size_t>(result.outcome)]->Increment();
  if (result.outcome != ProbeOutcome::kError) {
    it->second.duration->Observe(std::chrono::duration<double>(result.latency).count());
  }
}

std::string Metrics::Render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace vigil
