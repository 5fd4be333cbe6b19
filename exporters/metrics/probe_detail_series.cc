#include "exporters/metrics/probe_detail_series.h"

#include <chrono>
#include <string_view>

namespace vigil {
namespace {

using prometheus::MetricType;

// Phases range from microseconds (a loopback connect) to the timeout.
const std::vector<double> kPhaseBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                           0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                           1,      2.5,     5,      10};

constexpr std::string_view kFailures = "vigil_probe_failures_total";
constexpr std::string_view kFailuresHelp =
    "Failed probes (failures and timeouts), by service, endpoint and reason.";
constexpr std::string_view kPhases = "vigil_probe_phase_duration_seconds";
constexpr std::string_view kPhasesHelp =
    "How long each phase of the service's probes took: dns, connect, tls, first_byte.";
constexpr std::string_view kExpiry = "vigil_probe_tls_cert_expiry_timestamp_seconds";
constexpr std::string_view kExpiryHelp =
    "When the earliest certificate the endpoint presented expires, in seconds since the Unix "
    "epoch.";

}  // namespace

struct ProbeDetailSeries::Endpoint {
  const std::string* service_name = nullptr;  // the key in services_
  Service* service = nullptr;
  std::string endpoint;
  std::array<std::atomic<uint64_t>, kProbeReasonCount> failures{};
  std::atomic<int64_t> certificate_expiry{0};  // 0: none seen
};

ProbeDetailSeries::ProbeDetailSeries() = default;

ProbeDetailSeries::~ProbeDetailSeries() = default;

ProbeDetailSeries::Endpoint* ProbeDetailSeries::Add(uint64_t id, const std::string& service,
                                                    const std::string& endpoint) {
  Remove(id);
  auto record = std::make_unique<Endpoint>();
  record->endpoint = endpoint;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, created] = services_.try_emplace(service);
  ++it->second.endpoints;
  record->service_name = &it->first;
  record->service = &it->second;
  return endpoints_.emplace(id, std::move(record)).first->second.get();
}

void ProbeDetailSeries::Remove(uint64_t id) {
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  Service& service = *it->second->service;
  const std::string service_name = *it->second->service_name;
  endpoints_.erase(it);
  if (--service.endpoints == 0) services_.erase(service_name);
}

void ProbeDetailSeries::Record(Endpoint& e, const ProbeResult& result) {
  const bool failed =
      result.outcome == ProbeOutcome::kFailure || result.outcome == ProbeOutcome::kTimeout;
  if (failed && result.reason != ProbeReason::kNone) {
    e.failures[static_cast<size_t>(result.reason)].fetch_add(1, std::memory_order_relaxed);
  }
  for (size_t p = 0; p < kProbePhaseCount; ++p) {
    if (result.phases[p] < std::chrono::microseconds::zero()) continue;
    std::unique_ptr<DurationHistogram>& histogram = e.service->phases[p];
    if (histogram == nullptr) {
      auto made = std::make_unique<DurationHistogram>(kPhaseBuckets);
      std::lock_guard<std::mutex> lock(mutex_);
      histogram = std::move(made);
    }
    histogram->Observe(result.phases[p]);
  }
  if (result.certificate_expiry) {
    e.certificate_expiry.store(*result.certificate_expiry, std::memory_order_relaxed);
  }
}

void ProbeDetailSeries::Write(TextFormatWriter& w) const {
  std::lock_guard<std::mutex> lock(mutex_);
  w.Family(kFailures, kFailuresHelp, MetricType::Counter);
  for (const auto& [id, e] : endpoints_) {
    for (size_t r = 1; r < kProbeReasonCount; ++r) {
      const uint64_t count = e->failures[r].load(std::memory_order_relaxed);
      if (count == 0) continue;
      w.Sample(kFailures,
               {{"service", *e->service_name},
                {"endpoint", e->endpoint},
                {"reason", ReasonName(static_cast<ProbeReason>(r))}},
               count);
    }
  }
  w.Family(kPhases, kPhasesHelp, MetricType::Histogram);
  for (const auto& [name, service] : services_) {
    for (size_t p = 0; p < kProbePhaseCount; ++p) {
      if (service.phases[p] == nullptr) continue;
      w.Histogram(kPhases, {{"service", name}, {"phase", PhaseName(static_cast<ProbePhase>(p))}},
                  service.phases[p]->Collect());
    }
  }
  w.Family(kExpiry, kExpiryHelp, MetricType::Gauge);
  for (const auto& [id, e] : endpoints_) {
    const int64_t expiry = e->certificate_expiry.load(std::memory_order_relaxed);
    if (expiry == 0) continue;
    w.Sample(kExpiry, {{"service", *e->service_name}, {"endpoint", e->endpoint}},
             static_cast<double>(expiry));
  }
}

}  // namespace vigil
