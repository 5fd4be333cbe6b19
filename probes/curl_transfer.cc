#include "probes/curl_transfer.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>

#include "probes/probe_messages.h"

namespace vigil {
namespace {

// Closing a socket with SO_LINGER {1, 0} sends a reset instead of a FIN, so
// the probe's side never enters TIME_WAIT (kubelet lingers 1 s instead, which
// keeps the FIN but not the node free of TIME_WAIT).
int SetLingerZero(void*, curl_socket_t fd, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) {
    const linger reset{.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    const int off = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof(off));
  }
  return CURL_SOCKOPT_OK;
}

std::string InfoString(CURL* easy, CURLINFO info) {
  char* value = nullptr;
  curl_easy_getinfo(easy, info, &value);
  return value != nullptr ? value : "";
}

long InfoLong(CURL* easy, CURLINFO info) {
  long value = 0;
  curl_easy_getinfo(easy, info, &value);
  return value;
}

}  // namespace

void SetUpTransfer(CURL* easy, std::chrono::nanoseconds timeout, char* error) {
  error[0] = '\0';
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  // Never wait for a resolver thread when a probe ends early: the loop must not block.
  curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  // An explicit empty proxy overrides http_proxy & co. from the environment.
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
  // No DNS cache: curl 7.88 prunes the whole cache after every transfer, which
  // with one entry per probed host makes each probe cost O(hosts). Kubelet
  // resolves afresh for each probe too.
  curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
  // A probe reads a status line, headers and at most 10 KiB of body: curl's
  // default 16 KiB receive buffer, allocated per transfer, is mostly malloc churn.
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 4096L);
  curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, SetLingerZero);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 0L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, TimeoutMillis(timeout));
}

long TimeoutMillis(std::chrono::nanoseconds d) {
  return std::max<long>(1, std::chrono::ceil<std::chrono::milliseconds>(d).count());
}

ProbeResult TransportFailure(CURL* easy, CURLcode code, const char* error, const ProbeSpec& spec) {
  ProbeResult result;
  result.outcome = ProbeOutcome::kFailure;
  const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(code);
  const long os_errno = InfoLong(easy, CURLINFO_OS_ERRNO);
  const std::string reason = os_errno != 0 ? ErrnoText(static_cast<int>(os_errno)) : detail;
  // The address curl last tried; after a failed lookup there is none.
  std::string remote_ip = InfoString(easy, CURLINFO_PRIMARY_IP);
  long remote_port = InfoLong(easy, CURLINFO_PRIMARY_PORT);
  if (remote_ip.empty()) remote_ip = spec.host;
  if (remote_port == 0) remote_port = spec.port;
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      result.outcome = ProbeOutcome::kTimeout;
      result.reason = ProbeReason::kTimeout;
      result.message = TimeoutMessage(spec.timeout);
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      result.reason = ProbeReason::kDns;
      result.message = LookupMessage(spec.host);
      break;
    case CURLE_COULDNT_CONNECT:
      result.reason = DialReason(static_cast<int>(os_errno));
      result.message = DialMessage(remote_ip, remote_port, reason);
      break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      if (os_errno == 0 && detail.find("SSL") != std::string::npos) {
        // TLS broke after the handshake, as a TLS 1.3 server refusing the
        // client's certificate does with its alert.
        result.reason = ProbeReason::kTls;
        result.message = "TLS failed: " + detail;
        break;
      }
      result.reason = ConnectionReason(static_cast<int>(os_errno));
      result.message = ConnectionMessage(
          code == CURLE_RECV_ERROR ? "read" : "write",
          JoinHostPort(InfoString(easy, CURLINFO_LOCAL_IP), InfoLong(easy, CURLINFO_LOCAL_PORT)),
          JoinHostPort(remote_ip, remote_port), reason);
      break;
    case CURLE_GOT_NOTHING:  // closed before a byte of an answer
      result.reason = ProbeReason::kReset;
      result.message = detail;
      break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:  // what curl answers to bytes that are not HTTP
      result.reason = ProbeReason::kProtocol;
      result.message = "malformed HTTP response: " + detail;
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      result.reason = ProbeReason::kTls;
      result.message = "TLS handshake failed: " + detail;
      break;
    default:  // HTTP/2 framing errors among others: not an answer the protocol allows
      result.reason = ProbeReason::kProtocol;
      result.message = detail;
      break;
  }
  return result;
}

void ReadPhases(CURL* easy, bool resolved, bool tls, ProbeResult* result) {
  // Each is the time from the start to the end of that phase; 0 when it did
  // not end.
  const auto at = [easy](CURLINFO info) {
    curl_off_t us = 0;
    curl_easy_getinfo(easy, info, &us);
    return std::chrono::microseconds(us);
  };
  const std::chrono::microseconds lookup = at(CURLINFO_NAMELOOKUP_TIME_T);
  const std::chrono::microseconds connect = at(CURLINFO_CONNECT_TIME_T);
  const std::chrono::microseconds handshake = at(CURLINFO_APPCONNECT_TIME_T);
  const std::chrono::microseconds first_byte = at(CURLINFO_STARTTRANSFER_TIME_T);
  if (resolved && lookup.count() > 0) result->set_phase(ProbePhase::kDns, lookup);
  if (connect.count() <= 0) return;
  result->set_phase(ProbePhase::kConnect, connect - lookup);
  std::chrono::microseconds ready = connect;
  if (tls) {
    if (handshake.count() <= 0) return;
    result->set_phase(ProbePhase::kTls, handshake - connect);
    ready = handshake;
  }
  if (first_byte > ready) result->set_phase(ProbePhase::kFirstByte, first_byte - ready);
}

}  // namespace vigil
