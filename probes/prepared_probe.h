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

#include "common/status.h"
#include "probes/curl_slist.h"
#include "probes/probe_spec.h"

namespace vigil {

struct PreparedProbe {
  ProbeSpec spec;
  // Not OK: the probe cannot be attempted (kError); the message says why.
  Status invalid;
  // Plain HTTP or TCP to an IP literal: the engine runs it on a socket of
  // its own. Otherwise (HTTPS, a DNS name) libcurl runs it.
  bool native = false;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::string request;  // native HTTP: the request's bytes
  std::string url;      // libcurl: the first URL
  std::string referer;  // the first URL as Go writes it (fragment kept): a redirect's Referer
  SlistPtr headers;     // libcurl: the spec's headers with the defaults; null: the defaults only
  // libcurl, after an absolute redirect: the same without the spec's Host.
  SlistPtr headers_without_host;
};

// Checks and prepares `spec`; never fails (an invalid spec yields `invalid`).
std::shared_ptr<const PreparedProbe> PrepareProbe(ProbeSpec spec);

// The bytes of the native HTTP request for `spec`: "GET <RequestTarget>
// HTTP/1.1", Host (the spec's, or host:port), then the fields of
// RequestHeaders, as Go's client writes them.
Result<std::string> HttpRequestBytes(const ProbeSpec& spec);

}  // namespace vigil
