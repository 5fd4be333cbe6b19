#include "probes/http_probe.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "common/version.h"
#include "probes/curl_transfer.h"
#include "probes/prepared_probe.h"
#include "probes/probe_messages.h"
#include "probes/request_target.h"

namespace vigil {

void SlistFree::operator()(curl_slist* list) const { curl_slist_free_all(list); }

namespace {

constexpr size_t kMaxBodyBytes = 10 * 1024;
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

// Reads and drops the body; once kMaxBodyBytes have come it stops the
// transfer (curl then ends with CURLE_WRITE_ERROR), as Go's ReadAtMost stops
// reading at its limit: a huge or endless body costs neither memory nor time.
size_t CountBody(char*, size_t size, size_t count, void* userdata) {
  auto* exchange = static_cast<HttpExchange*>(userdata);
  exchange->body_bytes += size * count;
  return exchange->body_bytes >= kMaxBodyBytes ? 0 : size * count;
}

// Notes each response's status, Location and the end of its headers (an
// interim 1xx answer's end is not the end).
size_t ReadHeader(char* data, size_t size, size_t count, void* userdata) {
  auto* exchange = static_cast<HttpExchange*>(userdata);
  std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") {
    exchange->headers_done = false;
    exchange->location.clear();
    const size_t space = line.find(' ');
    exchange->status = 0;
    if (space != std::string_view::npos) {
      std::string_view code = line.substr(space + 1);
      while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
      for (size_t i = 0;
           i < 3 && i < code.size() && std::isdigit(static_cast<unsigned char>(code[i])); ++i) {
        exchange->status = exchange->status * 10 + (code[i] - '0');
      }
    }
  } else if (line == "\r\n" || line == "\n") {
    const bool interim =
        exchange->status >= 100 && exchange->status < 200 && exchange->status != 101;
    if (!interim) exchange->headers_done = true;
  } else if (line.size() > 9 && strncasecmp(line.data(), "Location:", 9) == 0) {
    std::string_view value = line.substr(9);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
      value.remove_suffix(1);
    exchange->location = std::string(value);
  }
  return size * count;
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

ProbeResult Answer(ProbeOutcome outcome, std::string message) {
  ProbeResult result;
  result.outcome = outcome;
  result.message = std::move(message);
  return result;
}

// kubelet's redirect policy for an answer pointing at `location`; nullopt:
// follow it.
std::optional<ProbeResult> JudgeRedirect(const std::string& location, const ProbeSpec& spec,
                                         const HttpExchange& exchange) {
  const std::optional<UrlParts> target = ParseUrl(location);
  const std::optional<UrlParts> origin = ParseUrl(HttpUrl(spec));
  if (!target || !origin || strcasecmp(target->host.c_str(), origin->host.c_str()) != 0) {
    return Answer(ProbeOutcome::kSuccess, "Probe terminated redirects");
  }
  // Go's client checks before each redirect how many requests it has made.
  if (exchange.redirects + 1 >= kMaxRedirects) {
    return Answer(ProbeOutcome::kFailure, "stopped after 10 redirects");
  }
  if (target->scheme != "http" && target->scheme != "https") {
    return Answer(ProbeOutcome::kFailure, "unsupported protocol scheme \"" + target->scheme + "\"");
  }
  if (exchange.deadline <= std::chrono::steady_clock::now()) {
    return Answer(ProbeOutcome::kTimeout, TimeoutMessage(spec.timeout));
  }
  return std::nullopt;
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
      return BodyError(BodyTimeoutMessage());
    case CURLE_PARTIAL_FILE:
      return BodyError(kUnexpectedEof);
    default:
      return BodyError(TransportFailure(easy, code, error, spec).message);
  }
}

}  // namespace

bool IsFollowedRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

ProbeResult JudgeStatus(long status) {
  ProbeResult result;
  if (status >= 200 && status < 300) {
    result.outcome = ProbeOutcome::kSuccess;
  } else if (status >= 300 && status < 400) {
    result = Answer(ProbeOutcome::kSuccess, "Probe terminated redirects");
  } else {
    result = Answer(ProbeOutcome::kFailure, StatusCodeMessage(status));
  }
  result.code = static_cast<int>(status);
  return result;
}

