// Attacks on a live agent's API (the real `vigil agent` binary), each bounded
// in size and time: slow, idle and keep-alive clients by the hundred, watch
// floods, hostile heads and bodies, pipelines, stops during busy streams and
// slow reloads. Each asserts survival: the agent alive, /healthz answering in
// under a second throughout, its memory under a stated bound, and the right
// answer.
//
// The agent's memory is capped so that a regression cannot take the machine
// down: with `prlimit --as`, or, in an AddressSanitizer build (whose shadow
// memory takes terabytes of address space), with ASan's hard_rss_limit_mb.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/e2e/process.h"
#include "tests/support/host.h"
#include "tests/support/raw_http_client.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::HttpGet;
using testing::RawHttpConnection;
using testing::RawHttpResponse;
using testing::WaitUntil;
using Clock = std::chrono::steady_clock;

const std::string kVigil = VIGIL_BINARY;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
// ASan's shadow memory and allocator metadata come on top of the agent's.
constexpr double kRssBoundMib = 250;
#else
constexpr bool kAsan = false;
constexpr double kRssBoundMib = 120;
#endif
// What the agent may take at most: it is killed beyond (the test fails).
constexpr int kMemoryCapMib = 1024;

double Milliseconds(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double RssMib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  }
  return 0;
}

double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 0; i < 13 && fields >> field; ++i) {
    if (i == 11 || i == 12) ticks += std::stol(field);  // utime, stime
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// GET `target` on a fresh connection: the answer, or nullopt after 1 s.
std::optional<RawHttpResponse> GetOnce(int port, const std::string& target,
                                       milliseconds timeout = seconds(1)) {
  RawHttpConnection c("127.0.0.1", port);
  if (!c.valid() || !c.Send(HttpGet(target), timeout)) return std::nullopt;
  return c.ReadResponse(timeout);
}

// Asks /healthz every 50 ms on a fresh connection while an attack runs, and
// samples the agent's memory: the slowest answer, the failures, the peak.
class HealthWatch {
 public:
  struct Report {
    int probes = 0;
    int failures = 0;
    double slowest_ms = 0;
    double peak_rss_mib = 0;
  };

  HealthWatch(int port, pid_t pid) : port_(port), pid_(pid), thread_([this] { Run(); }) {}
  ~HealthWatch() { Stop(); }

  // Stops once at least three probes ran (an attack may be over sooner).
  Report Stop() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, seconds(5), [&] { return report_.probes >= 3 || !thread_.joinable(); });
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    return report_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      lock.unlock();
      const auto start = Clock::now();
      const auto answer = GetOnce(port_, "/healthz");
      const double ms = Milliseconds(Clock::now() - start);
      const double rss = RssMib(pid_);
      lock.lock();
      ++report_.probes;
      wake_.notify_all();
      if (!answer || answer->status != 200) ++report_.failures;
      report_.slowest_ms = std::max(report_.slowest_ms, ms);
      report_.peak_rss_mib = std::max(report_.peak_rss_mib, rss);
      wake_.wait_for(lock, milliseconds(50), [&] { return stop_; });  // the probing pace
    }
  }

  const int port_;
  const pid_t pid_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  Report report_;
  std::thread thread_;
};

class ApiAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Hundreds of connections in this process, thousands in the agent
    // (which inherits the limit).
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);

    dir_ = e2e::MakeTempDir();
    config_ = dir_ + "/vigil.yaml";
    target_.SetStatus("/ready", 200);
    // web: one endpoint probed every 50 ms; db: 100 endpoints without a
    // probe (ready at once), so that lists and /metrics have some size.
    std::string db;
    for (int i = 1; i <= 100; ++i)
      db += (i > 1 ? ", " : "") + ("10.0.1." + std::to_string(i) + ":5432");
    e2e::WriteFile(config_,
                   "listen: 127.0.0.1:0\nservices:\n"
                   "  - name: web\n"
                   "    ports: [{name: http, port: " +
                       std::to_string(target_.port()) +
                       "}]\n"
                       "    endpoints: [127.0.0.1]\n"
                       "    readinessProbe:\n"
                       "      httpGet: {path: /ready, port: http}\n"
                       "      periodSeconds: 0.05\n"
                       "      failureThreshold: 1\n"
                       "  - name: db\n"
                       "    endpoints: [" +
                       db + "]\n");
    std::vector<std::string> argv;
    if (kAsan) {
      const char* inherited = std::getenv("ASAN_OPTIONS");
      argv = {"/usr/bin/env", "ASAN_OPTIONS=" + std::string(inherited ? inherited : "") +
                                  ":hard_rss_limit_mb=" + std::to_string(kMemoryCapMib) +
                                  ":quarantine_size_mb=32"};
    } else {
      argv = {"/usr/bin/prlimit", "--as=" + std::to_string(kMemoryCapMib * 1024LL * 1024), "--"};
    }
    for (const std::string& a : {kVigil, std::string("agent"), std::string("--config"), config_,
                                 std::string("--node"), std::string("n1")}) {
      argv.push_back(a);
    }
    agent_ = std::make_unique<e2e::Process>(argv);
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::string log = agent_->Stderr();
          port_ = e2e::ApiPort(log);
          return port_ != 0 && log.find("web 127.0.0.1:" + std::to_string(target_.port()) +
                                        " ready") != std::string::npos;
        },
        seconds(20)))
        << agent_->Stderr();
  }

  void TearDown() override {
    agent_->Signal(SIGKILL);
    agent_->Wait(seconds(5));
    std::filesystem::remove_all(dir_);
  }

  // The agent survived: alive, and /healthz answered within a second at
  // every probe of `report`, with its memory under the bound.
  void ExpectSurvived(const HealthWatch::Report& report) {
    EXPECT_EQ(agent_->Wait(milliseconds(0)), std::nullopt) << "the agent died\n"
                                                           << agent_->Stderr();
    EXPECT_GE(report.probes, 3);
    EXPECT_EQ(report.failures, 0) << "of " << report.probes << " /healthz";
    EXPECT_LT(report.slowest_ms, 1000);
    EXPECT_LT(report.peak_rss_mib, kRssBoundMib);
    RecordProperty("healthz_slowest_ms", std::to_string(report.slowest_ms));
    RecordProperty("peak_rss_mib", std::to_string(report.peak_rss_mib));
    std::cout << "/healthz: " << report.probes << " probes, slowest " << report.slowest_ms
              << " ms, " << report.failures << " failed; peak RSS " << report.peak_rss_mib
              << " MiB\n";
  }

  // Connections `count`, each its own client.
  std::vector<RawHttpConnection> Open(int count) {
    std::vector<RawHttpConnection> out;
    for (int i = 0; i < count; ++i) {
      out.emplace_back("127.0.0.1", port_);
      EXPECT_TRUE(out.back().valid()) << i;
    }
    return out;
  }

  // Holds each connection until the server closes it, trickling `head` one
  // byte every `pace`, for at most `limit`; returns how long each lived.
  static std::vector<double> TrickleUntilClosed(std::vector<RawHttpConnection>& conns,
                                                const std::string& head, milliseconds pace,
                                                milliseconds limit) {
    const auto start = Clock::now();
    std::vector<double> lived(conns.size(), -1);
    size_t sent = 0;
    auto next_byte = start;
    while (Clock::now() - start < limit) {
      if (!head.empty() && Clock::now() >= next_byte && sent < head.size()) {
        for (size_t i = 0; i < conns.size(); ++i) {
          if (lived[i] < 0) conns[i].Send(std::string(1, head[sent]), milliseconds(100));
        }
        ++sent;
        next_byte += pace;
      }
      size_t open = 0;
      for (size_t i = 0; i < conns.size(); ++i) {
        if (lived[i] >= 0) continue;
        if (conns[i].WaitForClose(milliseconds(0))) {
          lived[i] = Milliseconds(Clock::now() - start);
        } else {
          ++open;
        }
      }
      if (open == 0) break;
      std::this_thread::sleep_for(milliseconds(20));  // the polling pace
    }
    return lived;
  }

  testing::TestHttpServer target_;
  std::string dir_;
  std::string config_;
  int port_ = 0;
  std::unique_ptr<e2e::Process> agent_;
};

