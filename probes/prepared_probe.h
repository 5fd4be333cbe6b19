// PreparedProbe: one endpoint's probe made ready to run many times. What
// does not change from probe to probe is done once, when the target is
// configured: the spec is checked, an IP literal is parsed into a socket
// address, and the request is built, as bytes for the engine's own sockets
// and as a URL and header list for libcurl. The probe loop then formats
// nothing per probe.
//
// Immutable once built; shared (shared_ptr) by the target that owns it and
// the probes in flight, so a target reconfigured mid-probe is safe.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "probes/curl_slist.h"
#include "probes/probe_spec.h"

namespace re2 {
class RE2;
}

namespace vigil {

struct PreparedProbe {
  ProbeSpec spec;
  // Not OK: the probe cannot be attempted (kError); the message says why.
  Status invalid;
  // Plain HTTP or TCP to an IP literal: the engine runs it on a socket of
  // its own. Otherwise (HTTPS, a DNS name) libcurl runs it.
  bool native = false;
  // The host is an IP literal (`address` holds it): no name to resolve.
  bool literal = false;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::string request;  // native HTTP: the request's bytes
  std::string url;      // libcurl: the first URL
  std::string referer;  // the first URL as Go writes it (fragment kept): a redirect's Referer
  SlistPtr headers;     // libcurl: the spec's headers with the defaults; null: the defaults only
  // libcurl, after an absolute redirect: the same without the spec's Host.
  SlistPtr headers_without_host;

  // kHttp: the expect patterns, compiled (expect_headers in the spec's order).
  std::shared_ptr<const re2::RE2> expect_body;
  std::shared_ptr<const re2::RE2> expect_no_body;
  std::vector<std::shared_ptr<const re2::RE2>> expect_headers;

  // kGrpc: the framed HealthCheckRequest (headers and url above are its).
  std::string grpc_request;

  // kExec: the command's argv and envp (the agent's environment when the
  // probe was prepared, then the spec's entries), null-terminated, pointing
  // into spec.command and exec_environment; and where the command is looked
  // for (ExecCandidates of the agent's PATH then), null-terminated, pointing
  // into exec_candidates.
  std::vector<std::string> exec_environment;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<std::string> exec_candidates;
  std::vector<const char*> exec_paths;
};

// Checks and prepares `spec`; never fails (an invalid spec yields `invalid`).
std::shared_ptr<const PreparedProbe> PrepareProbe(ProbeSpec spec);

// The bytes of the native HTTP request for `spec`: "GET <RequestTarget>
// HTTP/1.1", Host (the spec's, or host:port), then the fields of
// RequestHeaders, as Go's client writes them.
Result<std::string> HttpRequestBytes(const ProbeSpec& spec);

}  // namespace vigil