std::optional<ProbeResult> FirstRedirect(const ProbeSpec& spec, const std::string& url,
                                         const std::string& location,
                                         std::chrono::steady_clock::time_point deadline,
                                         std::string* next) {
  const std::optional<std::string> target = Resolve(url, location);
  // As libcurl's REDIRECT_URL would be missing: the 3xx is the answer.
  if (!target) return Answer(ProbeOutcome::kSuccess, "Probe terminated redirects");
  HttpExchange exchange;
  exchange.deadline = deadline;
  std::optional<ProbeResult> stop = JudgeRedirect(*target, spec, exchange);
  if (!stop) *next = *target;
  return stop;
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

ProbeResult BodyError(std::string message) {
  return Answer(ProbeOutcome::kError, std::move(message));
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

void StartHttp(CURL* easy, const PreparedProbe& probe, const std::string& url,
               std::chrono::steady_clock::time_point deadline, int redirects, bool keep_host,
               const std::string& referer, HttpExchange* exchange) {
  exchange->deadline = deadline;
  exchange->redirects = redirects;
  exchange->keep_host = keep_host;
  exchange->url = url;
  const curl_slist* headers = !keep_host && probe.headers_without_host
                                  ? probe.headers_without_host.get()
                                  : probe.headers.get();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  // As Go's client: "/a/../b" is sent as it is.
  curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers != nullptr ? headers : DefaultHeaders());
  curl_easy_setopt(easy, CURLOPT_REFERER, referer.empty() ? nullptr : referer.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, CountBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, exchange);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, exchange);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
}

std::optional<ProbeResult> FinishHttp(CURL* easy, CURLcode code, const char* error,
                                      const PreparedProbe& probe, HttpExchange* exchange) {
  const ProbeSpec& spec = probe.spec;
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  const bool body_capped = code == CURLE_WRITE_ERROR && exchange->body_bytes >= kMaxBodyBytes;
  const bool body_broke = code != CURLE_OK && !body_capped && exchange->headers_done;

  ProbeResult result;
  if (code != CURLE_OK && !body_capped && !exchange->headers_done) {
    result = TransportFailure(easy, code, error, spec);
  } else if (IsFollowedRedirect(status) && !exchange->location.empty()) {
    const std::optional<std::string> location = Resolve(exchange->url, exchange->location);
    std::optional<ProbeResult> stop =
        location ? JudgeRedirect(*location, spec, *exchange)
                 : std::optional<ProbeResult>(
                       Answer(ProbeOutcome::kSuccess, "Probe terminated redirects"));
    if (!stop && code == CURLE_OPERATION_TIMEDOUT) {
      // Go's client drains a redirect's body before it follows; out of
      // time, the next request fails.
      stop = Answer(ProbeOutcome::kTimeout, TimeoutMessage(spec.timeout));
    }
    if (!stop) {
      // Go's client drops a broken body of a redirect it follows.
      const std::string previous = exchange->url;
      const std::string next = *location;  // curl's strings die with the next transfer
      const bool keep_host = exchange->keep_host && !IsAbsoluteLocation(exchange->location);
      // Go's Referer: the previous URL, unless that would leak https to http.
      const bool leaks = previous.rfind("https:", 0) == 0 && next.rfind("http:", 0) == 0;
      exchange->body_bytes = 0;
      exchange->headers_done = false;
      exchange->location.clear();
      StartHttp(easy, probe, next, exchange->deadline, exchange->redirects + 1, keep_host,
                leaks ? "" : previous, exchange);
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                       TimeoutMillis(exchange->deadline - std::chrono::steady_clock::now()));
      return std::nullopt;
    }
    result = body_broke && stop->outcome == ProbeOutcome::kSuccess
                 ? CurlBodyError(easy, code, error, spec)
                 : std::move(*stop);
  } else if (body_broke) {
    result = CurlBodyError(easy, code, error, spec);
  } else {
    return JudgeStatus(status);
  }
  result.code = static_cast<int>(status);
  return result;
}

}  // namespace vigil
