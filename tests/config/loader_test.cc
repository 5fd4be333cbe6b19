#include "config/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tests/config/load_helpers.h"

namespace vigil {
namespace {

using config_test::Errors;
using config_test::Lines;
using config_test::MustLoad;

const HttpGetAction* HttpGetOf(const Service& service) {
  if (!service.readiness_probe) return nullptr;
  return std::get_if<HttpGetAction>(&service.readiness_probe->handler);
}

const TcpSocketAction* TcpSocketOf(const Service& service) {
  if (!service.readiness_probe) return nullptr;
  return std::get_if<TcpSocketAction>(&service.readiness_probe->handler);
}

std::string WriteTempFile(const std::string& name, std::string_view content) {
  const std::string path = testing::TempDir() + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  EXPECT_TRUE(out) << "cannot write " << path;
  return path;
}

// ---- Defaults ----

TEST(LoaderDefaultsTest, MinimalConfigTakesEveryDefault) {
  const Config config = MustLoad("services: []\n");
  EXPECT_EQ(config.node, "");
  EXPECT_EQ(config.listen, "127.0.0.1:9476");
  EXPECT_EQ(config.logging.level, "info");
  EXPECT_EQ(config.logging.format, LogFormat::kText);
  EXPECT_EQ(config.registry.backend, RegistryBackend::kEmbedded);
  EXPECT_EQ(config.registry.etcd.endpoints, Lines{"http://127.0.0.1:2379"});
  EXPECT_EQ(config.registry.etcd.prefix, "/vigil");
  EXPECT_EQ(config.registry.etcd.lease_ttl_seconds, 10);
  EXPECT_EQ(config.probe_defaults.initial_delay_seconds, 0);
  EXPECT_EQ(config.probe_defaults.period_seconds, 10);
  EXPECT_EQ(config.probe_defaults.timeout_seconds, 1);
  EXPECT_EQ(config.probe_defaults.success_threshold, 1);
  EXPECT_EQ(config.probe_defaults.failure_threshold, 3);
  EXPECT_TRUE(config.services.empty());
  EXPECT_EQ(config, Config{});
}

TEST(LoaderDefaultsTest, ServicesMayBeOmitted) {
  const Config config = MustLoad("node: node-a\n");
  EXPECT_EQ(config.node, "node-a");
  EXPECT_TRUE(config.services.empty());
}

TEST(LoaderDefaultsTest, ProbeTakesKubernetesDefaults) {
  const Config config = MustLoad(R"(services:
  - name: web
    endpoints: [10.0.0.1:8080]
    readinessProbe:
      httpGet: {}
)");
  ASSERT_EQ(config.services.size(), 1u);
  const Service& web = config.services[0];
  ASSERT_TRUE(web.readiness_probe.has_value());
  const ProbeTiming& timing = web.readiness_probe->timing;
  EXPECT_EQ(timing.initial_delay_seconds, 0);
  EXPECT_EQ(timing.period_seconds, 10);
  EXPECT_EQ(timing.timeout_seconds, 1);
  EXPECT_EQ(timing.success_threshold, 1);
  EXPECT_EQ(timing.failure_threshold, 3);
  const HttpGetAction* http = HttpGetOf(web);
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->path, "/");
  EXPECT_EQ(http->scheme, Scheme::kHttp);
  EXPECT_EQ(http->port, PortRef{});
  EXPECT_EQ(http->host, "");
  EXPECT_TRUE(http->headers.empty());
}

TEST(LoaderDefaultsTest, ProbeDefaultsApplyAndAProbesOwnFieldsWin) {
  const Config config = MustLoad(R"(probeDefaults:
  periodSeconds: 2
  timeoutSeconds: 0.5
  failureThreshold: 5
services:
  - name: own
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {}
      periodSeconds: 1
      successThreshold: 2
  - name: inherited
    endpoints: [10.0.0.2:80]
    readinessProbe:
      tcpSocket: {}
)");
  EXPECT_EQ(config.probe_defaults, (ProbeTiming{0, 2, 0.5, 1, 5}));
  ASSERT_EQ(config.services.size(), 2u);
  ASSERT_TRUE(config.services[0].readiness_probe.has_value());
  EXPECT_EQ(config.services[0].readiness_probe->timing, (ProbeTiming{0, 1, 0.5, 2, 5}));
  ASSERT_TRUE(config.services[1].readiness_probe.has_value());
  EXPECT_EQ(config.services[1].readiness_probe->timing, (ProbeTiming{0, 2, 0.5, 1, 5}));
}

TEST(LoaderDefaultsTest, ServiceWithoutReadinessProbeHasNone) {
  const Config config = MustLoad(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
  - name: null-probe
    endpoints: [10.0.0.1:80]
    readinessProbe:
)");
  ASSERT_EQ(config.services.size(), 2u);
  EXPECT_FALSE(config.services[0].readiness_probe.has_value());
  EXPECT_FALSE(config.services[1].readiness_probe.has_value());
}

TEST(LoaderTest, LoadsEveryField) {
  const Config config = MustLoad(R"(node: node-a.zone-1
listen: "[::1]:9000"
logging: {level: debug, format: json}
registry:
  backend: etcd
  etcd:
    endpoints: ["http://10.0.0.5:2379", "https://etcd.example.com:2379"]
    prefix: /vigil/prod
    leaseTTLSeconds: 30
probeDefaults: {initialDelaySeconds: 5}
services:
  - name: alpaca-prod
    labels: {app: alpaca, env: prod, ver: "1", example.com/team: pets, empty: ""}
    ports:
      - {name: http, port: 8080, protocol: TCP}
      - {name: admin, port: 9090}
    endpoints:
      - 10.32.0.13:8080
      - {address: 10.32.1.16, port: 8081}
    readinessProbe:
      httpGet:
        path: /ready?full=1
        port: admin
        host: alpaca.example.com
        scheme: HTTPS
        httpHeaders: [{name: X-A, value: b}, {name: Host, value: alpaca}, {name: X-Empty}]
      initialDelaySeconds: 1.5
      periodSeconds: 2
      timeoutSeconds: 0.75
      successThreshold: 2
      failureThreshold: 4
  - name: db
    ports: [{port: 5432}]
    endpoints: ["[fd00::1]"]
    readinessProbe:
      tcpSocket: {port: 5433, host: "fd00:0::2"}
)");
  EXPECT_EQ(config.node, "node-a.zone-1");
  EXPECT_EQ(config.listen, "[::1]:9000");
  EXPECT_EQ(config.logging, (LoggingConfig{"debug", LogFormat::kJson}));
  EXPECT_EQ(config.registry.backend, RegistryBackend::kEtcd);
  EXPECT_EQ(
      config.registry.etcd,
      (EtcdConfig{{"http://10.0.0.5:2379", "https://etcd.example.com:2379"}, "/vigil/prod", 30}));
  EXPECT_EQ(config.probe_defaults, (ProbeTiming{5, 10, 1, 1, 3}));
  ASSERT_EQ(config.services.size(), 2u);

  const Service& alpaca = config.services[0];
  EXPECT_EQ(alpaca.name, "alpaca-prod");
  EXPECT_EQ(alpaca.labels, (std::map<std::string, std::string>{{"app", "alpaca"},
                                                               {"empty", ""},
                                                               {"env", "prod"},
                                                               {"example.com/team", "pets"},
                                                               {"ver", "1"}}));
  EXPECT_EQ(alpaca.ports, (std::vector<ServicePort>{{"http", 8080}, {"admin", 9090}}));
  EXPECT_EQ(alpaca.endpoints, (std::vector<Endpoint>{{"10.32.0.13", 8080}, {"10.32.1.16", 8081}}));
  ASSERT_TRUE(alpaca.readiness_probe.has_value());
  EXPECT_EQ(alpaca.readiness_probe->timing, (ProbeTiming{1.5, 2, 0.75, 2, 4}));
  const HttpGetAction* http = HttpGetOf(alpaca);
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->path, "/ready?full=1");
  EXPECT_EQ(http->port, (PortRef{0, "admin"}));
  EXPECT_EQ(http->host, "alpaca.example.com");
  EXPECT_EQ(http->scheme, Scheme::kHttps);
  EXPECT_EQ(http->headers,
            (std::vector<HttpHeader>{{"X-A", "b"}, {"Host", "alpaca"}, {"X-Empty", ""}}));

