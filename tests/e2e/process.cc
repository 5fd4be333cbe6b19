#include "tests/e2e/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/spawn.h"
#include "tests/support/wait.h"

namespace vigil::e2e {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Output RunCli(std::vector<std::string> args, const std::string& server) {
  args.insert(args.begin(), VIGIL_BINARY);
  args.push_back("--server");
  args.push_back(server);
  return RunProcess(std::move(args));
}

int ApiPort(const std::string& log) {
  std::smatch m;
  static const std::regex kServing(R"(serving the API on http://127\.0\.0\.1:(\d+))");
  return std::regex_search(log, m, kServing) ? std::stoi(m[1]) : 0;
}

int DnsPort(const std::string& log) {
  static const std::regex kServing(R"(serving DNS for zone \S+ on 127\.0\.0\.1:(\d+) )");
  std::smatch m;
  return std::regex_search(log, m, kServing) ? std::stoi(m[1]) : 0;
}

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/vigil-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

Process::Process(std::vector<std::string> argv) : dir_(MakeTempDir()) {
  pid_ = testing::SpawnTied(argv, dir_ + "/stdout", dir_ + "/stderr");
  if (pid_ < 0) throw std::runtime_error("cannot start " + argv[0]);
}

Process::~Process() {
  if (!exit_code_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::remove((dir_ + "/stdout").c_str());
  std::remove((dir_ + "/stderr").c_str());
  rmdir(dir_.c_str());
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  testing::WaitUntil(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) exit_code_ = DecodeWaitStatus(status);
        return exit_code_.has_value();
      },
      timeout);
  return exit_code_;
}

void Process::Signal(int signal) {
  if (!exit_code_) kill(pid_, signal);
}

std::string Process::Stdout() const { return ReadFile(dir_ + "/stdout"); }
std::string Process::Stderr() const { return ReadFile(dir_ + "/stderr"); }

Output RunProcess(std::vector<std::string> argv) {
  Process p(std::move(argv));
  Output output;
  output.exit_code = p.Wait(std::chrono::seconds(30)).value_or(-1);
  output.out = p.Stdout();
  output.err = p.Stderr();
  return output;
}

}  // namespace vigil::e2e
