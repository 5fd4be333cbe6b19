#include "probes/tcp_probe.h"

#include <string>

#include "probes/curl_transfer.h"
#include "probes/probe_messages.h"

namespace vigil {

void StartTcp(CURL* easy, const ProbeSpec& spec) {
  const std::string url = "http://" + JoinHostPort(spec.host, spec.port) + "/";
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  // The transfer ends once connected; removing it from the multi handle closes the socket.
  curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);
}

ProbeResult FinishTcp(CURL* easy, CURLcode code, const char* error, const ProbeSpec& spec) {
  if (code != CURLE_OK) return TransportFailure(easy, code, error, spec);
  ProbeResult result;
  result.outcome = ProbeOutcome::kSuccess;
  return result;
}

}  // namespace vigil
