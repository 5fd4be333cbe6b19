// HTTP(S) probes on libcurl, kubelet's way: the request of RequestTarget and
// RequestHeaders; at most 10 KiB of body read, and a body that reached it
// ends the read; 200 <= status < 400 is a success; same-host redirects are
// followed while fewer than 10 requests have been made, within the probe's
// one timeout, each with the Referer Go's client sends, the spec's Host only
// while every redirect was relative, after at most 2 KiB of the redirect's
// body (PlanRedirect); a redirect to another host ends the probe as a
// success; a body that breaks off after the headers is an error (BodyError),
// not a failure; certificates are not verified.
//
// An HttpExchange is one probe's state across its redirects. It and its easy
// handle belong to one thread.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "probes/curl_slist.h"
#include "probes/http_response_parser.h"
#include "probes/probe_result.h"
#include "probes/probe_spec.h"
#include "probes/request_headers.h"
#include "probes/tls_session.h"

namespace vigil {

struct PreparedProbe;

// How kubelet's client (Go's client.Do with kubelet's redirect checker)
// treats an answer with `status` and `location`, to `url`.
struct RedirectPlan {
  enum class Kind {
    kNone,         // not a redirect Go follows: the answer is final
    kBadLocation,  // a Location url.Parse refuses: a failure (result)
    kOtherHost,    // to another host name: final, kubelet's warning (result)
    kSameHost,     // to follow (`next`), once at most 2 KiB of its body is drained
  };
  Kind kind = Kind::kNone;
  ProbeResult result;     // kBadLocation, kOtherHost
  std::string next;       // kSameHost: the absolute URL
  std::string scheme;     // kSameHost: next's
  bool keep_host = true;  // kSameHost: Location was relative
};
RedirectPlan PlanRedirect(const ProbeSpec& spec, const std::string& url, long status,
                          const std::string& location);
// How much of a followed redirect's body Go drains: 2 KiB, none when its
// Content-Length says more.
size_t DrainLimit(std::optional<uint64_t> content_length);
// kubelet's verdict on following `plan` (kSameHost) with `redirects` already
// followed, by `deadline`: nullopt to follow, else the result (stopped after
// 10 redirects, a scheme that is not HTTP, out of time).
std::optional<ProbeResult> JudgeFollow(const ProbeSpec& spec, const RedirectPlan& plan,
                                       int redirects,
                                       std::chrono::steady_clock::time_point deadline);

struct HttpExchange {
  const ProbeSpec* spec = nullptr;
  CURL* easy = nullptr;
  std::chrono::steady_clock::time_point deadline;  // of the whole probe, redirects included
  int redirects = 0;
  // Whether the spec's Host header still goes out: Go's client keeps it
  // across relative redirects only.
  bool keep_host = true;
  // Of the request being made, as Go writes it (the first one's fragment
  // kept): the Referer of the next.
  std::string url;
  // Of the response being read:
  size_t body_bytes = 0;
  size_t body_limit = HttpResponseParser::kMaxBodyBytes;
  bool headers_done = false;  // its status line and headers have all come
  long status = 0;
  bool http10 = false;
  int interim_answers = 0;
  std::string location;  // its Location header, as sent
  int transfer_encodings = 0;
  std::string transfer_encoding;
  std::string refused;  // what Go's client would refuse in it
  RedirectPlan redirect;
  // Extensions: the request's method; the first 10 KiB of the body, kept
  // when an expect pattern will search it; the values of each header that
  // expect.headers names, in its order.
  std::string method = "GET";
  bool keep_body = false;
  std::string body;
  std::vector<std::vector<std::string>> header_values;
  TlsSession tls;  // HTTPS
};

// Sets up `easy`, already through SetUpTransfer, for a request of `probe`:
// `method` (the spec's, or GET after a redirect that changes it) `url`
// within `deadline`, `redirects` already followed, with the spec's Host
// header when `keep_host`, and `referer` as the Referer when not empty.
// `probe` and `exchange` must outlive the transfer.
void StartHttp(CURL* easy, const PreparedProbe& probe, const std::string& method,
               const std::string& url, std::chrono::steady_clock::time_point deadline,
               int redirects, bool keep_host, const std::string& referer, HttpExchange* exchange);
// The method of the request that follows a redirect answered `status` to a
// request made with `method`, as Go's client has it: 301, 302 and 303 turn
// what is not GET or HEAD into a GET without a body; 307 and 308 keep it.
std::string RedirectMethod(const std::string& method, long status);
// Go's client follows these codes (with a Location) only; any other 3xx is
// an answer.
bool IsFollowedRedirect(long status);
// Whether a Location is absolute (has a scheme): Go's client then drops a
// Host header set by the caller.
bool IsAbsoluteLocation(std::string_view location);
// kubelet's verdict on the status of a final answer: 2xx a success, 3xx a
// success that "Probe terminated redirects", anything else a failure; `code`
// is set.
ProbeResult JudgeStatus(long status);
// The verdict on a final answer with the spec's expectations (the
// extensions): its status in expect.status (kubelet's JudgeStatus when
// there is none), then every expect.headers pattern found in a value of its
// header (`header_values`, in the same order), then the body patterns
// searched in `body` (its first 10 KiB). The first that fails is the
// failure, with reason status, header or body.
ProbeResult JudgeAnswer(const PreparedProbe& probe, long status,
                        const std::vector<std::vector<std::string>>& header_values,
                        std::string_view body);
// The result of a response whose body broke off after its headers had come
// (kubelet's prober error, not a failure): `message` is Go's, `reason` what
// broke it (reset, timeout, protocol).
ProbeResult BodyError(std::string message, ProbeReason reason);

// Judges the transfer that ended with `code`. nullopt: `easy` has been set up
// for a same-host redirect and must be added to the multi handle again.
std::optional<ProbeResult> FinishHttp(CURL* easy, CURLcode code, const char* error,
                                      const PreparedProbe& probe, HttpExchange* exchange);

// The first URL of a probe: scheme://host:port then the request-target
// kubelet derives from the path (RequestTarget), an IPv6 host in brackets. A
// path without a leading "/" gets one.
std::string HttpUrl(const ProbeSpec& spec);

// `headers` as libcurl's header list: Host (when `with_host` and set), then
// the fields; an empty value in curl's "Name;" syntax, and "Accept:" to
// remove curl's own Accept when the request has none.
std::vector<std::string> CurlHeaderLines(const RequestHeaders& headers, bool with_host);

}  // namespace vigil
