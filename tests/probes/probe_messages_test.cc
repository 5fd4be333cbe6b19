#include "probes/probe_messages.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace vigil {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(GoDurationTest, WritesDurationsAsGoDoes) {
  EXPECT_EQ(GoDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(GoDuration(nanoseconds(1)), "1ns");
  EXPECT_EQ(GoDuration(nanoseconds(999)), "999ns");
  EXPECT_EQ(GoDuration(nanoseconds(1500)), "1.5\u00b5s");
  EXPECT_EQ(GoDuration(microseconds(1250)), "1.25ms");
  EXPECT_EQ(GoDuration(milliseconds(50)), "50ms");
  EXPECT_EQ(GoDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(GoDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(GoDuration(seconds(1)), "1s");
  EXPECT_EQ(GoDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(GoDuration(nanoseconds(1'000'000'001)), "1.000000001s");
  EXPECT_EQ(GoDuration(seconds(10)), "10s");
  EXPECT_EQ(GoDuration(seconds(60)), "1m0s");
  EXPECT_EQ(GoDuration(seconds(90)), "1m30s");
  EXPECT_EQ(GoDuration(hours(1)), "1h0m0s");
  EXPECT_EQ(GoDuration(hours(1) + minutes(2) + milliseconds(3500)), "1h2m3.5s");
  EXPECT_EQ(GoDuration(hours(100)), "100h0m0s");
  EXPECT_EQ(GoDuration(-seconds(1)), "-1s");
}

TEST(ErrnoTextTest, UsesGoWording) {
  EXPECT_EQ(ErrnoText(ECONNREFUSED), "connection refused");
  EXPECT_EQ(ErrnoText(ECONNRESET), "connection reset by peer");
  EXPECT_EQ(ErrnoText(EHOSTUNREACH), "no route to host");
  EXPECT_EQ(ErrnoText(ENETUNREACH), "network is unreachable");
  EXPECT_EQ(ErrnoText(ETIMEDOUT), "connection timed out");
  EXPECT_EQ(ErrnoText(EPIPE), "broken pipe");
  EXPECT_EQ(ErrnoText(EMFILE), "too many open files");
  EXPECT_EQ(ErrnoText(123456), "errno 123456");
}

TEST(JoinHostPortTest, BracketsIpv6) {
  EXPECT_EQ(JoinHostPort("127.0.0.1", 8080), "127.0.0.1:8080");
  EXPECT_EQ(JoinHostPort("db.example", 5432), "db.example:5432");
  EXPECT_EQ(JoinHostPort("::1", 80), "[::1]:80");
  EXPECT_EQ(JoinHostPort("fd00::2", 443), "[fd00::2]:443");
}

TEST(MessagesTest, ReadLikeKubelet) {
  EXPECT_EQ(TimeoutMessage(seconds(1)), "probe timed out after 1s");
  EXPECT_EQ(TimeoutMessage(milliseconds(250)), "probe timed out after 250ms");
  EXPECT_EQ(StatusCodeMessage(503), "HTTP probe failed with statuscode: 503");
  EXPECT_EQ(DialMessage("127.0.0.9", 8080, "connection refused"),
            "dial tcp 127.0.0.9:8080: connect: connection refused");
  EXPECT_EQ(DialMessage("::1", 8080, "connection refused"),
            "dial tcp [::1]:8080: connect: connection refused");
  EXPECT_EQ(LookupMessage("db.invalid"), "dial tcp: lookup db.invalid: no such host");
  EXPECT_EQ(
      ConnectionMessage("read", "127.0.0.1:41234", "127.0.0.1:8080", "connection reset by peer"),
      "read tcp 127.0.0.1:41234->127.0.0.1:8080: read: connection reset by peer");
}

}  // namespace
}  // namespace vigil
