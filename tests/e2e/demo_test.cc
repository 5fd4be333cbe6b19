// `vigil demo` end to end: the binary starts the demo replicas and an agent,
// a replica broken through its /fail leaves the endpoints, and a signal stops
// it all.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/e2e/process.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using e2e::Output;
using e2e::Process;
using e2e::RunProcess;
using std::chrono::seconds;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;
constexpr const char* kStarted = "Ctrl-C stops the demo.\n";

struct Replica {
  std::string address;
  int port = 0;
};

// The replicas the demo printed, in order.
std::vector<Replica> PrintedReplicas(const std::string& out) {
  static const std::regex kUrl(R"(http://(127\.0\.1[01]\.\d):(\d+))");
  std::vector<Replica> replicas;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), kUrl); it != std::sregex_iterator();
       ++it) {
    replicas.push_back({(*it)[1], std::stoi((*it)[2])});
    if (replicas.size() == 5) break;  // the URLs after these are the examples
  }
  return replicas;
}

// "address:port" → ready, from the agent's API; empty when it does not answer.
std::map<std::string, bool> Readiness(httplib::Client& api) {
  std::map<std::string, bool> ready;
  httplib::Result res = api.Get("/vigil/v1/endpoints");
  if (!res || res->status != 200) return ready;
  const nlohmann::json list = nlohmann::json::parse(res->body, nullptr, false);
  if (!list.contains("items")) return ready;
  for (const nlohmann::json& item : list["items"]) {
    for (const nlohmann::json& e : item["endpoints"]) {
      ready[e["address"].get<std::string>() + ":" + std::to_string(e["port"].get<int>())] =
          e["conditions"]["ready"].get<bool>();
    }
  }
  return ready;
}

TEST(DemoTest, AReplicaBrokenThroughFailLeavesTheEndpoints) {
  Process demo({kVigil, "demo", "--listen", "127.0.0.1:0", "--node", "node-e2e"});
  ASSERT_TRUE(WaitUntil([&] { return demo.Stdout().ends_with(kStarted); }, seconds(10)))
      << "stdout:\n"
      << demo.Stdout() << "stderr:\n"
      << demo.Stderr();
  const std::string out = demo.Stdout();
  const int api_port = e2e::ApiPort(demo.Stderr());
  ASSERT_GT(api_port, 0) << demo.Stderr();
  const std::vector<Replica> replicas = PrintedReplicas(out);
  ASSERT_EQ(replicas.size(), 5u) << out;
  EXPECT_EQ(replicas[0].address, "127.0.10.1");
  EXPECT_EQ(replicas[4].address, "127.0.11.2");
  EXPECT_TRUE(out.starts_with("vigil demo: 5 demo replicas and an agent probing them every 2s.\n"))
      << out;
  // Not at the default address: the printed commands say where the agent is.
  const std::string server = "--server http://127.0.0.1:" + std::to_string(api_port);
  EXPECT_NE(out.find("vigil get endpoints -w " + server), std::string::npos) << out;
  // And the kubectl commands that work against it.
  const std::string kubectl = "kubectl --server http://127.0.0.1:" + std::to_string(api_port);
  for (const std::string command :
       {" get endpoints alpaca-prod --watch", " describe endpoints alpaca-prod",
        " get services -o wide", " get events -w"}) {
    EXPECT_NE(out.find(kubectl + command), std::string::npos) << command << "\n" << out;
  }

  httplib::Client api("127.0.0.1", api_port);
  api.set_connection_timeout(seconds(5));
  std::map<std::string, bool> ready;
  ASSERT_TRUE(WaitUntil(
      [&] {
        ready = Readiness(api);
        if (ready.size() != 5) return false;
        for (const auto& [endpoint, is_ready] : ready) {
          if (!is_ready) return false;
        }
        return true;
      },
      seconds(10)))
      << ready.size() << " endpoints; stderr:\n"
      << demo.Stderr();

  const Replica& broken = replicas[1];
  const std::string key = broken.address + ":" + std::to_string(broken.port);
  httplib::Client target(broken.address, broken.port);
  target.set_connection_timeout(seconds(5));
  httplib::Result fail = target.Post("/fail");
  ASSERT_TRUE(fail);
  EXPECT_EQ(fail->status, 200);
  EXPECT_EQ(target.Get("/ready")->status, 503);
  // Three failed probes 2 s apart.
  ASSERT_TRUE(WaitUntil(
      [&] {
        ready = Readiness(api);
        return ready.size() == 5 && !ready[key];
      },
      seconds(20)))
      << demo.Stderr();
  EXPECT_NE(demo.Stderr().find("alpaca-prod " + key +
                               " not ready after 3 consecutive failures: HTTP probe failed with "
                               "statuscode: 503"),
            std::string::npos)
      << demo.Stderr();
  for (const auto& [endpoint, is_ready] : ready) EXPECT_EQ(is_ready, endpoint != key) << endpoint;
  // The Kubernetes view tells the same, with kubelet's message as an Event.
  const httplib::Result events =
      api.Get("/api/v1/namespaces/default/events?fieldSelector=reason%3DUnhealthy");
  ASSERT_TRUE(events);
  const nlohmann::json unhealthy = nlohmann::json::parse(events->body);
  ASSERT_EQ(unhealthy["items"].size(), 1u) << events->body;
  EXPECT_EQ(unhealthy["items"][0]["message"],
            key + ": Readiness probe failed: HTTP probe failed with statuscode: 503");

  demo.Signal(SIGINT);
  EXPECT_EQ(demo.Wait(seconds(5)), 0) << demo.Stderr();
  EXPECT_NE(demo.Stderr().find("received SIGINT, stopping"), std::string::npos);
}