  const Service& db = config.services[1];
  EXPECT_EQ(db.name, "db");
  EXPECT_TRUE(db.labels.empty());
  EXPECT_EQ(db.ports, (std::vector<ServicePort>{{"", 5432}}));
  EXPECT_EQ(db.endpoints, (std::vector<Endpoint>{{"fd00::1", 5432}}));
  ASSERT_TRUE(db.readiness_probe.has_value());
  EXPECT_EQ(db.readiness_probe->timing, (ProbeTiming{5, 10, 1, 1, 3}));
  const TcpSocketAction* tcp = TcpSocketOf(db);
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->port, (PortRef{5433, ""}));
  EXPECT_EQ(tcp->host, "fd00::2");
}

// ---- Endpoints ----

TEST(LoaderEndpointTest, AcceptsEveryForm) {
  const Config config = MustLoad(R"(services:
  - name: web
    ports: [{name: http, port: 8080}]
    endpoints:
      - 10.0.0.1:80
      - "[0:0::1]:80"
      - 10.0.0.2
      - "fd00::2"
      - {address: 10.0.0.3, port: 81}
      - {address: 10.0.0.4, port: http}
      - {address: 10.0.0.5}
      - {address: "0:0::5", port: 82}
)");
  ASSERT_EQ(config.services.size(), 1u);
  EXPECT_EQ(config.services[0].endpoints, (std::vector<Endpoint>{
                                              {"10.0.0.1", 80},
                                              {"::1", 80},
                                              {"10.0.0.2", 8080},
                                              {"fd00::2", 8080},
                                              {"10.0.0.3", 81},
                                              {"10.0.0.4", 8080},
                                              {"10.0.0.5", 8080},
                                              {"::5", 82},
                                          }));
}

TEST(LoaderEndpointTest, BareAddressTakesTheFirstServicePort) {
  const Config config = MustLoad(R"(services:
  - name: web
    ports: [{name: http, port: 8080}, {name: admin, port: 9090}]
    endpoints: [10.0.0.1, {address: 10.0.0.2}]
)");
  ASSERT_EQ(config.services.size(), 1u);
  EXPECT_EQ(config.services[0].endpoints,
            (std::vector<Endpoint>{{"10.0.0.1", 8080}, {"10.0.0.2", 8080}}));
}

TEST(LoaderEndpointTest, HostPortNamesEndpoints) {
  EXPECT_EQ((Endpoint{"10.0.0.1", 8080}).HostPort(), "10.0.0.1:8080");
  EXPECT_EQ((Endpoint{"::1", 80}).HostPort(), "[::1]:80");
  EXPECT_EQ((Endpoint{"fd00::1", 65535}).HostPort(), "[fd00::1]:65535");
  EXPECT_FALSE((Endpoint{"10.0.0.1", 80}).IsIpv6());
  EXPECT_TRUE((Endpoint{"::ffff:10.0.0.1", 80}).IsIpv6());
}

TEST(LoaderEndpointTest, AddressWithoutPortNeedsAServicePort) {
  EXPECT_EQ(
      Errors(R"(services:
  - name: web
    endpoints:
      - 10.0.0.1
      - {address: 10.0.0.2}
)"),
      (Lines{"test.yaml:4:9: services[0].endpoints[0]: address \"10.0.0.1\" has no port and the "
             "service declares no ports to default to",
             "test.yaml:5:9: services[0].endpoints[1].port: required when the service "
             "declares no ports to default to"}));
}

TEST(LoaderEndpointTest, RejectsBadAddresses) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    ports: [{port: 80}]
    endpoints:
      - 300.1.1.1:80
      - db.example.com:80
      - "[::1:80"
      - 10.0.0.1:0
      - 10.0.0.1:http
      - "[::1]80"
      - {address: db.example.com}
      - {address: 10.0.0.9, port: 0}
      - {port: 80}
      - [10.0.0.1]
      - {address: [10.0.0.1]}
      - 10.0.0.02:80
      - ""
      - {address: 10.0.0.1, prot: 80}
)"),
            (Lines{
                "test.yaml:5:9: services[0].endpoints[0]: invalid address \"300.1.1.1:80\": "
                "\"300.1.1.1\" is not an IP address",
                "test.yaml:6:9: services[0].endpoints[1]: invalid address \"db.example.com:80\": "
                "\"db.example.com\" is not an IP address",
                "test.yaml:7:9: services[0].endpoints[2]: invalid address \"[::1:80\": missing "
                "\"]\"",
                "test.yaml:8:9: services[0].endpoints[3]: invalid address \"10.0.0.1:0\": invalid "
                "port \"0\": want a number from 1 to 65535",
                "test.yaml:9:9: services[0].endpoints[4]: invalid address \"10.0.0.1:http\": "
                "invalid port \"http\": want a number from 1 to 65535",
                "test.yaml:10:9: services[0].endpoints[5]: invalid address \"[::1]80\": want "
                "\"[v6]:port\"",
                "test.yaml:11:19: services[0].endpoints[6].address: \"db.example.com\" is not an "
                "IP address",
                "test.yaml:12:35: services[0].endpoints[7].port: must be from 1 to 65535 (got 0)",
                "test.yaml:13:9: services[0].endpoints[8].address: required key is missing",
                "test.yaml:14:9: services[0].endpoints[9]: expected \"ip:port\" or a mapping "
                "{address, port}, got a list",
                "test.yaml:15:19: services[0].endpoints[10].address: expected a string, got a "
                "list",
                "test.yaml:16:9: services[0].endpoints[11]: invalid address \"10.0.0.02:80\": "
                "\"10.0.0.02\" is not an IP address",
                "test.yaml:17:9: services[0].endpoints[12]: invalid address \"\": \"\" is not an "
                "IP address",
                "test.yaml:18:29: services[0].endpoints[13].prot: unknown key \"prot\" (did you "
                "mean \"port\"?)",
            }));
}

