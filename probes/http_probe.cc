#include "probes/http_probe.h"

#include <re2/re2.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "common/version.h"
#include "probes/curl_transfer.h"
#include "probes/http_response_parser.h"
#include "probes/prepared_probe.h"
#include "probes/probe_messages.h"
#include "probes/request_target.h"

namespace vigil {

void SlistFree::operator()(curl_slist* list) const { curl_slist_free_all(list); }

namespace {

constexpr int kMaxRedirects = 10;

SlistPtr ToSlist(const std::vector<std::string>& lines) {
  curl_slist* list = nullptr;
  for (const std::string& line : lines) list = curl_slist_append(list, line.c_str());
  return SlistPtr(list);
}

// Most probes set no header: they share one list, built once.
const curl_slist* DefaultHeaders() {
  static const SlistPtr kList = ToSlist(CurlHeaderLines(*BuildRequestHeaders({}), true));
  return kList.get();
}

// Reads and drops the body; once its limit (10 KiB) has come it stops the
// transfer (curl then ends with CURLE_WRITE_ERROR), as Go's ReadAtMost stops
// reading at its limit: a huge or endless body costs neither memory nor time.
size_t CountBody(char* data, size_t size, size_t count, void* userdata) {
  auto* exchange = static_cast<HttpExchange*>(userdata);
  const size_t n = size * count;
  if (exchange->keep_body && exchange->body.size() < exchange->body_limit) {
    exchange->body.append(data, std::min(n, exchange->body_limit - exchange->body.size()));
  }
  exchange->body_bytes += n;
  return exchange->body_bytes >= exchange->body_limit ? 0 : n;
}

bool InRanges(const std::vector<ProbeSpec::StatusRange>& ranges, long status) {
  return std::any_of(ranges.begin(), ranges.end(), [&](const ProbeSpec::StatusRange& r) {
    return status >= r.low && status <= r.high;
  });
}

// A value quoted for a message, cut to a length a log line can carry.
std::string Quoted(std::string_view value) {
  constexpr size_t kMax = 100;
  std::string out = "\"";
  out.append(ValidUtf8(value.substr(0, kMax)));
  if (value.size() > kMax) out += "...";
  return out + "\"";
}

struct UrlParts {
  std::string scheme;
  std::string host;
};

std::optional<UrlParts> ParseUrl(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), curl_url_cleanup);
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  auto get = [&](CURLUPart part) -> std::optional<std::string> {
    char* value = nullptr;
    if (curl_url_get(handle.get(), part, &value, 0) != CURLUE_OK) return std::nullopt;
    std::string out = value;
    curl_free(value);
    return out;
  };
  std::optional<std::string> scheme = get(CURLUPART_SCHEME);
  std::optional<std::string> host = get(CURLUPART_HOST);
  if (!scheme || !host) return std::nullopt;
  return UrlParts{std::move(*scheme), std::move(*host)};
}

ProbeResult Answer(ProbeOutcome outcome, std::string message,
                   ProbeReason reason = ProbeReason::kNone) {
  ProbeResult result;
  result.outcome = outcome;
  result.reason = outcome == ProbeOutcome::kTimeout ? ProbeReason::kTimeout : reason;
  result.message = std::move(message);
  return result;
}

// `location` resolved against `base`, as a browser (and Go) would; nullopt
// when it is not a URL.
std::optional<std::string> Resolve(const std::string& base, const std::string& location) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), curl_url_cleanup);
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(handle.get(), CURLUPART_URL, location.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  char* url = nullptr;
  if (curl_url_get(handle.get(), CURLUPART_URL, &url, 0) != CURLUE_OK) return std::nullopt;
  std::string out = url;
  curl_free(url);
  return out;
}

