// The probe handlers beyond httpGet and tcpSocket (grpc, exec) and the
// extensions of httpGet (protocol, method, body, followRedirects, tls,
// expect): decoded, and refused with file:line:col when wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/loader.h"
#include "tests/config/load_helpers.h"

namespace vigil {
namespace {

using config_test::Errors;
using config_test::Lines;
using config_test::MustLoad;
using ::testing::ElementsAre;
using ::testing::StartsWith;

template <typename Action>
const Action* HandlerOf(const Config& config, size_t service = 0) {
  if (config.services.size() <= service || !config.services[service].readiness_probe) {
    return nullptr;
  }
  return std::get_if<Action>(&config.services[service].readiness_probe->handler);
}

// Files the tls keys name, in a directory of the test's own.
class TlsFiles {
 public:
  TlsFiles()
      : dir_(std::filesystem::path(::testing::TempDir()) /
             ("vigil-tls-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(dir_);
    for (const char* name : {"ca.pem", "client.pem", "client.key"}) {
      std::ofstream(dir_ / name) << "-----BEGIN CERTIFICATE-----\n";
    }
    std::ofstream(dir_ / "empty.pem").close();
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }
  std::string operator()(const char* name) const { return (dir_ / name).string(); }
  std::string dir() const { return dir_.string(); }

 private:
  std::filesystem::path dir_;
};

std::string WithProbe(const std::string& probe) {
  return "services:\n"
         "  - name: web\n"
         "    ports: [{name: http, port: 8080}, {name: grpc, port: 9000}]\n"
         "    endpoints: [10.0.0.1:8080]\n"
         "    readinessProbe:\n" +
         probe;
}

// ---- exec ----

TEST(ExecHandlerTest, DecodesTheCommand) {
  const Config config = MustLoad(WithProbe("      exec: {command: [pg_isready, -q, -p, 5432]}\n"));
  const ExecAction* exec = HandlerOf<ExecAction>(config);
  ASSERT_NE(exec, nullptr);
  EXPECT_THAT(exec->command, ElementsAre("pg_isready", "-q", "-p", "5432"));
}

TEST(ExecHandlerTest, RefusesWhatCannotRun) {
  EXPECT_EQ(Errors(WithProbe("      exec: {}\n")),
            (Lines{"test.yaml:6:13: services[0].readinessProbe.exec.command: required key is "
                   "missing"}));
  EXPECT_EQ(Errors(WithProbe("      exec: {command: []}\n")),
            (Lines{"test.yaml:6:23: services[0].readinessProbe.exec.command: must name a program "
                   "to run"}));
  EXPECT_EQ(Errors(WithProbe("      exec: {command: [\"\", x]}\n")),
            (Lines{"test.yaml:6:24: services[0].readinessProbe.exec.command[0]: must name a "
                   "program to run"}));
  EXPECT_EQ(Errors(WithProbe("      exec: {command: cat /tmp/ready}\n")),
            (Lines{"test.yaml:6:23: services[0].readinessProbe.exec.command: expected a list, "
                   "got \"cat /tmp/ready\""}));
  EXPECT_EQ(Errors(WithProbe("      exec: {command: [cat, {a: b}], shell: true}\n")),
            (Lines{"test.yaml:6:29: services[0].readinessProbe.exec.command[1]: expected a "
                   "string, got a mapping",
                   "test.yaml:6:38: services[0].readinessProbe.exec.shell: unknown key "
                   "\"shell\""}));
}

// ---- grpc ----

TEST(GrpcHandlerTest, DecodesPortServiceAndTls) {
  TlsFiles files;
  const Config config = MustLoad(
      WithProbe("      grpc: {port: grpc, service: db.v1, tls: {caFile: " + files("ca.pem") +
                ", serverName: db.internal}}\n"));
  const GrpcAction* grpc = HandlerOf<GrpcAction>(config);
  ASSERT_NE(grpc, nullptr);
  EXPECT_EQ(grpc->port, (PortRef{0, "grpc"}));
  EXPECT_EQ(grpc->service, "db.v1");
  ASSERT_TRUE(grpc->tls.has_value());
  EXPECT_EQ(grpc->tls->ca_file, files("ca.pem"));
  EXPECT_EQ(grpc->tls->server_name, "db.internal");

  const Config plain = MustLoad(WithProbe("      grpc: {port: 9000}\n"));
  const GrpcAction* bare = HandlerOf<GrpcAction>(plain);
  ASSERT_NE(bare, nullptr);
  EXPECT_EQ(bare->port, (PortRef{9000, ""}));
  EXPECT_EQ(bare->service, "");
  EXPECT_FALSE(bare->tls.has_value());
  // No port: the endpoint's own.
  const Config own_port = MustLoad(WithProbe("      grpc: {}\n"));
  ASSERT_NE(HandlerOf<GrpcAction>(own_port), nullptr);
  EXPECT_EQ(HandlerOf<GrpcAction>(own_port)->port, PortRef{});
}

TEST(GrpcHandlerTest, RefusesBadFields) {
  EXPECT_EQ(Errors(WithProbe("      grpc: {port: \"9000\", service: [a], host: x}\n")),
            (Lines{"test.yaml:6:20: services[0].readinessProbe.grpc.port: \"9000\" is not a valid "
                   "port name: use at most 15 lowercase letters, digits and \"-\", with at least "
                   "one letter, no \"--\", and no \"-\" at either end",
                   "test.yaml:6:37: services[0].readinessProbe.grpc.service: expected a string, "
                   "got a list",
                   "test.yaml:6:42: services[0].readinessProbe.grpc.host: unknown key \"host\" "
                   "(did you mean \"port\"?)"}));
}

TEST(GrpcHandlerTest, OneHandlerOnly) {
  EXPECT_EQ(Errors(WithProbe("      exec: {command: [true]}\n      grpc: {}\n")),
            (Lines{"test.yaml:6:13: services[0].readinessProbe.exec: a probe takes one handler, "
                   "but both grpc and exec are set"}));
}

// ---- httpGet extensions ----

TEST(HttpExtensionsTest, AbsentTheyAreKubeletsGet) {
  const Config config = MustLoad(WithProbe("      httpGet: {path: /ready}\n"));
  const HttpGetAction* http = HandlerOf<HttpGetAction>(config);
  ASSERT_NE(http, nullptr);
  EXPECT_FALSE(http->HasExtensions());
  EXPECT_EQ(http->method, "GET");
  EXPECT_EQ(http->protocol, HttpProtocol::kHttp1);
  EXPECT_TRUE(http->follow_redirects);
}

TEST(HttpExtensionsTest, DecodesEveryField) {
  TlsFiles files;
  const Config config = MustLoad(WithProbe(R"(      httpGet:
        path: /health
        scheme: HTTPS
        protocol: HTTP2
        method: POST
        body: '{"deep": true}'
        followRedirects: false
        tls:
          caFile: )" + files("ca.pem") + R"(
          certFile: )" + files("client.pem") +
                                           R"(
          keyFile: )" + files("client.key") +
                                           R"(
          serverName: api.internal
        expect:
          status: [200, "204-299", 301-302]
          bodyMatches: '"status":\s*"UP"'
          bodyNotMatches: maintenance
          headers: [{name: X-Ready, matches: "^yes$"}]
)"));
  const HttpGetAction* http = HandlerOf<HttpGetAction>(config);
  ASSERT_NE(http, nullptr);
  EXPECT_TRUE(http->HasExtensions());
  EXPECT_EQ(http->protocol, HttpProtocol::kHttp2);
  EXPECT_EQ(http->method, "POST");
  EXPECT_EQ(http->body, "{\"deep\": true}");
  EXPECT_FALSE(http->follow_redirects);
  ASSERT_TRUE(http->tls.has_value());
  EXPECT_EQ(*http->tls,
            (TlsConfig{files("ca.pem"), files("client.pem"), files("client.key"), "api.internal"}));
  EXPECT_EQ(http->expect.status, (std::vector<StatusRange>{{200, 200}, {204, 299}, {301, 302}}));
  EXPECT_EQ(http->expect.body_matches, "\"status\":\\s*\"UP\"");
  EXPECT_EQ(http->expect.body_not_matches, "maintenance");
  EXPECT_EQ(http->expect.headers, (std::vector<HeaderExpectation>{{"X-Ready", "^yes$"}}));
}

TEST(HttpExtensionsTest, RefusesBadRequestFields) {
  EXPECT_EQ(Errors(WithProbe(R"(      httpGet:
        protocol: HTTP3
        method: DELETE
        followRedirects: "false"
)")),
            (Lines{
                "test.yaml:7:19: services[0].readinessProbe.httpGet.protocol: unknown protocol "
                "\"HTTP3\" (want HTTP1 or HTTP2)",
                "test.yaml:8:17: services[0].readinessProbe.httpGet.method: unsupported method "
                "\"DELETE\" (want GET, HEAD, POST or PUT)",
                "test.yaml:9:26: services[0].readinessProbe.httpGet.followRedirects: expected true "
                "or false, got the string \"false\"",
            }));
  EXPECT_EQ(Errors(WithProbe("      httpGet: {body: x}\n")),
            (Lines{"test.yaml:6:23: services[0].readinessProbe.httpGet.body: a body is sent with "
                   "method POST or PUT only (method is GET)"}));
  EXPECT_EQ(Errors(WithProbe("      httpGet: {method: HEAD, body: x, followRedirects: 1}\n")),
            (Lines{"test.yaml:6:37: services[0].readinessProbe.httpGet.body: a body is sent with "
                   "method POST or PUT only (method is HEAD)",
                   "test.yaml:6:57: services[0].readinessProbe.httpGet.followRedirects: expected "
                   "true or false, got \"1\""}));
  EXPECT_TRUE(Errors(WithProbe("      httpGet: {method: PUT, body: x}\n")).empty());
}

TEST(HttpExtensionsTest, RefusesTlsThatCannotBeUsed) {
  TlsFiles files;
  EXPECT_EQ(Errors(WithProbe("      httpGet: {tls: {caFile: " + files("ca.pem") + "}}\n")),
            (Lines{"test.yaml:6:22: services[0].readinessProbe.httpGet.tls: tls is for scheme "
                   "HTTPS (scheme is HTTP)"}));
  const std::string missing = files.dir() + "/missing.pem";
  EXPECT_EQ(
      Errors(WithProbe("      httpGet:\n        scheme: HTTPS\n        tls:\n"
                       "          caFile: " +
                       missing +
                       "\n"
                       "          keyFile: " +
                       files.dir() +
                       "\n"
                       "          certFile: " +
                       files("empty.pem") +
                       "\n"
                       "          serverName: not_a_name\n")),
      (Lines{"test.yaml:9:19: services[0].readinessProbe.httpGet.tls.caFile: cannot read \"" +
                 missing + "\": No such file or directory",
             "test.yaml:10:20: services[0].readinessProbe.httpGet.tls.keyFile: cannot read \"" +
                 files.dir() + "\": it is a directory",
             "test.yaml:11:21: services[0].readinessProbe.httpGet.tls.certFile: cannot read "
             "\"" +
                 files("empty.pem") + "\": it is empty",
             "test.yaml:12:23: services[0].readinessProbe.httpGet.tls.serverName: not a server "
             "name: \"not_a_name\" is not a DNS-1123 subdomain: use at most 253 lowercase "
             "letters, digits, \"-\" and \".\", starting and ending with a letter or digit"}));
  EXPECT_EQ(Errors(WithProbe("      grpc: {tls: {certFile: " + files("client.pem") + "}}\n")),
            (Lines{"test.yaml:6:30: services[0].readinessProbe.grpc.tls.certFile: certFile and "
                   "keyFile go together (a client certificate and its key)"}));
}

// A file the agent cannot read (permissions) is refused too; root reads anything.
TEST(HttpExtensionsTest, RefusesAnUnreadableKeyFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads every file";
  TlsFiles files;
  chmod(files("client.key").c_str(), 0);
  const Lines errors = Errors(WithProbe("      grpc: {tls: {certFile: " + files("client.pem") +
                                        ", keyFile: " + files("client.key") + "}}\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], ::testing::EndsWith(": Permission denied"));
}

TEST(HttpExtensionsTest, RefusesBadExpectations) {
  const Lines errors = Errors(WithProbe(R"(      httpGet:
        expect:
          status: [99, "300-200", abc, 600, "2xx"]
          bodyMatches: "(unclosed"
          bodyNotMatches: '(a)\1'
          headers:
            - {name: "X Ready", matches: x}
            - {name: X-Ok}
            - {name: X-Ok, matches: "[z-a]"}
)"));
  EXPECT_THAT(
      errors,
      ElementsAre(
          "test.yaml:8:20: services[0].readinessProbe.httpGet.expect.status[0]: must be from 100 "
          "to 599 (got 99)",
          "test.yaml:8:24: services[0].readinessProbe.httpGet.expect.status[1]: a range of status "
          "codes from 100 to 599, low first (got 300-200)",
          "test.yaml:8:35: services[0].readinessProbe.httpGet.expect.status[2]: expected a status "
          "code or a range \"low-high\" (as \"200-299\"), got \"abc\"",
          "test.yaml:8:40: services[0].readinessProbe.httpGet.expect.status[3]: must be from 100 "
          "to 599 (got 600)",
          "test.yaml:8:45: services[0].readinessProbe.httpGet.expect.status[4]: expected a status "
          "code or a range \"low-high\" (as \"200-299\"), got the string \"2xx\"",
          StartsWith("test.yaml:9:24: services[0].readinessProbe.httpGet.expect.bodyMatches: not "
                     "an RE2 pattern: missing )"),
          StartsWith("test.yaml:10:27: services[0].readinessProbe.httpGet.expect.bodyNotMatches: "
                     "not an RE2 pattern: invalid escape sequence"),
          "test.yaml:12:22: services[0].readinessProbe.httpGet.expect.headers[0].name: \"X Ready\" "
          "is not a valid HTTP header name",
          "test.yaml:13:15: services[0].readinessProbe.httpGet.expect.headers[1].matches: "
          "required key is missing",
          StartsWith("test.yaml:14:37: services[0].readinessProbe.httpGet.expect.headers[2]."
                     "matches: not an RE2 pattern: invalid character class range")));
  EXPECT_EQ(Errors(WithProbe("      httpGet: {expect: {status: []}}\n")),
            (Lines{"test.yaml:6:34: services[0].readinessProbe.httpGet.expect.status: must list "
                   "at least one status code or range"}));
}

}  // namespace
}  // namespace vigil
