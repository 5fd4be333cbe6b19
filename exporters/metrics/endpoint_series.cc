#include "exporters/metrics/endpoint_series.h"

#include <chrono>
#include <string_view>

namespace vigil {
namespace {

using prometheus::MetricType;

// Probes take from a millisecond (loopback) to their timeout (seconds).
const std::vector<double> kDurationBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};

constexpr std::string_view kProbeTotal = "vigil_probe_total";
constexpr std::string_view kProbeTotalHelp =
    "Probes run, by service, endpoint, probe type and result.";
constexpr std::string_view kDuration = "vigil_probe_duration_seconds";
constexpr std::string_view kDurationHelp = "How long probes took, by service and probe type.";
constexpr std::string_view kReady = "vigil_endpoint_ready";
constexpr std::string_view kReadyHelp = "Whether the endpoint is ready (1) or not (0).";
constexpr std::string_view kTransitions = "vigil_endpoint_transitions_total";
constexpr std::string_view kTransitionsHelp =
    "Readiness changes of the endpoint, by the state it changed to.";
constexpr std::string_view kServiceEndpoints = "vigil_service_endpoints";
constexpr std::string_view kServiceEndpointsHelp = "Endpoints of the service, by readiness.";

constexpr std::array<std::string_view, 4> kResults = {
    OutcomeName(ProbeOutcome::kSuccess), OutcomeName(ProbeOutcome::kFailure),
    OutcomeName(ProbeOutcome::kTimeout), OutcomeName(ProbeOutcome::kError)};
static_assert(static_cast<size_t>(ProbeOutcome::kSuccess) == 0 &&
              static_cast<size_t>(ProbeOutcome::kError) == 3);
constexpr std::array<std::string_view, 2> kStates = {"ready", "not_ready"};  // kToReady, ...

// Transitions are counted by the state they went to.
constexpr size_t kToReady = 0;
constexpr size_t kToNotReady = 1;

uint64_t Load(const std::atomic<uint64_t>& value) { return value.load(std::memory_order_relaxed); }

prometheus::MetricFamily NewFamily(std::string_view name, std::string_view help, MetricType type) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

prometheus::ClientMetric& NewMetric(prometheus::MetricFamily& family,
                                    std::initializer_list<TextFormatWriter::Label> labels) {
  prometheus::ClientMetric& metric = family.metric.emplace_back();
  for (const auto& [name, value] : labels) {
    metric.label.push_back({std::string(name), std::string(value)});
  }
  return metric;
}

}  // namespace

struct EndpointSeries::Endpoint {
  const std::string* service_name = nullptr;  // the key in services_
  Service* service = nullptr;
  std::string endpoint;
  std::string type;
  DurationHistogram* duration = nullptr;           // null when not probed
  std::array<std::atomic<uint64_t>, 4> results{};  // by ProbeOutcome
  std::atomic<bool> ready{false};
  std::array<std::atomic<uint64_t>, 2> transitions{};  // kToReady, kToNotReady
};

EndpointSeries::EndpointSeries(std::string node) : node_(std::move(node)) {}

EndpointSeries::~EndpointSeries() = default;

EndpointSeries::Endpoint* EndpointSeries::Add(uint64_t id, const std::string& service,
                                              const std::string& endpoint, const std::string& type,
                                              bool ready) {
  Remove(id);
  auto record = std::make_unique<Endpoint>();
  record->endpoint = endpoint;
  record->type = type;
  record->ready.store(ready, std::memory_order_relaxed);

  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, created] = services_.try_emplace(service);
  Service& entry = it->second;
  ++entry.endpoints;
  if (ready) entry.ready.fetch_add(1, std::memory_order_relaxed);
  record->service_name = &it->first;
  record->service = &entry;
  if (type != "none") record->duration = AcquireDuration(entry, type);
  return endpoints_.emplace(id, std::move(record)).first->second.get();
}

void EndpointSeries::Update(uint64_t id, const std::string& type) {
  auto it = endpoints_.find(id);
  if (it == endpoints_.end() || it->second->type == type) return;
  Endpoint& e = *it->second;
  std::lock_guard<std::mutex> lock(mutex_);
  if (e.duration != nullptr) ReleaseDuration(*e.service, e.type);
  e.duration = type == "none" ? nullptr : AcquireDuration(*e.service, type);
  e.type = type;
  // Series under the new type label are new series: they start from zero.
  for (std::atomic<uint64_t>& count : e.results) count.store(0, std::memory_order_relaxed);
}

void EndpointSeries::Remove(uint64_t id) {
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) return;
  Endpoint& e = *it->second;
  std::lock_guard<std::mutex> lock(mutex_);
  Service& service = *e.service;
  if (e.duration != nullptr) ReleaseDuration(service, e.type);
  if (e.ready.load(std::memory_order_relaxed)) {
    service.ready.fetch_sub(1, std::memory_order_relaxed);
  }
  const std::string service_name = *e.service_name;
  endpoints_.erase(it);
  if (--service.endpoints == 0) services_.erase(service_name);
}

void EndpointSeries::CountProbe(Endpoint& e, const ProbeResult& result) {
  if (e.duration == nullptr) return;
  e.results[static_cast<size_t>(result.outcome)].fetch_add(1, std::memory_order_relaxed);
  // An error is a probe that could not be attempted: it took no time worth showing.
  if (result.outcome != ProbeOutcome::kError) {
    e.duration->Observe(result.latency);
  }
}