// kubelet's prober error for a body that broke off, with Go's message.
ProbeResult CurlBodyError(CURL* easy, CURLcode code, const char* error, const ProbeSpec& spec) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return BodyError(BodyTimeoutMessage(), ProbeReason::kTimeout);
    case CURLE_PARTIAL_FILE:
      return BodyError(kUnexpectedEof, ProbeReason::kReset);
    default: {
      const ProbeResult failure = TransportFailure(easy, code, error, spec);
      return BodyError(failure.message, failure.reason);
    }
  }
}

// Whether the server answered in another HTTP version than HTTP/2 when
// HTTP/2 was asked for over TLS (ALPN offers both; the probe wants h2).
bool Http2Refused(CURL* easy) {
  long version = 0;
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
  return version != CURL_HTTP_VERSION_2_0;
}

}  // namespace

bool IsFollowedRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string RedirectMethod(const std::string& method, long status) {
  if ((status == 301 || status == 302 || status == 303) && method != "GET" && method != "HEAD") {
    return "GET";
  }
  return method;
}

ProbeResult JudgeAnswer(const PreparedProbe& probe, long status,
                        const std::vector<std::vector<std::string>>& header_values,
                        std::string_view body) {
  const ProbeSpec& spec = probe.spec;
  ProbeResult result;
  if (spec.expect_status.empty()) {
    result = JudgeStatus(status);
    if (result.outcome != ProbeOutcome::kSuccess) return result;
  } else if (!InRanges(spec.expect_status, status)) {
    result = Answer(ProbeOutcome::kFailure, StatusCodeMessage(status), ProbeReason::kStatus);
    result.code = static_cast<int>(status);
    return result;
  } else {
    result.outcome = ProbeOutcome::kSuccess;
    result.code = static_cast<int>(status);
  }
  for (size_t i = 0; i < spec.expect_headers.size(); ++i) {
    const ProbeSpec::HeaderMatch& expected = spec.expect_headers[i];
    const std::vector<std::string>& values = header_values[i];
    ProbeResult failed = result;
    failed.outcome = ProbeOutcome::kFailure;
    failed.reason = ProbeReason::kHeader;
    if (values.empty()) {
      failed.message = "header " + expected.name + " is missing";
      return failed;
    }
    const bool matched = std::any_of(values.begin(), values.end(), [&](const std::string& v) {
      return RE2::PartialMatch(v, *probe.expect_headers[i]);
    });
    if (!matched) {
      failed.message = "header " + expected.name + ": " + Quoted(values.front()) +
                       " does not match " + Quoted(expected.pattern);
      return failed;
    }
  }
  const auto body_failure = [&](std::string message) {
    ProbeResult failed = result;
    failed.outcome = ProbeOutcome::kFailure;
    failed.reason = ProbeReason::kBody;
    failed.message = std::move(message);
    return failed;
  };
  if (probe.expect_body && !RE2::PartialMatch(body, *probe.expect_body)) {
    return body_failure("body does not match " + Quoted(*spec.expect_body));
  }
  if (probe.expect_no_body && RE2::PartialMatch(body, *probe.expect_no_body)) {
    return body_failure("body matches " + Quoted(*spec.expect_no_body) +
                        ", which expect.bodyNotMatches forbids");
  }
  return result;
}

ProbeResult JudgeStatus(long status) {
  ProbeResult result;
  if (status >= 200 && status < 300) {
    result.outcome = ProbeOutcome::kSuccess;
  } else if (status >= 300 && status < 400) {
    result = Answer(ProbeOutcome::kSuccess, "Probe terminated redirects");
  } else {
    result = Answer(ProbeOutcome::kFailure, StatusCodeMessage(status), ProbeReason::kStatus);
  }
  result.code = static_cast<int>(status);
  return result;
}

