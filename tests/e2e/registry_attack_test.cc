// The agent (the binary) against an etcd that attacks: a real etcd behind
// HostileEtcd (tests/support/hostile_etcd.h), which answers chosen requests
// with attack bytes and forwards the rest, and keys written into a real
// etcd by anyone. The agent stays up, bounded in memory and CPU, says why
// on /readyz, and is ready again once etcd behaves. Skipped when etcd is
// not installed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "exporters/registry/etcd_client.h"
#include "tests/e2e/process.h"
#include "tests/support/etcd_server.h"
#include "tests/support/hostile_etcd.h"
#include "tests/support/proc_stats.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::EtcdServer;
using testing::HostileEtcd;
using testing::WaitUntil;
using Attack = testing::HostileEtcd::Attack;

const std::string kVigil = VIGIL_BINARY;
constexpr uint64_t kMiB = 1024 * 1024;

class RegistryAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (EtcdServer::Binary().empty()) GTEST_SKIP() << "etcd is not installed (etcd-server)";
    ASSERT_TRUE(etcd_.Start()) << etcd_.error();
    hostile_ = std::make_unique<HostileEtcd>(etcd_.client_port());
    dir_ = e2e::MakeTempDir();
  }
  void TearDown() override {
    if (agent_) {
      agent_->Signal(SIGTERM);
      agent_->Wait(10s);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts an agent as node "a" on `etcd`, probing the target as "web".
  void StartAgent(const std::string& etcd) {
    e2e::WriteFile(dir_ + "/a.yaml",
                   "listen: 127.0.0.1:0\n"
                   "registry:\n"
                   "  backend: etcd\n"
                   "  etcd: {endpoints: [\"" +
                       etcd +
                       "\"], prefix: /vigil, leaseTTLSeconds: 10}\n"
                       "services:\n"
                       "  - name: web\n"
                       "    endpoints: [127.0.0.1:" +
                       std::to_string(target_.port()) +
                       "]\n"
                       "    readinessProbe:\n"
                       "      httpGet: {path: /ready}\n"
                       "      periodSeconds: 0.1\n"
                       "      failureThreshold: 1\n");
    // ASan keeps freed memory in a quarantine (256 MB by default): a small
    // one lets the agent's peak RSS show what the agent itself holds.
    const char* inherited = getenv("ASAN_OPTIONS");
    const std::string saved = inherited != nullptr ? inherited : "";
    setenv("ASAN_OPTIONS", (saved + (saved.empty() ? "" : ":") + "quarantine_size_mb=4").c_str(),
           1);
    agent_ = std::make_unique<e2e::Process>(
        std::vector<std::string>{kVigil, "agent", "--config", dir_ + "/a.yaml", "--node", "a"});
    if (inherited != nullptr) {
      setenv("ASAN_OPTIONS", saved.c_str(), 1);
    } else {
      unsetenv("ASAN_OPTIONS");
    }
    int port = 0;
    ASSERT_TRUE(WaitUntil([&] { return (port = e2e::ApiPort(agent_->Stderr())) != 0; }, 10s))
        << agent_->Stderr();
    api_ = std::make_unique<httplib::Client>("127.0.0.1", port);
    api_->set_connection_timeout(5s);
  }

  // /readyz's status and body.
  std::pair<int, std::string> Readyz() {
    const httplib::Result res = api_->Get("/readyz");
    return res ? std::pair{res->status, res->body} : std::pair{0, std::string()};
  }
  bool Running() { return !agent_->Wait(0ms).has_value(); }

  // Flips the target's readiness: the agent writes etcd, and its watch
  // sees it.
  void Flip() {
    ready_ = !ready_;
    target_.SetStatus("/ready", ready_ ? 200 : 503);
  }

  EtcdServer etcd_;
  std::unique_ptr<HostileEtcd> hostile_;
  testing::TestHttpServer target_;
  bool ready_ = true;
  std::string dir_;
  std::unique_ptr<e2e::Process> agent_;
  std::unique_ptr<httplib::Client> api_;
};

// cpp-httplib's client crashed on this 0.1 s after start (std::regex
// overflowing the stack).
TEST_F(RegistryAttackTest, A32KiBStatusLineLeavesTheAgentUpAndNotReadySayingWhy) {
  hostile_->Set(Attack::kHugeStatusLine, "");
  StartAgent(hostile_->endpoint());
  ASSERT_TRUE(WaitUntil([&] { return hostile_->attacked() >= 4; }, 10s));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Readyz().second.find("refused an answer whose header lines are over 8 KiB") !=
               std::string::npos;
      },
      10s))
      << Readyz().second;
  EXPECT_EQ(Readyz().first, 503);
  EXPECT_TRUE(Running()) << agent_->Stderr();
  const httplib::Result alive = api_->Get("/healthz");
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->status, 200);

  hostile_->Set(Attack::kNone);
  EXPECT_TRUE(WaitUntil([&] { return Readyz().first == 200; }, 15s)) << Readyz().second;
}