void EndpointSeries::SetReady(Endpoint& e, bool ready) {
  if (e.ready.load(std::memory_order_relaxed) == ready) return;
  e.ready.store(ready, std::memory_order_relaxed);
  e.transitions[ready ? kToReady : kToNotReady].fetch_add(1, std::memory_order_relaxed);
  if (ready) {
    e.service->ready.fetch_add(1, std::memory_order_relaxed);
  } else {
    e.service->ready.fetch_sub(1, std::memory_order_relaxed);
  }
}

DurationHistogram* EndpointSeries::AcquireDuration(Service& service, const std::string& type) {
  Duration& duration = service.durations[type];
  if (duration.endpoints++ == 0) {
    duration.histogram = std::make_unique<DurationHistogram>(kDurationBuckets);
  }
  return duration.histogram.get();
}

void EndpointSeries::ReleaseDuration(Service& service, const std::string& type) {
  auto it = service.durations.find(type);
  if (it != service.durations.end() && --it->second.endpoints == 0) service.durations.erase(it);
}

void EndpointSeries::Write(TextFormatWriter& w) const {
  std::lock_guard<std::mutex> lock(mutex_);
  w.Family(kProbeTotal, kProbeTotalHelp, MetricType::Counter);
  for (const auto& [id, e] : endpoints_) {
    if (e->duration == nullptr) continue;
    for (size_t i = 0; i < kResults.size(); ++i) {
      w.Sample(kProbeTotal,
               {{"service", *e->service_name},
                {"endpoint", e->endpoint},
                {"type", e->type},
                {"result", kResults[i]}},
               Load(e->results[i]));
    }
  }
  w.Family(kDuration, kDurationHelp, MetricType::Histogram);
  for (const auto& [name, service] : services_) {
    for (const auto& [type, duration] : service.durations) {
      w.Histogram(kDuration, {{"service", name}, {"type", type}}, duration.histogram->Collect());
    }
  }
  w.Family(kReady, kReadyHelp, MetricType::Gauge);
  for (const auto& [id, e] : endpoints_) {
    w.Sample(kReady, {{"service", *e->service_name}, {"endpoint", e->endpoint}, {"node", node_}},
             uint64_t{e->ready.load(std::memory_order_relaxed) ? 1u : 0u});
  }
  w.Family(kTransitions, kTransitionsHelp, MetricType::Counter);
  for (const auto& [id, e] : endpoints_) {
    for (size_t to = 0; to < kStates.size(); ++to) {
      w.Sample(kTransitions,
               {{"service", *e->service_name}, {"endpoint", e->endpoint}, {"to", kStates[to]}},
               Load(e->transitions[to]));
    }
  }
  w.Family(kServiceEndpoints, kServiceEndpointsHelp, MetricType::Gauge);
  for (const auto& [name, service] : services_) {
    const uint64_t ready = service.ready.load(std::memory_order_relaxed);
    w.Sample(kServiceEndpoints, {{"service", name}, {"state", kStates[kToReady]}}, ready);
    w.Sample(kServiceEndpoints, {{"service", name}, {"state", kStates[kToNotReady]}},
             uint64_t{service.endpoints - ready});
  }
}

std::vector<prometheus::MetricFamily> EndpointSeries::Collect() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<prometheus::MetricFamily> families;
  families.reserve(5);  // the references below must stay valid
  prometheus::MetricFamily& total =
      families.emplace_back(NewFamily(kProbeTotal, kProbeTotalHelp, MetricType::Counter));
  prometheus::MetricFamily& duration =
      families.emplace_back(NewFamily(kDuration, kDurationHelp, MetricType::Histogram));
  prometheus::MetricFamily& ready =
      families.emplace_back(NewFamily(kReady, kReadyHelp, MetricType::Gauge));
  prometheus::MetricFamily& transitions =
      families.emplace_back(NewFamily(kTransitions, kTransitionsHelp, MetricType::Counter));
  prometheus::MetricFamily& service_endpoints =
      families.emplace_back(NewFamily(kServiceEndpoints, kServiceEndpointsHelp, MetricType::Gauge));
  for (const auto& [id, e] : endpoints_) {
    const std::string& service = *e->service_name;
    if (e->duration != nullptr) {
      for (size_t i = 0; i < kResults.size(); ++i) {
        NewMetric(total, {{"service", service},
                          {"endpoint", e->endpoint},
                          {"type", e->type},
                          {"result", kResults[i]}})
            .counter.value = static_cast<double>(Load(e->results[i]));
      }
    }
    NewMetric(ready, {{"service", service}, {"endpoint", e->endpoint}, {"node", node_}})
        .gauge.value = e->ready.load(std::memory_order_relaxed) ? 1 : 0;
    for (size_t to = 0; to < kStates.size(); ++to) {
      NewMetric(transitions, {{"service", service}, {"endpoint", e->endpoint}, {"to", kStates[to]}})
          .counter.value = static_cast<double>(Load(e->transitions[to]));
    }
  }
  for (const auto& [name, service] : services_) {
    for (const auto& [type, d] : service.durations) {
      NewMetric(duration, {{"service", name}, {"type", type}}).histogram = d.histogram->Collect();
    }
    const size_t ready_count = service.ready.load(std::memory_order_relaxed);
    NewMetric(service_endpoints, {{"service", name}, {"state", kStates[kToReady]}}).gauge.value =
        static_cast<double>(ready_count);
    NewMetric(service_endpoints, {{"service", name}, {"state", kStates[kToNotReady]}}).gauge.value =
        static_cast<double>(service.endpoints - ready_count);
  }
  return families;
}

}  // namespace vigil