RedirectPlan PlanRedirect(const ProbeSpec& spec, const std::string& url, long status,
                          const std::string& location) {
  RedirectPlan plan;
  if (!IsFollowedRedirect(status) || location.empty()) return plan;
  const std::optional<std::string> next =
      ParsesAsGoUrl(location) ? Resolve(url, location) : std::nullopt;
  const std::optional<UrlParts> target = next ? ParseUrl(*next) : std::nullopt;
  if (!target) {
    plan.kind = RedirectPlan::Kind::kBadLocation;
    plan.result =
        Answer(ProbeOutcome::kFailure, "failed to parse Location header \"" + location + "\"",
               ProbeReason::kProtocol);
    return plan;
  }
  // kubelet's checker compares host names, as Go writes them: exactly.
  const std::optional<UrlParts> origin = ParseUrl(HttpUrl(spec));
  if (!origin || target->host != origin->host) {
    plan.kind = RedirectPlan::Kind::kOtherHost;
    plan.result = Answer(ProbeOutcome::kSuccess, "Probe terminated redirects");
    return plan;
  }
  plan.kind = RedirectPlan::Kind::kSameHost;
  plan.next = *next;
  plan.scheme = target->scheme;
  plan.keep_host = !IsAbsoluteLocation(location);
  return plan;
}

size_t DrainLimit(std::optional<uint64_t> content_length) {
  constexpr size_t kMaxBodySlurp = 2 * 1024;  // Go's maxBodySlurpSize
  return content_length && *content_length > kMaxBodySlurp ? 0 : kMaxBodySlurp;
}

std::optional<ProbeResult> JudgeFollow(const ProbeSpec& spec, const RedirectPlan& plan,
                                       int redirects,
                                       std::chrono::steady_clock::time_point deadline) {
  // Go's client checks before each redirect how many requests it has made.
  if (redirects + 1 >= kMaxRedirects) {
    return Answer(ProbeOutcome::kFailure, "stopped after 10 redirects", ProbeReason::kProtocol);
  }
  if (plan.scheme != "http" && plan.scheme != "https") {
    return Answer(ProbeOutcome::kFailure, "unsupported protocol scheme \"" + plan.scheme + "\"",
                  ProbeReason::kProtocol);
  }
  if (deadline <= std::chrono::steady_clock::now()) {
    return Answer(ProbeOutcome::kTimeout, TimeoutMessage(spec.timeout));
  }
  return std::nullopt;
}

bool IsAbsoluteLocation(std::string_view location) {
  // Go's getScheme: a letter, then letters, digits, "+", "-" or ".", then ":".
  for (size_t i = 0; i < location.size(); ++i) {
    const auto c = static_cast<unsigned char>(location[i]);
    if (std::isalpha(c)) continue;
    if (i > 0 && (std::isdigit(c) || c == '+' || c == '-' || c == '.')) continue;
    return c == ':' && i > 0;
  }
  return false;
}

ProbeResult BodyError(std::string message, ProbeReason reason) {
  return Answer(ProbeOutcome::kError, std::move(message), reason);
}

std::string HttpUrl(const ProbeSpec& spec) {
  std::string path = spec.path;
  if (!path.empty() && path[0] != '/' && path[0] != '?') path.insert(0, "/");
  return (spec.https ? "https://" : "http://") + JoinHostPort(spec.host, spec.port) +
         RequestTarget(path);
}

std::vector<std::string> CurlHeaderLines(const RequestHeaders& headers, bool with_host) {
  std::vector<std::string> lines;
  if (with_host && !headers.host.empty()) lines.push_back("Host: " + headers.host);
  bool accept = false;
  for (const auto& [name, value] : headers.fields) {
    accept |= name == "Accept";
    lines.push_back(value.empty() ? name + ";"
                                  : name + ": " + value);  // "Name;": curl's empty value
  }
  if (!accept) lines.push_back("Accept:");  // curl's syntax to remove its own Accept
  return lines;
}

