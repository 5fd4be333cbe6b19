// What every probe's libcurl easy handle shares, whatever the probe kind: no
// proxy, one fresh connection closed with SO_LINGER 0 (a reset, so no
// TIME_WAIT socket stays behind on the node), a timeout over the whole probe,
// and the kubelet-like reading of a transfer that failed below HTTP.
//
// Functions of one easy handle, which must not be used concurrently.
#pragma once

#include <curl/curl.h>

#include <chrono>

#include "common/status.h"
#include "probes/probe_result.h"
#include "probes/probe_spec.h"

namespace vigil {

// Sets the options every kind shares on a fresh or reset `easy`, for a
// probe with `timeout` left (PrepareProbe has checked the spec). `error`
// becomes the handle's CURLOPT_ERRORBUFFER: CURL_ERROR_SIZE bytes that
// outlive the transfer.
void SetUpTransfer(CURL* easy, std::chrono::nanoseconds timeout, char* error);

// CURLOPT_TIMEOUT_MS for a wait of `d`: rounded up, and at least 1 (0 means
// "no timeout" to curl).
long TimeoutMillis(std::chrono::nanoseconds d);

// The result of a transfer that ended with `code` (not CURLE_OK) before there
// was an HTTP answer to judge: a timeout, a refused or reset connection, a
// name that does not resolve, bytes that are not HTTP...
ProbeResult TransportFailure(CURL* easy, CURLcode code, const char* error, const ProbeSpec& spec);

// Sets `result`'s phases from the transfer's timings, as far as it got: dns
// only when `resolved` (the host was a name), tls only when `tls`.
void ReadPhases(CURL* easy, bool resolved, bool tls, ProbeResult* result);

}  // namespace vigil
