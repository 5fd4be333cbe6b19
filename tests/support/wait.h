// Waiting in tests without guessing a sleep: poll a condition until it holds
// or a deadline passes. Thread-safe as far as `condition` is.
#pragma once

#include <chrono>
#include <functional>

namespace vigil::testing {

// Polls `condition` every millisecond until it holds (true) or `timeout`
// passes (false).
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace vigil::testing
