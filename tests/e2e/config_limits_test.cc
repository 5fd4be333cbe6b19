// Config files that once hung or exhausted vigil, through the binary:
// `vigil check-config` refuses each in bounded time, and a live agent asked
// to reload one (SIGHUP, POST /-/reload) says why and keeps running its
// config. Every vigil started here runs under a memory ceiling, so that a
// regression fails the test instead of taking the machine down.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/e2e/process.h"
#include "tests/support/host.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;

// RSS a vigil process may reach: under AddressSanitizer the agent starts at
// about 60 MiB and check-config on the largest file here peaks at 440 MiB.
constexpr int kMemoryMb = 1024;
constexpr int kCpuSeconds = 60;

// `argv` run under kMemoryMb and kCpuSeconds. RLIMIT_AS cannot bound a
// binary built with AddressSanitizer (its shadow memory alone reserves
// terabytes of address space): there the sanitizer's own hard RSS limit
// stands in for it.
std::vector<std::string> Limited(std::vector<std::string> argv) {
  std::vector<std::string> limited;
#if defined(__SANITIZE_ADDRESS__)
  const char* options = std::getenv("ASAN_OPTIONS");
  limited = {"/usr/bin/env", std::string("ASAN_OPTIONS=") + (options ? options : "") +
                                 ":hard_rss_limit_mb=" + std::to_string(kMemoryMb)};
  limited.push_back(testing::FindProgram("prlimit"));
#else
  limited = {testing::FindProgram("prlimit"),
             "--as=" + std::to_string(static_cast<long>(kMemoryMb) << 20)};
#endif
  limited.push_back("--cpu=" + std::to_string(kCpuSeconds));
  limited.insert(limited.end(), argv.begin(), argv.end());
  return limited;
}

std::string Repeat(const std::string& item, size_t n, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i == 0 ? "" : separator) + item;
  return out;
}

struct Attack {
  std::string name;
  std::string content;
  std::string error;  // what the errors say, after "PATH"
};

// The files an attack run found, and one fuzzing found: yaml-cpp 0.7.0
// looped on the first three, allocating until the process died; the aliases took 2.25 GB and
// aborted; the 200,000 errors took 734 MB and were all printed.
std::vector<Attack> Attacks() {
  return {
      {"trailing-comma", "{\"services\": []},",
       ":1:17: YAML syntax error: did not find expected <document start>\n"},
      {"tagged-scalar-comma", "!a a\n,", ":1:1: expected a mapping, got \"a ,\"\n"},
      {"bare-comma", ",",
       ":1:1: YAML syntax error: did not find expected node content (while parsing a block "
       "node from line 1, column 1)\n"},
      {"aliases",
       "x: &l [" + Repeat("{name: a}", 2000, ", ") + "]\nservices: [" + Repeat("*l", 37'000, ", ") +
           "]\n",
       ":2:76: alias *l repeats 6001 nodes: aliases may add at most 100000 in all\n"},
      {"errors", "services: [" + Repeat("1", 200'000, ", ") + "]\n",
       ":1:12: services[0]: expected a mapping, got \"1\"\n"},
  };
}

class ConfigLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
};

TEST_F(ConfigLimitsTest, CheckConfigRefusesEachAttackQuickly) {
  for (const Attack& attack : Attacks()) {
    SCOPED_TRACE(attack.name);
    const std::string path = dir_ + "/" + attack.name + ".yaml";
    e2e::WriteFile(path, attack.content);
    const auto start = std::chrono::steady_clock::now();
    e2e::Process check(Limited({kVigil, "check-config", path}));
    const std::optional<int> exit_code = check.Wait(seconds(60));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(exit_code, 1) << check.Stderr().substr(0, 2000);
    // Milliseconds, but for the 200,000 errors: 0.6 s in a release build,
    // 5 s under AddressSanitizer.
    EXPECT_LT(elapsed, seconds(30));
    const std::string err = check.Stderr();
    EXPECT_EQ(err.substr(0, path.size() + attack.error.size()), path + attack.error)
        << err.substr(0, 2000);
    if (attack.name == "errors") {
      EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 101) << err.substr(0, 2000);
      EXPECT_TRUE(err.ends_with(path + ":1:309: services[99]: expected a mapping, got \"1\"\n"
                                       "\u2026 199900 more errors\n"))
          << err.substr(err.size() - std::min<size_t>(err.size(), 2000));
    }
  }
}

