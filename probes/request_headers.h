// The header fields of a probe's GET, as kubelet's Go client sends them for
// a spec's `httpHeaders`: names canonicalized and merged ("accept" and
// "Accept" are one header of two values), "User-Agent: vigil-probe/<version>"
// and "Accept: */*" unless the spec sets them (an empty first Accept removes
// the header, an empty User-Agent sends none), the first "Host" value as the
// virtual host, no Content-Length, Transfer-Encoding or Trailer (Go's client
// writes those itself, and a GET has no body), values trimmed, the fields in
// Go's order (User-Agent, then by name), and "Connection: close" last unless
// the first Connection value already asks to close or the request upgrades:
// kubelet's transport disables keep-alives.
//
// Pure; safe to call from any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "probes/probe_spec.h"

namespace vigil {

struct RequestHeaders {
  // The Host header's value; empty: host:port of the request's URL.
  std::string host;
  // Every other field, in the order they are sent.
  std::vector<std::pair<std::string, std::string>> fields;
};

// An error when a name is not an HTTP token or a value holds CR, LF or NUL.
Result<RequestHeaders> BuildRequestHeaders(const std::vector<ProbeSpec::Header>& headers);

// Go's textproto.CanonicalMIMEHeaderKey for a token: "x-forwarded-for" -> "X-Forwarded-For".
std::string CanonicalHeaderName(std::string name);

}  // namespace vigil
