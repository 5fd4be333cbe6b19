#include "tests/support/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace vigil::testing {
namespace {

std::string ProcPath(pid_t pid, const char* file) {
  return "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) + "/" + file;
}

uint64_t StatusKb(pid_t pid, const std::string& field) {
  std::ifstream status(ProcPath(pid, "status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

}  // namespace

uint64_t ResidentBytes(pid_t pid) { return StatusKb(pid, "VmRSS"); }
uint64_t PeakResidentBytes(pid_t pid) { return StatusKb(pid, "VmHWM"); }

std::chrono::milliseconds CpuTime(pid_t pid) {
  std::ifstream stat(ProcPath(pid, "stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name, in parentheses, may hold spaces: fields count from
  // after its closing one. utime and stime are fields 14 and 15.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return std::chrono::milliseconds(0);
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  return std::chrono::milliseconds((utime + stime) * 1000 / static_cast<uint64_t>(ticks));
}

}  // namespace vigil::testing
