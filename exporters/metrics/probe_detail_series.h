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

#include <prometheus/histogram.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "exporters/metrics/text_format.h"
#include "probes/probe_result.h"

namespace vigil {

class ProbeDetailSeries {
 public:
  ProbeDetailSeries() = default;
  ProbeDetailSeries(const ProbeDetailSeries&) = delete;
  ProbeDetailSeries& operator=(const ProbeDetailSeries&) = delete;

  // Endpoint `id` of `service`; adding an id that exists replaces it.
  void Add(uint64_t id, const std::string& service, const std::string& endpoint);
  void Remove(uint64_t id);
  // Counts a failure or timeout by its reason, observes its phases, keeps
  // its certificate's expiry.
  void Record(uint64_t id, const ProbeResult& result);

  // Appends the three families in the text format.
  void Write(TextFormatWriter& writer) const;

 private:
  struct Service {
    // Made on first use; read by Write under mutex_.
    std::array<std::unique_ptr<prometheus::Histogram>, kProbePhaseCount> phases;
    size_t endpoints = 0;
  };

  struct Endpoint {
    const std::string* service_name = nullptr;  // the key in services_
    Service* service = nullptr;
    std::string endpoint;
    std::array<std::atomic<uint64_t>, kProbeReasonCount> failures{};
    std::atomic<int64_t> certificate_expiry{0};  // 0: none seen
  };

  mutable std::mutex mutex_;
  std::map<std::string, Service> services_;                  // GUARDED_BY(mutex_)
  std::map<uint64_t, std::unique_ptr<Endpoint>> endpoints_;  // GUARDED_BY(mutex_) for changes
  std::unordered_map<uint64_t, Endpoint*> index_;            // changed with endpoints_
};

}  // namespace vigil
