// TextFormatWriter: appends metrics to a string in Prometheus' text
// exposition format 0.0.4, either from prometheus-cpp's collected
// MetricFamily values or sample by sample, straight from where the values
// live.
//
// It exists for speed: prometheus-cpp's TextSerializer formats through an
// ostringstream and needs every series collected into a ClientMetric (label
// strings copied) first; for the 72,000 series of 10,000 endpoints that took
// about 100 ms, all of /metrics' budget. Numbers are written with
// std::to_chars (the shortest form that reads back exactly); HELP text and
// label values are escaped as the format requires.
//
// Not thread-safe: one writer per Render().
#pragma once

#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

class TextFormatWriter {
 public:
  using Label = std::pair<std::string_view, std::string_view>;  // name, value

  // Appends to `*out`, which must outlive the writer.
  explicit TextFormatWriter(std::string* out) : out_(*out) {}

  // The # HELP and # TYPE lines that open a family.
  void Family(std::string_view name, std::string_view help, prometheus::MetricType type);

  // One sample line: `name{labels} value`. Labels with an empty name are
  // skipped, so that callers can leave one out without building a new list.
  void Sample(std::string_view name, std::initializer_list<Label> labels, double value);
  void Sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value);
  // A histogram's series: its buckets (`le` added to `labels`), _sum and _count.
  void Histogram(std::string_view name, std::initializer_list<Label> labels,
                 const prometheus::ClientMetric::Histogram& histogram);

  // A whole collected family: its header and every series; a histogram's
  // buckets, _sum and _count, a summary's quantiles, _sum and _count.
  void Write(const prometheus::MetricFamily& family);
  void Write(const std::vector<prometheus::MetricFamily>& families);

  // Appends `value` as the format spells it: shortest exact decimal, NaN,
  // +Inf, -Inf.
  static void AppendNumber(std::string& out, double value);

 private:
  template <typename LabelList>
  void WriteHistogram(std::string_view name, const LabelList& labels,
                      const prometheus::ClientMetric::Histogram& histogram);
  void Name(std::string_view name, std::string_view suffix);
  // `{labels,extra}`, or nothing without any; labels with an empty name are
  // left out.
  template <typename LabelList>
  void Labels(const LabelList& labels, const Label& extra = {});
  void EscapedLabelValue(std::string_view value);
  void Value(double value);
  void Value(uint64_t value);

  std::string& out_;
};

}  // namespace vigil
