// Metrics driven through the calls the Prober and the Agent make, checked on
// the exact lines of Render(), and by promtool.
#include "exporters/metrics/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <thread>

#include "common/version.h"
#include "tests/support/host.h"
#include "tests/support/promtool.h"

namespace vigil {
namespace {

using std::chrono::milliseconds;

::testing::AssertionResult HasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no line \"" << line << "\" in:\n" << text;
}

::testing::AssertionResult NoLineContains(const std::string& text, const std::string& part) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.find(part) != std::string::npos) {
      return ::testing::AssertionFailure() << "line \"" << l << "\" contains \"" << part << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

// The value of the sample named exactly `series` (name and labels), or NaN.
double Value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.size() > series.size() && l.compare(0, series.size(), series) == 0 &&
        l[series.size()] == ' ') {
      return std::strtod(l.c_str() + series.size() + 1, nullptr);
    }
  }
  return std::nan("");
}

ProbeResult Result(ProbeOutcome outcome, milliseconds latency = milliseconds(3)) {
  ProbeResult result;
  result.outcome = outcome;
  result.latency = latency;
  return result;
}

TEST(MetricsTest, BuildInfoIsOne) {
  Metrics metrics("node-a");
  EXPECT_TRUE(
      HasLine(metrics.Render(), "vigil_build_info{version=\"" + std::string(kVersion) + "\"} 1"));
  EXPECT_TRUE(HasLine(metrics.Render(), "# TYPE vigil_build_info gauge"));
}

TEST(MetricsTest, ANewEndpointHasEverySeriesAtZero) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:80", "http", false);
  const std::string text = metrics.Render();
  for (const char* result : {"success", "failure", "timeout", "error"}) {
    EXPECT_TRUE(
        HasLine(text, std::string("vigil_probe_total{service=\"web\",endpoint=\"10.0.0.1:80\","
                                  "type=\"http\",result=\"") +
                          result + "\"} 0"));
  }
  EXPECT_TRUE(HasLine(
      text, "vigil_endpoint_ready{service=\"web\",endpoint=\"10.0.0.1:80\",node=\"node-a\"} 0"));
  EXPECT_TRUE(HasLine(
      text,
      "vigil_endpoint_transitions_total{service=\"web\",endpoint=\"10.0.0.1:80\",to=\"ready\"} 0"));
  EXPECT_TRUE(HasLine(text,
                      "vigil_endpoint_transitions_total{service=\"web\",endpoint=\"10.0.0.1:80\","
                      "to=\"not_ready\"} 0"));
  EXPECT_TRUE(HasLine(text, "vigil_service_endpoints{service=\"web\",state=\"ready\"} 0"));
  EXPECT_TRUE(HasLine(text, "vigil_service_endpoints{service=\"web\",state=\"not_ready\"} 1"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_duration_seconds_count{service=\"web\",type=\"http\"} 0"));
}

