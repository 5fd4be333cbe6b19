// LogCapture: while it lives, what vigil logs through spdlog's default
// logger goes into a buffer the test reads, one message per line as
// "[level] message". Restores the logger it replaced when destroyed.
// Thread-safe: the code under test logs from its threads while the test
// reads.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace vigil::testing {

class LogCapture {
 public:
  LogCapture();
  ~LogCapture();

  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const;
  // How many lines hold `text`.
  size_t Count(const std::string& text) const;

 private:
  class Sink;
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Sink> sink_;
};

}  // namespace vigil::testing
