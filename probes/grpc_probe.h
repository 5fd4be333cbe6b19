// gRPC probes, kubelet's way (pkg/probe/grpc): one grpc.health.v1.Health/Check
// call over HTTP/2 on libcurl — cleartext with prior knowledge (h2c), or TLS
// with ALPN "h2" when the spec has `tls` — asking about spec.grpc_service.
// SERVING is a success; any other status, a grpc-status other than OK, an
// answer that is not gRPC, or none within the timeout is a failure, with
// kubelet's messages:
//
//   service unhealthy (responded with "NOT_SERVING")
//   error: health rpc probe failed: rpc error: code = NotFound desc = unknown service
//   error: this server does not implement the grpc health protocol (grpc.health.v1.Health): …
//   timeout: health rpc did not complete within 1s
//   timeout: failed to connect service "127.0.0.1:9000" within 1s: context deadline exceeded
//
// Unlike kubelet's gRPC client, which retries a failed connection until the
// timeout ends, a connection that fails fails the probe at once, with why:
// error: failed to connect service at "127.0.0.1:9000": dial tcp …: connection refused.
//
// The wire format is small enough to write here: the request is a 5-byte
// gRPC frame header and a HealthCheckRequest (field 1, the service name);
// the answer's HealthCheckResponse is read for field 1, the status.
//
// Functions of one easy handle and its GrpcExchange, which belong to one
// thread; the pure functions are safe anywhere.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "probes/probe_result.h"
#include "probes/probe_spec.h"
#include "probes/tls_session.h"

namespace vigil {

struct PreparedProbe;

// The call's URL: http(s)://host:port/grpc.health.v1.Health/Check.
std::string GrpcUrl(const ProbeSpec& spec);
// The request body: a gRPC frame holding HealthCheckRequest{service}.
std::string GrpcHealthRequest(std::string_view service);
// The request's header lines (libcurl's syntax), with the probe's timeout as
// grpc-timeout.
std::vector<std::string> GrpcHeaderLines(std::chrono::nanoseconds timeout);

// The status of the HealthCheckResponse framed in `body`; an error says what
// is wrong with it.
Result<int> ParseHealthResponse(std::string_view body);
// "SERVING", "NOT_SERVING", …, or the number for a value the enum does not
// know (as Go prints it).
std::string HealthStatusName(int status);
// gRPC's name of a status code: "NotFound", "Unimplemented", …
std::string GrpcCodeName(int code);
// grpc-message's percent-encoding undone.
std::string DecodeGrpcMessage(std::string_view message);

// One call's state, filled by libcurl's callbacks.
struct GrpcExchange {
  std::string body;  // at most kMaxBodyBytes
  bool body_too_large = false;
  long http_status = 0;
  std::string content_type;
  std::optional<int> grpc_status;  // from the trailers, or a trailers-only answer
  std::string grpc_message;
  TlsSession tls;
};

// Sets up `easy`, already through SetUpTransfer, for the call; `probe` and
// `exchange` must outlive the transfer.
void StartGrpc(CURL* easy, const PreparedProbe& probe, GrpcExchange* exchange);
// Judges the call that ended with `code`.
ProbeResult FinishGrpc(CURL* easy, CURLcode code, const char* error, const PreparedProbe& probe,
                       GrpcExchange* exchange);

}  // namespace vigil