// 300 slowloris connections, one byte every 4.5 s (the attack that held
// cpp-httplib's 80 threads): each is cut at the 5 s head deadline.
TEST_F(ApiAttackTest, SlowlorisConnectionsAreCutAtTheHeadDeadline) {
  auto conns = Open(300);
  HealthWatch health(port_, agent_->pid());
  const std::vector<double> lived = TrickleUntilClosed(
      conns, "GET /vigil/v1/endpoints HTTP/1.1\r\nHost: x\r\n", milliseconds(4500), seconds(10));
  ExpectSurvived(health.Stop());
  const double longest = *std::max_element(lived.begin(), lived.end());
  const double shortest = *std::min_element(lived.begin(), lived.end());
  EXPECT_GE(shortest, 0) << "a slowloris connection outlived the test";
  EXPECT_GE(shortest, 4000);
  EXPECT_LT(longest, 6500);
  std::cout << "slowloris connections lived " << shortest << " to " << longest << " ms\n";
}

// 400 connections that never send a byte: closed at the head deadline.
TEST_F(ApiAttackTest, IdleConnectionsAreClosed) {
  auto conns = Open(400);
  HealthWatch health(port_, agent_->pid());
  const std::vector<double> lived = TrickleUntilClosed(conns, "", milliseconds(0), seconds(10));
  ExpectSurvived(health.Stop());
  const double longest = *std::max_element(lived.begin(), lived.end());
  EXPECT_GE(*std::min_element(lived.begin(), lived.end()), 0)
      << "an idle connection outlived the test";
  EXPECT_LT(longest, 6500);
  std::cout << "idle connections closed after at most " << longest << " ms\n";
}

// 300 keep-alive clients asking every 4 s on their own connection: all
// answered, on the same connections, and nothing starves.
TEST_F(ApiAttackTest, KeepAliveClientsAreServedAndStarveNothing) {
  auto conns = Open(300);
  HealthWatch health(port_, agent_->pid());
  int answered = 0;
  double slowest_round_ms = 0;
  for (int round = 0; round < 3; ++round) {
    const auto start = Clock::now();
    for (auto& c : conns) ASSERT_TRUE(c.Send(HttpGet("/vigil/v1/endpoints/web")));
    for (auto& c : conns) {
      const auto r = c.ReadResponse(seconds(5));
      ASSERT_TRUE(r) << "round " << round;
      EXPECT_EQ(r->status, 200);
      ++answered;
    }
    slowest_round_ms = std::max(slowest_round_ms, Milliseconds(Clock::now() - start));
    std::this_thread::sleep_until(start + seconds(4));  // the clients' pace
  }
  ExpectSurvived(health.Stop());
  EXPECT_EQ(answered, 900);
  std::cout << "900 keep-alive answers; slowest round of 300: " << slowest_round_ms << " ms\n";
}

// Watches by the hundred, with slowloris clients beside them (64 watches and
// 17 slow clients stopped the old server): lists, scrapes and /healthz keep
// answering, and a transition reaches every watch.
TEST_F(ApiAttackTest, WatchesAndSlowClientsStarveNothing) {
  auto watches = Open(300);
  for (auto& w : watches) ASSERT_TRUE(w.Send(HttpGet("/vigil/v1/endpoints/web?watch=true")));
  const auto events = [](size_t n) {
    return [n](const std::string& body) {
      return static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) >= n;
    };
  };
  for (auto& w : watches) ASSERT_TRUE(w.ReadStreamUntil(events(1)));
  auto slow = Open(50);
  for (auto& s : slow) s.Send("GET /metrics HTTP/1.1\r\n");
  HealthWatch health(port_, agent_->pid());
  double slowest_ms = 0;
  for (int i = 0; i < 10; ++i) {
    for (const char* target : {"/metrics", "/vigil/v1/endpoints", "/vigil/v1/services"}) {
      const auto start = Clock::now();
      const auto r = GetOnce(port_, target);
      ASSERT_TRUE(r) << target;
      EXPECT_EQ(r->status, 200) << target;
      slowest_ms = std::max(slowest_ms, Milliseconds(Clock::now() - start));
    }
  }
  const auto flipped = Clock::now();
  target_.SetStatus("/ready", 503);
  for (auto& w : watches) {
    const auto r = w.ReadStreamUntil(events(2), seconds(5));
    ASSERT_TRUE(r);
    ASSERT_TRUE(events(2)(r->body)) << r->body;
  }
  const double delivered_ms = Milliseconds(Clock::now() - flipped);
  ExpectSurvived(health.Stop());
  EXPECT_LT(slowest_ms, 1000);
  EXPECT_LT(delivered_ms, 3000);
  std::cout << "with 300 watches and 50 slow clients: slowest list/scrape " << slowest_ms
            << " ms; a transition reached all 300 watches in " << delivered_ms << " ms\n";
}

