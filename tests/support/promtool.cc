#include "tests/support/promtool.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace vigil::testing {

PromtoolCheck CheckMetrics(const std::string& promtool, const std::string& exposition) {
  std::string path = (std::filesystem::temp_directory_path() / "vigil-metrics-XXXXXX").string();
  const int fd = ::mkstemp(path.data());
  if (fd < 0) return {false, "cannot create a temporary file for promtool"};
  bool written = true;
  for (size_t at = 0; written && at < exposition.size();) {
    const ssize_t n = ::write(fd, exposition.data() + at, exposition.size() - at);
    written = n > 0;
    if (written) at += static_cast<size_t>(n);
  }
  ::close(fd);
  PromtoolCheck check;
  if (!written) {
    check.output = "cannot write " + path;
  } else if (FILE* pipe = ::popen((promtool + " check metrics < " + path + " 2>&1").c_str(), "r");
             pipe == nullptr) {
    check.output = "cannot run " + promtool;
  } else {
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
      check.output.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    check.passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  std::filesystem::remove(path);
  return check;
}

}  // namespace vigil::testing
