// The outcome of one probe of one endpoint, as the probe engine reports it to
// the readiness tracker. A plain value.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

enum class ProbeOutcome {
  kSuccess,  // the target answered as healthy
  kFailure,  // the target answered, or refused, as unhealthy
  kTimeout,  // no answer within timeoutSeconds: a failure for readiness
  // No verdict, as kubelet's prober errors: the probe could not be attempted,
  // or the answer's body broke off after its headers. Logged and counted, not
  // a result: the agent retries it, then keeps the previous readiness.
  kError,
};

// The `result` label value of vigil_probe_total.
constexpr std::string_view OutcomeName(ProbeOutcome outcome) {
  switch (outcome) {
    case ProbeOutcome::kSuccess:
      return "success";
    case ProbeOutcome::kFailure:
      return "failure";
    case ProbeOutcome::kTimeout:
      return "timeout";
    case ProbeOutcome::kError:
      return "error";
  }
  return "error";
}

// Why a probe failed, machine-readable (DESIGN.md, "Failure reasons"): one
// for every failure and timeout, and for an error when its cause is known.
enum class ProbeReason : uint8_t {
  kNone,      // a success, or an error of no known kind
  kRefused,   // no connection: refused, or the host or network unreachable
  kTimeout,   // no complete answer within timeoutSeconds
  kReset,     // the connection was reset, or closed before an answer
  kDns,       // the host name did not resolve
  kTls,       // the TLS handshake or the certificate's verification failed
  kProtocol,  // an answer that is not what the protocol allows (HTTP, HTTP/2, gRPC)
  kStatus,    // an HTTP status outside the expected ones
  kBody,      // the body did not match expect.bodyMatches, or matched bodyNotMatches
  kHeader,    // a header missing, or not matching expect.headers[].matches
  kGrpc,      // a gRPC answer other than SERVING: another status, or an error status
  kExit,      // an exec probe's command exited with a status other than 0
};
inline constexpr size_t kProbeReasonCount = 12;

// The `reason` label value of vigil_probe_failures_total and the API's
// lastReason: "" for kNone.
constexpr std::string_view ReasonName(ProbeReason reason) {
  constexpr std::array<std::string_view, kProbeReasonCount> kNames = {
      "",         "refused", "timeout", "reset",  "dns",  "tls",
      "protocol", "status",  "body",    "header", "grpc", "exit"};
  return kNames[static_cast<size_t>(reason)];
}

// The phases of a probe that went over the network, in the order they
// happen: name resolution, the TCP handshake, the TLS handshake, and from
// the connection being ready (after TLS) to the answer's first byte.
enum class ProbePhase : uint8_t { kDns, kConnect, kTls, kFirstByte };
inline constexpr size_t kProbePhaseCount = 4;

// The `phase` label value of vigil_probe_phase_duration_seconds.
constexpr std::string_view PhaseName(ProbePhase phase) {
  constexpr std::array<std::string_view, kProbePhaseCount> kNames = {"dns", "connect", "tls",
                                                                     "first_byte"};
  return kNames[static_cast<size_t>(phase)];
}

struct ProbeResult {
  // How long each phase took; negative for a phase the probe did not go
  // through (no name to resolve, no TLS, no answer).
  using Phases = std::array<std::chrono::microseconds, kProbePhaseCount>;
  static constexpr std::chrono::microseconds kNoPhase{-1};

  ProbeOutcome outcome = ProbeOutcome::kError;
  ProbeReason reason = ProbeReason::kNone;
  std::chrono::microseconds latency{0};
  std::string message;  // kubelet-like: "HTTP probe failed with statuscode: 503"
  int code = 0;         // the HTTP status, when there was one
  Phases phases = {kNoPhase, kNoPhase, kNoPhase, kNoPhase};
  // The earliest notAfter of the certificates the server presented, in
  // seconds since the Unix epoch, when the probe completed a TLS handshake.
  std::optional<int64_t> certificate_expiry;

  std::chrono::microseconds phase(ProbePhase p) const { return phases[static_cast<size_t>(p)]; }
  void set_phase(ProbePhase p, std::chrono::microseconds d) { phases[static_cast<size_t>(p)] = d; }
};

}  // namespace vigil
