#include "probes/grpc_probe.h"

#include <strings.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "common/version.h"
#include "probes/curl_transfer.h"
#include "probes/http_response_parser.h"
#include "probes/prepared_probe.h"
#include "probes/probe_messages.h"

namespace vigil {
namespace {

constexpr int kGrpcOk = 0;
constexpr int kGrpcDeadlineExceeded = 4;
constexpr int kGrpcUnimplemented = 12;
constexpr int kServing = 1;

// Go's http.StatusText for the statuses a server that is not gRPC answers.
std::string StatusText(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// grpc-go's code for an answer whose HTTP status is not 200.
int CodeOfHttpStatus(long status) {
  switch (status) {
    case 400:
      return 13;  // Internal
    case 401:
      return 16;  // Unauthenticated
    case 403:
      return 7;  // PermissionDenied
    case 404:
      return kGrpcUnimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;  // Unavailable
    default:
      return 2;  // Unknown
  }
}

ProbeResult Failed(std::string message, ProbeReason reason) {
  ProbeResult result;
  result.outcome =
      reason == ProbeReason::kTimeout ? ProbeOutcome::kTimeout : ProbeOutcome::kFailure;
  result.reason = reason;
  result.message = std::move(message);
  return result;
}

// kubelet's message for a call that ended with gRPC status `code`.
ProbeResult RpcFailed(int code, const std::string& message, const ProbeSpec& spec,
                      ProbeReason reason) {
  if (code == kGrpcUnimplemented) {
    return Failed(
        "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): " +
            message,
        reason);
  }
  if (code == kGrpcDeadlineExceeded) {
    return Failed("timeout: health rpc did not complete within " + GoDuration(spec.timeout),
                  ProbeReason::kTimeout);
  }
  return Failed("error: health rpc probe failed: rpc error: code = " + GrpcCodeName(code) +
                    " desc = " + message,
                reason);
}

// Reads a protobuf varint from `data` at `*at`.
std::optional<uint64_t> Varint(std::string_view data, size_t* at) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64 && *at < data.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(data[(*at)++]);
    value |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

size_t CollectBody(char* data, size_t size, size_t count, void* userdata) {
  auto* exchange = static_cast<GrpcExchange*>(userdata);
  const size_t n = size * count;
  if (exchange->body.size() + n > HttpResponseParser::kMaxBodyBytes) {
    exchange->body_too_large = true;
    return 0;
  }
  exchange->body.append(data, n);
  return n;
}

// Headers and trailers alike (libcurl hands both here).
size_t ReadHeader(char* data, size_t size, size_t count, void* userdata) {
  auto* exchange = static_cast<GrpcExchange*>(userdata);
  const size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    const size_t space = line.find(' ');
    exchange->http_status = 0;
    for (size_t i = space + 1; space != std::string_view::npos && i < line.size() &&
                               std::isdigit(static_cast<unsigned char>(line[i]));
         ++i) {
      exchange->http_status = exchange->http_status * 10 + (line[i] - '0');
    }
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  const std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  const auto is = [&](const char* want) {
    return name.size() == std::strlen(want) && strncasecmp(name.data(), want, name.size()) == 0;
  };
  if (is("content-type")) {
    exchange->content_type = std::string(value);
  } else if (is("grpc-status")) {
    int code = 0;
    bool digits = !value.empty();
    for (char c : value) {
      digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (digits) code = code * 10 + (c - '0');
      if (code > 1000) digits = false;
    }
    exchange->grpc_status = digits ? code : -1;
  } else if (is("grpc-message")) {
    exchange->grpc_message = DecodeGrpcMessage(value);
  }
  return n;
}

}  // namespace

std::string GrpcUrl(const ProbeSpec& spec) {
  return (spec.tls ? "https://" : "http://") + JoinHostPort(spec.host, spec.port) +
         "/grpc.health.v1.Health/Check";
}

std::string GrpcHealthRequest(std::string_view service) {
  std::string message;
  if (!service.empty()) {       // proto3: an empty string is left out
    message.push_back('\x0a');  // field 1, length-delimited
    for (uint64_t length = service.size();; length >>= 7) {
      if (length < 0x80) {
        message.push_back(static_cast<char>(length));
        break;
      }
      message.push_back(static_cast<char>((length & 0x7f) | 0x80));
    }
    message.append(service);
  }
  std::string frame(5, '\0');  // not compressed, then the length, big-endian
  const auto length = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) frame[1 + i] = static_cast<char>(length >> (24 - 8 * i));
  return frame + message;
}

std::vector<std::string> GrpcHeaderLines(std::chrono::nanoseconds timeout) {
  const auto ms =
      std::max<int64_t>(1, std::chrono::ceil<std::chrono::milliseconds>(timeout).count());
  return {"Content-Type: application/grpc", "TE: trailers",
          std::string("User-Agent: vigil-probe/") + kVersion,
          // gRPC's form: at most 8 digits and a unit (m: milliseconds).
          "grpc-timeout: " + std::to_string(std::min<int64_t>(ms, 99'999'999)) + "m",
          "Accept:", "Expect:"};
}

Result<int> ParseHealthResponse(std::string_view body) {
  if (body.size() < 5) return Status::Error("the answer holds no message");
  if (body[0] != 0) return Status::Error("the message is compressed, which was not asked for");
  uint32_t length = 0;
  for (int i = 1; i <= 4; ++i) length = (length << 8) | static_cast<unsigned char>(body[i]);
  if (body.size() - 5 < length) return Status::Error("the message is cut short");
  const std::string_view message = body.substr(5, length);
  int status = 0;  // proto3: absent means 0, UNKNOWN
  size_t at = 0;
  while (at < message.size()) {
    const std::optional<uint64_t> key = Varint(message, &at);
    if (!key) return Status::Error("the message is not a HealthCheckResponse");
    const uint64_t field = *key >> 3;
    switch (*key & 7) {
      case 0: {  // varint
        const std::optional<uint64_t> value = Varint(message, &at);
        if (!value) return Status::Error("the message is not a HealthCheckResponse");
        if (field == 1) status = static_cast<int>(static_cast<int32_t>(*value));
        break;
      }
      case 1:  // 64-bit
        at += 8;
        break;
      case 2: {  // length-delimited
        const std::optional<uint64_t> size = Varint(message, &at);
        if (!size || *size > message.size() - std::min(at, message.size())) {
          return Status::Error("the message is not a HealthCheckResponse");
        }
        at += *size;
        break;
      }
      case 5:  // 32-bit
        at += 4;
        break;
      default:
        return Status::Error("the message is not a HealthCheckResponse");
    }
    if (at > message.size()) return Status::Error("the message is not a HealthCheckResponse");
  }
  return status;
}

std::string HealthStatusName(int status) {
  constexpr std::array<const char*, 4> kNames = {"UNKNOWN", "SERVING", "NOT_SERVING",
                                                 "SERVICE_UNKNOWN"};
  if (status >= 0 && status < static_cast<int>(kNames.size())) return kNames[status];
  return std::to_string(status);
}

std::string GrpcCodeName(int code) {
  constexpr std::array<const char*, 17> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  if (code >= 0 && code < static_cast<int>(kNames.size())) return kNames[code];
  return "Code(" + std::to_string(code) + ")";
}

std::string DecodeGrpcMessage(std::string_view message) {
  std::string out;
  for (size_t i = 0; i < message.size(); ++i) {
    const auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (message[i] == '%' && i + 2 < message.size() && hex(message[i + 1]) >= 0 &&
        hex(message[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(message[i + 1]) * 16 + hex(message[i + 2])));
      i += 2;
    } else {
      out.push_back(message[i]);
    }
  }
  return out;
}

void StartGrpc(CURL* easy, const PreparedProbe& probe, GrpcExchange* exchange) {
  *exchange = GrpcExchange{};
  const ProbeSpec& spec = probe.spec;
  curl_easy_setopt(easy, CURLOPT_URL, probe.url.c_str());
  curl_easy_setopt(
      easy, CURLOPT_HTTP_VERSION,
      static_cast<long>(spec.tls ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, probe.grpc_request.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(probe.grpc_request.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, probe.headers.get());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, exchange);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, exchange);
  if (spec.tls) SetUpTls(easy, spec, &exchange->tls);
}

ProbeResult FinishGrpc(CURL* easy, CURLcode code, const char* error, const PreparedProbe& probe,
                       GrpcExchange* exchange) {
  const ProbeSpec& spec = probe.spec;
  const std::string address = JoinHostPort(spec.host, spec.port);
  curl_off_t connected = 0;
  curl_easy_getinfo(easy, spec.tls ? CURLINFO_APPCONNECT_TIME_T : CURLINFO_CONNECT_TIME_T,
                    &connected);
  long version = 0;
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);

