// HttpSession against real servers on loopback: a well-behaved one, and
// raw TCP servers that misbehave on purpose (tests/support/).
#include "common/http_session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "tests/support/host.h"
#include "tests/support/hostile_etcd.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using Failure = HttpSession::Failure;
using testing::RawTcpServer;
using SteadyClock = std::chrono::steady_clock;

std::string Url(int port) { return "http://127.0.0.1:" + std::to_string(port) + "/"; }

struct Got {
  HttpSession::Outcome outcome;
  std::string body;
};

Got Get(HttpSession& session, const std::string& url, uint64_t max_body_bytes = 0,
        std::chrono::milliseconds timeout = 5s) {
  Got got;
  HttpSession::Request request;
  request.url = url;
  request.connect_timeout = 1s;
  request.timeout = timeout;
  request.max_body_bytes = max_body_bytes;
  request.on_body = [&](int, std::string_view data) {
    got.body.append(data);
    return true;
  };
  got.outcome = session.Perform(request);
  return got;
}

TEST(HttpSessionTest, GetsAnAnswerAndItsStatusTwiceOverOneSession) {
  testing::TestHttpServer server;
  server.SetStatus("/down", 503);
  HttpSession session;
  Got ok = Get(session, Url(server.port()) + "up");
  ASSERT_TRUE(ok.outcome.ok()) << ok.outcome.error;
  EXPECT_EQ(ok.outcome.http_status, 200);
  EXPECT_EQ(ok.outcome.body_bytes, ok.body.size());
  Got down = Get(session, Url(server.port()) + "down");
  ASSERT_TRUE(down.outcome.ok()) << down.outcome.error;
  EXPECT_EQ(down.outcome.http_status, 503);
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(HttpSessionTest, OnlyHttpUrlsAreTaken) {
  EXPECT_TRUE(HttpSession::ValidUrl("http://127.0.0.1:2379"));
  EXPECT_TRUE(HttpSession::ValidUrl("https://etcd.example:2379/"));
  EXPECT_TRUE(HttpSession::ValidUrl("http://[::1]:2379"));
  for (const char* bad : {"not a url", "ftp://x:1", "file:///etc/passwd", "127.0.0.1:2379",
                          "http://", "gopher://x"}) {
    EXPECT_FALSE(HttpSession::ValidUrl(bad)) << bad;
    HttpSession session;
    EXPECT_EQ(Get(session, bad).outcome.failure, Failure::kBadUrl) << bad;
  }
}

TEST(HttpSessionTest, ARefusedConnectionAndASilentServerAreToldApart) {
  HttpSession session;
  EXPECT_EQ(Get(session, Url(testing::FreeLoopbackPort())).outcome.failure,
            Failure::kCannotConnect);

  RawTcpServer silent(RawTcpServer::Behavior::kNeverAnswer);
  const auto started = SteadyClock::now();
  const Got got = Get(session, Url(silent.port()), 0, 300ms);
  EXPECT_EQ(got.outcome.failure, Failure::kTimeout) << got.outcome.error;
  EXPECT_LT(SteadyClock::now() - started, 2s);
}

TEST(HttpSessionTest, WakeEndsARequestInFlightAtOnce) {
  RawTcpServer silent(RawTcpServer::Behavior::kNeverAnswer);
  HttpSession session;
  std::atomic<bool> stop{false};
  std::atomic<int> asked{0};
  HttpSession::Request request;
  request.url = Url(silent.port());
  request.tick = std::chrono::minutes(1);  // only Wake can end it
  request.keep_going = [&] {
    ++asked;
    return !stop.load();
  };
  SteadyClock::time_point woken;
  std::thread waker([&] {
    // Connected, the request sent, and asked again: it waits for its answer.
    testing::WaitUntil([&] { return silent.accepted() > 0 && asked >= 3; }, 5s);
    woken = SteadyClock::now();
    stop = true;
    session.Wake();
  });
  const HttpSession::Outcome outcome = session.Perform(request);
  const auto took = SteadyClock::now() - woken;
  waker.join();
  EXPECT_EQ(outcome.failure, Failure::kStopped);
  std::cout << "Perform returned "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count()
            << " us after Wake\n";
  EXPECT_LT(took, 100ms) << std::chrono::duration_cast<std::chrono::microseconds>(took).count()
                         << " us";
}

TEST(HttpSessionTest, AnswersThatAreNotHttpAreSaidSo) {
  RawTcpServer ssh(RawTcpServer::Behavior::kNotHttp);
  HttpSession session;
  EXPECT_EQ(Get(session, Url(ssh.port())).outcome.failure, Failure::kNotHttp);
}

TEST(HttpSessionTest, AHugeStatusLineOrHeaderIsRefused) {
  RawTcpServer status(RawTcpServer::Behavior::kHugeStatusLine);  // 32 KiB
  HttpSession session;
  Got got = Get(session, Url(status.port()));
  EXPECT_EQ(got.outcome.failure, Failure::kHeaderTooLarge) << got.outcome.error;
  EXPECT_EQ(got.body, "");

  testing::HostileEtcd header(testing::FreeLoopbackPort());  // 1 MiB
  header.Set(testing::HostileEtcd::Attack::kHugeHeader, "");
  got = Get(session, Url(header.port()));
  EXPECT_EQ(got.outcome.failure, Failure::kHeaderTooLarge) << got.outcome.error;
}

TEST(HttpSessionTest, ABodyOverTheCapIsRefusedWithOrWithoutALength) {
  HttpSession session;
  RawTcpServer huge(RawTcpServer::Behavior::kHugeBody);  // 50 MiB, with Content-Length
  Got got = Get(session, Url(huge.port()), 1024 * 1024);
  EXPECT_EQ(got.outcome.failure, Failure::kBodyTooLarge) << got.outcome.error;
  EXPECT_EQ(got.body.size(), 0u);  // refused on its Content-Length

  RawTcpServer endless(RawTcpServer::Behavior::kEndlessBody);
  got = Get(session, Url(endless.port()), 4 * 1024 * 1024);
  EXPECT_EQ(got.outcome.failure, Failure::kBodyTooLarge) << got.outcome.error;
  EXPECT_LE(got.body.size(), 4u * 1024 * 1024);
  EXPECT_GT(got.body.size(), 3u * 1024 * 1024);
}

TEST(HttpSessionTest, TheReaderCanStopTheBody) {
  RawTcpServer endless(RawTcpServer::Behavior::kEndlessBody);
  HttpSession session;
  HttpSession::Request request;
  request.url = Url(endless.port());
  uint64_t seen = 0;
  request.on_body = [&](int status, std::string_view data) {
    EXPECT_EQ(status, 200);
    seen += data.size();
    return seen < 1024 * 1024;
  };
  EXPECT_EQ(session.Perform(request).failure, Failure::kStopped);
  EXPECT_GE(seen, 1024u * 1024);
}

}  // namespace
}  // namespace vigil