// A watch line that never ends, and a value of 150 MB, streamed at full
// speed: the agent holds at most the line cap, retries with backoff, says
// why on /readyz, and follows etcd again once it behaves.
TEST_F(RegistryAttackTest, AnEndlessWatchLineOrA150MBValueIsBoundedAndNamedOnReadyz) {
  StartAgent(hostile_->endpoint());
  ASSERT_TRUE(WaitUntil([&] { return Readyz().first == 200; }, 15s)) << Readyz().second;
  for (const auto& [attack, bytes] :
       {std::pair{Attack::kEndlessLine, uint64_t{0}}, std::pair{Attack::kHugeValue, 150 * kMiB}}) {
    const std::string name = bytes == 0 ? "endless line" : "150 MB value";
    SCOPED_TRACE(name);
    const uint64_t peak_before = testing::PeakResidentBytes(agent_->pid());
    const auto cpu_before = testing::CpuTime(agent_->pid());
    const uint64_t sent_before = hostile_->bytes_sent();
    hostile_->Set(attack, "/v3/watch", "/vigil/endpoints/web/x/10.0.0.1:80", bytes);
    hostile_->CutAll();  // the watch reconnects, into the attack
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(WaitUntil(
        [&] { return Readyz().second.find("the watch of etcd misbehaved") != std::string::npos; },
        10s))
        << Readyz().second;
    EXPECT_EQ(Readyz().first, 503);
    EXPECT_NE(Readyz().second.find("a watch message over 16 MiB"), std::string::npos)
        << Readyz().second;
    // Five seconds of the attack: the backoff (100 ms doubling to 5 s) keeps
    // the agent from reading 16 MiB in a loop.
    ASSERT_TRUE(WaitUntil([&] { return std::chrono::steady_clock::now() - started >= 5s; }, 10s));
    EXPECT_EQ(Readyz().first, 503);
    EXPECT_TRUE(Running()) << agent_->Stderr();
    const uint64_t growth = testing::PeakResidentBytes(agent_->pid()) - peak_before;
    const auto cpu = testing::CpuTime(agent_->pid()) - cpu_before;
    const auto wall = std::chrono::steady_clock::now() - started;
    const uint64_t sent = hostile_->bytes_sent() - sent_before;
    std::cout << name << ": " << hostile_->attacked() << " watches attacked so far, " << sent / kMiB
              << " MiB sent in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(wall).count()
              << " ms; agent peak RSS +" << growth / kMiB << " MiB, CPU " << cpu.count() << " ms\n";
    EXPECT_LT(growth, 100 * kMiB);
    EXPECT_LT(cpu, wall / 2);

    // etcd behaves again: the next watch follows it, and once it delivers
    // a change /readyz is 200.
    hostile_->Set(Attack::kNone);
    EXPECT_TRUE(WaitUntil(
        [&] {
          Flip();
          return WaitUntil([&] { return Readyz().first == 200; }, 1s);
        },
        20s))
        << Readyz().second;
  }
}

// Anyone may write under the prefix: keys holding a line break or ESC
// reach the log escaped, and forge no line.
TEST_F(RegistryAttackTest, KeysWithALineBreakOrEscAreEscapedInTheLog) {
  StartAgent(etcd_.endpoint());
  ASSERT_TRUE(WaitUntil([&] { return Readyz().first == 200; }, 15s)) << Readyz().second;
  const std::string forged = "\n2026-01-01T00:00:00.000Z info  forged: all endpoints ready";
  EtcdClient writer({etcd_.endpoint()}, EtcdClient::Options{});
  ASSERT_TRUE(
      writer
          .Txn({EtcdOp::Put("/vigil/endpoints/web/evil" + forged + "/10.0.0.1:80", "{}"),
                EtcdOp::Put("/vigil/services/web/\x1b[2J\x1b[31mred", "[]"),
                EtcdOp::Put("/vigil/endpoints/web/b/10.0.0.2:80", std::string(1200 * 1024, 'x'))})
          .ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string log = agent_->Stderr();
        return log.find("ignoring etcd key /vigil/services/web/\\x1b[2J\\x1b[31mred") !=
                   std::string::npos &&
               log.find(
                   "ignoring etcd key /vigil/endpoints/web/evil\\n2026-01-01T00:00:00.000Z "
                   "info  forged") != std::string::npos &&
               log.find("ignoring etcd key /vigil/endpoints/web/b/10.0.0.2:80") !=
                   std::string::npos;
      },
      10s))
      << agent_->Stderr();
  const std::string log = agent_->Stderr();
  EXPECT_EQ(log.find('\x1b'), std::string::npos);
  EXPECT_EQ(log.find("\n2026-01-01T00:00:00.000Z info  forged"), std::string::npos);
  EXPECT_NE(log.find("its value has 1228800 bytes, over the cap of 1048576; not decoded"),
            std::string::npos);
  EXPECT_EQ(Readyz().first, 200);
}

}  // namespace
}  // namespace vigil
