// TLS of one probe on libcurl (HTTPS, gRPC over TLS). Without a CA file
// nothing is verified, as kubelet verifies nothing; with `tls.caFile` the
// server's chain must lead to it and its certificate must name the host
// (or `tls.serverName`); a client certificate is sent when given (mutual
// TLS); `tls.serverName` is sent as SNI, even to an IP address, and is the
// name verified. Every handshake is a full one (no session resumption), so
// every probe sees the certificates, and the earliest notAfter among those
// the server presented is kept, whether or not they verify.
//
// libcurl's OpenSSL context callback does what libcurl has no option for
// (SNI to an IP address, verifying another name, reading the chain), on
// the context libcurl makes for each connection.
//
// TLS 1.3 lets a server refuse the client's certificate (or its absence)
// only after the client has finished its handshake: the client sees an
// alert, or a connection closed or reset as it writes its request. The
// session notes a CertificateRequest and a fatal alert from the server, so
// that such a failure is told as TLS's (ReclassifyTlsFailure).
//
// A TlsSession belongs to one transfer, on one thread.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <optional>

#include "probes/probe_result.h"
#include "probes/probe_spec.h"

namespace vigil {

struct TlsSession {
  const ProbeSpec::Tls* tls = nullptr;  // the spec's, or null: nothing verified, no client cert
  // The earliest notAfter of the server's certificates, in seconds since the
  // Unix epoch, once a handshake has shown them.
  std::optional<int64_t> certificate_expiry;
  bool certificate_requested = false;  // the server sent a CertificateRequest
  int alert = -1;                      // the description of a fatal alert it sent
};

// Sets up `easy` (already through SetUpTransfer) for TLS to `spec`'s host;
// `session` must outlive the transfer.
void SetUpTls(CURL* easy, const ProbeSpec& spec, TlsSession* session);

// Makes `result`, a failure before any answer (reason reset or protocol),
// a TLS failure (reason tls) when `session` shows the server refused the
// connection at the TLS level: a fatal alert ("remote error: tls:
// certificate required"), or a close after asking for a client certificate.
void ReclassifyTlsFailure(const TlsSession& session, ProbeResult* result);

}  // namespace vigil