TEST(LoaderEndpointTest, RejectsDuplicateEndpoints) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    ports: [{name: http, port: 80}]
    endpoints:
      - 10.0.0.1:80
      - "[::1]:80"
      - {address: 10.0.0.1, port: 80}
      - 10.0.0.1
      - {address: 10.0.0.1, port: http}
      - "[0:0::1]:80"
      - 10.0.0.1:81
)"),
            (Lines{
                "test.yaml:7:9: services[0].endpoints[2]: duplicate endpoint 10.0.0.1:80 (first "
                "listed at line 5)",
                "test.yaml:8:9: services[0].endpoints[3]: duplicate endpoint 10.0.0.1:80 (first "
                "listed at line 5)",
                "test.yaml:9:9: services[0].endpoints[4]: duplicate endpoint 10.0.0.1:80 (first "
                "listed at line 5)",
                "test.yaml:10:9: services[0].endpoints[5]: duplicate endpoint [::1]:80 (first "
                "listed at line 6)",
            }));
}

TEST(LoaderEndpointTest, SameEndpointInTwoServicesIsFine) {
  const Config config = MustLoad(R"(services:
  - name: a
    endpoints: [10.0.0.1:80]
  - name: b
    endpoints: [10.0.0.1:80]
)");
  ASSERT_EQ(config.services.size(), 2u);
  EXPECT_EQ(config.services[1].endpoints, (std::vector<Endpoint>{{"10.0.0.1", 80}}));
}

// An empty item ("-" alone) has no text to point at, so the error points at the list; the
// key path names the item.
TEST(LoaderEndpointTest, EmptyListItemIsNamedByItsIndex) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints:
      - 10.0.0.1:80
      - 10.0.0.2:80
      -
)"),
            (Lines{"test.yaml:4:7: services[0].endpoints[2]: expected \"ip:port\" or a mapping "
                   "{address, port}, got nothing"}));
}

// ---- Probe ports ----

TEST(LoaderProbePortTest, NumberNameOrTheEndpointsPort) {
  const Config config = MustLoad(R"(services:
  - name: by-number
    endpoints: [10.0.0.1:8080, 10.0.0.2:8081]
    readinessProbe:
      tcpSocket: {port: 7000}
  - name: by-name
    ports: [{name: http, port: 8080}, {name: admin, port: 9090}]
    endpoints: [10.0.0.1, 10.0.0.2:8081]
    readinessProbe:
      httpGet: {port: admin}
  - name: omitted
    endpoints: [10.0.0.1:8080, 10.0.0.2:8081]
    readinessProbe:
      httpGet: {path: /healthz}
)");
  ASSERT_EQ(config.services.size(), 3u);

  const Service& by_number = config.services[0];
  ASSERT_NE(TcpSocketOf(by_number), nullptr);
  const PortRef number = TcpSocketOf(by_number)->port;
  EXPECT_EQ(number, (PortRef{7000, ""}));
  ASSERT_EQ(by_number.endpoints.size(), 2u);
  EXPECT_EQ(*ResolvePort(number, by_number, by_number.endpoints[0]), 7000);
  EXPECT_EQ(*ResolvePort(number, by_number, by_number.endpoints[1]), 7000);

  const Service& by_name = config.services[1];
  ASSERT_NE(HttpGetOf(by_name), nullptr);
  const PortRef name = HttpGetOf(by_name)->port;
  EXPECT_EQ(name, (PortRef{0, "admin"}));
  ASSERT_EQ(by_name.endpoints.size(), 2u);
  EXPECT_EQ(*ResolvePort(name, by_name, by_name.endpoints[0]), 9090);
  EXPECT_EQ(*ResolvePort(name, by_name, by_name.endpoints[1]), 9090);

  const Service& omitted = config.services[2];
  ASSERT_NE(HttpGetOf(omitted), nullptr);
  const PortRef none = HttpGetOf(omitted)->port;
  EXPECT_EQ(none, PortRef{});
  ASSERT_EQ(omitted.endpoints.size(), 2u);
  EXPECT_EQ(*ResolvePort(none, omitted, omitted.endpoints[0]), 8080);
  EXPECT_EQ(*ResolvePort(none, omitted, omitted.endpoints[1]), 8081);
}

TEST(LoaderProbePortTest, ResolvePortReportsAnUnknownName) {
  Service service;
  service.name = "web";
  service.ports = {{"http", 8080}};
  const Result<int> port = ResolvePort(PortRef{0, "admin"}, service, Endpoint{"10.0.0.1", 80});
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().message(), "port \"admin\" is not a port of service \"web\"");
}

TEST(LoaderProbePortTest, RejectsUnknownNames) {
  EXPECT_EQ(Errors(R"(services:
  - name: named
    ports: [{name: http, port: 8080}, {name: admin, port: 9090}]
    endpoints: [10.0.0.1]
    readinessProbe:
      tcpSocket: {port: htp}
  - name: unnamed
    ports: [{port: 8080}]
    endpoints: [10.0.0.1]
    readinessProbe:
      httpGet: {port: http}
)"),
            (Lines{
                "test.yaml:6:25: services[0].readinessProbe.tcpSocket.port: port \"htp\" is not "
                "one of the service's ports (http, admin)",
                "test.yaml:11:23: services[1].readinessProbe.httpGet.port: port \"http\" is not "
                "one of the service's ports (it has no named ports)",
            }));
}

TEST(LoaderProbePortTest, EndpointPortNameMustResolve) {
  EXPECT_EQ(
      Errors(R"(services:
  - name: web
    ports: [{name: http, port: 8080}]
    endpoints: [{address: 10.0.0.1, port: admin}]
)"),
      (Lines{"test.yaml:4:43: services[0].endpoints[0].port: port \"admin\" is not one of the "
             "service's ports (http)"}));
}

TEST(LoaderProbePortTest, QuotedNumberIsANameAndRejected) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    ports: [{name: http, port: 8080}]
    endpoints: [10.0.0.1]
    readinessProbe:
      tcpSocket: {port: "8080"}
)"),
            (Lines{"test.yaml:6:25: services[0].readinessProbe.tcpSocket.port: \"8080\" is not a "
                   "valid port name: use at most 15 lowercase letters, digits and \"-\", with at "
                   "least one letter, no \"--\", and no \"-\" at either end"}));
}

TEST(LoaderProbePortTest, RejectsOutOfRangeNumbersAndWrongTypes) {
  EXPECT_EQ(Errors(R"(services:
  - name: a
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {port: 0}
  - name: b
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {port: 65536}
  - name: c
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {port: [80]}
)"),
            (Lines{
                "test.yaml:5:25: services[0].readinessProbe.tcpSocket.port: must be from 1 to "
                "65535 (got 0)",
                "test.yaml:9:25: services[1].readinessProbe.tcpSocket.port: must be from 1 to "
                "65535 (got 65536)",
                "test.yaml:13:25: services[2].readinessProbe.tcpSocket.port: expected a port "
                "number or name, got a list",
            }));
}

// A negative number is a number out of range, not a malformed port name.
TEST(LoaderProbePortTest, NegativeNumberIsReportedAsOutOfRange) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {port: -1}
)"),
            (Lines{"test.yaml:5:25: services[0].readinessProbe.tcpSocket.port: must be from 1 to "
                   "65535 (got -1)"}));
}

// A value tagged as a string (`!!str 8080`) is a string, like a quoted "8080".
TEST(LoaderProbePortTest, StringTaggedNumberIsNotANumber) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {port: !!str 8080}
)"),
            (Lines{"test.yaml:5:25: services[0].readinessProbe.tcpSocket.port: \"8080\" is not a "
                   "valid port name: use at most 15 lowercase letters, digits and \"-\", with at "
                   "least one letter, no \"--\", and no \"-\" at either end"}));
}

