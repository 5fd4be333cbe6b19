// TCP probes, kubelet's way: a success when the connection is established;
// it is then closed at once. curl's CONNECT_ONLY mode does the connecting.
//
// Functions of one easy handle, which must not be used concurrently.
#pragma once

#include <curl/curl.h>

#include "probes/probe_result.h"
#include "probes/probe_spec.h"

namespace vigil {

// Sets up `easy`, already through SetUpTransfer, to connect to `spec`'s host and port.
void StartTcp(CURL* easy, const ProbeSpec& spec);

// The result of the connection attempt that ended with `code`.
ProbeResult FinishTcp(CURL* easy, CURLcode code, const char* error, const ProbeSpec& spec);

}  // namespace vigil
