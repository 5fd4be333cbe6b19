#include "probes/http_probe.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "common/version.h"
#include "probes/curl_transfer.h"
#include "probes/probe_messages.h"

namespace vigil {

void SlistFree::operator()(curl_slist* list) const { curl_slist_free_all(list); }

namespace {

constexpr size_t kMaxBodyBytes = 10 * 1024;
constexpr int kMaxRedirects = 10;

bool NameIs(std::string_view name, const char* wanted) {
  return name.size() == std::strlen(wanted) && strncasecmp(name.data(), wanted, name.size()) == 0;
}

// RFC 9110 token characters: a header name can hold nothing else.
bool IsToken(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool IsFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

SlistPtr ToSlist(const std::vector<std::string>& lines) {
  curl_slist* list = nullptr;
  for (const std::string& line : lines) list = curl_slist_append(list, line.c_str());
  return SlistPtr(list);
}

// Most probes set no header: they share one list, built once.
const curl_slist* DefaultHeaders() {
  static const SlistPtr kList = ToSlist(*HeaderLines({}));
  return kList.get();
}

// Reads and drops the body; past kMaxBodyBytes it stops the transfer (curl
// then ends with CURLE_WRITE_ERROR), so a huge body costs neither memory nor time.
size_t CountBody(char*, size_t size, size_t count, void* userdata) {
  auto* exchange = static_cast<HttpExchange*>(userdata);
  exchange->body_bytes += size * count;
  return exchange->body_bytes > kMaxBodyBytes ? 0 : size * count;
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
  if (exchange.redirects >= kMaxRedirects) {
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

std::string HttpUrl(const ProbeSpec& spec) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string url = spec.https ? "https://" : "http://";
  url += JoinHostPort(spec.host, spec.port);
  if (spec.path.empty() || spec.path[0] != '/') url += '/';
  for (unsigned char c : spec.path) {
    if (c <= 0x20 || c >= 0x7f || std::strchr("\"<>\\^`{|}", c) != nullptr) {
      url += '%';
      url += kHex[c >> 4];
      url += kHex[c & 15];
    } else {
      url += static_cast<char>(c);
    }
  }
  return url;
}

Result<std::vector<std::string>> HeaderLines(const std::vector<ProbeSpec::Header>& headers) {
  std::vector<std::string> lines;
  bool has_user_agent = false;
  bool has_accept = false;
  bool has_connection = false;
  for (const ProbeSpec::Header& header : headers) {
    if (!IsToken(header.name) || !IsFieldValue(header.value)) {
      return Status::Error("invalid HTTP header \"" + header.name + "\"");
    }
    has_user_agent |= NameIs(header.name, "User-Agent");
    has_accept |= NameIs(header.name, "Accept");
    has_connection |= NameIs(header.name, "Connection");
    if (!header.value.empty()) {
      lines.push_back(header.name + ": " + header.value);
    } else if (NameIs(header.name, "Accept")) {
      lines.push_back(header.name + ":");  // curl's syntax to remove its own Accept
    } else if (!NameIs(header.name, "Host") && !NameIs(header.name, "User-Agent")) {
      lines.push_back(header.name + ";");  // curl's syntax for an empty value
    }
  }
  if (!has_user_agent) lines.push_back(std::string("User-Agent: vigil-probe/") + kVersion);
  if (!has_accept) lines.push_back("Accept: */*");
  // As kubelet: one connection per probe, which the server may close at once.
  if (!has_connection) lines.push_back("Connection: close");
  return lines;
}

void StartHttp(CURL* easy, const std::string& url, const curl_slist* headers,
               std::chrono::steady_clock::time_point deadline, int redirects,
               HttpExchange* exchange) {
  exchange->deadline = deadline;
  exchange->redirects = redirects;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers != nullptr ? headers : DefaultHeaders());
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, CountBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, exchange);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
}

std::optional<ProbeResult> FinishHttp(CURL* easy, CURLcode code, const char* error,
                                      const ProbeSpec& spec, HttpExchange* exchange) {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  const bool body_capped = code == CURLE_WRITE_ERROR && exchange->body_bytes > kMaxBodyBytes;
  char* redirect_url = nullptr;
  curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &redirect_url);

  ProbeResult result;
  if (code != CURLE_OK && !body_capped) {
    result = TransportFailure(easy, code, error, spec);
  } else if (IsFollowedRedirect(status) && redirect_url != nullptr) {
    const std::string location = redirect_url;  // curl's copy dies with the next transfer
    std::optional<ProbeResult> stop = JudgeRedirect(location, spec, *exchange);
    if (!stop) {
      ++exchange->redirects;
      exchange->body_bytes = 0;
      curl_easy_setopt(easy, CURLOPT_URL, location.c_str());
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                       TimeoutMillis(exchange->deadline - std::chrono::steady_clock::now()));
      return std::nullopt;
    }
    result = std::move(*stop);
  } else {
    return JudgeStatus(status);
  }
  result.code = static_cast<int>(status);
  return result;
}

}  // namespace vigil