// Notes each response's status, Location and the end of its headers (an
// interim 1xx answer's end is not the end). There, it plans a redirect
// (PlanRedirect) and refuses what Go's client refuses (HttpResponseParser's
// framing rules), stopping the transfer (CURLE_WRITE_ERROR) where Go would
// read no more.
static size_t ReadHeader(char* data, size_t size, size_t count, void* userdata) {
  auto* exchange = static_cast<HttpExchange*>(userdata);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.substr(0, 5) == "HTTP/") {
    exchange->headers_done = false;
    exchange->location.clear();
    exchange->transfer_encodings = 0;
    exchange->http10 = line.substr(0, 8) == "HTTP/1.0" || line.substr(0, 6) == "HTTP/0";
    exchange->status = 0;
    for (std::vector<std::string>& values : exchange->header_values) values.clear();
    const size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      std::string_view code = line.substr(space + 1);
      while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
      for (size_t i = 0;
           i < 3 && i < code.size() && std::isdigit(static_cast<unsigned char>(code[i])); ++i) {
        exchange->status = exchange->status * 10 + (code[i] - '0');
      }
    }
    return n;
  }
  if (line == "\r\n" || line == "\n") {
    const long status = exchange->status;
    if (status >= 100 && status < 200 && status != 101) {
      if (++exchange->interim_answers > HttpResponseParser::kMaxInterimAnswers) {
        exchange->refused = "net/http: too many 1xx informational responses";
        return 0;
      }
      return n;
    }
    if (exchange->transfer_encodings > 0 && !exchange->http10) {
      if (exchange->transfer_encodings > 1) {
        exchange->refused = "too many transfer encodings";
        return 0;
      }
      if (strcasecmp(exchange->transfer_encoding.c_str(), "chunked") != 0) {
        exchange->refused =
            "unsupported transfer encoding: \"" + exchange->transfer_encoding + "\"";
        return 0;
      }
    }
    exchange->headers_done = true;
    // Not following redirects: every answer is final.
    exchange->redirect =
        exchange->spec->follow_redirects
            ? PlanRedirect(*exchange->spec, exchange->url, status, exchange->location)
            : RedirectPlan{};
    if (exchange->redirect.kind == RedirectPlan::Kind::kBadLocation) return 0;
    if (exchange->redirect.kind == RedirectPlan::Kind::kSameHost) {
      curl_off_t length = -1;
      curl_easy_getinfo(exchange->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
      exchange->body_limit = DrainLimit(
          length >= 0 ? std::optional<uint64_t>(static_cast<uint64_t>(length)) : std::nullopt);
      if (exchange->body_limit == 0) return 0;  // Go follows without reading it
    }
    return n;
  }
  const auto value_of = [&](size_t name_length) {
    std::string_view value = line.substr(name_length);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
      value.remove_suffix(1);
    }
    return std::string(value);
  };
  const std::vector<ProbeSpec::HeaderMatch>& expected = exchange->spec->expect_headers;
  for (size_t i = 0; i < expected.size(); ++i) {
    const std::string& name = expected[i].name;
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      exchange->header_values[i].push_back(value_of(name.size() + 1));
    }
  }
  if (line.size() > 9 && strncasecmp(line.data(), "Location:", 9) == 0) {
    exchange->location = value_of(9);
  } else if (line.size() > 18 && strncasecmp(line.data(), "Transfer-Encoding:", 18) == 0) {
    ++exchange->transfer_encodings;
    exchange->transfer_encoding = value_of(18);
  }
  return n;
}

