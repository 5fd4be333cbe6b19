// ProcessMetrics on a procfs laid out in a temporary directory, and on the
// real /proc.
#include "exporters/metrics/process_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace vigil {
namespace {

namespace fs = std::filesystem;

// The collected metrics by name: their single value.
std::map<std::string, double> Values(const ProcessMetrics& metrics) {
  std::map<std::string, double> values;
  for (const prometheus::MetricFamily& family : metrics.Collect()) {
    EXPECT_EQ(family.metric.size(), 1u) << family.name;
    const prometheus::ClientMetric& m = family.metric.at(0);
    values[family.name] =
        family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return values;
}

class ProcessMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("vigil-proc-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_ / "42" / "fd");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const fs::path& relative, const std::string& content) {
    std::ofstream(root_ / relative) << content;
  }

  // A /proc/PID/stat line: comm with spaces and parentheses; utime 250,
  // stime 150, starttime 12345, vsize 104857600, rss 2560 pages.
  static std::string Stat() {
    return "42 (vigil (agent) x) S 1 42 42 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 4 0 12345 "
           "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  }

  static std::string Limits(const std::string& soft) {
    return "Limit                     Soft Limit           Hard Limit           Units     \n"
           "Max cpu time              unlimited            unlimited            seconds   \n"
           "Max open files            " +
           soft +
           "                 524288               files     \n"
           "Max locked memory         8388608              8388608              bytes     \n";
  }

  fs::path root_;
};

TEST_F(ProcessMetricsTest, ReadsEveryMetric) {
  Write("42/stat", Stat());
  Write("stat", "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 12 0 1\nctxt 99\nbtime 1700000000\n");
  Write("42/limits", Limits("1024"));
  for (const char* fd : {"0", "1", "2", "7"}) Write(fs::path("42/fd") / fd, "");

  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const std::map<std::string, double> values = Values(ProcessMetrics(root_.string(), "42"));
  EXPECT_DOUBLE_EQ(values.at("process_cpu_seconds_total"), 400 / ticks);
  EXPECT_DOUBLE_EQ(values.at("process_open_fds"), 4);
  EXPECT_DOUBLE_EQ(values.at("process_max_fds"), 1024);
  EXPECT_DOUBLE_EQ(values.at("process_virtual_memory_bytes"), 104857600);
  EXPECT_DOUBLE_EQ(values.at("process_resident_memory_bytes"), 2560 * page);
  EXPECT_DOUBLE_EQ(values.at("process_start_time_seconds"), 1700000000 + 12345 / ticks);
  EXPECT_EQ(values.size(), 6u);
}

TEST_F(ProcessMetricsTest, TypesAndHelpAreTheStandardOnes) {
  Write("42/stat", Stat());
  Write("stat", "btime 1700000000\n");
  Write("42/limits", Limits("1024"));
  for (const prometheus::MetricFamily& family : ProcessMetrics(root_.string(), "42").Collect()) {
    EXPECT_FALSE(family.help.empty()) << family.name;
    EXPECT_EQ(family.type, family.name == "process_cpu_seconds_total"
                               ? prometheus::MetricType::Counter
                               : prometheus::MetricType::Gauge)
        << family.name;
  }
}

TEST_F(ProcessMetricsTest, WhatCannotBeReadIsLeftOut) {
  // Only the fd directory exists.
  std::map<std::string, double> values = Values(ProcessMetrics(root_.string(), "42"));
  EXPECT_EQ(values.size(), 1u);
  EXPECT_EQ(values.count("process_open_fds"), 1u);

  // A stat line cut short, btime missing, no soft limit.
  Write("42/stat", "42 (vigil) S 1 42 42 0 -1 4194560 1000\n");
  Write("stat", "cpu  1 2 3 4\n");
  Write("42/limits", Limits("unlimited"));
  values = Values(ProcessMetrics(root_.string(), "42"));
  EXPECT_EQ(values.size(), 1u);

  // A whole stat but no btime: everything but the start time.
  Write("42/stat", Stat());
  values = Values(ProcessMetrics(root_.string(), "42"));
  EXPECT_EQ(values.count("process_start_time_seconds"), 0u);
  EXPECT_EQ(values.count("process_cpu_seconds_total"), 1u);

  // Garbage where numbers should be.
  Write("42/stat", "42 (vigil) S 1 42 42 0 -1 4194560 1000 0 0 0 x y 0 0 20 0 4 0 z v r\n");
  values = Values(ProcessMetrics(root_.string(), "42"));
  EXPECT_EQ(values.count("process_cpu_seconds_total"), 0u);

  // No procfs at all.
  EXPECT_TRUE(ProcessMetrics((root_ / "nowhere").string()).Collect().empty());
}

TEST(ProcessMetricsSelfTest, DescribesThisProcess) {
  const std::map<std::string, double> values = Values(ProcessMetrics());
  EXPECT_EQ(values.size(), 6u);
  EXPECT_GT(values.at("process_open_fds"), 2);
  EXPECT_GT(values.at("process_resident_memory_bytes"), 0);
}

}  // namespace
}  // namespace vigil
