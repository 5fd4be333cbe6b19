// Measures the StatusBoard at the sizes DESIGN.md gives it, in three parts:
//
//   board_bench [--endpoints 10000] [--per-service 100] [--batch 10] [--commits 5000]
//               [--flapping 1010] [--events 4096]
//
// put: a board of --endpoints endpoints in services of --per-service. Each
//   commit flips one endpoint in each of --batch services and puts those
//   objects, as Prober::Commit does (copies of its own objects), or objects
//   built anew from plain endpoint lists, as the cluster view does. Prints
//   the time of a commit (the copies and the Put) and of the Put alone,
//   median and p99 over --commits commits, and how long a Snapshot() (what
//   a list takes) took meanwhile on another thread.
// history: one service of --flapping endpoints, one endpoint flipping per
//   event, --events events: the heap the history keeps (mallinfo2).
// backlog: a watcher resuming from before those events takes the whole
//   stream through WatchStream (the API's encoder) batch by batch: the peak
//   heap above the start, sampled after each batch, the growth of the
//   resident high-water mark (which also sees the formatting within a
//   batch), the bytes and the time.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/watch_stream.h"
#include "bench/bench_support.h"
#include "exporters/registry/status_board.h"

namespace {

using vigil::EndpointsObject;
using vigil::EndpointStatus;
using vigil::StatusBoard;
using vigil::bench::Flag;
using Clock = std::chrono::steady_clock;

double MB(size_t bytes) { return static_cast<double>(bytes) / 1e6; }

size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
size_t ProcStatusBytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
  }
  return 0;
}

// Resets the resident high-water mark to the current resident size.
void ResetHighWaterMark() { std::ofstream("/proc/self/clear_refs") << "5"; }

EndpointsObject Service(const std::string& name, size_t endpoints, size_t first) {
  EndpointsObject object;
  object.name = name;
  object.labels = {{"app", name}, {"tier", "backend"}};
  object.ports = {{"http", 8080}};
  for (size_t i = 0; i < endpoints; ++i) {
    const size_t n = first + i;
    EndpointStatus e;
    e.address = "10." + std::to_string(n / 65536 % 256) + "." + std::to_string(n / 256 % 256) +
                "." + std::to_string(n % 256);
    e.port = 8080;
    e.node = "ip-10-" + std::to_string(n / 65536 % 256) + "-" + std::to_string(n / 256 % 256) +
             "-" + std::to_string(n % 256) + ".eu-west-1.compute.internal";
    e.conditions = {true, true, false};
    object.endpoints.push_back(e);
  }
  return object;
}

void Flip(EndpointStatus& e) {
  e.conditions.ready = e.conditions.serving = !e.conditions.ready;
  e.last_transition_time += std::chrono::seconds(1);
}

struct Times {
  std::vector<double> us;
  void Add(Clock::duration d) {
    us.push_back(std::chrono::duration<double, std::micro>(d).count());
  }
  double Median() { return Percentile(0.5); }
  double Percentile(double p) {
    std::sort(us.begin(), us.end());
    return us[std::min(us.size() - 1, static_cast<size_t>(p * static_cast<double>(us.size())))];
  }
};