// ---- Probe timing ----

TEST(LoaderTimingTest, AcceptsFractionalSecondsAndZeroDelay) {
  const Config config = MustLoad(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {}
      initialDelaySeconds: 0
      periodSeconds: 0.25
      timeoutSeconds: 0.05
      successThreshold: 10000
      failureThreshold: 1
)");
  ASSERT_EQ(config.services.size(), 1u);
  ASSERT_TRUE(config.services[0].readiness_probe.has_value());
  EXPECT_EQ(config.services[0].readiness_probe->timing, (ProbeTiming{0, 0.25, 0.05, 10000, 1}));
}

TEST(LoaderTimingTest, AcceptsTheLargestValues) {
  const Config config = MustLoad(R"(probeDefaults:
  initialDelaySeconds: 86400
  periodSeconds: 86400
  timeoutSeconds: 86400
services: []
)");
  EXPECT_EQ(config.probe_defaults, (ProbeTiming{86400, 86400, 86400, 1, 3}));
}

TEST(LoaderTimingTest, RejectsOutOfRangeValues) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {}
      initialDelaySeconds: -1
      periodSeconds: 0.01
      timeoutSeconds: 86401
      successThreshold: 0
      failureThreshold: 10001
)"),
            (Lines{
                "test.yaml:6:28: services[0].readinessProbe.initialDelaySeconds: must be from 0 "
                "to 86400 seconds (got -1)",
                "test.yaml:7:22: services[0].readinessProbe.periodSeconds: must be from 0.05 to "
                "86400 seconds (got 0.01)",
                "test.yaml:8:23: services[0].readinessProbe.timeoutSeconds: must be from 0.05 to "
                "86400 seconds (got 86401)",
                "test.yaml:9:25: services[0].readinessProbe.successThreshold: must be from 1 to "
                "10000 (got 0)",
                "test.yaml:10:25: services[0].readinessProbe.failureThreshold: must be from 1 to "
                "10000 (got 10001)",
            }));
}

TEST(LoaderTimingTest, RejectsOutOfRangeProbeDefaults) {
  EXPECT_EQ(Errors(R"(probeDefaults:
  periodSeconds: 0.049
  initialDelaySeconds: 86400.5
  failureThreshold: 0
services: []
)"),
            (Lines{
                "test.yaml:2:18: probeDefaults.periodSeconds: must be from 0.05 to 86400 seconds "
                "(got 0.049)",
                "test.yaml:3:24: probeDefaults.initialDelaySeconds: must be from 0 to 86400 "
                "seconds (got 86400.5)",
                "test.yaml:4:21: probeDefaults.failureThreshold: must be from 1 to 10000 (got 0)",
            }));
}

TEST(LoaderTimingTest, RejectsNonNumbers) {
  EXPECT_EQ(Errors(R"(probeDefaults:
  successThreshold: 1.5
  failureThreshold: "3"
  periodSeconds: "3"
  timeoutSeconds: one
  initialDelaySeconds: .inf
services: []
)"),
            (Lines{
                "test.yaml:2:21: probeDefaults.successThreshold: expected a whole number, got "
                "\"1.5\"",
                "test.yaml:3:21: probeDefaults.failureThreshold: expected a whole number, got the "
                "string \"3\"",
                "test.yaml:4:18: probeDefaults.periodSeconds: expected a number of seconds, got "
                "the string \"3\"",
                "test.yaml:5:19: probeDefaults.timeoutSeconds: expected a number of seconds, got "
                "\"one\"",
                "test.yaml:6:24: probeDefaults.initialDelaySeconds: expected a number of seconds, "
                "got \".inf\"",
            }));
}

TEST(LoaderTimingTest, RejectsWrongTypes) {
  EXPECT_EQ(Errors(R"(probeDefaults:
  periodSeconds: {}
  failureThreshold: [3]
services: []
)"),
            (Lines{
                "test.yaml:2:18: probeDefaults.periodSeconds: expected a number of seconds, got a "
                "mapping",
                "test.yaml:3:21: probeDefaults.failureThreshold: expected a whole number, got a "
                "list",
            }));
}

// A value tagged as a string (`!!str 3`) is refused like the quoted "3".
TEST(LoaderTimingTest, StringTaggedNumberIsRefused) {
  EXPECT_EQ(Errors(R"(probeDefaults:
  periodSeconds: !!str 3
services: []
)"),
            (Lines{"test.yaml:2:18: probeDefaults.periodSeconds: expected a number of seconds, got "
                   "the string \"3\""}));
}

// ---- Keys and types ----

TEST(LoaderKeysTest, UnknownKeyWithSuggestion) {
  EXPECT_EQ(Errors(R"(servics: []
Listen: ":80"
probeDefaults: {PeriodSeconds: 2}
)"),
            (Lines{
                "test.yaml:1:1: servics: unknown key \"servics\" (did you mean \"services\"?)",
                "test.yaml:2:1: Listen: unknown key \"Listen\" (did you mean \"listen\"?)",
                "test.yaml:3:17: probeDefaults.PeriodSeconds: unknown key \"PeriodSeconds\" (did "
                "you mean \"periodSeconds\"?)",
            }));
}

TEST(LoaderKeysTest, UnknownKeyDeepInsideAProbe) {
  EXPECT_EQ(
      Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      httpGet:
        pth: /ready
)"),
      (Lines{"test.yaml:6:9: services[0].readinessProbe.httpGet.pth: unknown key \"pth\" (did "
             "you mean \"path\"?)"}));
}

TEST(LoaderKeysTest, UnknownKeyWithoutSuggestion) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    selector: {app: web}
foo: 1
)"),
            (Lines{
                "test.yaml:3:5: services[0].selector: unknown key \"selector\"",
                "test.yaml:4:1: foo: unknown key \"foo\"",
            }));
}

TEST(LoaderKeysTest, DuplicateKeys) {
  EXPECT_EQ(Errors(R"(node: a
services:
  - name: web
    endpoints: [10.0.0.1:80]
    name: api
node: b
)"),
            (Lines{
                "test.yaml:5:5: services[0].name: duplicate key \"name\" (first set at line 3)",
                "test.yaml:6:1: node: duplicate key \"node\" (first set at line 1)",
            }));
}

TEST(LoaderKeysTest, DuplicateLabel) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    labels:
      app: a
      app: b
)"),
            (Lines{"test.yaml:5:7: services[0].labels.app: duplicate label \"app\""}));
}

TEST(LoaderKeysTest, NonScalarKey) {
  EXPECT_EQ(Errors(R"(? [a]
: 1
services: []
)"),
            (Lines{"test.yaml:1:3: expected a key, got a list"}));
}

TEST(LoaderTypesTest, WrongTypes) {
  EXPECT_EQ(Errors(R"(node: {name: a}
logging: [info]
registry: etcd
services:
  - name: web
    labels: [app]
    ports: {name: http}
    endpoints: "10.0.0.1:80"
    readinessProbe: tcp
)"),
            (Lines{
                "test.yaml:1:7: node: expected a string, got a mapping",
                "test.yaml:2:10: logging: expected a mapping, got a list",
                "test.yaml:3:11: registry: expected a mapping, got \"etcd\"",
                "test.yaml:6:13: services[0].labels: expected a mapping, got a list",
                "test.yaml:7:12: services[0].ports: expected a list, got a mapping",
                "test.yaml:8:16: services[0].endpoints: expected a list, got the string "
                "\"10.0.0.1:80\"",
                "test.yaml:9:21: services[0].readinessProbe: expected a mapping, got \"tcp\"",
            }));
}

