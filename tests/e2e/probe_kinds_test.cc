// The vigil binary with every probe handler beyond httpGet and tcpSocket:
// what an exec probe's command is told (its endpoint), and what a failure
// shows (lastReason, lastProbeDurationSeconds, the log line, `vigil
// describe`, vigil_probe_failures_total); an HTTPS endpoint's phases and
// certificate expiry in /metrics, which promtool accepts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/process.h"
#include "tests/support/host.h"
#include "tests/support/promtool.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_http_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using testing::TestCertificates;
using testing::TestHttpServer;
using testing::WaitUntil;

const std::string kVigil = VIGIL_BINARY;

class ProbeKindsTest : public ::testing::Test {
 protected:
  // Starts an agent on `config` (its services); returns its API port.
  int Start(const std::string& services) {
    dir_ = e2e::MakeTempDir();
    e2e::WriteFile(dir_ + "/vigil.yaml", "listen: 127.0.0.1:0\nservices:\n" + services);
    agent_ = std::make_unique<e2e::Process>(std::vector<std::string>{
        kVigil, "agent", "--config", dir_ + "/vigil.yaml", "--node", "n1"});
    int port = 0;
    EXPECT_TRUE(WaitUntil([&] { return (port = e2e::ApiPort(agent_->Stderr())) > 0; }, seconds(10)))
        << agent_->Stderr();
    return port;
  }
  ~ProbeKindsTest() override {
    agent_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<e2e::Process> agent_;
};

std::string Get(int port, const std::string& path) {
  httplib::Client api("127.0.0.1", port);
  api.set_connection_timeout(seconds(5));
  httplib::Result res = api.Get(path);
  return res ? res->body : "";
}

TEST_F(ProbeKindsTest, AnExecProbeIsToldItsEndpointAndItsFailureIsExplained) {
  const int port = Start(R"(  - name: check
    endpoints: [127.0.0.1:8001, "[::1]:8002"]
    readinessProbe:
      exec:
        command: [/bin/sh, -c, 'echo "$VIGIL_NAMESPACE/$VIGIL_SERVICE $VIGIL_ENDPOINT $VIGIL_ENDPOINT_ADDRESS $VIGIL_ENDPOINT_PORT"; exit 1']
      periodSeconds: 0.2
      failureThreshold: 1
)");
  ASSERT_GT(port, 0);
  nlohmann::json check;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string body = Get(port, "/vigil/v1/endpoints/check");
        check = nlohmann::json::parse(body, nullptr, false);
        return check.is_object() && check["endpoints"].size() == 2 &&
               check["endpoints"][0]["lastResult"] == "failure" &&
               check["endpoints"][1]["lastResult"] == "failure";
      },
      seconds(10)))
      << check << agent_->Stderr();
  const nlohmann::json& v4 = check["endpoints"][0];
  const nlohmann::json& v6 = check["endpoints"][1];
  EXPECT_EQ(v4["message"],
            "default/check 127.0.0.1:8001 127.0.0.1 8001\ncommand terminated with exit code 1");
  EXPECT_EQ(v6["message"],
            "default/check [::1]:8002 ::1 8002\ncommand terminated with exit code 1");
  EXPECT_EQ(v4["lastReason"], "exit");
  ASSERT_TRUE(v4["lastProbeDurationSeconds"].is_number());
  EXPECT_GT(v4["lastProbeDurationSeconds"].get<double>(), 0);
  EXPECT_LT(v4["lastProbeDurationSeconds"].get<double>(), 5);

  // The log line names the reason.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return agent_->Stderr().find(
                   "check 127.0.0.1:8001 probe failed: default/check 127.0.0.1:8001 "
                   "127.0.0.1 8001\ncommand terminated with exit code 1 "
                   "(reason: exit)") != std::string::npos;
      },
      seconds(10)))
      << agent_->Stderr();

  const std::string metrics = Get(port, "/metrics");
  EXPECT_THAT(metrics,
              HasSubstr("vigil_probe_failures_total{service=\"check\",endpoint=\"127.0.0.1:"
                        "8001\",reason=\"exit\"} "));
  EXPECT_THAT(metrics, HasSubstr("vigil_probe_total{service=\"check\",endpoint=\"127.0.0.1:8001\","
                                 "type=\"exec\",result=\"failure\"} "));

  const e2e::Output describe =
      e2e::RunProcess({kVigil, "describe", "endpoints", "check", "--server",
                       "http://127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr("REASON"));
  EXPECT_THAT(describe.out, HasSubstr("failure  exit"));
}

TEST_F(ProbeKindsTest, AnHttpsEndpointShowsItsPhasesAndCertificateExpiry) {
  TestCertificates certs;
  const auto cert = certs.Issue({.name = "web", .dns_names = {}, .ips = {"127.0.0.1"}});
  TestHttpServer target(TestHttpServer::Tls{cert.cert_file, cert.key_file, ""});
  const std::string endpoint = "127.0.0.1:" + std::to_string(target.port());
  const int port = Start(R"(  - name: secure
    endpoints: [)" + endpoint +
                         R"(]
    readinessProbe:
      httpGet:
        scheme: HTTPS
        tls: {caFile: )" +
                         certs.ca_file() + R"(}
        expect: {status: [200], bodyMatches: "status 200"}
      periodSeconds: 0.2
)");
  ASSERT_GT(port, 0);
  std::string metrics;
  const std::string expiry =
      "vigil_probe_tls_cert_expiry_timestamp_seconds{service=\"secure\","
      "endpoint=\"" +
      endpoint + "\"} " + std::to_string(cert.not_after);
  // The probe's series are counted before its transition: both are waited for.
  const std::string ready =
      "vigil_endpoint_ready{service=\"secure\",endpoint=\"" + endpoint + "\",node=\"n1\"} 1";
  ASSERT_TRUE(WaitUntil(
      [&] {
        metrics = Get(port, "/metrics");
        return metrics.find(expiry) != std::string::npos &&
               metrics.find(ready) != std::string::npos;
      },
      seconds(10)))
      << metrics << agent_->Stderr();
  for (const char* phase : {"connect", "tls", "first_byte"}) {
    EXPECT_THAT(metrics, HasSubstr(std::string("vigil_probe_phase_duration_seconds_count{service=\""
                                               "secure\",phase=\"") +
                                   phase + "\"} "));
  }

  // The live page passes promtool, with every new family in it.
  const std::string promtool = testing::FindProgram("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  const testing::PromtoolCheck check = testing::CheckMetrics(promtool, metrics);
  EXPECT_TRUE(check.passed) << check.output;
  EXPECT_EQ(check.output, "");
}

}  // namespace
}  // namespace vigil