TEST(MetricsTest, ProbesAreCountedByResultAndTimed) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:80", "http", false);
  metrics.OnTargetAdded(2, "web", "10.0.0.2:80", "http", false);
  metrics.OnProbeDone(1, Result(ProbeOutcome::kSuccess, milliseconds(3)));
  metrics.OnProbeDone(1, Result(ProbeOutcome::kSuccess, milliseconds(3)));
  metrics.OnProbeDone(1, Result(ProbeOutcome::kFailure, milliseconds(20)));
  metrics.OnProbeDone(2, Result(ProbeOutcome::kTimeout, milliseconds(1000)));
  // An error never reached the target: counted, not timed.
  metrics.OnProbeDone(2, Result(ProbeOutcome::kError, milliseconds(0)));
  const std::string text = metrics.Render();
  const std::string one =
      "vigil_probe_total{service=\"web\",endpoint=\"10.0.0.1:80\",type=\"http\",";
  const std::string two =
      "vigil_probe_total{service=\"web\",endpoint=\"10.0.0.2:80\",type=\"http\",";
  EXPECT_TRUE(HasLine(text, one + "result=\"success\"} 2"));
  EXPECT_TRUE(HasLine(text, one + "result=\"failure\"} 1"));
  EXPECT_TRUE(HasLine(text, one + "result=\"timeout\"} 0"));
  EXPECT_TRUE(HasLine(text, two + "result=\"timeout\"} 1"));
  EXPECT_TRUE(HasLine(text, two + "result=\"error\"} 1"));
  // One histogram for the service's http probes, all endpoints together.
  const std::string bucket = "vigil_probe_duration_seconds_bucket{service=\"web\",type=\"http\",";
  EXPECT_TRUE(HasLine(text, bucket + "le=\"0.0025\"} 0"));
  EXPECT_TRUE(HasLine(text, bucket + "le=\"0.005\"} 2"));
  EXPECT_TRUE(HasLine(text, bucket + "le=\"0.025\"} 3"));
  EXPECT_TRUE(HasLine(text, bucket + "le=\"1\"} 4"));
  EXPECT_TRUE(HasLine(text, bucket + "le=\"+Inf\"} 4"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_duration_seconds_count{service=\"web\",type=\"http\"} 4"));
  EXPECT_DOUBLE_EQ(Value(text, "vigil_probe_duration_seconds_sum{service=\"web\",type=\"http\"}"),
                   1.026);
}

ProbeResult Failed(ProbeOutcome outcome, ProbeReason reason) {
  ProbeResult result = Result(outcome);
  result.reason = reason;
  return result;
}

TEST(MetricsTest, FailuresAreCountedByReasonOnceThereIsOne) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:80", "http", false);
  metrics.OnTargetAdded(2, "web", "10.0.0.2:80", "http", false);
  // No failure yet: no series (eleven per endpoint would swell /metrics).
  EXPECT_TRUE(NoLineContains(metrics.Render(), "vigil_probe_failures_total{"));
  EXPECT_TRUE(HasLine(metrics.Render(), "# TYPE vigil_probe_failures_total counter"));

  metrics.OnProbeDone(1, Failed(ProbeOutcome::kFailure, ProbeReason::kStatus));
  metrics.OnProbeDone(1, Failed(ProbeOutcome::kFailure, ProbeReason::kStatus));
  metrics.OnProbeDone(1, Failed(ProbeOutcome::kTimeout, ProbeReason::kTimeout));
  metrics.OnProbeDone(2, Failed(ProbeOutcome::kFailure, ProbeReason::kRefused));
  // An error is no failure, whatever broke it; a success has no reason.
  metrics.OnProbeDone(2, Failed(ProbeOutcome::kError, ProbeReason::kReset));
  metrics.OnProbeDone(2, Result(ProbeOutcome::kSuccess));
  const std::string text = metrics.Render();
  const std::string one = "vigil_probe_failures_total{service=\"web\",endpoint=\"10.0.0.1:80\",";
  const std::string two = "vigil_probe_failures_total{service=\"web\",endpoint=\"10.0.0.2:80\",";
  EXPECT_TRUE(HasLine(text, one + "reason=\"status\"} 2"));
  EXPECT_TRUE(HasLine(text, one + "reason=\"timeout\"} 1"));
  EXPECT_TRUE(HasLine(text, two + "reason=\"refused\"} 1"));
  EXPECT_TRUE(NoLineContains(text, "reason=\"reset\""));
  EXPECT_TRUE(NoLineContains(text, "reason=\"\""));

  metrics.OnTargetRemoved(1);
  EXPECT_TRUE(NoLineContains(metrics.Render(), "10.0.0.1:80"));
}