// `Range: bytes=0-,0-,…` (2,700 ranges, 8 KB) on /metrics, which made
// cpp-httplib build every range in memory until bad_alloc: the whole body,
// once, no multipart.
TEST_F(ApiAttackTest, ARangeHeaderOnMetricsGetsTheWholeBody) {
  std::string ranges = "bytes=0-";
  while (ranges.size() < 8100) ranges += ",0-";
  HealthWatch health(port_, agent_->pid());
  for (int i = 0; i < 5; ++i) {
    RawHttpConnection c("127.0.0.1", port_);
    ASSERT_TRUE(c.Send(HttpGet("/metrics", {"Range: " + ranges})));
    const auto r = c.ReadResponse(seconds(5));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(r->Header("content-range"), "");
    EXPECT_EQ(r->body.find("multipart"), std::string::npos);
    EXPECT_NE(r->body.find("\nvigil_build_info{"), std::string::npos);
    EXPECT_EQ(r->body.back(), '\n');
  }
  ExpectSurvived(health.Stop());
}

// A 250 MB body, announced by its Content-Length, on any path: 413 before a
// byte of it is read; a chunked one: 411.
TEST_F(ApiAttackTest, AHugeBodyIsRefusedBeforeItIsRead) {
  HealthWatch health(port_, agent_->pid());
  for (const char* target : {"/-/reload", "/vigil/v1/endpoints", "/metrics", "/nowhere"}) {
    RawHttpConnection c("127.0.0.1", port_);
    const auto start = Clock::now();
    ASSERT_TRUE(c.Send(std::string("POST ") + target +
                       " HTTP/1.1\r\nHost: x\r\nContent-Length: 262144000\r\n\r\n"));
    const auto r = c.ReadResponse(seconds(2));
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 413) << target;
    EXPECT_LT(Milliseconds(Clock::now() - start), 1000) << target;
    // A client that sends its body anyway finds the connection closed.
    const std::string chunk(64 * 1024, 'x');
    size_t sent = 0;
    for (int i = 0; i < 4000 && c.Send(chunk, milliseconds(200)); ++i) sent += chunk.size();
    EXPECT_LT(sent, 16u << 20) << target;
    EXPECT_TRUE(c.WaitForClose(seconds(2))) << target;
  }
  RawHttpConnection chunked("127.0.0.1", port_);
  ASSERT_TRUE(chunked.Send(
      "POST /-/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n"));
  const auto r = chunked.ReadResponse(seconds(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 411);
  ExpectSurvived(health.Stop());
}

