#include "exporters/metrics/metrics.h"

#include "common/version.h"
#include "exporters/metrics/text_format.h"

namespace vigil {
namespace {

// The budget is p99 < 10 ms, and the loop starts probes in batches up to
// 4 ms after their slot: resolve every millisecond up to the budget.
const std::vector<double> kLatenessBuckets = {0.0001, 0.0005, 0.001, 0.002, 0.003, 0.004,
                                              0.005,  0.006,  0.007, 0.008, 0.01,  0.02,
                                              0.05,   0.1,    0.5,   1};

constexpr std::string_view kLateness = "vigil_probe_schedule_lateness_seconds";
constexpr std::string_view kLatenessHelp = "How long after its scheduled time each probe started.";

}  // namespace

Metrics::Metrics(std::string node)
    : registry_(std::make_shared<prometheus::Registry>()),
      lateness_(kLatenessBuckets),
      reload_successful_(prometheus::BuildGauge()
                             .Name("vigil_config_last_reload_successful")
                             .Help("Whether the last load of the config file succeeded (1) or "
                                   "not (0).")
                             .Register(*registry_)
                             .Add({})),
      reload_success_time_(prometheus::BuildGauge()
                               .Name("vigil_config_last_reload_success_timestamp_seconds")
                               .Help("When the config file was last loaded successfully, in "
                                     "seconds since the Unix epoch.")
                               .Register(*registry_)
                               .Add({})),
      registry_connected_(prometheus::BuildGauge()
                              .Name("vigil_registry_connected")
                              .Help("Whether the endpoints registry backend is reachable (1) or "
                                    "not (0).")
                              .Register(*registry_)),
      registry_publish_(prometheus::BuildCounter()
                            .Name("vigil_registry_publish_total")
                            .Help("Objects published to the endpoints registry backend, by "
                                  "result.")
                            .Register(*registry_)),
      dns_queries_(prometheus::BuildCounter()
                       .Name("vigil_dns_queries_total")
                       .Help("DNS queries answered, by response code.")
                       .Register(*registry_)),
      endpoints_(std::move(node)),
      api_requests_(prometheus::BuildCounter()
                        .Name("vigil_api_requests_total")
                        .Help("Answers of the agent's HTTP API, by the dialect of the route and "
                              "status code.")
                        .Register(*registry_)),
      api_watches_(prometheus::BuildGauge()
                       .Name("vigil_api_watches")
                       .Help("Watch streams of the agent's HTTP API open now, by dialect.")
                       .Register(*registry_)) {
  prometheus::BuildGauge()
      .Name("vigil_build_info")
      .Help("Always 1; the labels describe the running build.")
      .Register(*registry_)
      .Add({{"version", kVersion}})
      .Set(1);
}

void Metrics::OnTargetAdded(uint64_t id, const std::string& service, const std::string& endpoint,
                            const std::string& type, bool ready) {
  targets_[id] = {endpoints_.Add(id, service, endpoint, type, ready),
                  details_.Add(id, service, endpoint)};
}

void Metrics::OnTargetUpdated(uint64_t id, const std::string& type) { endpoints_.Update(id, type); }

void Metrics::OnTargetRemoved(uint64_t id) {
  targets_.erase(id);
  endpoints_.Remove(id);
  details_.Remove(id);
}

void Metrics::OnReadinessChanged(uint64_t id, bool ready) {
  auto it = targets_.find(id);
  if (it != targets_.end()) endpoints_.SetReady(*it->second.endpoint, ready);
}

void Metrics::OnProbeStarted(Duration lateness) { lateness_.Observe(lateness); }

void Metrics::OnProbeDone(uint64_t id, const ProbeResult& result) {
  auto it = targets_.find(id);
  if (it == targets_.end()) return;
  endpoints_.CountProbe(*it->second.endpoint, result);
  details_.Record(*it->second.details, result);
}

Metrics::Backend& Metrics::BackendSeries(const std::string& backend) {
  auto [it, created] = backends_.try_emplace(backend);
  if (created) {
    it->second.connected = &registry_connected_.Add({{"backend", backend}});
    it->second.published[0] = &registry_publish_.Add({{"backend", backend}, {"result", "failure"}});
    it->second.published[1] = &registry_publish_.Add({{"backend", backend}, {"result", "success"}});
  }
  return it->second;
}

void Metrics::SetRegistryConnected(const std::string& backend, bool connected) {
  std::lock_guard<std::mutex> lock(backends_mutex_);
  BackendSeries(backend).connected->Set(connected ? 1 : 0);
}

void Metrics::RecordPublish(const std::string& backend, bool ok, uint64_t count) {
  std::lock_guard<std::mutex> lock(backends_mutex_);
  BackendSeries(backend).published[ok ? 1 : 0]->Increment(static_cast<double>(count));
}

void Metrics::RecordDnsQuery(std::string_view rcode, uint64_t count) {
  std::lock_guard<std::mutex> lock(dns_mutex_);
  auto it = dns_rcodes_.find(rcode);
  if (it == dns_rcodes_.end()) {
    it = dns_rcodes_.emplace(std::string(rcode), &dns_queries_.Add({{"rcode", std::string(rcode)}}))
             .first;
  }
  it->second->Increment(static_cast<double>(count));
}

void Metrics::RecordReload(bool ok, WallTime when) {
  reload_successful_.Set(ok ? 1 : 0);
  if (ok) {
    reload_success_time_.Set(std::chrono::duration<double>(when.time_since_epoch()).count());
  }
}

void Metrics::OnApiRequest(const std::string& dialect, int code) {
  prometheus::Counter* counter = nullptr;
  {
    std::lock_guard<std::mutex> lock(api_mutex_);
    auto [it, created] = api_request_series_.try_emplace({dialect, code}, nullptr);
    if (created) {
      it->second = &api_requests_.Add({{"dialect", dialect}, {"code", std::to_string(code)}});
    }
    counter = it->second;
  }
  counter->Increment();
}

void Metrics::OnApiWatches(const std::string& dialect, int delta) {
  prometheus::Gauge* gauge = nullptr;
  {
    std::lock_guard<std::mutex> lock(api_mutex_);
    auto [it, created] = api_watch_series_.try_emplace(dialect, nullptr);
    if (created) it->second = &api_watches_.Add({{"dialect", dialect}});
    gauge = it->second;
  }
  gauge->Increment(static_cast<double>(delta));
}

std::string Metrics::Render() const {
  std::string out;
  const size_t last = last_size_.load(std::memory_order_relaxed);
  out.reserve(last + last / 8 + 4096);
  TextFormatWriter writer(&out);
  endpoints_.Write(writer);
  details_.Write(writer);
  writer.Family(kLateness, kLatenessHelp, prometheus::MetricType::Histogram);
  writer.Histogram(kLateness, {}, lateness_.Collect());
  writer.Write(registry_->Collect());
  writer.Write(process_.Collect());
  last_size_.store(out.size(), std::memory_order_relaxed);
  return out;
}

}  // namespace vigil
