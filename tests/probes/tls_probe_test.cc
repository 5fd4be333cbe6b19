// TLS of HTTPS probes (tls: caFile, certFile, keyFile, serverName) against
// real servers with certificates made by the test: kubelet's way (nothing
// verified) without tls, verification with a CA file, mutual TLS, SNI, and
// the certificate's expiry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/probes/probe_runner.h"
#include "tests/support/test_certs.h"
#include "tests/support/test_http_server.h"

namespace vigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HttpSpec;
using testing::ProbeRunner;
using ::testing::StartsWith;
using testing::TestCertificates;
using testing::TestHttpServer;
using namespace std::chrono_literals;

ProbeSpec HttpsSpec(int port) {
  ProbeSpec spec = HttpSpec(port);
  spec.https = true;
  return spec;
}

ProbeSpec::Tls WithCa(const std::string& ca_file) {
  ProbeSpec::Tls tls;
  tls.ca_file = ca_file;
  return tls;
}

class TlsProbeTest : public ::testing::Test {
 protected:
  TestCertificates certs_;
  ProbeRunner runner_;
};

TEST_F(TlsProbeTest, ASelfSignedServerIsReadyWithoutTlsButNotWithACaFile) {
  const auto self = certs_.Issue({.name = "self",
                                  .dns_names = {"localhost"},
                                  .ips = {"127.0.0.1"},
                                  .valid_for = std::chrono::hours(24),
                                  .client = false,
                                  .self_signed = true});
  TestHttpServer server(TestHttpServer::Tls{self.cert_file, self.key_file, ""});
  ProbeSpec spec = HttpsSpec(server.port());
  // kubelet verifies nothing.
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.tls = WithCa(certs_.ca_file());
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kTls);
  EXPECT_THAT(result.message, HasSubstr("TLS handshake failed: SSL certificate problem"));
}

TEST_F(TlsProbeTest, AServerOfTheCaIsReadyWithItsCaFile) {
  const auto cert = certs_.Issue({.name = "ok", .dns_names = {}, .ips = {"127.0.0.1"}});
  TestHttpServer server(TestHttpServer::Tls{cert.cert_file, cert.key_file, ""});
  ProbeSpec spec = HttpsSpec(server.port());
  spec.tls = WithCa(certs_.ca_file());
  const ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  // That CA only, not the system's: another CA's file refuses it.
  TestCertificates other;
  spec.tls = WithCa(other.ca_file());
  EXPECT_EQ(runner_.Run(spec).reason, ProbeReason::kTls);
}

TEST_F(TlsProbeTest, AWrongNameIsRefusedWithACaFile) {
  const auto cert = certs_.Issue({.name = "wrong", .dns_names = {"other.test"}});
  TestHttpServer server(TestHttpServer::Tls{cert.cert_file, cert.key_file, ""});
  ProbeSpec spec = HttpsSpec(server.port());
  EXPECT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.tls = WithCa(certs_.ca_file());
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kTls) << result.message;
  // Naming the server as its certificate does verifies it.
  spec.tls->server_name = "other.test";
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  spec.tls->server_name = "third.test";
  EXPECT_EQ(runner_.Run(spec).reason, ProbeReason::kTls);
}

TEST_F(TlsProbeTest, ServerNameIsSentAsSni) {
  const auto cert = certs_.Issue({.name = "sni", .dns_names = {"api.internal"}});
  TestHttpServer server(TestHttpServer::Tls{cert.cert_file, cert.key_file, ""});
  ProbeSpec spec = HttpsSpec(server.port());
  ASSERT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);  // no SNI to an IP
  spec.tls = ProbeSpec::Tls{};
  spec.tls->server_name = "api.internal";
  ASSERT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  spec.host = "localhost";  // a name: SNI is the server name still, not the host
  ASSERT_EQ(runner_.Run(spec).outcome, ProbeOutcome::kSuccess);
  EXPECT_THAT(server.server_names(), ElementsAre("", "api.internal", "api.internal"));
  // The Host header stays the probe's host.
  EXPECT_EQ(server.requests().back().Header("Host"), "localhost:" + std::to_string(server.port()));
}

TEST_F(TlsProbeTest, AServerRequiringAClientCertificate) {
  const auto cert = certs_.Issue({.name = "mtls", .dns_names = {}, .ips = {"127.0.0.1"}});
  const auto client = certs_.Issue({.name = "client",
                                    .dns_names = {},
                                    .ips = {},
                                    .valid_for = std::chrono::hours(24),
                                    .client = true});
  TestHttpServer server(TestHttpServer::Tls{cert.cert_file, cert.key_file, certs_.ca_file()});
  ProbeSpec spec = HttpsSpec(server.port());
  spec.tls = WithCa(certs_.ca_file());
  ProbeResult result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kTls) << result.message;
  // TLS 1.3 refuses the missing certificate after the client's handshake:
  // an alert, or a connection closed as the request goes out.
  EXPECT_THAT(result.message, StartsWith("TLS")) << result.message;
  // A certificate the server's CA did not issue is refused the same way.
  TestCertificates other;
  const auto stranger = other.Issue({.name = "stranger",
                                     .dns_names = {},
                                     .ips = {},
                                     .valid_for = std::chrono::hours(24),
                                     .client = true});
  spec.tls->cert_file = stranger.cert_file;
  spec.tls->key_file = stranger.key_file;
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kFailure);
  EXPECT_EQ(result.reason, ProbeReason::kTls) << result.message;
  spec.tls->cert_file = client.cert_file;
  spec.tls->key_file = client.key_file;
  result = runner_.Run(spec);
  EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(TlsProbeTest, TheExpiryIsTheCertificatesNotAfter) {
  const auto cert = certs_.Issue({.name = "expiry",
                                  .dns_names = {},
                                  .ips = {"127.0.0.1"},
                                  .valid_for = std::chrono::hours(24 * 45)});
  TestHttpServer server(TestHttpServer::Tls{cert.cert_file, cert.key_file, ""});
  ProbeSpec spec = HttpsSpec(server.port());
  ProbeResult result = runner_.Run(spec);
  ASSERT_TRUE(result.certificate_expiry.has_value());
  EXPECT_EQ(*result.certificate_expiry, cert.not_after);
  spec.tls = WithCa(certs_.ca_file());
  result = runner_.Run(spec);
  EXPECT_EQ(result.certificate_expiry, cert.not_after);
  // A certificate that fails verification still shows when it expires.
  TestCertificates other;
  spec.tls = WithCa(other.ca_file());
  result = runner_.Run(spec);
  EXPECT_EQ(result.reason, ProbeReason::kTls);
  EXPECT_EQ(result.certificate_expiry, cert.not_after);
  // Plain HTTP has none.
  TestHttpServer plain;
  EXPECT_FALSE(runner_.Run(HttpSpec(plain.port())).certificate_expiry.has_value());
}

}  // namespace
}  // namespace vigil