TEST(MetricsTest, PhasesAreHistogramsPerServiceAndPhase) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:443", "https", false);
  metrics.OnTargetAdded(2, "web", "10.0.0.2:443", "https", false);
  metrics.OnTargetAdded(3, "db", "10.0.1.1:5432", "tcp", false);
  ProbeResult tls = Result(ProbeOutcome::kSuccess);
  tls.set_phase(ProbePhase::kConnect, std::chrono::microseconds(200));
  tls.set_phase(ProbePhase::kTls, std::chrono::microseconds(3000));
  tls.set_phase(ProbePhase::kFirstByte, std::chrono::microseconds(800));
  metrics.OnProbeDone(1, tls);
  metrics.OnProbeDone(2, tls);
  ProbeResult tcp = Result(ProbeOutcome::kSuccess);
  tcp.set_phase(ProbePhase::kConnect, std::chrono::microseconds(150));
  metrics.OnProbeDone(3, tcp);
  const std::string text = metrics.Render();
  const std::string phase = "vigil_probe_phase_duration_seconds";
  EXPECT_TRUE(HasLine(text, "# TYPE " + phase + " histogram"));
  EXPECT_TRUE(HasLine(text, phase + "_count{service=\"web\",phase=\"tls\"} 2"));
  EXPECT_TRUE(HasLine(text, phase + "_bucket{service=\"web\",phase=\"tls\",le=\"0.0025\"} 0"));
  EXPECT_TRUE(HasLine(text, phase + "_bucket{service=\"web\",phase=\"tls\",le=\"0.005\"} 2"));
  EXPECT_DOUBLE_EQ(Value(text, phase + "_sum{service=\"web\",phase=\"connect\"}"), 0.0004);
  EXPECT_TRUE(HasLine(text, phase + "_count{service=\"web\",phase=\"first_byte\"} 2"));
  EXPECT_TRUE(HasLine(text, phase + "_count{service=\"db\",phase=\"connect\"} 1"));
  // Phases a service's probes never went through have no series.
  EXPECT_TRUE(NoLineContains(text, "phase=\"dns\""));
  EXPECT_TRUE(NoLineContains(text, "service=\"db\",phase=\"tls\""));

  metrics.OnTargetRemoved(1);
  EXPECT_TRUE(HasLine(metrics.Render(), phase + "_count{service=\"web\",phase=\"tls\"} 2"));
  metrics.OnTargetRemoved(2);
  EXPECT_TRUE(NoLineContains(metrics.Render(), "service=\"web\",phase="));
}

TEST(MetricsTest, CertificateExpiryIsTheLastHandshakes) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:443", "https", false);
  metrics.OnTargetAdded(2, "web", "10.0.0.2:80", "http", false);
  const std::string expiry =
      "vigil_probe_tls_cert_expiry_timestamp_seconds{service=\"web\",endpoint=\"10.0.0.1:443\"}";
  EXPECT_TRUE(NoLineContains(metrics.Render(), expiry));
  ProbeResult shown = Result(ProbeOutcome::kSuccess);
  shown.certificate_expiry = 1795688430;
  metrics.OnProbeDone(1, shown);
  // A probe that got no certificate (refused) leaves the last one known.
  metrics.OnProbeDone(1, Failed(ProbeOutcome::kFailure, ProbeReason::kRefused));
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, expiry + " 1795688430"));
  EXPECT_TRUE(NoLineContains(text,
                             "vigil_probe_tls_cert_expiry_timestamp_seconds{service=\"web\","
                             "endpoint=\"10.0.0.2:80\"}"));
  shown.certificate_expiry = 1795688431;
  metrics.OnProbeDone(1, shown);
  EXPECT_TRUE(HasLine(metrics.Render(), expiry + " 1795688431"));
  metrics.OnTargetRemoved(1);
  EXPECT_TRUE(NoLineContains(metrics.Render(), "10.0.0.1:443"));
}

