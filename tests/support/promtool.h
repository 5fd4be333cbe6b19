// Prometheus's own checker of the text exposition format, `promtool check
// metrics`, run on a page the test rendered or scraped. Thread-safe (each
// call has a temporary file of its own).
#pragma once

#include <string>

namespace vigil::testing {

struct PromtoolCheck {
  bool passed = false;  // promtool exited 0
  std::string output;   // what it printed, stdout and stderr: "" for a clean page
};

// `promtool check metrics` (the program at `promtool`) on `exposition`.
PromtoolCheck CheckMetrics(const std::string& promtool, const std::string& exposition);

}  // namespace vigil::testing
