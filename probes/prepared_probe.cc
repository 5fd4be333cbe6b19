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

namespace vigil {
namespace {

bool NameIs(const std::string& name, const char* wanted) {
  return strcasecmp(name.c_str(), wanted) == 0;
}

// The path as it goes on the request line: what HttpUrl puts after host:port.
std::string RequestTarget(const ProbeSpec& spec) {
  const std::string url = HttpUrl(spec);
  const size_t scheme_end = url.find("://");
  return url.substr(url.find('/', scheme_end + 3));
}

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
  return Status::Ok();
}

}  // namespace

Result<std::string> HttpRequestBytes(const ProbeSpec& spec) {
  // The same checks as for curl's header list.
  if (Result<std::vector<std::string>> lines = HeaderLines(spec.headers); !lines.ok()) {
    return lines.status();
  }
  std::string host = JoinHostPort(spec.host, spec.port);
  bool user_agent = true;
  bool accept = true;
  bool connection = true;
  std::string others;
  for (const ProbeSpec::Header& h : spec.headers) {
    if (NameIs(h.name, "Host")) {
      if (!h.value.empty()) host = h.value;
      continue;
    }
    if (NameIs(h.name, "User-Agent")) user_agent = false;
    if (NameIs(h.name, "Accept")) accept = false;
    if (NameIs(h.name, "Connection")) connection = false;
    if (h.value.empty() && (NameIs(h.name, "User-Agent") || NameIs(h.name, "Accept"))) continue;
    others += h.name + ": " + h.value + "\r\n";
  }
  std::string request = "GET " + RequestTarget(spec) + " HTTP/1.1\r\nHost: " + host + "\r\n";
  if (user_agent) request += std::string("User-Agent: vigil-probe/") + kVersion + "\r\n";
  if (accept) request += "Accept: */*\r\n";
  if (connection) request += "Connection: close\r\n";
  return request + others + "\r\n";
}

std::shared_ptr<const PreparedProbe> PrepareProbe(ProbeSpec spec) {
  auto prepared = std::make_shared<PreparedProbe>();
  prepared->invalid = Check(spec);
  if (prepared->invalid.ok() && spec.kind == ProbeSpec::Kind::kHttp) {
    prepared->url = HttpUrl(spec);
    if (!spec.headers.empty()) {
      Result<std::vector<std::string>> lines = HeaderLines(spec.headers);
      if (lines.ok()) {
        curl_slist* list = nullptr;
        for (const std::string& line : *lines) list = curl_slist_append(list, line.c_str());
        prepared->headers.reset(list);
      } else {
        prepared->invalid = lines.status();
      }
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