void Put(size_t endpoints, size_t per_service, size_t batch, size_t commits) {
  const size_t services = std::max<size_t>(1, endpoints / per_service);
  batch = std::min(batch, services);
  StatusBoard board;
  std::vector<EndpointsObject> own;                // the prober's objects
  std::vector<std::vector<EndpointStatus>> plain;  // the cluster view's lists
  for (size_t s = 0; s < services; ++s) {
    own.push_back(Service("service-" + std::to_string(s), per_service, s * per_service));
    plain.emplace_back(own.back().endpoints.begin(), own.back().endpoints.end());
  }
  board.Put(own);
  for (const bool rebuilt : {false, true}) {
    Times commit;
    Times put;
    // A reader meanwhile, as the API's lists are: how long a snapshot waits.
    std::atomic<bool> done{false};
    Times snapshot;
    std::thread reader([&] {
      while (!done) {
        const auto start = Clock::now();
        const vigil::BoardSnapshot taken = board.Snapshot();
        snapshot.Add(Clock::now() - start);
      }
    });
    for (size_t c = 0; c < commits; ++c) {
      const auto start = Clock::now();
      std::vector<EndpointsObject> changed;
      changed.reserve(batch);
      for (size_t k = 0; k < batch; ++k) {
        const size_t s = (c * batch + k) % services;
        const size_t i = (c * 7919 + k) % per_service;
        if (rebuilt) {
          Flip(plain[s][i]);
          EndpointsObject fresh;
          fresh.name = own[s].name;
          fresh.labels = own[s].labels;
          fresh.ports = own[s].ports;
          fresh.creation_time = own[s].creation_time;
          fresh.endpoints = plain[s];
          changed.push_back(std::move(fresh));
        } else {
          Flip(own[s].endpoints[i]);
          changed.push_back(own[s]);
        }
      }
      const auto copied = Clock::now();
      board.Put(std::move(changed));
      const auto end = Clock::now();
      commit.Add(end - start);
      put.Add(end - copied);
    }
    done = true;
    reader.join();
    std::printf(
        "put%s: endpoints=%zu services=%zu batch=%zu commits=%zu commit_us median=%.1f "
        "p99=%.1f put_us median=%.1f p99=%.1f snapshot_us median=%.1f p99=%.1f\n",
        rebuilt ? "_rebuilt" : "", services * per_service, services, batch, commits,
        commit.Median(), commit.Percentile(0.99), put.Median(), put.Percentile(0.99),
        snapshot.Median(), snapshot.Percentile(0.99));
  }
}

void HistoryAndBacklog(size_t endpoints, size_t events) {
  StatusBoard board;
  EndpointsObject object = Service("web", endpoints, 0);
  board.Put({object});
  const uint64_t since = board.resource_version();
  const size_t before = HeapInUse();
  const auto start = Clock::now();
  for (size_t i = 0; i < events; ++i) {
    Flip(object.endpoints[(i * 37) % endpoints]);
    board.Put({object});
  }
  const double put_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::printf("history: endpoints=%zu events=%zu kept_mb=%.1f put_ms_total=%.1f\n", endpoints,
              events, MB(HeapInUse() - before), put_ms);

  vigil::WatchStream stream(board, board, vigil::WatchKind::kEndpoints, "", std::nullopt,
                            vigil::LabelSelector(), since);
  ResetHighWaterMark();
  const size_t rss_start = ProcStatusBytes("VmRSS");
  const size_t heap_start = HeapInUse();
  size_t peak = heap_start;
  size_t bytes = 0;
  size_t lines = 0;
  size_t batches = 0;
  const auto watch_start = Clock::now();
  while (true) {
    const std::vector<std::string> batch = stream.Take();
    peak = std::max(peak, HeapInUse());
    if (batch.empty()) break;
    ++batches;
    lines += batch.size();
    for (const std::string& line : batch) bytes += line.size();
  }
  const double watch_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - watch_start).count();
  const size_t hwm = ProcStatusBytes("VmHWM");
  std::printf(
      "backlog: events=%zu batches=%zu stream_mb=%.1f peak_heap_mb=%.1f peak_rss_growth_mb=%.1f "
      "ms=%.0f\n",
      lines, batches, MB(bytes), MB(peak - heap_start), MB(hwm > rss_start ? hwm - rss_start : 0),
      watch_ms);
}

}  // namespace

int main(int argc, char** argv) {
  Put(Flag(argc, argv, "--endpoints", 10000),
      std::max<size_t>(1, Flag(argc, argv, "--per-service", 100)),
      std::max<size_t>(1, Flag(argc, argv, "--batch", 10)),
      std::max<size_t>(1, Flag(argc, argv, "--commits", 5000)));
  HistoryAndBacklog(std::max<size_t>(1, Flag(argc, argv, "--flapping", 1010)),
                    std::max<size_t>(1, Flag(argc, argv, "--events", 4096)));
  return 0;
}
