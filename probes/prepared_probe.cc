#include "probes/prepared_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <re2/re2.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "common/version.h"
#include "probes/child_process.h"
#include "probes/grpc_probe.h"
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

SlistPtr ToSlist(const std::vector<std::string>& lines) {
  curl_slist* list = nullptr;
  for (const std::string& line : lines) list = curl_slist_append(list, line.c_str());
  return SlistPtr(list);
}

Result<std::shared_ptr<const re2::RE2>> Compile(const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) return Status::Error("invalid pattern \"" + pattern + "\": " + re->error());
  return re;
}

// The expect patterns of `spec`, compiled into `prepared`.
Status CompilePatterns(const ProbeSpec& spec, PreparedProbe* prepared) {
  for (auto [pattern, out] : {std::pair{&spec.expect_body, &prepared->expect_body},
                              std::pair{&spec.expect_no_body, &prepared->expect_no_body}}) {
    if (!pattern->has_value()) continue;
    Result<std::shared_ptr<const re2::RE2>> re = Compile(**pattern);
    if (!re.ok()) return re.status();
    *out = *re;
  }
  for (const ProbeSpec::HeaderMatch& header : spec.expect_headers) {
    Result<std::shared_ptr<const re2::RE2>> re = Compile(header.pattern);
    if (!re.ok()) return re.status();
    prepared->expect_headers.push_back(*re);
  }
  return Status::Ok();
}

// The command's argv, envp and candidate names for `prepared`, whose spec is final.
void PrepareExec(PreparedProbe* prepared) {
  const ProbeSpec& spec = prepared->spec;
  if (!spec.command.empty()) {
    prepared->exec_candidates = ExecCandidates(spec.command[0], std::getenv("PATH"));
  }
  for (const std::string& name : prepared->exec_candidates) {
    prepared->exec_paths.push_back(name.c_str());
  }
  prepared->exec_paths.push_back(nullptr);
  for (const std::string& arg : spec.command)
    prepared->argv.push_back(const_cast<char*>(arg.c_str()));
  prepared->argv.push_back(nullptr);
  // The spec's entries replace the agent's of the same name.
  const auto overridden = [&](const char* entry) {
    const char* equals = std::strchr(entry, '=');
    const size_t length = equals != nullptr ? static_cast<size_t>(equals - entry) + 1 : 0;
    for (const std::string& own : spec.environment) {
      if (length > 0 && own.compare(0, length, entry, length) == 0) return true;
    }
    return false;
  };
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (!overridden(*entry)) prepared->exec_environment.emplace_back(*entry);
  }
  for (const std::string& own : spec.environment) prepared->exec_environment.push_back(own);
  for (const std::string& entry : prepared->exec_environment) {
    prepared->envp.push_back(const_cast<char*>(entry.c_str()));
  }
  prepared->envp.push_back(nullptr);
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
  if (spec.kind == ProbeSpec::Kind::kExec && (spec.command.empty() || spec.command[0].empty())) {
    return Status::Error("invalid exec probe: no command");
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
    // A body goes without curl's own Content-Type (Go's client sends none)
    // and without "Expect: 100-continue".
    const bool sends_body = spec.method == "POST" || spec.method == "PUT";
    if (!headers.ok()) {
      prepared->invalid = headers.status();
    } else if (!spec.headers.empty() || sends_body) {
      auto list = [&](bool with_host) {
        std::vector<std::string> lines = CurlHeaderLines(*headers, with_host);
        if (sends_body) {
          const bool typed =
              std::any_of(spec.headers.begin(), spec.headers.end(), [](const ProbeSpec::Header& h) {
                return strcasecmp(h.name.c_str(), "Content-Type") == 0;
              });
          if (!typed) lines.push_back("Content-Type:");
          lines.push_back("Expect:");
        }
        return ToSlist(lines);
      };
      prepared->headers = list(true);
      prepared->headers_without_host = headers->host.empty() ? nullptr : list(false);
    }
    if (prepared->invalid.ok()) prepared->invalid = CompilePatterns(spec, prepared.get());
  }
  if (prepared->invalid.ok() && spec.kind == ProbeSpec::Kind::kGrpc) {
    prepared->url = GrpcUrl(spec);
    prepared->grpc_request = GrpcHealthRequest(spec.grpc_service);
    prepared->headers = ToSlist(GrpcHeaderLines(spec.timeout));
  }
  const bool plain = spec.kind == ProbeSpec::Kind::kTcp ||
                     (spec.kind == ProbeSpec::Kind::kHttp && !spec.https && !spec.Extended());
  prepared->literal = ParseAddress(spec, &prepared->address, &prepared->address_length);
  if (prepared->invalid.ok() && plain && prepared->literal) {
    prepared->native = true;
    if (spec.kind == ProbeSpec::Kind::kHttp) prepared->request = *HttpRequestBytes(spec);
  }
  prepared->spec = std::move(spec);
  if (prepared->invalid.ok() && prepared->spec.kind == ProbeSpec::Kind::kExec) {
    PrepareExec(prepared.get());
  }
  return prepared;
}

}  // namespace vigil
