#include "exporters/metrics/text_format.h"

#include <charconv>
#include <cmath>

namespace vigil {
namespace {

std::string_view TypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Summary:
      return "summary";
    case prometheus::MetricType::Histogram:
      return "histogram";
    case prometheus::MetricType::Untyped:
      break;
  }
  return "untyped";
}

std::string_view LabelName(const TextFormatWriter::Label& label) { return label.first; }
std::string_view LabelValue(const TextFormatWriter::Label& label) { return label.second; }
std::string_view LabelName(const prometheus::ClientMetric::Label& label) { return label.name; }
std::string_view LabelValue(const prometheus::ClientMetric::Label& label) { return label.value; }

}  // namespace

void TextFormatWriter::AppendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, r.ptr);
  }
}

void TextFormatWriter::Family(std::string_view name, std::string_view help,
                              prometheus::MetricType type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  for (char c : help) {
    if (c == '\\') {
      out_ += "\\\\";
    } else if (c == '\n') {
      out_ += "\\n";
    } else {
      out_ += c;
    }
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += TypeName(type);
  out_ += '\n';
}

void TextFormatWriter::Sample(std::string_view name, std::initializer_list<Label> labels,
                              double value) {
  Name(name, {});
  Labels(labels);
  Value(value);
}

void TextFormatWriter::Sample(std::string_view name, std::initializer_list<Label> labels,
                              uint64_t value) {
  Name(name, {});
  Labels(labels);
  Value(value);
}

void TextFormatWriter::Histogram(std::string_view name, std::initializer_list<Label> labels,
                                 const prometheus::ClientMetric::Histogram& histogram) {
  WriteHistogram(name, labels, histogram);
}

void TextFormatWriter::Write(const std::vector<prometheus::MetricFamily>& families) {
  for (const prometheus::MetricFamily& family : families) Write(family);
}

void TextFormatWriter::Write(const prometheus::MetricFamily& family) {
  Family(family.name, family.help, family.type);
  for (const prometheus::ClientMetric& metric : family.metric) {
    switch (family.type) {
      case prometheus::MetricType::Counter:
        Name(family.name, {});
        Labels(metric.label);
        Value(metric.counter.value);
        break;
      case prometheus::MetricType::Gauge:
        Name(family.name, {});
        Labels(metric.label);
        Value(metric.gauge.value);
        break;
      case prometheus::MetricType::Untyped:
        Name(family.name, {});
        Labels(metric.label);
        Value(metric.untyped.value);
        break;
      case prometheus::MetricType::Histogram:
        WriteHistogram(family.name, metric.label, metric.histogram);
        break;
      case prometheus::MetricType::Summary: {
        std::string quantile;
        for (const prometheus::ClientMetric::Quantile& q : metric.summary.quantile) {
          quantile.clear();
          AppendNumber(quantile, q.quantile);
          Name(family.name, {});
          Labels(metric.label, {"quantile", quantile});
          Value(q.value);
        }
        Name(family.name, "_sum");
        Labels(metric.label);
        Value(metric.summary.sample_sum);
        Name(family.name, "_count");
        Labels(metric.label);
        Value(metric.summary.sample_count);
        break;
      }
    }
  }
}

template <typename LabelList>
void TextFormatWriter::WriteHistogram(std::string_view name, const LabelList& labels,
                                      const prometheus::ClientMetric::Histogram& histogram) {
  std::string le;
  for (const prometheus::ClientMetric::Bucket& bucket : histogram.bucket) {
    le.clear();
    AppendNumber(le, bucket.upper_bound);
    Name(name, "_bucket");
    Labels(labels, {"le", le});
    Value(bucket.cumulative_count);
  }
  Name(name, "_sum");
  Labels(labels);
  Value(histogram.sample_sum);
  Name(name, "_count");
  Labels(labels);
  Value(histogram.sample_count);
}

void TextFormatWriter::Name(std::string_view name, std::string_view suffix) {
  out_ += name;
  out_ += suffix;
}

template <typename LabelList>
void TextFormatWriter::Labels(const LabelList& labels, const Label& extra) {
  char separator = '{';
  const auto append = [&](std::string_view name, std::string_view value) {
    if (name.empty()) return;
    out_ += separator;
    out_ += name;
    out_ += "=\"";
    EscapedLabelValue(value);
    out_ += '"';
    separator = ',';
  };
  for (const auto& label : labels) append(LabelName(label), LabelValue(label));
  append(extra.first, extra.second);
  if (separator == ',') out_ += '}';
}

void TextFormatWriter::EscapedLabelValue(std::string_view value) {
  // Most values need no escaping: append them in runs.
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out_.append(value.data() + start, i - start);
    out_ += c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\";
    start = i + 1;
  }
  out_.append(value.data() + start, value.size() - start);
}

void TextFormatWriter::Value(double value) {
  out_ += ' ';
  AppendNumber(out_, value);
  out_ += '\n';
}

void TextFormatWriter::Value(uint64_t value) {
  char buffer[24];
  const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof buffer, value);
  out_ += ' ';
  out_.append(buffer, r.ptr);
  out_ += '\n';
}

}  // namespace vigil
