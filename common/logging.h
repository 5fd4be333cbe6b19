// Process-wide logging setup: spdlog's default logger writing to stderr, as
// human-readable text or as one JSON object per line.
//
// The default logger is the one piece of global mutable state in vigil.
// SetupLogging is meant to be called from main before other threads start;
// logging itself (spdlog::info, ...) is thread-safe.
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil {

enum class LogFormat { kText, kJson };

// The accepted level names, in increasing severity, for help texts and errors.
inline constexpr std::string_view kLogLevelNames = "trace, debug, info, warn, error, critical, off";

Result<spdlog::level::level_enum> ParseLogLevel(std::string_view name);
Result<LogFormat> ParseLogFormat(std::string_view name);

// Replaces the default logger's sink and format. Times are UTC.
void SetupLogging(spdlog::level::level_enum level, LogFormat format);

}  // namespace vigil
