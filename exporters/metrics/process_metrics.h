// ProcessMetrics: the standard process_* metrics of a process, named and
// computed as Prometheus' Go client does, read from procfs at each Collect():
//
//   process_cpu_seconds_total      utime + stime of /proc/PID/stat
//   process_resident_memory_bytes  rss pages of /proc/PID/stat × page size
//   process_virtual_memory_bytes   vsize of /proc/PID/stat
//   process_start_time_seconds     btime of /proc/stat + starttime of /proc/PID/stat
//   process_open_fds               entries of /proc/PID/fd
//   process_max_fds                the soft "Max open files" of /proc/PID/limits
//
// A metric whose file cannot be read or parsed is left out of that scrape;
// nothing throws. Stateless after construction, so thread-safe.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace vigil {

class ProcessMetrics final : public prometheus::Collectable {
 public:
  // `proc` is where procfs is mounted and `pid` the process to describe;
  // the defaults describe the calling process.
  explicit ProcessMetrics(std::string proc = "/proc", std::string pid = "self");

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string proc_;
  const std::string dir_;  // proc_/pid
  const long ticks_per_second_;
  const long page_size_;
};

}  // namespace vigil