TEST(DemoTest, StopsOnSigterm) {
  Process demo({kVigil, "demo", "--listen", "127.0.0.1:0", "--node", "node-e2e"});
  ASSERT_TRUE(WaitUntil([&] { return demo.Stdout().ends_with(kStarted); }, seconds(10)))
      << demo.Stderr();
  demo.Signal(SIGTERM);
  EXPECT_EQ(demo.Wait(seconds(5)), 0) << demo.Stderr();
}

TEST(DemoTest, ATakenListenAddressFailsClearly) {
  testing::TestHttpServer taken;
  const std::string where = "127.0.0.1:" + std::to_string(taken.port());
  const Output o = RunProcess({kVigil, "demo", "--listen", where, "--node", "node-e2e"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("cannot listen on " + where + ": Address already in use"), std::string::npos)
      << o.err;
  EXPECT_EQ(o.out, "");
}

TEST(DemoTest, HelpNamesItsFlags) {
  const Output o = RunProcess({kVigil, "demo", "--help"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("Usage:\n  vigil demo"), std::string::npos) << o.out;
  for (const char* flag : {"--listen ADDR", "--node NAME", "--log-level LEVEL", "-h, --help"}) {
    EXPECT_NE(o.out.find(flag), std::string::npos) << flag;
  }
}

TEST(DemoTest, AWrongCommandLineIsAUsageError) {
  EXPECT_EQ(RunProcess({kVigil, "demo", "extra"}).err,
            "vigil demo: unexpected argument \"extra\"\n");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--listen", "nowhere"},
                                               {"--node", "Not_A_Node"},
                                               {"--log-level", "loud"},
                                               {"--frob"}}) {
    std::vector<std::string> argv = {kVigil, "demo"};
    argv.insert(argv.end(), args.begin(), args.end());
    const Output o = RunProcess(argv);
    EXPECT_EQ(o.exit_code, 2) << args[0];
    EXPECT_TRUE(o.err.starts_with("vigil demo: ")) << o.err;
  }
}

}  // namespace
}  // namespace vigil