void StartHttp(CURL* easy, const PreparedProbe& probe, const std::string& method,
               const std::string& url, std::chrono::steady_clock::time_point deadline,
               int redirects, bool keep_host, const std::string& referer, HttpExchange* exchange) {
  *exchange = HttpExchange{};
  const ProbeSpec& spec = probe.spec;
  exchange->spec = &spec;
  exchange->method = method;
  exchange->keep_body = spec.expect_body.has_value() || spec.expect_no_body.has_value();
  exchange->header_values.resize(spec.expect_headers.size());
  exchange->easy = easy;
  exchange->deadline = deadline;
  exchange->redirects = redirects;
  exchange->keep_host = keep_host;
  // As Go writes it, fragment included: the Referer of the next request.
  exchange->url = url == probe.url ? probe.referer : url;
  const curl_slist* headers = !keep_host && probe.headers_without_host
                                  ? probe.headers_without_host.get()
                                  : probe.headers.get();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  // As Go's client: "/a/../b" is sent as it is.
  curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers != nullptr ? headers : DefaultHeaders());
  curl_easy_setopt(easy, CURLOPT_REFERER, referer.empty() ? nullptr : referer.c_str());
  long version = CURL_HTTP_VERSION_1_1;
  if (spec.http2)
    version = spec.https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, version);
  if (method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (method == "POST" || method == "PUT") {
    static const std::string kEmpty;
    const std::string& body = spec.body ? *spec.body : kEmpty;
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    if (method == "PUT") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (redirects > 0) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);  // after a redirect that turned a POST into a GET
  }
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, CountBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, exchange);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, exchange);
  if (spec.https) {
    SetUpTls(easy, spec, &exchange->tls);
  }
}

std::optional<ProbeResult> FinishHttp(CURL* easy, CURLcode code, const char* error,
                                      const PreparedProbe& probe, HttpExchange* exchange) {
  const ProbeSpec& spec = probe.spec;
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  const bool body_capped =
      code == CURLE_WRITE_ERROR && exchange->body_bytes >= exchange->body_limit;
  const bool body_broke = code != CURLE_OK && !body_capped && exchange->headers_done;
  const RedirectPlan& plan = exchange->redirect;

  ProbeResult result;
  if (!exchange->refused.empty()) {
    result = Answer(ProbeOutcome::kFailure, "malformed HTTP response: " + exchange->refused,
                    ProbeReason::kProtocol);
  } else if (code != CURLE_OK && !body_capped && !exchange->headers_done) {
    result = TransportFailure(easy, code, error, spec);
  } else if (plan.kind == RedirectPlan::Kind::kSameHost) {
    // Go drains the body (errors dropped), then checks and follows.
    std::optional<ProbeResult> stop =
        code == CURLE_OPERATION_TIMEDOUT
            ? Answer(ProbeOutcome::kTimeout, TimeoutMessage(spec.timeout))
            : JudgeFollow(spec, plan, exchange->redirects, exchange->deadline);
    if (!stop) {
      const std::string previous = exchange->url;
      const RedirectPlan next = plan;  // StartHttp resets the exchange
      // Go's Referer: the previous URL, unless that would leak https to http.
      const bool leaks = previous.rfind("https:", 0) == 0 && next.next.rfind("http:", 0) == 0;
      const HttpExchange before = *exchange;
      StartHttp(easy, probe, RedirectMethod(before.method, before.status), next.next,
                before.deadline, before.redirects + 1, before.keep_host && next.keep_host,
                leaks ? "" : previous, exchange);
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                       TimeoutMillis(exchange->deadline - std::chrono::steady_clock::now()));
      return std::nullopt;
    }
    result = std::move(*stop);
  } else if (plan.kind == RedirectPlan::Kind::kBadLocation) {
    result = plan.result;
  } else if (body_broke) {
    result = CurlBodyError(easy, code, error, spec);
  } else if (probe.spec.http2 && probe.spec.https && Http2Refused(easy)) {
    result = Answer(ProbeOutcome::kFailure, "the server did not negotiate HTTP/2 (ALPN \"h2\")",
                    ProbeReason::kProtocol);
  } else {
    // A final answer, or a redirect to another host (kubelet's success,
    // "Probe terminated redirects", when nothing else is expected).
    return JudgeAnswer(probe, status, exchange->header_values, exchange->body);
  }
  result.code = static_cast<int>(status);
  return result;
}

}  // namespace vigil