TEST(LoaderTypesTest, ServicesMustBeAList) {
  EXPECT_EQ(Errors("services: {name: web}\n"),
            (Lines{"test.yaml:1:11: services: expected a list, got a mapping"}));
  EXPECT_EQ(Errors("services:\n  - web\n"),
            (Lines{"test.yaml:2:5: services[0]: expected a mapping, got \"web\""}));
}

TEST(LoaderTypesTest, RootMustBeAMapping) {
  EXPECT_EQ(Errors("- services\n"), (Lines{"test.yaml:1:1: expected a mapping, got a list"}));
  EXPECT_EQ(Errors("hello\n"), (Lines{"test.yaml:1:1: expected a mapping, got \"hello\""}));
}

// ---- Services ----

TEST(LoaderServiceTest, DuplicateNamesNameTheFirstLine) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
  - name: api
    endpoints: [10.0.0.1:80]
  - name: web
    endpoints: [10.0.0.2:80]
)"),
            (Lines{"test.yaml:6:11: services[2].name: duplicate service name \"web\" in "
                   "namespace \"default\" (first defined at test.yaml:2:11)"}));
}

TEST(LoaderServiceTest, ANameIsUniqueInItsNamespaceOnly) {
  const Config config = MustLoad(R"(namespace: a
services:
  - name: web
    endpoints: [10.0.0.1:80]
  - name: web
    namespace: b
    endpoints: [10.0.0.2:80]
)");
  ASSERT_EQ(config.services.size(), 2u);
  EXPECT_EQ(config.services[0].Id(), (NamespacedName{"a", "web"}));
  EXPECT_EQ(config.services[1].Id(), (NamespacedName{"b", "web"}));
  EXPECT_EQ(SharedServiceNames(config.services), (std::set<std::string>{"web"}));
}

TEST(LoaderServiceTest, DuplicateNamesInOneNamespaceGiveBothPositions) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    namespace: a
    endpoints: [10.0.0.1:80]
  - name: web
    namespace: b
    endpoints: [10.0.0.1:80]
  -   name: web
      namespace: b
      endpoints: [10.0.0.2:80]
)"),
            (Lines{"test.yaml:8:13: services[2].name: duplicate service name \"web\" in "
                   "namespace \"b\" (first defined at test.yaml:5:11)"}));
  // The top-level namespace counts as the service's own.
  EXPECT_EQ(Errors(R"(namespace: a
services:
  - name: web
    endpoints: [10.0.0.1:80]
  - {name: web, namespace: a, endpoints: [10.0.0.2:80]}
)"),
            (Lines{"test.yaml:5:12: services[1].name: duplicate service name \"web\" in "
                   "namespace \"a\" (first defined at test.yaml:3:11)"}));
}

TEST(LoaderServiceTest, WithEtcdANameIsInOneNamespaceOnly) {
  EXPECT_EQ(Errors(R"(registry:
  backend: etcd
services:
  - name: web
    namespace: a
    endpoints: [10.0.0.1:80]
  - name: api
    namespace: b
    endpoints: [10.0.0.1:80]
  - name: web
    namespace: b
    endpoints: [10.0.0.2:80]
)"),
            (Lines{"test.yaml:10:11: services[2].name: service name \"web\" is already used in "
                   "namespace \"a\" (test.yaml:4:11): with registry.backend etcd a name may be "
                   "used in one namespace only, because the etcd keys "
                   "(PREFIX/services/SERVICE/NODE, PREFIX/endpoints/SERVICE/NODE/ADDRESS:PORT) "
                   "have no namespace"}));
  // Wherever registry is written in the file.
  EXPECT_EQ(Errors(R"(services:
  - {name: web, namespace: a, endpoints: [10.0.0.1:80]}
  - {name: web, namespace: b, endpoints: [10.0.0.1:80]}
registry: {backend: etcd}
)")
                .size(),
            1u);
  // The same name in the same namespace is the plain duplicate.
  EXPECT_EQ(Errors(R"(registry: {backend: etcd}
services:
  - {name: web, namespace: a, endpoints: [10.0.0.1:80]}
  - {name: web, namespace: a, endpoints: [10.0.0.1:80]}
)"),
            (Lines{"test.yaml:4:12: services[1].name: duplicate service name \"web\" in "
                   "namespace \"a\" (first defined at test.yaml:3:12)"}));
}

TEST(LoaderServiceTest, NamesMustBeDns1035Labels) {
  const std::string help =
      " is not a DNS-1035 label: use at most 63 lowercase letters, digits and \"-\", starting with "
      "a letter and ending with a letter or digit";
  const std::string n63(63, 'a');
  const std::string n64(64, 'a');
  const std::string yaml =
      "services:\n"
      "  - name: Web\n"
      "  - name: 1web\n"
      "  - name: " +
      n63 + "\n" + "  - name: " + n64 + "\n" +
      "  - name: web-\n"
      "  - name: we_b\n"
      "  - name: \"\"\n";
  EXPECT_EQ(Errors(yaml), (Lines{
                              "test.yaml:2:11: services[0].name: \"Web\"" + help,
                              "test.yaml:3:11: services[1].name: \"1web\"" + help,
                              "test.yaml:5:11: services[3].name: \"" + n64 + "\"" + help,
                              "test.yaml:6:11: services[4].name: \"web-\"" + help,
                              "test.yaml:7:11: services[5].name: \"we_b\"" + help,
                              "test.yaml:8:11: services[6].name: \"\"" + help,
                          }));
}

TEST(LoaderServiceTest, NameIsRequired) {
  EXPECT_EQ(Errors(R"(services:
  - endpoints: [10.0.0.1:80]
  - name:
)"),
            (Lines{
                "test.yaml:2:5: services[0].name: required key is missing",
                "test.yaml:3:5: services[1].name: required key is missing",
            }));
}

TEST(LoaderServiceTest, RejectsBadLabels) {
  EXPECT_EQ(
      Errors(R"(services:
  - name: web
    labels:
      App: ok
      example.com/app: ok
      Bad_/x: z
      -a: b
      ok: -bad
      empty: ""
      none:
      list: [1]
      a/b/c: x
)"),
      (Lines{
          "test.yaml:6:7: services[0].labels.Bad_/x: label key \"Bad_/x\": the prefix "
          "\"Bad_\" is not a DNS-1123 subdomain",
          "test.yaml:7:7: services[0].labels.-a: label key \"-a\" is not valid: the name part "
          "takes at most 63 letters, digits, \"-\", \"_\" and \".\", starting and ending with "
          "a letter or digit",
          "test.yaml:8:11: services[0].labels.ok: label value \"-bad\" is not valid: use at "
          "most 63 letters, digits, \"-\", \"_\" and \".\", starting and ending with a letter "
          "or digit",
          "test.yaml:11:13: services[0].labels.list: expected a string, got a list",
          "test.yaml:12:7: services[0].labels.a/b/c: label key \"a/b/c\" is not valid: the "
          "name part takes at most 63 letters, digits, \"-\", \"_\" and \".\", starting and "
          "ending with a letter or digit",
      }));
}

