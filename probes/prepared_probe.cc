#include "probes/prepared_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/version.h"
#include "probes/http_probe.h"
#include "probes/probe_messages.h"
#include "probes/request_headers.h"
#include "probes/request_target.h"

namespace vigil {
namespace {

// An IP literal's socket address; false for anything else (a DNS name).
bool ParseAddress(const ProbeSpec& spec, sockaddr_storage* address, socklen_t* length) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(address);
  if (inet_pton(AF_INET, spec.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(spec.port));
    *length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(address);
  if (inet_pton(AF_INET6, spec.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(spec.port));
    *length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// What every kind needs: a host that keeps a URL's meaning, a port, a timeout.
Status Check(const ProbeSpec& spec) {
  const bool host_ok =
      !spec.host.empty() && std::all_of(spec.host.begin(), spec.host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
               c == ':';
      });
  if (!host_ok) return Status::Error("invalid probe host \"" + spec.host + "\"");
  if (spec.port < 1 || spec.port > 65535) {
    return Status::Error("invalid probe port " + std::to_string(spec.port) + ": not in 1-65535");
  }
  if (spec.timeout <= std::chrono::nanoseconds::zero()) {
    return Status::Error("invalid probe timeout " + GoDuration(spec.timeout));
  }
  if (spec.kind == ProbeSpec::Kind::kHttp && IsNetworkPath(spec.path)) {
    return Status::Error("invalid probe path \"" + spec.path +
                         "\": a path starting with \"//\" would be read as a host");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> HttpRequestBytes(const ProbeSpec& spec) {
  Result<RequestHeaders> headers = BuildRequestHeaders(spec.headers);
  if (!headers.ok()) return headers.status();
  const std::string url = HttpUrl(spec);
  std::string request =
      "GET " + url.substr(url.find('/', url.find("://") + 3)) + " HTTP/1.1\r\nHost: " +
      (headers->host.empty() ? JoinHostPort(spec.host, spec.port) : headers->host) + "\r\n";
  for (const auto& [name, value] : headers->fields) request += name + ": " + value + "\r\n";
  return request + "\r\n";
}

std::shared_ptr<const PreparedProbe> PrepareProbe(ProbeSpec spec) {
  auto prepared = std::make_shared<PreparedProbe>();
  prepared->invalid = Check(spec);
  if (prepared->invalid.ok() && spec.kind == ProbeSpec::Kind::kHttp) {
    prepared->url = HttpUrl(spec);
    std::string path = spec.path;
    if (!path.empty() && path[0] != '/' && path[0] != '?') path.insert(0, "/");
    prepared->referer =
        (spec.https ? "https://" : "http://") + JoinHostPort(spec.host, spec.port) + UrlTail(path);
    Result<RequestHeaders> headers = BuildRequestHeaders(spec.headers);
    if (!headers.ok()) {
      prepared->invalid = headers.status();
    } else if (!spec.headers.empty()) {
      auto list = [&](bool with_host) {
        curl_slist* slist = nullptr;
        for (const std::string& line : CurlHeaderLines(*headers, with_host)) {
          slist = curl_slist_append(slist, line.c_str());
        }
        return SlistPtr(slist);
      };
      prepared->headers = list(true);
      prepared->headers_without_host = headers->host.empty() ? nullptr : list(false);
    }
  }
  const bool plain = spec.kind == ProbeSpec::Kind::kTcp || !spec.https;
  if (prepared->invalid.ok() && plain &&
      ParseAddress(spec, &prepared->address, &prepared->address_length)) {
    prepared->native = true;
    if (spec.kind == ProbeSpec::Kind::kHttp) prepared->request = *HttpRequestBytes(spec);
  }
  prepared->spec = std::move(spec);
  return prepared;
}

}  // namespace vigil
