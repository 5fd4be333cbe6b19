// What to probe: one fully resolved probe of one endpoint, as the agent hands
// it to the ProbeEngine. Named ports and default hosts are resolved before
// this point. A plain value.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vigil {

struct ProbeSpec {
  enum class Kind { kHttp, kTcp, kGrpc, kExec };

  struct Header {
    std::string name;
    std::string value;
  };

  // TLS beyond kubelet's (which verifies nothing): kHttp over HTTPS, kGrpc.
  struct Tls {
    std::string ca_file;    // set: the server's certificate is verified against it
    std::string cert_file;  // a client certificate, with key_file
    std::string key_file;
    std::string server_name;  // SNI and the name verified; empty: `host`
  };

  struct StatusRange {
    int low = 200;
    int high = 399;
  };

  struct HeaderMatch {
    std::string name;
    std::string pattern;  // RE2
  };

  Kind kind = Kind::kHttp;
  std::string host;  // IP literal (IPv6 without brackets) or DNS name; kExec: the endpoint's
  int port = 0;
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);  // covers the whole probe

  // kHttp: kubelet's HTTPGetAction.
  bool https = false;
  std::string path = "/";       // starts with '/'
  std::vector<Header> headers;  // a "Host" header sets the virtual host
  // kHttp extensions; the defaults are kubelet's request and verdict.
  bool http2 = false;               // h2c on HTTP (prior knowledge), ALPN "h2" on HTTPS
  std::string method = "GET";       // GET, HEAD, POST or PUT
  std::optional<std::string> body;  // POST and PUT
  bool follow_redirects = true;
  std::vector<StatusRange> expect_status;     // empty: 200-399
  std::optional<std::string> expect_body;     // RE2 found in the first 10 KiB of the body
  std::optional<std::string> expect_no_body;  // RE2 not found there
  std::vector<HeaderMatch> expect_headers;

  // kHttp over HTTPS and kGrpc: verification, client certificate, SNI. A
  // kGrpc probe with it runs over TLS, else over cleartext HTTP/2.
  std::optional<Tls> tls;

  // kGrpc: the HealthCheckRequest's service ("" asks about the server).
  std::string grpc_service;

  // kExec: the program and its arguments (no shell), and "NAME=value"
  // entries the child's environment gets on top of the agent's.
  std::vector<std::string> command;
  std::vector<std::string> environment;

  // kHttp with anything beyond kubelet's GET: it runs on libcurl.
  bool Extended() const {
    return http2 || method != "GET" || body.has_value() || !follow_redirects ||
           !expect_status.empty() || expect_body.has_value() || expect_no_body.has_value() ||
           !expect_headers.empty() || tls.has_value();
  }
};

}  // namespace vigil
