// EscapeForLog: text from outside vigil (an etcd key or value, a server's
// error message) made safe to put in a log line or a one-line error. Each
// line of vigil's log is one record: outside text must not end it (`\n`),
// rewrite the terminal (ESC sequences), or hide bytes a reader should see.
//
// Printable ASCII and valid UTF-8 pass through, except `\`, which becomes
// `\\` so that an escape in the output always means an escaped byte. `\n`,
// `\r` and `\t` become those two-character escapes; other control bytes
// (C0 and DEL) and every byte that is not part of valid UTF-8 become `\xNN`;
// C1 controls, the line and paragraph separators (U+2028, U+2029) and the
// bidirectional overrides (U+202A-U+202E, U+2066-U+2069) become `\u{NNNN}`.
// Text longer than `max_bytes` is cut there and says how long it was.
//
// Where outside text enters a message, it is escaped once, there; code that
// logs such a message does not escape it again. Pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil {

inline constexpr size_t kLogEscapeMaxBytes = 512;

std::string EscapeForLog(std::string_view text, size_t max_bytes = kLogEscapeMaxBytes);

}  // namespace vigil