TEST(LoaderServiceTest, EmptyAndNullLabelValuesAreEmpty) {
  const Config config = MustLoad(R"(services:
  - name: web
    labels: {a: "", b: , c: "1"}
)");
  ASSERT_EQ(config.services.size(), 1u);
  EXPECT_EQ(config.services[0].labels,
            (std::map<std::string, std::string>{{"a", ""}, {"b", ""}, {"c", "1"}}));
}

// ---- Service ports ----

TEST(LoaderServicePortTest, MoreThanOnePortNeedsNames) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    ports:
      - port: 80
      - {name: admin, port: 81}
      - port: 82
)"),
            (Lines{
                "test.yaml:4:9: services[0].ports[0].name: required when a service has more than "
                "one port",
                "test.yaml:6:9: services[0].ports[2].name: required when a service has more than "
                "one port",
            }));
}

TEST(LoaderServicePortTest, RejectsBadPorts) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    ports:
      - {name: http, port: 80}
      - {name: http, port: 81}
      - {name: admin, port: 80}
      - {name: dns, port: 53, protocol: UDP}
      - {name: tcp, port: 84, protocol: tcp}
      - {name: a--b, port: 85}
      - {name: "8080", port: 86}
      - {name: y}
      - {name: z, port: 65536}
)"),
            (Lines{
                "test.yaml:5:16: services[0].ports[1].name: duplicate port name \"http\"",
                "test.yaml:6:29: services[0].ports[2].port: duplicate port 80",
                "test.yaml:7:41: services[0].ports[3].protocol: unsupported protocol \"UDP\" "
                "(vigil probes TCP only)",
                "test.yaml:8:41: services[0].ports[4].protocol: unsupported protocol \"tcp\" "
                "(vigil probes TCP only)",
                "test.yaml:9:16: services[0].ports[5].name: \"a--b\" is not a valid port name: use "
                "at most 15 lowercase letters, digits and \"-\", with at least one letter, no "
                "\"--\", and no \"-\" at either end",
                "test.yaml:10:16: services[0].ports[6].name: \"8080\" is not a valid port name: "
                "use at most 15 lowercase letters, digits and \"-\", with at least one letter, no "
                "\"--\", and no \"-\" at either end",
                "test.yaml:11:9: services[0].ports[7].port: required key is missing",
                "test.yaml:12:25: services[0].ports[8].port: must be from 1 to 65535 (got 65536)",
            }));
}

TEST(LoaderServicePortTest, SingleUnnamedPortIsFine) {
  const Config config = MustLoad(R"(services:
  - name: web
    ports: [{port: 8080, protocol: TCP}]
    endpoints: [10.0.0.1]
)");
  ASSERT_EQ(config.services.size(), 1u);
  EXPECT_EQ(config.services[0].ports, (std::vector<ServicePort>{{"", 8080}}));
  EXPECT_EQ(config.services[0].endpoints, (std::vector<Endpoint>{{"10.0.0.1", 8080}}));
}

// ---- Probe handlers ----

TEST(LoaderHandlerTest, ZeroHandlers) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      periodSeconds: 2
  - name: api
    endpoints: [10.0.0.1:80]
    readinessProbe: {}
)"),
            (Lines{
                "test.yaml:5:7: services[0].readinessProbe: must set one handler: httpGet, "
                "tcpSocket, grpc or exec",
                "test.yaml:8:21: services[1].readinessProbe: must set one handler: httpGet, "
                "tcpSocket, grpc or exec",
            }));
}

TEST(LoaderHandlerTest, TwoHandlersAndTheirOwnErrors) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      httpGet: {path: ready, port: nope}
      tcpSocket: {port: 0}
)"),
            (Lines{
                "test.yaml:5:23: services[0].readinessProbe.httpGet.path: must start with \"/\" "
                "and hold no spaces or control characters",
                "test.yaml:5:36: services[0].readinessProbe.httpGet.port: port \"nope\" is not one "
                "of the service's ports (it has no named ports)",
                "test.yaml:6:18: services[0].readinessProbe.tcpSocket: a probe takes one handler, "
                "but both httpGet and tcpSocket are set",
                "test.yaml:6:25: services[0].readinessProbe.tcpSocket.port: must be from 1 to "
                "65535 (got 0)",
            }));
}

TEST(LoaderHandlerTest, TwoValidHandlers) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {}
      httpGet: {}
)"),
            (Lines{"test.yaml:5:18: services[0].readinessProbe.tcpSocket: a probe takes one "
                   "handler, but both httpGet and tcpSocket are set"}));
}

TEST(LoaderHandlerTest, RejectsBadHttpGetFields) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      httpGet:
        path: /a b
        scheme: https
        host: bad_host
        httpHeaders:
          - {name: X A, value: b}
          - {name: X-B, value: "line1\nline2"}
          - {name: X-C}
          - {value: d}
          - {name: X-D, value: ok, extra: 1}
          - {name: X-E, value: "a\rb"}
)"),
            (Lines{
                "test.yaml:6:15: services[0].readinessProbe.httpGet.path: must start with \"/\" "
                "and hold no spaces or control characters",
                "test.yaml:7:17: services[0].readinessProbe.httpGet.scheme: unknown scheme "
                "\"https\" (want HTTP or HTTPS)",
                "test.yaml:8:15: services[0].readinessProbe.httpGet.host: \"bad_host\" is neither "
                "an IP address nor a host name",
                "test.yaml:10:20: services[0].readinessProbe.httpGet.httpHeaders[0].name: \"X A\" "
                "is not a valid HTTP header name",
                "test.yaml:11:32: services[0].readinessProbe.httpGet.httpHeaders[1].value: must "
                "not hold line breaks or NUL characters",
                "test.yaml:13:13: services[0].readinessProbe.httpGet.httpHeaders[3].name: required "
                "key is missing",
                "test.yaml:14:36: services[0].readinessProbe.httpGet.httpHeaders[4].extra: unknown "
                "key \"extra\"",
                "test.yaml:15:32: services[0].readinessProbe.httpGet.httpHeaders[5].value: must "
                "not hold line breaks or NUL characters",
            }));
}

// kubelet's url.Parse reads "//other/ready" as host "other" and path "/ready"
// (its own comment says this may be wrong); vigil refuses such a path.
TEST(LoaderHandlerTest, RejectsAPathThatWouldBeReadAsAHost) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      httpGet:
        path: //other/ready
)"),
            (Lines{
                "test.yaml:6:15: services[0].readinessProbe.httpGet.path: must not start with "
                "\"//\" (what follows would be read as a host)",
            }));
  EXPECT_TRUE(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      httpGet:
        path: "///ready#frag"
)")
                  .empty());
}

TEST(LoaderHandlerTest, RejectsEmptyPathAndHost) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      httpGet:
        path: ""
        host: ""
        httpHeaders: {X-A: b}
)"),
            (Lines{
                "test.yaml:6:15: services[0].readinessProbe.httpGet.path: must start with \"/\" "
                "and hold no spaces or control characters",
                "test.yaml:7:15: services[0].readinessProbe.httpGet.host: must not be empty",
                "test.yaml:8:22: services[0].readinessProbe.httpGet.httpHeaders: expected a list, "
                "got a mapping",
            }));
}

