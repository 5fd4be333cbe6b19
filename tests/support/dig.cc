#include "tests/support/dig.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/host.h"
#include "tests/support/spawn.h"
#include "tests/support/wait.h"

namespace vigil::testing {

std::string DigPath() { return FindProgram("dig"); }

std::string Dig(const std::string& server, int port, const std::vector<std::string>& args) {
  const std::string dig = DigPath();
  if (dig.empty()) return "";
  std::vector<std::string> argv = {dig,       "@" + server, "-p",       std::to_string(port),
                                   "+time=5", "+tries=1",   "+nocookie"};
  argv.insert(argv.end(), args.begin(), args.end());
  char pattern[] = "/tmp/vigil-dig-XXXXXX";
  const int fd = mkstemp(pattern);
  if (fd < 0) return "";
  close(fd);
  const std::string out_path = pattern;
  const pid_t pid = SpawnTied(argv, out_path, out_path);
  if (pid < 0) return "";
  bool exited = false;
  WaitUntil(
      [&] {
        int status = 0;
        exited = waitpid(pid, &status, WNOHANG) == pid;
        return exited;
      },
      std::chrono::seconds(30));
  if (!exited) {
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  std::ifstream in(out_path);
  std::ostringstream text;
  text << in.rdbuf();
  std::remove(out_path.c_str());
  return text.str();
}

std::vector<std::string> Records(const std::string& output) {
  std::vector<std::string> records;
  std::istringstream lines(output);
  static const std::regex kSpace(R"(\s+)");
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == ';') continue;
    std::string record = std::regex_replace(line, kSpace, " ");
    while (!record.empty() && record.back() == ' ') record.pop_back();
    if (!record.empty()) records.push_back(record);
  }
  return records;
}

std::string DigStatus(const std::string& output) {
  static const std::regex kStatus(R"(status: ([A-Z]+))");
  std::smatch m;
  return std::regex_search(output, m, kStatus) ? m[1].str() : "";
}

std::string DigFlags(const std::string& output) {
  static const std::regex kFlags(R"(;; flags: ([a-z ]*);)");
  std::smatch m;
  return std::regex_search(output, m, kFlags) ? m[1].str() : "";
}

}  // namespace vigil::testing
