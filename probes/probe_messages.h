// The wording of probe results, kept close to kubelet's so that operators
// find the messages they know: Go's duration format, Go's errno texts, and
// the "dial tcp ..." / "read tcp ..." phrases built from them.
//
// Pure functions of their arguments; safe to call from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "probes/probe_result.h"

namespace vigil {

// Go's time.Duration.String(): "0s", "250ms", "1.5s", "1m30s", "1h0m0s".
std::string GoDuration(std::chrono::nanoseconds d);

// Go's text for an errno: glibc's description with its first letter lowered,
// as Go's syscall table has it ("connection refused", "no route to host").
std::string ErrnoText(int err);

// Go's net.JoinHostPort: "127.0.0.1:80", "[::1]:80".
std::string JoinHostPort(std::string_view host, long port);

// The reason of a connect that failed with errno `err`: refused (also an
// unreachable host or network), timeout or reset.
ProbeReason DialReason(int err);
// The reason of a read or write on a connection that failed with errno `err`:
// timeout, else reset.
ProbeReason ConnectionReason(int err);

// `text` with every byte sequence that is not UTF-8 replaced by U+FFFD: what
// a target sends (exec output, a gRPC message, a header's value) may be any
// bytes, and messages go into JSON and logs.
std::string ValidUtf8(std::string_view text);

// "probe timed out after 1s"
std::string TimeoutMessage(std::chrono::nanoseconds timeout);
// Go's error for a body that ended before its length or last chunk.
inline constexpr char kUnexpectedEof[] = "unexpected EOF";
// Go's error for a body still being read when the probe's time ran out.
std::string BodyTimeoutMessage();
// "HTTP probe failed with statuscode: 503"
std::string StatusCodeMessage(long code);
// "dial tcp 127.0.0.9:8080: connect: connection refused"
std::string DialMessage(std::string_view address, long port, std::string_view reason);
// "dial tcp: lookup db.example: no such host"
std::string LookupMessage(std::string_view host);
// "read tcp 127.0.0.1:41234->127.0.0.1:8080: read: connection reset by peer";
// `op` is "read" or "write".
std::string ConnectionMessage(std::string_view op, std::string_view local, std::string_view remote,
                              std::string_view reason);

}  // namespace vigil