TEST(LoaderHandlerTest, TcpSocketHost) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe:
      tcpSocket: {host: "[::1", path: /}
)"),
            (Lines{
                "test.yaml:5:25: services[0].readinessProbe.tcpSocket.host: \"[::1\" is neither "
                "an IP address nor a host name",
                "test.yaml:5:33: services[0].readinessProbe.tcpSocket.path: unknown key \"path\"",
            }));
}

// ---- Agent settings ----

TEST(LoaderSettingsTest, RejectsBadSettings) {
  EXPECT_EQ(Errors(R"(node: Node_A
listen: localhost
logging: {level: verbose, format: xml}
registry:
  backend: consul
services: []
)"),
            (Lines{
                "test.yaml:1:7: node: \"Node_A\" is not a DNS-1123 subdomain: use at most 253 "
                "lowercase letters, digits, \"-\" and \".\", starting and ending with a letter or "
                "digit",
                "test.yaml:2:9: listen: invalid listen address \"localhost\": want \"host:port\", "
                "\"[v6]:port\" or \":port\"",
                "test.yaml:3:18: logging.level: unknown log level \"verbose\" (want one of trace, "
                "debug, info, warn, error, critical, off)",
                "test.yaml:3:35: logging.format: unknown log format \"xml\" (want text or json)",
                "test.yaml:5:12: registry.backend: unknown backend \"consul\" (want embedded or "
                "etcd)",
            }));
}

TEST(LoaderSettingsTest, NodeMustNotBeEmpty) {
  EXPECT_EQ(Errors("node: \"\"\nservices: []\n"),
            (Lines{"test.yaml:1:7: node: must not be empty"}));
}

TEST(LoaderSettingsTest, ListenForms) {
  EXPECT_EQ(MustLoad("listen: \":9476\"\n").listen, ":9476");
  EXPECT_EQ(MustLoad("listen: \"[::1]:0\"\n").listen, "[::1]:0");
  EXPECT_EQ(MustLoad("listen: localhost:80\n").listen, "localhost:80");
  EXPECT_EQ(Errors("listen: \"[::1]9476\"\n"),
            (Lines{"test.yaml:1:9: listen: invalid listen address \"[::1]9476\": want "
                   "\"host:port\", \"[v6]:port\" or \":port\""}));
  EXPECT_EQ(Errors("listen: \":65536\"\n"),
            (Lines{"test.yaml:1:9: listen: invalid listen address \":65536\": invalid port "
                   "\"65536\": want a number from 0 to 65535"}));
}

TEST(LoaderSettingsTest, RejectsBadEtcdSettings) {
  EXPECT_EQ(Errors(R"(registry:
  etcd:
    endpoints:
      - 127.0.0.1:2379
      - http://:2379
      - http://etcd
      - https://[::1]:2379
      - ftp://etcd:2379
    prefix: vigil/
    leaseTTLSeconds: 1
)"),
            (Lines{
                "test.yaml:4:9: registry.etcd.endpoints[0]: invalid etcd endpoint "
                "\"127.0.0.1:2379\": want \"http://host:port\" or \"https://host:port\"",
                "test.yaml:5:9: registry.etcd.endpoints[1]: invalid etcd endpoint "
                "\"http://:2379\": want \"http://host:port\" or \"https://host:port\"",
                "test.yaml:6:9: registry.etcd.endpoints[2]: invalid etcd endpoint "
                "\"http://etcd\": want \"http://host:port\" or \"https://host:port\"",
                "test.yaml:8:9: registry.etcd.endpoints[4]: invalid etcd endpoint "
                "\"ftp://etcd:2379\": want \"http://host:port\" or \"https://host:port\"",
                "test.yaml:9:13: registry.etcd.prefix: must start with \"/\", not end with \"/\", "
                "and have no empty segment (got \"vigil/\")",
                "test.yaml:10:22: registry.etcd.leaseTTLSeconds: must be from 2 to 86400 (got 1)",
            }));
}

TEST(LoaderSettingsTest, RejectsEmptyEtcdEndpointsAndBadPrefixes) {
  EXPECT_EQ(Errors(R"(registry:
  etcd:
    endpoints: []
    prefix: /
)"),
            (Lines{
                "test.yaml:3:16: registry.etcd.endpoints: must list at least one etcd endpoint",
                "test.yaml:4:13: registry.etcd.prefix: must start with \"/\", not end with \"/\", "
                "and have no empty segment (got \"/\")",
            }));
  for (const std::string prefix : {"/a/", "//a", "/a//b", "a", ""}) {
    SCOPED_TRACE(prefix);
    EXPECT_EQ(Errors("registry: {etcd: {prefix: \"" + prefix + "\"}}\n"),
              (Lines{"test.yaml:1:27: registry.etcd.prefix: must start with \"/\", not end with "
                     "\"/\", and have no empty segment (got \"" +
                     prefix + "\")"}));
  }
}

// ---- Documents ----

TEST(LoaderDocumentTest, YamlSyntaxErrorHasItsPosition) {
  EXPECT_EQ(Errors(R"(services:
  - name: web
    endpoints: [10.0.0.1:80
    labels: {}
)"),
            (Lines{"test.yaml:4:11: YAML syntax error: did not find expected ',' or ']' (while "
                   "parsing a flow sequence from line 3, column 16)"}));
  EXPECT_EQ(Errors("node: a: b\n"),
            (Lines{"test.yaml:1:8: YAML syntax error: mapping values are not allowed in this "
                   "context"}));
  EXPECT_EQ(Errors("node: a\nservices: []\n  listen: x\n"),
            (Lines{"test.yaml:3:3: YAML syntax error: did not find expected key (while parsing a "
                   "block mapping from line 1, column 1)"}));
}

TEST(LoaderDocumentTest, EmptyFile) {
  const Lines empty{"test.yaml: the file is empty: expected a mapping with a \"services\" list"};
  EXPECT_EQ(Errors(""), empty);
  EXPECT_EQ(Errors("\n\n"), empty);
  EXPECT_EQ(Errors("# nothing here\n"), empty);
  EXPECT_EQ(Errors("---\n"), empty);
  const ConfigLoad load = LoadConfig("", "test.yaml");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 0);
  EXPECT_EQ(load.errors[0].path, "");
}

TEST(LoaderDocumentTest, TwoDocuments) {
  EXPECT_EQ(Errors(R"(services: []
---
services: []
)"),
            (Lines{"test.yaml:3:1: expected one YAML document, found 2"}));
}

// Generated YAML often ends with "---": an empty last document is no second config.
TEST(LoaderDocumentTest, TrailingDocumentMarkerIsIgnored) {
  EXPECT_EQ(MustLoad("node: a\n---\n").node, "a");
  EXPECT_EQ(Errors("node: a\n---\nnode: b\n---\n"),
            (Lines{"test.yaml:3:1: expected one YAML document, found 2"}));
}

TEST(LoaderDocumentTest, DocumentMarkersAroundOneDocument) {
  EXPECT_EQ(MustLoad("---\nnode: a\n...\n").node, "a");
}