TEST(MetricsTest, ReadinessFlipsTheGaugeAndCountsTransitions) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:80", "http", false);
  const std::string ready =
      "vigil_endpoint_ready{service=\"web\",endpoint=\"10.0.0.1:80\",node=\"node-a\"} ";
  const std::string to =
      "vigil_endpoint_transitions_total{service=\"web\",endpoint=\"10.0.0.1:80\",to=";

  metrics.OnReadinessChanged(1, true);
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, ready + "1"));
  EXPECT_TRUE(HasLine(text, to + "\"ready\"} 1"));
  EXPECT_TRUE(HasLine(text, to + "\"not_ready\"} 0"));

  // Told again of the state it is in: nothing changed.
  metrics.OnReadinessChanged(1, true);
  EXPECT_TRUE(HasLine(metrics.Render(), to + "\"ready\"} 1"));

  metrics.OnReadinessChanged(1, false);
  metrics.OnReadinessChanged(1, true);
  metrics.OnReadinessChanged(1, false);
  text = metrics.Render();
  EXPECT_TRUE(HasLine(text, ready + "0"));
  EXPECT_TRUE(HasLine(text, to + "\"ready\"} 2"));
  EXPECT_TRUE(HasLine(text, to + "\"not_ready\"} 2"));
}

TEST(MetricsTest, ServiceEndpointsCountTargetsByState) {
  Metrics metrics("node-a");
  const auto count = [&](const std::string& service, const std::string& state) {
    return Value(metrics.Render(),
                 "vigil_service_endpoints{service=\"" + service + "\",state=\"" + state + "\"}");
  };
  metrics.OnTargetAdded(1, "web", "10.0.0.1:80", "http", false);
  metrics.OnTargetAdded(2, "web", "10.0.0.2:80", "http", false);
  metrics.OnTargetAdded(3, "web", "10.0.0.3:80", "http", false);
  metrics.OnTargetAdded(4, "db", "10.0.1.1:5432", "none", true);  // no probe: ready at once
  EXPECT_EQ(count("web", "ready"), 0);
  EXPECT_EQ(count("web", "not_ready"), 3);
  EXPECT_EQ(count("db", "ready"), 1);
  EXPECT_EQ(count("db", "not_ready"), 0);

  metrics.OnReadinessChanged(1, true);
  metrics.OnReadinessChanged(2, true);
  EXPECT_EQ(count("web", "ready"), 2);
  EXPECT_EQ(count("web", "not_ready"), 1);

  // A changed probe keeps the readiness.
  metrics.OnTargetUpdated(2, "tcp");
  EXPECT_EQ(count("web", "ready"), 2);

  metrics.OnTargetRemoved(1);  // ready
  metrics.OnTargetRemoved(3);  // not ready
  EXPECT_EQ(count("web", "ready"), 1);
  EXPECT_EQ(count("web", "not_ready"), 0);

  // The service's last endpoint goes, and its series with it.
  metrics.OnTargetRemoved(2);
  const std::string text = metrics.Render();
  EXPECT_TRUE(NoLineContains(text, "service=\"web\""));
  EXPECT_TRUE(HasLine(text, "vigil_service_endpoints{service=\"db\",state=\"ready\"} 1"));
}

TEST(MetricsTest, AnEndpointWithoutProbeHasNoProbeSeries) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "db", "10.0.1.1:5432", "none", true);
  metrics.OnProbeDone(1, Result(ProbeOutcome::kSuccess));  // cannot happen; ignored
  const std::string text = metrics.Render();
  EXPECT_TRUE(NoLineContains(text, "vigil_probe_total{"));
  EXPECT_TRUE(NoLineContains(text, "vigil_probe_duration_seconds_"));
  EXPECT_TRUE(HasLine(
      text, "vigil_endpoint_ready{service=\"db\",endpoint=\"10.0.1.1:5432\",node=\"node-a\"} 1"));
  EXPECT_TRUE(HasLine(text,
                      "vigil_endpoint_transitions_total{service=\"db\",endpoint=\"10.0.1.1:5432\","
                      "to=\"ready\"} 0"));
}

