#include "tests/probes/exec_runner.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::testing {

ProbeSpec ExecSpec(std::vector<std::string> command) {
  ProbeSpec spec;
  spec.kind = ProbeSpec::Kind::kExec;
  spec.host = "127.0.0.1";
  spec.port = 80;
  spec.command = std::move(command);
  spec.timeout = std::chrono::seconds(5);
  return spec;
}

ProbeSpec ShellSpec(const std::string& script) { return ExecSpec({"/bin/sh", "-c", script}); }

size_t OpenDescriptors() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

namespace {

// Fields of /proc/PID/stat after the command name: state, ppid, ...
std::vector<std::string> StatFields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  std::vector<std::string> fields;
  if (paren == std::string::npos) return fields;
  std::istringstream rest(text.substr(paren + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

}  // namespace

std::vector<pid_t> Children() {
  std::vector<pid_t> children;
  const pid_t self = getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::vector<std::string> fields = StatFields(std::stoi(name));
    if (fields.size() > 1 && std::stoi(fields[1]) == self) children.push_back(std::stoi(name));
  }
  return children;
}

bool Dead(pid_t pid) {
  const std::vector<std::string> fields = StatFields(pid);
  return fields.empty() || fields[0] == "Z" || fields[0] == "X";
}

long ResidentKib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace vigil::testing
