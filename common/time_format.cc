#include "common/time_format.h"

#include <cstdint>
#include <ctime>
#include <string_view>

namespace vigil {
namespace {

// Parses exactly `count` digits at `*pos`.
bool Digits(const std::string& text, size_t* pos, size_t count, int* value) {
  if (*pos + count > text.size()) return false;
  *value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    *value = *value * 10 + (c - '0');
  }
  *pos += count;
  return true;
}

bool Expect(const std::string& text, size_t* pos, std::string_view allowed) {
  if (*pos >= text.size() || allowed.find(text[*pos]) == std::string_view::npos) return false;
  ++*pos;
  return true;
}

}  // namespace

std::string FormatTime(WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string HumanDuration(std::chrono::seconds d) {
  const auto n = [](int64_t value, const char* unit) { return std::to_string(value) + unit; };
  const int64_t seconds = d.count();
  if (seconds < -1) return "<invalid>";  // up to 1s of clock skew reads as now
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return n(seconds, "s");
  const int64_t minutes = seconds / 60;
  if (minutes < 10)
    return seconds % 60 == 0 ? n(minutes, "m") : n(minutes, "m") + n(seconds % 60, "s");
  if (minutes < 60 * 3) return n(minutes, "m");
  const int64_t hours = minutes / 60;
  if (hours < 8) return minutes % 60 == 0 ? n(hours, "h") : n(hours, "h") + n(minutes % 60, "m");
  if (hours < 48) return n(hours, "h");
  const int64_t days = hours / 24;
  if (hours < 24 * 8) return hours % 24 == 0 ? n(days, "d") : n(days, "d") + n(hours % 24, "h");
  if (hours < 24 * 365 * 2) return n(days, "d");
  const int64_t years = days / 365;
  if (hours < 24 * 365 * 8)
    return days % 365 == 0 ? n(years, "y") : n(years, "y") + n(days % 365, "d");
  return n(years, "y");
}

Result<WallTime> ParseTime(const std::string& text) {
  const Status error =
      Status::Error("invalid time \"" + text + "\": want RFC 3339, like 2026-11-26T10:20:30Z");
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!Digits(text, &pos, 4, &year) || !Expect(text, &pos, "-") || !Digits(text, &pos, 2, &month) ||
      !Expect(text, &pos, "-") || !Digits(text, &pos, 2, &day) || !Expect(text, &pos, "Tt") ||
      !Digits(text, &pos, 2, &hour) || !Expect(text, &pos, ":") ||
      !Digits(text, &pos, 2, &minute) || !Expect(text, &pos, ":") ||
      !Digits(text, &pos, 2, &second)) {
    return error;
  }
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t scale = 100'000'000;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, scale /= 10) {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
    }
    if (pos == start) return error;
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool west = text[pos] == '-';
    ++pos;
    int offset_hours, offset_minutes;
    if (!Digits(text, &pos, 2, &offset_hours) || !Expect(text, &pos, ":") ||
        !Digits(text, &pos, 2, &offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
      return error;
    }
    offset = std::chrono::minutes(offset_hours * 60 + offset_minutes) * (west ? -1 : 1);
  } else if (!Expect(text, &pos, "Zz")) {
    return error;
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (pos != text.size() || !date.ok() || hour > 23 || minute > 59 || second > 59) return error;
  const std::chrono::sys_seconds whole = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                                         std::chrono::minutes(minute) +
                                         std::chrono::seconds(second) - offset;
  // WallTime counts nanoseconds in 64 bits: years 1678 to 2262.
  if (whole <= std::chrono::floor<std::chrono::seconds>(WallTime::min()) ||
      whole >= std::chrono::floor<std::chrono::seconds>(WallTime::max())) {
    return Status::Error("time \"" + text + "\" is out of range");
  }
  return std::chrono::time_point_cast<WallTime::duration>(whole) + fraction;
}

}  // namespace vigil