TEST(MetricsTest, AChangedProbeTypeMovesTheProbeSeries) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:80", "http", false);
  metrics.OnTargetAdded(2, "web", "10.0.0.2:80", "http", false);
  metrics.OnReadinessChanged(1, true);
  metrics.OnProbeDone(1, Result(ProbeOutcome::kSuccess));
  metrics.OnProbeDone(2, Result(ProbeOutcome::kSuccess));

  metrics.OnTargetUpdated(1, "tcp");
  std::string text = metrics.Render();
  EXPECT_TRUE(NoLineContains(text, "endpoint=\"10.0.0.1:80\",type=\"http\""));
  EXPECT_TRUE(HasLine(text,
                      "vigil_probe_total{service=\"web\",endpoint=\"10.0.0.1:80\",type=\"tcp\","
                      "result=\"success\"} 0"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_duration_seconds_count{service=\"web\",type=\"tcp\"} 0"));
  // The other endpoint still probes over http.
  EXPECT_TRUE(HasLine(text, "vigil_probe_duration_seconds_count{service=\"web\",type=\"http\"} 2"));
  EXPECT_TRUE(HasLine(
      text, "vigil_endpoint_ready{service=\"web\",endpoint=\"10.0.0.1:80\",node=\"node-a\"} 1"));

  metrics.OnTargetUpdated(2, "tcp");
  metrics.OnProbeDone(2, Result(ProbeOutcome::kFailure));
  text = metrics.Render();
  EXPECT_TRUE(NoLineContains(text, "type=\"http\""));
  EXPECT_TRUE(HasLine(text, "vigil_probe_duration_seconds_count{service=\"web\",type=\"tcp\"} 1"));

  // The probe is gone altogether: so are the probe series, not the endpoint's.
  metrics.OnTargetUpdated(1, "none");
  metrics.OnTargetUpdated(2, "none");
  text = metrics.Render();
  EXPECT_TRUE(NoLineContains(text, "vigil_probe_total{"));
  EXPECT_TRUE(NoLineContains(text, "vigil_probe_duration_seconds_"));
  EXPECT_TRUE(HasLine(text, "vigil_service_endpoints{service=\"web\",state=\"ready\"} 1"));
}

TEST(MetricsTest, RemovedEndpointsLeaveNoSeries) {
  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:80", "http", false);
  metrics.OnTargetAdded(2, "web", "10.0.0.2:80", "https", false);
  metrics.OnTargetAdded(3, "api", "10.0.2.1:8080", "tcp", false);
  metrics.OnReadinessChanged(1, true);
  metrics.OnProbeDone(1, Result(ProbeOutcome::kSuccess));
  metrics.OnProbeDone(2, Result(ProbeOutcome::kFailure));

  metrics.OnTargetRemoved(1);
  std::string text = metrics.Render();
  EXPECT_TRUE(NoLineContains(text, "10.0.0.1:80"));
  EXPECT_TRUE(NoLineContains(text, "type=\"http\""));
  EXPECT_TRUE(HasLine(text, "vigil_service_endpoints{service=\"web\",state=\"not_ready\"} 1"));

  metrics.OnTargetRemoved(2);
  metrics.OnTargetRemoved(3);
  metrics.OnTargetRemoved(3);  // twice: no harm
  text = metrics.Render();
  for (const char* name :
       {"vigil_probe_total{", "vigil_probe_duration_seconds_", "vigil_endpoint_ready{",
        "vigil_endpoint_transitions_total{", "vigil_service_endpoints{"}) {
    EXPECT_TRUE(NoLineContains(text, name));
  }
  // The families themselves stay described.
  EXPECT_TRUE(HasLine(text, "# TYPE vigil_endpoint_ready gauge"));

  // An id that never existed.
  metrics.OnProbeDone(42, Result(ProbeOutcome::kSuccess));
  metrics.OnReadinessChanged(42, true);
  metrics.OnTargetUpdated(42, "tcp");
  EXPECT_TRUE(NoLineContains(metrics.Render(), "vigil_probe_total{"));
}

