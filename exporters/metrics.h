// The agent's Prometheus metrics, held in a prometheus-cpp registry and
// rendered in the text exposition format 0.0.4 for /metrics.
//
// Per-target series are created once, when the target is added, and their
// references cached, so that counting a probe is an integer-keyed lookup and
// an atomic add; a removed target's series are removed.
//
// Threading: the ProbeObserver calls come from the probe loop thread;
// Render() may run concurrently from API threads (prometheus-cpp's families
// synchronize Add, Remove and Collect).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "exporters/probe_observer.h"

namespace vigil {

class Metrics final : public ProbeObserver {
 public:
  Metrics();

  void OnTargetAdded(uint64_t id, const std::string& service, const std::string& endpoint,
                     const std::string& type) override;
  void OnTargetRemoved(uint64_t id) override;
  void OnProbeStarted(Duration lateness) override;
  void OnProbeDone(uint64_t id, const ProbeResult& result) override;

  // Every metric in the text format.
  std::string Render() const;

  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  // The per-service probe duration histogram, shared by its targets.
  struct DurationSeries {
    prometheus::Histogram* histogram = nullptr;
    size_t targets = 0;
  };

  struct TargetSeries {
    std::array<prometheus::Counter*, 4> results{};     // by ProbeOutcome
    std::pair<std::string, std::string> duration_key;  // (service, type)
    prometheus::Histogram* duration = nullptr;
  };

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& probe_total_;
  prometheus::Family<prometheus::Histogram>& probe_duration_;
  prometheus::Histogram& lateness_;

  std::unordered_map<uint64_t, TargetSeries> targets_;                       // loop thread
  std::map<std::pair<std::string, std::string>, DurationSeries> durations_;  // loop thread
};

}  // namespace vigil
