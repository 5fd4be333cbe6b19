// The wording of probe results, kept close to kubelet's so that operators
// find the messages they know: Go's duration format, Go's errno texts, and
// the "dial tcp ..." / "read tcp ..." phrases built from them.
//
// Pure functions of their arguments; safe to call from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace vigil {

// Go's time.Duration.String(): "0s", "250ms", "1.5s", "1m30s", "1h0m0s".
std::string GoDuration(std::chrono::nanoseconds d);

// Go's text for an errno: glibc's description with its first letter lowered,
// as Go's syscall table has it ("connection refused", "no route to host").
std::string ErrnoText(int err);

// Go's net.JoinHostPort: "127.0.0.1:80", "[::1]:80".
std::string JoinHostPort(std::string_view host, long port);

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