TEST(MetricsTest, LatenessIsOneHistogram) {
  Metrics metrics("node-a");
  metrics.OnProbeStarted(std::chrono::microseconds(1500));
  metrics.OnProbeStarted(std::chrono::milliseconds(30));
  const std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "# TYPE vigil_probe_schedule_lateness_seconds histogram"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_schedule_lateness_seconds_bucket{le=\"0.001\"} 0"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_schedule_lateness_seconds_bucket{le=\"0.002\"} 1"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_schedule_lateness_seconds_bucket{le=\"0.05\"} 2"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_schedule_lateness_seconds_bucket{le=\"+Inf\"} 2"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_schedule_lateness_seconds_count 2"));
  EXPECT_TRUE(HasLine(text, "vigil_probe_schedule_lateness_seconds_sum 0.0315"));
}

TEST(MetricsTest, RegistryConnectionAndPublishes) {
  Metrics metrics("node-a");
  EXPECT_TRUE(NoLineContains(metrics.Render(), "backend="));

  metrics.SetRegistryConnected("embedded", true);
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "vigil_registry_connected{backend=\"embedded\"} 1"));
  // Both results exist from the start, so that rate() sees the first failure.
  EXPECT_TRUE(
      HasLine(text, "vigil_registry_publish_total{backend=\"embedded\",result=\"success\"} 0"));
  EXPECT_TRUE(
      HasLine(text, "vigil_registry_publish_total{backend=\"embedded\",result=\"failure\"} 0"));

  metrics.RecordPublish("embedded", true);
  metrics.RecordPublish("embedded", true, 41);
  metrics.RecordPublish("etcd", false);
  metrics.SetRegistryConnected("etcd", false);
  text = metrics.Render();
  EXPECT_TRUE(
      HasLine(text, "vigil_registry_publish_total{backend=\"embedded\",result=\"success\"} 42"));
  EXPECT_TRUE(HasLine(text, "vigil_registry_publish_total{backend=\"etcd\",result=\"failure\"} 1"));
  EXPECT_TRUE(HasLine(text, "vigil_registry_publish_total{backend=\"etcd\",result=\"success\"} 0"));
  EXPECT_TRUE(HasLine(text, "vigil_registry_connected{backend=\"etcd\"} 0"));
}

TEST(MetricsTest, DnsQueriesByRcode) {
  Metrics metrics("node-a");
  // Without a DNS server, nothing.
  EXPECT_TRUE(NoLineContains(metrics.Render(), "vigil_dns_queries_total"));
  metrics.RecordDnsQuery("NXDOMAIN", 0);
  EXPECT_TRUE(HasLine(metrics.Render(), "# TYPE vigil_dns_queries_total counter"));
  EXPECT_TRUE(HasLine(metrics.Render(), "vigil_dns_queries_total{rcode=\"NXDOMAIN\"} 0"));
  metrics.RecordDnsQuery("NOERROR");
  metrics.RecordDnsQuery("NOERROR");
  metrics.RecordDnsQuery("NXDOMAIN");
  metrics.RecordDnsQuery("FORMERR", 5);
  const std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "vigil_dns_queries_total{rcode=\"NOERROR\"} 2"));
  EXPECT_TRUE(HasLine(text, "vigil_dns_queries_total{rcode=\"NXDOMAIN\"} 1"));
  EXPECT_TRUE(HasLine(text, "vigil_dns_queries_total{rcode=\"FORMERR\"} 5"));
}

TEST(MetricsTest, ReloadOutcomeAndTime) {
  Metrics metrics("node-a");
  const WallTime when = WallTime(std::chrono::milliseconds(1700000000500));
  metrics.RecordReload(true, when);
  std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "vigil_config_last_reload_successful 1"));
  EXPECT_TRUE(HasLine(text, "vigil_config_last_reload_success_timestamp_seconds 1700000000.5"));

  // A failed reload keeps the time of the last success.
  metrics.RecordReload(false, when + std::chrono::minutes(1));
  text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "vigil_config_last_reload_successful 0"));
  EXPECT_TRUE(HasLine(text, "vigil_config_last_reload_success_timestamp_seconds 1700000000.5"));
}