// 2,000,000 header lines (16 MB), which cpp-httplib read whole (297 MB,
// 17 s of CPU): 431 once the connection's memory is full, the rest unread.
TEST_F(ApiAttackTest, TwoMillionHeaderLinesAre431AfterABoundedRead) {
  HealthWatch health(port_, agent_->pid());
  const double cpu_before = CpuSeconds(agent_->pid());
  RawHttpConnection c("127.0.0.1", port_);
  ASSERT_TRUE(c.Send("GET /vigil/v1/endpoints HTTP/1.1\r\nHost: x\r\n"));
  std::string lines;
  for (int i = 0; i < 8192; ++i) lines += "X-a: b\r\n";  // 64 KiB
  size_t sent = 0;
  std::optional<RawHttpResponse> r;
  for (int i = 0; i < 2000000 / 8192 && !r; ++i) {
    if (!c.Send(lines, milliseconds(500))) break;
    sent += lines.size();
    r = c.ReadResponse(milliseconds(1));
  }
  if (!r) r = c.ReadResponse(seconds(2));
  ASSERT_TRUE(r) << "no answer after " << sent << " bytes";
  EXPECT_EQ(r->status, 431);
  EXPECT_LT(sent, 4u << 20) << "the server read on";
  const double cpu = CpuSeconds(agent_->pid()) - cpu_before;
  ExpectSurvived(health.Stop());
  EXPECT_LT(cpu, 2.0);
  std::cout << "431 after " << sent << " bytes sent; agent CPU during the attack " << cpu << " s\n";
}

// Five requests pipelined in one write (cpp-httplib answered the first
// only): five answers, in order, on the same connection.
TEST_F(ApiAttackTest, PipelinedRequestsAreAnsweredInOrder) {
  RawHttpConnection c("127.0.0.1", port_);
  const std::vector<std::string> targets = {"/healthz", "/vigil/v1/endpoints", "/metrics",
                                            "/vigil/v1/endpoints/nope", "/vigil/v1/endpoints/web"};
  std::string pipeline;
  for (const std::string& t : targets) pipeline += HttpGet(t);
  ASSERT_TRUE(c.Send(pipeline));
  std::vector<int> statuses;
  std::vector<std::string> kinds;
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto r = c.ReadResponse(seconds(5));
    ASSERT_TRUE(r) << "answer " << i;
    statuses.push_back(r->status);
    const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    kinds.push_back(j.is_object() ? j.value("kind", "") : r->body.substr(0, 3));
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 404, 200}));
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"ok\n", "EndpointsList", "# H", "Status", "Endpoints"}));
}