// A live agent, under the memory ceiling, probing one ready endpoint.
class ReloadLimitsTest : public ConfigLimitsTest {
 protected:
  void SetUp() override {
    ConfigLimitsTest::SetUp();
    path_ = dir_ + "/vigil.yaml";
    e2e::WriteFile(path_, GoodConfig());
    agent_ = std::make_unique<e2e::Process>(
        Limited({kVigil, "agent", "--config", path_, "--node", "n1"}));
    ASSERT_TRUE(WaitUntil(
        [&] {
          api_port_ = e2e::ApiPort(agent_->Stderr());
          return api_port_ != 0;
        },
        seconds(10)))
        << agent_->Stderr();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_port_);
    client_->set_connection_timeout(seconds(5));
    client_->set_read_timeout(seconds(60));
    ASSERT_TRUE(WaitUntil([&] { return WebIsReady(); }, seconds(10))) << agent_->Stderr();
  }

  void TearDown() override {
    agent_->Signal(SIGKILL);
    agent_->Wait(seconds(5));
    ConfigLimitsTest::TearDown();
  }

  std::string GoodConfig() const {
    return "listen: 127.0.0.1:0\n"
           "services:\n"
           "  - name: web\n"
           "    endpoints: [127.0.0.1:" +
           std::to_string(target_.port()) +
           "]\n"
           "    readinessProbe: {httpGet: {path: /ready}, periodSeconds: 0.1}\n";
  }

  bool WebIsReady() {
    const httplib::Result res = client_->Get("/vigil/v1/endpoints/web");
    if (!res) return false;
    const nlohmann::json object = nlohmann::json::parse(res->body, nullptr, false);
    return object.contains("endpoints") && object["endpoints"].size() == 1 &&
           object["endpoints"][0]["conditions"]["ready"] == true;
  }

  std::string Metrics() {
    const httplib::Result res = client_->Get("/metrics");
    return res ? res->body : "";
  }

  size_t Count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  // The agent still runs, answers /healthz, and still probes its endpoint.
  void ExpectAlive() {
    EXPECT_EQ(agent_->Wait(milliseconds(0)), std::nullopt) << agent_->Stderr().substr(0, 2000);
    const httplib::Result health = client_->Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_TRUE(WebIsReady());
  }

  testing::TestHttpServer target_;
  std::string path_;
  int api_port_ = 0;
  std::unique_ptr<e2e::Process> agent_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ReloadLimitsTest, EachAttackFailsTheReloadAndTheAgentRunsOn) {
  for (const Attack& attack : Attacks()) {
    SCOPED_TRACE(attack.name);
    e2e::WriteFile(path_, attack.content);

    const auto start = std::chrono::steady_clock::now();
    const httplib::Result res = client_->Post("/-/reload", "", "text/plain");
    ASSERT_TRUE(res) << httplib::to_string(res.error()) << "\n" << agent_->Stderr().substr(0, 2000);
    EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(30));
    EXPECT_EQ(res->status, 500);
    const std::string message =
        nlohmann::json::parse(res->body, nullptr, false).value("message", std::string());
    EXPECT_EQ(message.rfind(path_ + attack.error.substr(0, attack.error.size() - 1), 0), 0u)
        << message.substr(0, 2000);
    const std::string log = agent_->Stderr();
    EXPECT_NE(log.find("reload: " + path_ + attack.error), std::string::npos)
        << log.substr(0, 2000);
    EXPECT_NE(Metrics().find("\nvigil_config_last_reload_successful 0\n"), std::string::npos);
    ExpectAlive();

    // The same through the signal.
    const size_t failures = Count(agent_->Stderr(), "the running config stays");
    agent_->Signal(SIGHUP);
    ASSERT_TRUE(
        WaitUntil([&] { return Count(agent_->Stderr(), "the running config stays") > failures; },
                  seconds(30)))
        << agent_->Stderr().substr(0, 2000);
    ExpectAlive();
    EXPECT_NE(Metrics().find("\nvigil_config_last_reload_successful 0\n"), std::string::npos);

    // A good file reloads again.
    e2e::WriteFile(path_, GoodConfig());
    ASSERT_EQ(client_->Post("/-/reload", "", "text/plain")->status, 200);
    EXPECT_NE(Metrics().find("\nvigil_config_last_reload_successful 1\n"), std::string::npos);
  }
  const std::string log = agent_->Stderr();
  EXPECT_NE(log.find("reload: \u2026 199900 more errors"), std::string::npos);
  EXPECT_NE(log.find("reload failed (200000 errors); the running config stays"), std::string::npos);
}

// The README's reload command. cpp-httplib 0.11.4 reads a POST without
// Content-Length until the connection closes (for a request, RFC 9112 says
// the body is empty), so a bare `curl -X POST` waits out its 5 s read
// timeout and gets 400; with `-d ''` curl sends Content-Length: 0.
TEST_F(ReloadLimitsTest, TheReadmeReloadCommandWorks) {
  const std::string curl = testing::FindProgram("curl");
  ASSERT_FALSE(curl.empty()) << "curl is not installed (scripts/install-deps.sh --test)";
  const auto start = std::chrono::steady_clock::now();
  const e2e::Output o =
      e2e::RunProcess({curl, "-sS", "-X", "POST", "-d", "", "-w", "\n%{http_code}",
                       "http://127.0.0.1:" + std::to_string(api_port_) + "/-/reload"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(o.out.ends_with("\n200")) << o.out;
  EXPECT_NE(Metrics().find("\nvigil_config_last_reload_successful 1\n"), std::string::npos);
}

}  // namespace
}  // namespace vigil
