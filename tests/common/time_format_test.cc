#include "common/time_format.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace vigil {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-26T10:20:30Z
const WallTime kTime = std::chrono::system_clock::from_time_t(1795688430);

TEST(FormatTimeTest, IsRfc3339UtcInSeconds) {
  EXPECT_EQ(FormatTime(kTime), "2026-11-26T10:20:30Z");
  EXPECT_EQ(FormatTime(kTime + std::chrono::milliseconds(999)), "2026-11-26T10:20:30Z");
}

// --- HumanDuration ----------------------------------------------------------------

TEST(HumanDurationTest, FollowsKubectlAtEveryBoundary) {
  const std::vector<std::pair<seconds, std::string>> cases = {
      {seconds(-3), "<invalid>"},
      {seconds(-2), "<invalid>"},
      {seconds(-1), "0s"},  // clock skew of up to a second reads as now
      {seconds(0), "0s"},
      {seconds(1), "1s"},
      {seconds(57), "57s"},
      {seconds(119), "119s"},
      {seconds(120), "2m"},
      {seconds(121), "2m1s"},
      {minutes(4) + seconds(30), "4m30s"},
      {minutes(9) + seconds(59), "9m59s"},
      {minutes(10), "10m"},
      {minutes(10) + seconds(59), "10m"},
      {minutes(45), "45m"},
      {hours(2) + minutes(59) + seconds(59), "179m"},
      {hours(3), "3h"},
      {hours(3) + minutes(5), "3h5m"},
      {hours(7) + minutes(59) + seconds(59), "7h59m"},
      {hours(8), "8h"},
      {hours(8) + minutes(30), "8h"},
      {hours(20), "20h"},
      {hours(47) + minutes(59), "47h"},
      {hours(48), "2d"},
      {hours(49), "2d1h"},
      {hours(24 * 3 + 4), "3d4h"},
      {hours(24 * 8) - seconds(1), "7d23h"},
      {hours(24 * 8), "8d"},
      {hours(24 * 30), "30d"},
      {hours(24 * 730) - seconds(1), "729d"},
      {hours(24 * 730), "2y"},
      {hours(24 * (730 + 30)), "2y30d"},
      {hours(24 * 365 * 8) - seconds(1), "7y364d"},
      {hours(24 * 365 * 8), "8y"},
      {hours(24 * (365 * 9 + 100)), "9y"},
  };
  for (const auto& [d, expected] : cases) {
    EXPECT_EQ(HumanDuration(d), expected) << d.count() << "s";
  }
}

// --- ParseTime ---------------------------------------------------------------------

TEST(ParseTimeTest, ReadsRfc3339) {
  const WallTime t = std::chrono::system_clock::from_time_t(1795688430);
  EXPECT_EQ(*ParseTime("2026-11-26T10:20:30Z"), t);
  EXPECT_EQ(*ParseTime("2026-11-26t10:20:30z"), t);
  EXPECT_EQ(*ParseTime("2026-11-26T10:20:30.5Z"), t + std::chrono::milliseconds(500));
  EXPECT_EQ(*ParseTime("2026-11-26T10:20:30.000001Z"), t + std::chrono::microseconds(1));
  EXPECT_EQ(*ParseTime("2026-11-26T11:20:30+01:00"), t);
  EXPECT_EQ(*ParseTime("2026-11-26T05:50:30-04:30"), t);
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:00Z"), WallTime());
  EXPECT_EQ(*ParseTime("2024-02-29T00:00:00Z"), std::chrono::system_clock::from_time_t(1709164800));
  EXPECT_EQ(*ParseTime("2026-12-31T23:59:59Z"), std::chrono::system_clock::from_time_t(1798761599));
}

TEST(ParseTimeTest, RejectsAnythingElse) {
  for (const char* bad : {"",
                          "garbage",
                          "2026-11-26",
                          "2026-11-26T10:20:30",
                          "2026-11-26 10:20:30Z",
                          " 2026-11-26T10:20:30Z",
                          "2026-11-26T10:20:30Z ",
                          "2026-11-26T10:20:30Zx",
                          "2026-1-26T10:20:30Z",
                          "2026-11-26T10:20Z",
                          "2026-11-26T10:20:30.Z",
                          "2026-11-26T10:20:30+01",
                          "2026-11-26T10:20:30+0100",
                          "2026-13-01T00:00:00Z",
                          "2026-00-01T00:00:00Z",
                          "2026-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z",
                          "2026-11-26T24:00:00Z",
                          "2026-11-26T10:60:00Z",
                          "2026-11-26T10:20:60Z",
                          "2026-11-26T10:20:30+24:00",
                          "20x6-11-26T10:20:30Z"}) {
    EXPECT_FALSE(ParseTime(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseTime("9999-12-31T23:59:59Z").status().message(),
            "time \"9999-12-31T23:59:59Z\" is out of range");
  EXPECT_FALSE(ParseTime("1600-01-01T00:00:00Z").ok());
  EXPECT_EQ(ParseTime("yesterday").status().message(),
            "invalid time \"yesterday\": want RFC 3339, like 2026-11-26T10:20:30Z");
}

}  // namespace
}  // namespace vigil
