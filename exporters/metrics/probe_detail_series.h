// ProbeDetailSeries: the metrics of why and how probes went, beside
// EndpointSeries' counts — vigil_probe_failures_total{service, endpoint,
// reason}, vigil_probe_phase_duration_seconds{service, phase} and
// vigil_probe_tls_cert_expiry_timestamp_seconds{service, endpoint} — for
// Metrics. Kept as EndpointSeries keeps its own (plain records, atomics,
// written straight in the text format), for the same reason: thousands of
// endpoints.
//
// Series appear when there is something to say: a failure counter when its
// endpoint first fails for that reason (eleven reasons for every endpoint
// would multiply the series of /metrics), a phase histogram when a probe of
// the service first goes through that phase, a certificate's expiry once a
// TLS handshake has shown it. They go with their endpoint, or with the last
// endpoint of their service.
//
// Threading: Add, Remove and Record come from one thread at a time (the
// probe loop); Add and Remove take mutex_, and so does Record when it makes
// a series. Write may run concurrently from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "exporters/metrics/duration_histogram.h"
#include "exporters/metrics/text_format.h"
#include "probes/probe_result.h"

namespace vigil {

class ProbeDetailSeries {
 public:
  ProbeDetailSeries();
  ~ProbeDetailSeries();
  ProbeDetailSeries(const ProbeDetailSeries&) = delete;
  ProbeDetailSeries& operator=(const ProbeDetailSeries&) = delete;

  // One endpoint's series: what Add returns, for Record to reach without a
  // lookup. Valid until the id is removed or added again.
  struct Endpoint;

  // Endpoint `id` of `service`; adding an id that exists replaces it.
  Endpoint* Add(uint64_t id, const std::string& service, const std::string& endpoint);
  void Remove(uint64_t id);
  // Counts a failure or timeout by its reason, observes its phases, keeps
  // its certificate's expiry.
  void Record(Endpoint& endpoint, const ProbeResult& result);

  // Appends the three families in the text format.
  void Write(TextFormatWriter& writer) const;

 private:
  struct Service {
    // Made on first use; read by Write under mutex_.
    std::array<std::unique_ptr<DurationHistogram>, kProbePhaseCount> phases;
    size_t endpoints = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Service> services_;                  // GUARDED_BY(mutex_)
  std::map<uint64_t, std::unique_ptr<Endpoint>> endpoints_;  // GUARDED_BY(mutex_) for changes
};

}  // namespace vigil
