// HTTP(S) probes, kubelet's way: a GET with "User-Agent: vigil-probe/<version>",
// "Accept: */*" and "Connection: close" unless the spec's headers set them (a "Host" header sets
// the virtual host); at most 10 KiB of body read; 200 <= status < 400 is a
// success; a same-host redirect is followed (at most 10) within the probe's
// one timeout, a redirect to another host ends the probe as a success;
// certificates are not verified.
//
// An HttpExchange is one probe's state across its redirects. It and its easy
// handle belong to one thread.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "probes/curl_slist.h"
#include "probes/probe_result.h"
#include "probes/probe_spec.h"

namespace vigil {

struct HttpExchange {
  std::chrono::steady_clock::time_point deadline;  // of the whole probe, redirects included
  int redirects = 0;
  size_t body_bytes = 0;  // of the response being read
};

// Sets up `easy`, already through SetUpTransfer, for a request: GET `url`
// with `headers` (curl's syntax, see HeaderLines; null: the defaults), within
// `deadline`, `redirects` already followed. `headers` and `exchange` must
// outlive the transfer.
void StartHttp(CURL* easy, const std::string& url, const curl_slist* headers,
               std::chrono::steady_clock::time_point deadline, int redirects,
               HttpExchange* exchange);
// Go's client follows these codes (with a Location) only; any other 3xx is
// an answer.
bool IsFollowedRedirect(long status);
// kubelet's verdict on the status of a final answer: 2xx a success, 3xx a
// success that "Probe terminated redirects", anything else a failure; `code`
// is set.
ProbeResult JudgeStatus(long status);
// kubelet's judgment of a first answer, to `url`, that redirects to
// `location` (as sent: absolute or relative): a result (another host, a
// scheme that is not HTTP, the deadline passed), or nullopt with `*next` the
// absolute URL to follow.
std::optional<ProbeResult> FirstRedirect(const ProbeSpec& spec, const std::string& url,
                                         const std::string& location,
                                         std::chrono::steady_clock::time_point deadline,
                                         std::string* next);

// Judges the transfer that ended with `code`. nullopt: `easy` has been set up
// for a same-host redirect and must be added to the multi handle again.
std::optional<ProbeResult> FinishHttp(CURL* easy, CURLcode code, const char* error,
                                      const ProbeSpec& spec, HttpExchange* exchange);

// The first URL of a probe: scheme://host:port/path, an IPv6 host in
// brackets, bytes a URL cannot hold percent-encoded as Go would.
std::string HttpUrl(const ProbeSpec& spec);

// The request's header lines in curl's syntax: the spec's headers, then the
// defaults they do not override (User-Agent, Accept, "Connection: close"). An empty "Accept"
// removes the header, an empty "Host" or "User-Agent" keeps curl's default (as kubelet does).
Result<std::vector<std::string>> HeaderLines(const std::vector<ProbeSpec::Header>& headers);

}  // namespace vigil