TEST(MetricsTest, ProcessMetricsArePlausible) {
  Metrics metrics("node-a");
  const std::string text = metrics.Render();
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_TRUE(HasLine(text, "# TYPE process_cpu_seconds_total counter"));
  EXPECT_GE(Value(text, "process_cpu_seconds_total"), 0);
  EXPECT_GT(Value(text, "process_open_fds"), 2);  // stdin, stdout, stderr at least
  EXPECT_GE(Value(text, "process_max_fds"), Value(text, "process_open_fds"));
  EXPECT_GT(Value(text, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(Value(text, "process_virtual_memory_bytes"),
            Value(text, "process_resident_memory_bytes"));
  const double start = Value(text, "process_start_time_seconds");
  EXPECT_GT(start, now - 3600);
  EXPECT_LT(start, now + 5);
}

// The Prober's thread changes targets and counts probes while API threads
// render: every rendering is whole, and the sanitizers see no misuse.
TEST(MetricsTest, RendersWhileTheLoopChangesTargets) {
  Metrics metrics("node-a");
  std::atomic<bool> done{false};
  std::thread loop([&] {
    for (uint64_t id = 0; id < 3000; ++id) {
      const std::string service = "svc-" + std::to_string(id % 7);
      metrics.OnTargetAdded(id, service, "10.0.0." + std::to_string(id % 250) + ":80", "http",
                            false);
      metrics.OnProbeStarted(std::chrono::microseconds(id));
      metrics.OnProbeDone(id, Result(ProbeOutcome::kSuccess));
      metrics.OnReadinessChanged(id, true);
      if (id % 3 == 0) metrics.OnTargetUpdated(id, id % 2 == 0 ? "tcp" : "none");
      if (id >= 20) metrics.OnTargetRemoved(id - 20);
    }
    done = true;
  });
  static const std::regex kLine(R"(^(# (HELP|TYPE) .*|[a-z_]+(\{.*\})? [0-9.e+-]+)$)");
  int renders = 0;
  while (!done || renders == 0) {
    const std::string text = metrics.Render();
    ++renders;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      ASSERT_TRUE(std::regex_match(line, kLine)) << line;
    }
  }
  loop.join();
  EXPECT_GT(renders, 0);
}

// DESIGN.md: every metric passes `promtool check metrics` with no warning.
TEST(MetricsPromtoolTest, CheckMetricsPrintsNothing) {
  const std::string promtool = testing::FindProgram("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";

  Metrics metrics("node-a");
  metrics.OnTargetAdded(1, "web", "10.0.0.1:80", "http", false);
  metrics.OnTargetAdded(2, "web", "10.0.0.2:443", "https", false);
  metrics.OnTargetAdded(3, "api", "[fd00::1]:8080", "tcp", false);
  metrics.OnTargetAdded(4, "db", "10.0.1.1:5432", "none", true);
  metrics.OnProbeStarted(milliseconds(2));
  metrics.OnProbeDone(1, Result(ProbeOutcome::kSuccess));
  metrics.OnProbeDone(2, Result(ProbeOutcome::kTimeout, milliseconds(1000)));
  metrics.OnProbeDone(3, Result(ProbeOutcome::kError));
  ProbeResult detailed = Failed(ProbeOutcome::kFailure, ProbeReason::kTls);
  detailed.set_phase(ProbePhase::kConnect, std::chrono::microseconds(120));
  detailed.certificate_expiry = 1795688430;
  metrics.OnProbeDone(2, detailed);
  metrics.OnReadinessChanged(1, true);
  metrics.SetRegistryConnected("embedded", true);
  metrics.RecordPublish("embedded", true, 3);
  metrics.RecordReload(true, std::chrono::system_clock::now());
  metrics.RecordDnsQuery("NOERROR", 7);
  metrics.RecordDnsQuery("NXDOMAIN", 0);

  const testing::PromtoolCheck check = testing::CheckMetrics(promtool, metrics.Render());
  EXPECT_TRUE(check.passed) << check.output;
  EXPECT_EQ(check.output, "");
}

}  // namespace
}  // namespace vigil