  if (code == CURLE_OPERATION_TIMEDOUT) {
    if (connected == 0) {
      return Failed("timeout: failed to connect service \"" + address + "\" within " +
                        GoDuration(spec.timeout) + ": context deadline exceeded",
                    ProbeReason::kTimeout);
    }
    return Failed("timeout: health rpc did not complete within " + GoDuration(spec.timeout),
                  ProbeReason::kTimeout);
  }
  const bool answered = exchange->http_status != 0;
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && exchange->body_too_large) &&
      !(answered && exchange->grpc_status)) {
    ProbeResult failure = TransportFailure(easy, code, error, spec);
    if (connected != 0 && !answered) {
      // Connected, yet no HTTP/2 answer: not a gRPC server (an HTTP/1.1 one
      // answers the HTTP/2 preface with an error and closes).
      failure.reason = ProbeReason::kProtocol;
      failure.message = "error: failed to connect service at \"" + address +
                        "\": the server does not speak HTTP/2: " + failure.message;
      return failure;
    }
    failure.message = "error: failed to connect service at \"" + address + "\": " + failure.message;
    return failure;
  }
  if (spec.tls && version != CURL_HTTP_VERSION_2_0) {
    return Failed("error: failed to connect service at \"" + address +
                      "\": the server did not negotiate HTTP/2 (ALPN \"h2\")",
                  ProbeReason::kProtocol);
  }
  if (exchange->http_status != 200) {
    const std::string text = StatusText(exchange->http_status);
    return RpcFailed(CodeOfHttpStatus(exchange->http_status),
                     "unexpected HTTP status code received from server: " +
                         std::to_string(exchange->http_status) +
                         (text.empty() ? "" : " (" + text + ")"),
                     spec, ProbeReason::kProtocol);
  }
  const std::string_view type = exchange->content_type;
  if (type.substr(0, 16) != "application/grpc" ||
      (type.size() > 16 && type[16] != '+' && type[16] != ';')) {
    return RpcFailed(
        13, "transport: received unexpected content-type \"" + exchange->content_type + "\"", spec,
        ProbeReason::kProtocol);
  }
  if (!exchange->grpc_status) {
    return RpcFailed(13, "server closed the stream without sending trailers", spec,
                     ProbeReason::kProtocol);
  }
  if (*exchange->grpc_status != kGrpcOk) {
    if (*exchange->grpc_status < 0) {
      return RpcFailed(2, "transport: malformed grpc-status", spec, ProbeReason::kProtocol);
    }
    return RpcFailed(*exchange->grpc_status, exchange->grpc_message, spec, ProbeReason::kGrpc);
  }
  if (exchange->body_too_large) {
    return RpcFailed(8, "grpc: received message larger than max", spec, ProbeReason::kProtocol);
  }
  Result<int> status = ParseHealthResponse(exchange->body);
  if (!status.ok()) {
    return RpcFailed(13,
                     "grpc: failed to unmarshal the received message: " + status.status().message(),
                     spec, ProbeReason::kProtocol);
  }
  if (*status != kServing) {
    return Failed("service unhealthy (responded with \"" + HealthStatusName(*status) + "\")",
                  ProbeReason::kGrpc);
  }
  ProbeResult result;
  result.outcome = ProbeOutcome::kSuccess;
  return result;
}

}  // namespace vigil
