#include "exporters/metrics/process_metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <optional>
#include <string_view>

namespace vigil {
namespace {

// The whole of a (small, procfs) file, or nullopt when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) content.append(buffer, n);
  ::close(fd);
  if (n < 0) return std::nullopt;
  return content;
}

std::optional<uint64_t> ParseUnsigned(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The whitespace-separated words of `text`.
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (true) {
    pos = text.find_first_not_of(" \t\n", pos);
    if (pos == std::string_view::npos) break;
    const size_t end = std::min(text.find_first_of(" \t\n", pos), text.size());
    words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

// The fields of /proc/PID/stat we use. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses: fields are counted
// from after its last ')'.
struct Stat {
  uint64_t utime = 0;      // field 14, clock ticks
  uint64_t stime = 0;      // field 15
  uint64_t starttime = 0;  // field 22, clock ticks after boot
  uint64_t vsize = 0;      // field 23, bytes
  uint64_t rss = 0;        // field 24, pages
};

std::optional<Stat> ParseStat(std::string_view text) {
  const size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  const std::vector<std::string_view> words = Words(text.substr(paren + 1));
  // words[0] is field 3.
  const auto field = [&](size_t n) -> std::optional<uint64_t> {
    if (n - 3 >= words.size()) return std::nullopt;
    return ParseUnsigned(words[n - 3]);
  };
  const auto utime = field(14), stime = field(15), start = field(22), vsize = field(23),
             rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return Stat{*utime, *stime, *start, *vsize, *rss};
}

// The value after `key` on the line of `text` that starts with it.
std::optional<std::string_view> LineValue(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    if (line.substr(0, key.size()) == key) {
      const std::vector<std::string_view> words = Words(line.substr(key.size()));
      if (words.empty()) return std::nullopt;
      return words.front();
    }
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<uint64_t> CountOpenFds(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  uint64_t count = 0;
  while (const dirent* entry = ::readdir(d)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(d);
  return count;
}

void Add(std::vector<prometheus::MetricFamily>& families, const char* name, const char* help,
         prometheus::MetricType type, double value) {
  prometheus::MetricFamily& family = families.emplace_back();
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric& metric = family.metric.emplace_back();
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
}

}  // namespace

ProcessMetrics::ProcessMetrics(std::string proc, std::string pid)
    : proc_(std::move(proc)),
      dir_(proc_ + "/" + pid),
      ticks_per_second_(::sysconf(_SC_CLK_TCK)),
      page_size_(::sysconf(_SC_PAGESIZE)) {}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  std::optional<Stat> stat;
  if (std::optional<std::string> text = ReadFile(dir_ + "/stat")) stat = ParseStat(*text);
  const double ticks = static_cast<double>(ticks_per_second_);
  if (stat && ticks_per_second_ > 0) {
    Add(families, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
        MetricType::Counter, static_cast<double>(stat->utime + stat->stime) / ticks);
  }
  if (std::optional<uint64_t> fds = CountOpenFds(dir_ + "/fd")) {
    Add(families, "process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
        static_cast<double>(*fds));
  }
  if (std::optional<std::string> limits = ReadFile(dir_ + "/limits")) {
    if (std::optional<std::string_view> soft = LineValue(*limits, "Max open files")) {
      // "unlimited" has no number to show.
      if (std::optional<uint64_t> max = ParseUnsigned(*soft)) {
        Add(families, "process_max_fds", "Maximum number of open file descriptors.",
            MetricType::Gauge, static_cast<double>(*max));
      }
    }
  }
  if (stat) {
    Add(families, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
        MetricType::Gauge, static_cast<double>(stat->vsize));
  }
  if (stat && page_size_ > 0) {
    Add(families, "process_resident_memory_bytes", "Resident memory size in bytes.",
        MetricType::Gauge, static_cast<double>(stat->rss) * static_cast<double>(page_size_));
  }
  if (stat && ticks_per_second_ > 0) {
    if (std::optional<std::string> text = ReadFile(proc_ + "/stat")) {
      if (std::optional<std::string_view> btime = LineValue(*text, "btime ")) {
        if (std::optional<uint64_t> boot = ParseUnsigned(*btime)) {
          Add(families, "process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
              static_cast<double>(*boot) + static_cast<double>(stat->starttime) / ticks);
        }
      }
    }
  }
  return families;
}

}  // namespace vigil