// Writes without a body are answered at once (cpp-httplib held a worker
// for 5 s waiting for a body, and answered the README's curl with a 400).
TEST_F(ApiAttackTest, BodilessWritesAreAnsweredAtOnce) {
  const auto timed = [&](const std::string& request) {
    RawHttpConnection c("127.0.0.1", port_);
    const auto start = Clock::now();
    EXPECT_TRUE(c.Send(request));
    auto r = c.ReadResponse(seconds(2));
    EXPECT_LT(Milliseconds(Clock::now() - start), 1000) << request;
    return r;
  };
  const auto put = timed("PUT /vigil/v1/endpoints/web HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(put->Header("allow"), "GET");
  const auto put_reload = timed("PUT /-/reload HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(put_reload);
  EXPECT_EQ(put_reload->status, 405);
  EXPECT_EQ(put_reload->Header("allow"), "POST");
  // What `curl -X POST http://…/-/reload` sends: no Content-Length at all.
  const auto reload = timed(
      "POST /-/reload HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: "
      "*/*\r\n\r\n");
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 200);
  EXPECT_EQ(nlohmann::json::parse(reload->body)["message"], "the config was reloaded");
  const auto chunked =
      timed("POST /-/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 411);

  // And the README's own command, when curl is there.
  const std::string curl = testing::FindProgram("curl");
  if (!curl.empty()) {
    const auto start = Clock::now();
    const e2e::Output out = e2e::RunProcess(
        {curl, "-sS", "-X", "POST", "http://127.0.0.1:" + std::to_string(port_) + "/-/reload"});
    EXPECT_EQ(out.exit_code, 0) << out.err;
    EXPECT_NE(out.out.find("the config was reloaded"), std::string::npos) << out.out;
    EXPECT_LT(Milliseconds(Clock::now() - start), 1000);
  }
}

// SIGTERM with 60 watch streams busy with transitions (cpp-httplib took
// 17-18 s and cut 55 of 60 without their last events): exit 0 within 5 s,
// and every stream got its terminating events and the final chunk.
TEST_F(ApiAttackTest, SigtermWithBusyWatchesEndsEveryStreamCleanlyWithin5s) {
  auto watches = Open(60);
  for (auto& w : watches) ASSERT_TRUE(w.Send(HttpGet("/vigil/v1/endpoints?watch=true")));
  const auto lines = [](const std::string& body) {
    return static_cast<size_t>(std::count(body.begin(), body.end(), '\n'));
  };
  for (auto& w : watches) {
    ASSERT_TRUE(w.ReadStreamUntil([&](const std::string& b) { return lines(b) >= 2; }));
  }
  // The web endpoint flips every 50 ms: the streams are busy.
  std::atomic<bool> flipping{true};
  std::thread flipper([&] {
    for (int i = 0; flipping; ++i) {
      target_.SetStatus("/ready", i % 2 == 0 ? 503 : 200);
      std::this_thread::sleep_for(milliseconds(50));  // the flipping pace
    }
  });
  for (auto& w : watches) {
    ASSERT_TRUE(w.ReadStreamUntil([&](const std::string& b) { return lines(b) >= 4; }));
  }
  const auto start = Clock::now();
  agent_->Signal(SIGTERM);
  const std::optional<int> code = agent_->Wait(seconds(5));
  const double stop_ms = Milliseconds(Clock::now() - start);
  flipping = false;
  flipper.join();
  EXPECT_EQ(code, 0) << agent_->Stderr();
  EXPECT_LT(stop_ms, 5000);
  int clean = 0;
  for (auto& w : watches) {
    const auto r = w.ReadStreamUntil([](const std::string&) { return false; }, seconds(2));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->complete) << "no final chunk";
    // The last event of each service: every endpoint terminating.
    std::map<std::string, nlohmann::json> last;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);) {
      const nlohmann::json e = nlohmann::json::parse(line);
      if (e["type"] != "BOOKMARK") last[e["object"]["name"]] = e;
    }
    ASSERT_EQ(last.size(), 2u);
    bool terminating = true;
    for (const auto& [name, e] : last) {
      EXPECT_EQ(e["type"], "MODIFIED") << name;
      for (const auto& ep : e["object"]["endpoints"]) {
        terminating = terminating && ep["conditions"]["terminating"] == true;
      }
    }
    EXPECT_TRUE(terminating);
    if (r->complete && terminating) ++clean;
  }
  EXPECT_EQ(clean, 60);
  std::cout << "SIGTERM with 60 busy watches: exit after " << stop_ms << " ms, " << clean
            << " of 60 streams ended with their terminating events and the final chunk\n";
}

// SIGTERM while reloads wait for a config file that never comes (a FIFO
// nobody writes; cpp-httplib's agent took 17-18 s): exit 0 within 5 s, and
// meanwhile the API answers.
TEST_F(ApiAttackTest, SigtermDuringASlowReloadExitsWithin5s) {
  std::filesystem::remove(config_);
  ASSERT_EQ(mkfifo(config_.c_str(), 0600), 0);
  agent_->Signal(SIGHUP);  // blocks in open(): nobody writes the FIFO
  RawHttpConnection reload("127.0.0.1", port_);
  ASSERT_TRUE(reload.Send("POST /-/reload HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(reload.ReadResponse(milliseconds(500)));  // it waits too
  HealthWatch health(port_, agent_->pid());
  for (const char* target : {"/vigil/v1/endpoints", "/metrics", "/readyz"}) {
    const auto r = GetOnce(port_, target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 200) << target;
  }
  ExpectSurvived(health.Stop());
  const auto start = Clock::now();
  agent_->Signal(SIGTERM);
  const std::optional<int> code = agent_->Wait(seconds(5));
  const double stop_ms = Milliseconds(Clock::now() - start);
  EXPECT_EQ(code, 0) << agent_->Stderr();
  EXPECT_LT(stop_ms, 5000);
  EXPECT_NE(agent_->Stderr().find("reload abandoned: the agent is stopping"), std::string::npos)
      << agent_->Stderr();
  std::cout << "SIGTERM during a slow reload: exit after " << stop_ms << " ms\n";
}

}  // namespace
}  // namespace vigil
