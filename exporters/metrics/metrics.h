// The agent's Prometheus metrics (DESIGN.md, "Metrics"), rendered in the
// text exposition format 0.0.4 for /metrics:
//
// - the API's (requests by dialect and code, open watches): ApiObserver,
//   fed by the API server;
// - per endpoint and per service (probe counts and durations, readiness,
//   transitions, endpoints by state): EndpointSeries; failures by reason,
//   phase durations and certificate expiry: ProbeDetailSeries; both fed by
//   the ProbeObserver calls; series of removed endpoints and services go;
// - the schedule lateness of every probe: a DurationHistogram, as the
//   per-probe histograms above;
// - the agent's own (registry publishing and connection, DNS answers,
//   config reloads, build info): prometheus-cpp families in a registry;
// - process_*: ProcessMetrics, read from /proc at each Render().
//
// Threading: the ProbeObserver calls come from the probe loop thread, one at
// a time; SetRegistryConnected, RecordPublish, RecordDnsQuery, RecordReload
// and the ApiObserver calls may be called from any thread; Render() may run
// concurrently from API threads.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "exporters/metrics/api_observer.h"
#include "exporters/metrics/duration_histogram.h"
#include "exporters/metrics/endpoint_series.h"
#include "exporters/metrics/probe_detail_series.h"
#include "exporters/metrics/probe_observer.h"
#include "exporters/metrics/process_metrics.h"

namespace vigil {

class Metrics final : public ProbeObserver, public ApiObserver {
 public:
  // `node` labels vigil_endpoint_ready: the agent's node name.
  explicit Metrics(std::string node);

  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void OnTargetAdded(uint64_t id, const std::string& service, const std::string& endpoint,
                     const std::string& type, bool ready) override;
  void OnTargetUpdated(uint64_t id, const std::string& type) override;
  void OnTargetRemoved(uint64_t id) override;
  void OnReadinessChanged(uint64_t id, bool ready) override;
  void OnProbeStarted(Duration lateness) override;
  void OnProbeDone(uint64_t id, const ProbeResult& result) override;

  // vigil_registry_connected{backend}. The first call for a backend also
  // creates its publish counters at 0.
  void SetRegistryConnected(const std::string& backend, bool connected);
  // Adds `count` to vigil_registry_publish_total{backend, result="success"}
  // or {…, result="failure"}.
  void RecordPublish(const std::string& backend, bool ok, uint64_t count = 1);
  // Adds `count` to vigil_dns_queries_total{rcode}; a count of 0 creates
  // the series.
  void RecordDnsQuery(std::string_view rcode, uint64_t count = 1);
  // vigil_config_last_reload_successful, and when `ok`,
  // vigil_config_last_reload_success_timestamp_seconds = `when`.
  void RecordReload(bool ok, WallTime when);

  // vigil_api_requests_total{dialect, code} and vigil_api_watches{dialect}.
  void OnApiRequest(const std::string& dialect, int code) override;
  void OnApiWatches(const std::string& dialect, int delta) override;

  // Every metric in the text format.
  std::string Render() const;

  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Backend {
    prometheus::Gauge* connected = nullptr;
    std::array<prometheus::Counter*, 2> published{};  // failure, success
  };

  Backend& BackendSeries(const std::string& backend);  // REQUIRES(backends_mutex_)

  std::shared_ptr<prometheus::Registry> registry_;
  DurationHistogram lateness_;  // vigil_probe_schedule_lateness_seconds
  prometheus::Gauge& reload_successful_;
  prometheus::Gauge& reload_success_time_;
  prometheus::Family<prometheus::Gauge>& registry_connected_;
  prometheus::Family<prometheus::Counter>& registry_publish_;
  prometheus::Family<prometheus::Counter>& dns_queries_;
  EndpointSeries endpoints_;
  ProbeDetailSeries details_;  // failures by reason, phase durations, certificate expiry
  // Each target's records in both, for the per-probe calls: one hash lookup
  // a probe. The probe loop's only.
  struct TargetSeries {
    EndpointSeries::Endpoint* endpoint = nullptr;
    ProbeDetailSeries::Endpoint* details = nullptr;
  };
  std::unordered_map<uint64_t, TargetSeries> targets_;
  const ProcessMetrics process_;

  std::mutex backends_mutex_;
  std::map<std::string, Backend> backends_;  // GUARDED_BY(backends_mutex_)

  prometheus::Family<prometheus::Counter>& api_requests_;
  prometheus::Family<prometheus::Gauge>& api_watches_;
  // Family::Add hashes and copies the labels even for a series that exists:
  // each series is added once and kept here.
  std::mutex api_mutex_;
  std::map<std::pair<std::string, int>, prometheus::Counter*>
      api_request_series_;                                      // GUARDED_BY(api_mutex_)
  std::map<std::string, prometheus::Gauge*> api_watch_series_;  // GUARDED_BY(api_mutex_)

  std::mutex dns_mutex_;
  std::map<std::string, prometheus::Counter*, std::less<>> dns_rcodes_;  // GUARDED_BY(dns_mutex_)

  // The last rendering's size: the next one reserves that much at once.
  mutable std::atomic<size_t> last_size_{0};
};

}  // namespace vigil
