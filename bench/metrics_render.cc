// Times Metrics::Render() (what GET /metrics serves) for an agent holding N
// endpoints, as DESIGN.md budgets it: `/metrics` with 10,000 endpoints < 100 ms.
//
//   metrics_render_bench [--endpoints 10000] [--per-service 100] [--runs 20]
//
// Targets are added and probed through the ProbeObserver calls the Prober
// makes, so every per-target series exists; then Render() runs `--runs` times
// and the fastest, median and slowest are printed with the series count, and
// how much resident memory holding the series took.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "exporters/metrics/metrics.h"

namespace {

using vigil::Metrics;
using vigil::ProbeOutcome;
using vigil::ProbeResult;
using vigil::bench::Flag;
using vigil::bench::ResidentMiB;

}  // namespace

int main(int argc, char** argv) {
  const size_t endpoints = Flag(argc, argv, "--endpoints", 10000);
  const size_t per_service = std::max<size_t>(1, Flag(argc, argv, "--per-service", 100));
  const size_t runs = std::max<size_t>(1, Flag(argc, argv, "--runs", 20));

  const double rss_before = ResidentMiB();
  Metrics metrics("node-a");
  for (uint64_t id = 0; id < endpoints; ++id) {
    const std::string service = "service-" + std::to_string(id / per_service);
    const std::string endpoint = "127." + std::to_string(id / 65536 % 256) + "." +
                                 std::to_string(id / 256 % 256) + "." + std::to_string(id % 256) +
                                 ":18080";
    metrics.OnTargetAdded(id, service, endpoint, "http", false);
  }
  // Every series gets a value, as after a while of probing.
  for (int round = 0; round < 3; ++round) {
    for (uint64_t id = 0; id < endpoints; ++id) {
      ProbeResult result;
      result.outcome = (id + round) % 10 == 0 ? ProbeOutcome::kFailure : ProbeOutcome::kSuccess;
      result.latency = std::chrono::microseconds(200 + id % 5000);
      metrics.OnProbeStarted(std::chrono::microseconds(id % 3000));
      metrics.OnProbeDone(id, result);
      metrics.OnReadinessChanged(id, result.outcome == ProbeOutcome::kSuccess);
    }
  }

  const double series_mib = ResidentMiB() - rss_before;

  std::vector<double> ms;
  size_t bytes = 0;
  size_t series = 0;
  for (size_t i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::string text = metrics.Render();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    bytes = text.size();
    series = 0;
    for (size_t pos = 0; pos < text.size();) {
      const size_t end = text.find('\n', pos);
      if (text[pos] != '#') ++series;
      if (end == std::string::npos) break;
      pos = end + 1;
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "endpoints=%zu series=%zu bytes=%zu render_ms min=%.1f median=%.1f max=%.1f "
      "series_rss_mib=%.1f\n",
      endpoints, series, bytes, ms.front(), ms[ms.size() / 2], ms.back(), series_mib);
  return 0;
}