TEST(LoaderDocumentTest, JsonLoadsLikeTheSameYaml) {
  const Config from_yaml = MustLoad(R"(node: node-a
listen: ":9000"
probeDefaults: {failureThreshold: 5}
services:
  - name: web
    labels: {app: web}
    ports: [{name: http, port: 8080}]
    endpoints: [10.0.0.1, {address: "::1", port: 8081}]
    readinessProbe:
      httpGet: {path: /ready, port: http, httpHeaders: [{name: X-A, value: b}]}
      periodSeconds: 0.5
)");
  const Config from_json = MustLoad(R"({
  "node": "node-a",
  "listen": ":9000",
  "probeDefaults": {"failureThreshold": 5},
  "services": [{
    "name": "web",
    "labels": {"app": "web"},
    "ports": [{"name": "http", "port": 8080}],
    "endpoints": ["10.0.0.1", {"address": "::1", "port": 8081}],
    "readinessProbe": {
      "httpGet": {"path": "/ready", "port": "http", "httpHeaders": [{"name": "X-A", "value": "b"}]},
      "periodSeconds": 0.5
    }
  }]
})");
  EXPECT_EQ(from_json, from_yaml);
  ASSERT_EQ(from_json.services.size(), 1u);
  EXPECT_EQ(from_json.services[0].endpoints,
            (std::vector<Endpoint>{{"10.0.0.1", 8080}, {"::1", 8081}}));
}

TEST(LoaderDocumentTest, JsonErrorsHavePositions) {
  EXPECT_EQ(Errors(R"({"services": [{"name": "web", "endpoints": ["10.0.0.1:80"],
  "readinessProbe": {"tcpSocket": {}, "failureThreshold": "3"}}]})"),
            (Lines{"test.yaml:2:59: services[0].readinessProbe.failureThreshold: expected a whole "
                   "number, got the string \"3\""}));
}

// ---- Reporting ----

TEST(LoaderReportTest, ErrorsAreSortedByPosition) {
  // The loader reads `node` before `services`, whatever their order in the file.
  EXPECT_EQ(Errors(R"(services:
  - name: Web
logging: {format: xml, level: loud}
node: Node
)"),
            (Lines{
                "test.yaml:2:11: services[0].name: \"Web\" is not a DNS-1035 label: use at most 63 "
                "lowercase letters, digits and \"-\", starting with a letter and ending with a "
                "letter or digit",
                "test.yaml:3:19: logging.format: unknown log format \"xml\" (want text or json)",
                "test.yaml:3:31: logging.level: unknown log level \"loud\" (want one of trace, "
                "debug, info, warn, error, critical, off)",
                "test.yaml:4:7: node: \"Node\" is not a DNS-1123 subdomain: use at most 253 "
                "lowercase letters, digits, \"-\" and \".\", starting and ending with a letter or "
                "digit",
            }));
}

TEST(LoaderReportTest, EveryErrorIsReported) {
  const ConfigLoad load = LoadConfig(R"(listen: nowhere
services:
  - name: web
    ports: [{name: http, port: 8080}]
    endpoints: [10.0.0.1, 10.0.0.1]
    readinessProbe:
      httpGet: {port: admin}
      periodSeconds: 0
  - name: web
)",
                                     "test.yaml");
  EXPECT_FALSE(load.ok());
  EXPECT_EQ(load.errors.size(), 5u);
  EXPECT_EQ(load.ErrorText(),
            "test.yaml:1:9: listen: invalid listen address \"nowhere\": want \"host:port\", "
            "\"[v6]:port\" or \":port\"\n"
            "test.yaml:5:27: services[0].endpoints[1]: duplicate endpoint 10.0.0.1:8080 (first "
            "listed at line 5)\n"
            "test.yaml:7:23: services[0].readinessProbe.httpGet.port: port \"admin\" is not one of "
            "the service's ports (http)\n"
            "test.yaml:8:22: services[0].readinessProbe.periodSeconds: must be from 0.05 to 86400 "
            "seconds (got 0)\n"
            "test.yaml:9:11: services[1].name: duplicate service name \"web\" in namespace "
            "\"default\" (first defined at test.yaml:3:11)\n");
}

TEST(LoaderReportTest, DiagnosticToStringLeavesOutUnknownParts) {
  EXPECT_EQ((Diagnostic{"f.yaml", 3, 7, "services[0].name", "bad"}).ToString(),
            "f.yaml:3:7: services[0].name: bad");
  EXPECT_EQ((Diagnostic{"f.yaml", 3, 7, "", "bad"}).ToString(), "f.yaml:3:7: bad");
  EXPECT_EQ((Diagnostic{"f.yaml", 0, 0, "", "bad"}).ToString(), "f.yaml: bad");
}

TEST(LoaderReportTest, DiagnosticsCarryTheirParts) {
  const ConfigLoad load = LoadConfig("services:\n  - name: Web\n", "dir/vigil.yaml");
  ASSERT_EQ(load.errors.size(), 1u);
  const Diagnostic& d = load.errors[0];
  EXPECT_EQ(d.file, "dir/vigil.yaml");
  EXPECT_EQ(d.line, 2);
  EXPECT_EQ(d.column, 11);
  EXPECT_EQ(d.path, "services[0].name");
  EXPECT_EQ(d.message,
            "\"Web\" is not a DNS-1035 label: use at most 63 lowercase letters, digits and \"-\", "
            "starting with a letter and ending with a letter or digit");
}

// ---- Files ----

TEST(LoadConfigFileTest, MissingFile) {
  const std::string path = testing::TempDir() + "vigil-no-such-config.yaml";
  std::filesystem::remove(path);
  const ConfigLoad load = LoadConfigFile(path);
  EXPECT_FALSE(load.ok());
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 0);
  EXPECT_EQ(load.errors[0].ToString(),
            path + ": cannot read config file: No such file or directory");
}

TEST(LoadConfigFileTest, Directory) {
  const std::string path = testing::TempDir();
  const ConfigLoad load = LoadConfigFile(path);
  EXPECT_FALSE(load.ok());
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].ToString(), path + ": cannot read config file: it is a directory");
}

TEST(LoadConfigFileTest, LoadsAFile) {
  const std::string path = WriteTempFile("vigil-loader-test-good.yaml", R"(node: node-a
services:
  - name: web
    endpoints: [10.0.0.1:80]
)");
  const ConfigLoad load = LoadConfigFile(path);
  ASSERT_TRUE(load.ok()) << load.ErrorText();
  EXPECT_EQ(load.config->node, "node-a");
  ASSERT_EQ(load.config->services.size(), 1u);
  EXPECT_EQ(load.config->services[0].endpoints, (std::vector<Endpoint>{{"10.0.0.1", 80}}));
  std::filesystem::remove(path);
}

TEST(LoadConfigFileTest, DiagnosticsCarryThePath) {
  const std::string path = WriteTempFile("vigil-loader-test-bad.yaml", R"(services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe: {tcpSocket: {}, periodSeconds: 0}
)");
  const ConfigLoad load = LoadConfigFile(path);
  EXPECT_FALSE(load.ok());
  EXPECT_EQ(load.ErrorText(), path +
                                  ":4:52: services[0].readinessProbe.periodSeconds: must be from "
                                  "0.05 to 86400 seconds (got 0)\n");
  std::filesystem::remove(path);
}

TEST(LoadConfigFileTest, EmptyFile) {
  const std::string path = WriteTempFile("vigil-loader-test-empty.yaml", "");
  const ConfigLoad load = LoadConfigFile(path);
  EXPECT_EQ(load.ErrorText(),
            path + ": the file is empty: expected a mapping with a \"services\" list\n");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace vigil
