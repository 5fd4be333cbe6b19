// The outcome of one probe of one endpoint, as the probe engine reports it to
// the readiness tracker. A plain value.
#pragma once

#include <chrono>
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

struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::kError;
  std::chrono::microseconds latency{0};
  std::string message;  // kubelet-like: "HTTP probe failed with statuscode: 503"
  int code = 0;         // the HTTP status, when there was one
};

}  // namespace vigil
