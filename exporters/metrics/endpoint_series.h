// EndpointSeries: the metrics that exist once per probed endpoint or per
// service — vigil_probe_total, vigil_probe_duration_seconds,
// vigil_endpoint_ready, vigil_endpoint_transitions_total and
// vigil_service_endpoints — for Metrics. An endpoint's series appear when it is
// added and go when it is removed; a service's when its first endpoint comes
// and its last one goes.
//
// They are kept here rather than in prometheus-cpp Families because of what
// Families cost at 10,000 endpoints: Family::Remove scans every series of the
// family (0.7 ms a call at 40,000 series, so a reload that drops 100 endpoints
// would stall the probe loop for half a second), Family::Add keeps a hashed
// std::map of labels per series, and collecting copies every label string
// before anything is written. Here an endpoint is one record holding its label
// values once and its values in atomics; adding and removing are logarithmic,
// counting a probe is an atomic add on the record Add returned, and Write()
// formats straight from the records. The duration histograms are
// DurationHistograms.
//
// Threading: Add, Update, Remove, CountProbe and SetReady must come from one
// thread at a time (the probe loop). Add, Update and Remove take mutex_; the
// per-probe calls do not: they write atomics (the histograms' too) of a
// record their own thread keeps alive. Write and Collect may run
// concurrently from any thread.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporters/metrics/duration_histogram.h"
#include "exporters/metrics/text_format.h"
#include "probes/probe_result.h"

namespace vigil {

class EndpointSeries final : public prometheus::Collectable {
 public:
  // `node` is the value of vigil_endpoint_ready's node label.
  explicit EndpointSeries(std::string node);
  ~EndpointSeries() override;

  EndpointSeries(const EndpointSeries&) = delete;
  EndpointSeries& operator=(const EndpointSeries&) = delete;

  // One endpoint's series: what Add returns, for the per-probe calls to
  // reach without a lookup. Valid until the id is removed or added again.
  struct Endpoint;

  // A new endpoint `id` of `service`, probed by `type` ("none": not probed,
  // so no probe series). Adding an id that exists replaces it.
  Endpoint* Add(uint64_t id, const std::string& service, const std::string& endpoint,
                const std::string& type, bool ready);
  // Its probe type changed: the probe series start again under the new type.
  void Update(uint64_t id, const std::string& type);
  void Remove(uint64_t id);

  void CountProbe(Endpoint& endpoint, const ProbeResult& result);
  // Counts a transition when `ready` differs from the endpoint's readiness.
  void SetReady(Endpoint& endpoint, bool ready);

  // Appends every family in the text format.
  void Write(TextFormatWriter& writer) const;
  // The same, as prometheus-cpp's collected values.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Duration {
    std::unique_ptr<DurationHistogram> histogram;
    size_t endpoints = 0;
  };

  struct Service {
    std::map<std::string, Duration> durations;  // by probe type
    size_t endpoints = 0;
    std::atomic<size_t> ready{0};
  };

  // The histogram of `service`'s probes of `type`, shared by its endpoints.
  DurationHistogram* AcquireDuration(Service& service, const std::string& type);
  void ReleaseDuration(Service& service, const std::string& type);

  const std::string node_;
  mutable std::mutex mutex_;
  std::map<std::string, Service> services_;                  // GUARDED_BY(mutex_)
  std::map<uint64_t, std::unique_ptr<Endpoint>> endpoints_;  // GUARDED_BY(mutex_) for changes
};

}  // namespace vigil
