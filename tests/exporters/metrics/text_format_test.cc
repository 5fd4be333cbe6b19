// TextFormatWriter's exact output, and EndpointSeries written by it agreeing
// with prometheus-cpp's own TextSerializer on the same collected values.
#include "exporters/metrics/text_format.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "exporters/metrics/endpoint_series.h"

namespace vigil {
namespace {

using prometheus::MetricType;

std::string Number(double value) {
  std::string out;
  TextFormatWriter::AppendNumber(out, value);
  return out;
}

TEST(MetricsTextFormatTest, Numbers) {
  EXPECT_EQ(Number(0), "0");
  EXPECT_EQ(Number(1), "1");
  EXPECT_EQ(Number(42), "42");
  EXPECT_EQ(Number(0.0025), "0.0025");
  EXPECT_EQ(Number(-1.5), "-1.5");
  EXPECT_EQ(Number(1700000000.5), "1700000000.5");
  EXPECT_EQ(Number(0.1 + 0.2), "0.30000000000000004");  // exact, not rounded
  EXPECT_EQ(Number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Number(std::nan("")), "NaN");
  EXPECT_EQ(std::stod(Number(1e-7)), 1e-7);
}

TEST(MetricsTextFormatTest, SamplesAndEscaping) {
  std::string out;
  TextFormatWriter w(&out);
  w.Family("a_total", "Help with \\ and\nnewline \"quoted\".", MetricType::Counter);
  w.Sample("a_total", {}, uint64_t{7});
  w.Sample("a_total", {{"k", "plain"}, {"", "left out"}, {"v", "a\\b\"c\nd"}}, 1.5);
  EXPECT_EQ(out,
            "# HELP a_total Help with \\\\ and\\nnewline \"quoted\".\n"
            "# TYPE a_total counter\n"
            "a_total 7\n"
            "a_total{k=\"plain\",v=\"a\\\\b\\\"c\\nd\"} 1.5\n");
}

TEST(MetricsTextFormatTest, CollectedFamilies) {
  prometheus::Registry registry;
  prometheus::BuildCounter()
      .Name("c_total")
      .Help("C.")
      .Register(registry)
      .Add({{"x", "1"}})
      .Increment(3);
  prometheus::BuildHistogram()
      .Name("h_seconds")
      .Help("H.")
      .Register(registry)
      .Add({{"s", "web"}}, prometheus::Histogram::BucketBoundaries{0.5, 1})
      .Observe(0.75);
  std::string out;
  TextFormatWriter(&out).Write(registry.Collect());
  EXPECT_EQ(out,
            "# HELP c_total C.\n"
            "# TYPE c_total counter\n"
            "c_total{x=\"1\"} 3\n"
            "# HELP h_seconds H.\n"
            "# TYPE h_seconds histogram\n"
            "h_seconds_bucket{s=\"web\",le=\"0.5\"} 0\n"
            "h_seconds_bucket{s=\"web\",le=\"1\"} 1\n"
            "h_seconds_bucket{s=\"web\",le=\"+Inf\"} 1\n"
            "h_seconds_sum{s=\"web\"} 0.75\n"
            "h_seconds_count{s=\"web\"} 1\n");
}

// Every sample of a text exposition: "name{labels}" to value; HELP and TYPE
// lines as "#HELP name" and "#TYPE name" to their text.
std::map<std::string, std::string> Parse(const std::string& text) {
  std::map<std::string, std::string> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0) {
      const size_t name_end = line.find(' ', 7);
      samples["#" + line.substr(2, name_end - 2)] = line.substr(name_end + 1);
      continue;
    }
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  return samples;
}

// The fast path (Write) and prometheus-cpp's (Collect, then TextSerializer)
// say the same thing: same series, same values, same HELP and TYPE.
TEST(MetricsTextFormatTest, EndpointSeriesWriteAgreesWithTextSerializer) {
  EndpointSeries series("node-a");
  EndpointSeries::Endpoint* endpoints[] = {series.Add(1, "web", "10.0.0.1:80", "http", false),
                                           series.Add(2, "web", "10.0.0.2:80", "http", true),
                                           series.Add(3, "api", "[fd00::1]:8080", "tcp", false),
                                           series.Add(4, "db", "10.0.1.1:5432", "none", true)};
  for (int i = 0; i < 5; ++i) {
    ProbeResult r;
    r.outcome = i % 2 == 0 ? ProbeOutcome::kSuccess : ProbeOutcome::kTimeout;
    r.latency = std::chrono::microseconds(1000 + 777 * i);
    series.CountProbe(*endpoints[i % 3], r);
  }
  series.SetReady(*endpoints[0], true);
  series.SetReady(*endpoints[1], false);

  std::string fast;
  TextFormatWriter writer(&fast);
  series.Write(writer);
  const std::map<std::string, std::string> ours = Parse(fast);
  const std::map<std::string, std::string> theirs =
      Parse(prometheus::TextSerializer().Serialize(series.Collect()));
  ASSERT_EQ(ours.size(), theirs.size()) << fast;
  for (const auto& [key, value] : theirs) {
    auto it = ours.find(key);
    ASSERT_NE(it, ours.end()) << key << "\n" << fast;
    if (key[0] == '#') {
      EXPECT_EQ(it->second, value) << key;
    } else {
      // TextSerializer rounds to 16 digits; ours is exact.
      EXPECT_NEAR(std::stod(it->second), std::stod(value), 1e-12) << key;
    }
  }
}

}  // namespace
}  // namespace vigil
