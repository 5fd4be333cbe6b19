#include "tests/support/grpc_test_server.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/spawn.h"

namespace vigil::testing {
namespace {

// Debian's python3-grpcio is installed for the system's Python only.
constexpr char kPython[] = "/usr/bin/python3";
const std::string kScript = std::string(VIGIL_SOURCE_DIR) + "/tests/support/grpc_health_server.py";

}  // namespace

bool GrpcTestServer::Available(std::string* why) {
  if (access(kPython, X_OK) != 0) {
    *why = "no /usr/bin/python3 (Debian package python3)";
    return false;
  }
  const std::string command = std::string(kPython) + " -c 'import grpc' >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) {
    *why = "python3 cannot import grpc (Debian package python3-grpcio)";
    return false;
  }
  return true;
}

GrpcTestServer::GrpcTestServer() : GrpcTestServer(Options{}) {}

GrpcTestServer::GrpcTestServer(Options options) {
  log_ = (std::filesystem::temp_directory_path() /
          ("vigil-grpc-" + std::to_string(getpid()) + "-" + std::to_string(rand()) + ".log"))
             .string();
  std::vector<std::string> argv = {kPython, kScript, "--address", options.address};
  if (!options.cert_file.empty()) {
    argv.insert(argv.end(), {"--cert", options.cert_file, "--key", options.key_file});
  }
  pid_ = SpawnTiedPiped(argv, &to_child_, &from_child_, log_);
  if (pid_ < 0) throw std::runtime_error("cannot start " + kScript);
  const std::string line = ReadLine();
  if (line.rfind("port ", 0) != 0) {
    std::ifstream in(log_);
    std::stringstream log;
    log << in.rdbuf();
    throw std::runtime_error("the gRPC test server did not start: " + line + "\n" + log.str());
  }
  port_ = std::stoi(line.substr(5));
}

GrpcTestServer::~GrpcTestServer() {
  close(to_child_);  // its stdin ends: it stops
  pollfd fd{from_child_, POLLIN, 0};
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    poll(&fd, 1, 50);
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(from_child_);
  std::filesystem::remove(log_);
}

void GrpcTestServer::Set(const std::string& service, const std::string& status) {
  Command("set " + (service.empty() ? "-" : service) + " " + status);
}

void GrpcTestServer::Forget(const std::string& service) {
  Command("forget " + (service.empty() ? "-" : service));
}

void GrpcTestServer::Hang(bool on) { Command(std::string("hang ") + (on ? "on" : "off")); }

void GrpcTestServer::Command(const std::string& line) {
  const std::string text = line + "\n";
  if (write(to_child_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw std::runtime_error("the gRPC test server is gone");
  }
  const std::string answer = ReadLine();
  if (answer != "ok") throw std::runtime_error("the gRPC test server answered: " + answer);
}

std::string GrpcTestServer::ReadLine() {
  std::string line;
  pollfd fd{from_child_, POLLIN, 0};
  while (true) {
    if (poll(&fd, 1, 30000) <= 0) return line + " (no answer within 30 s)";
    char c = 0;
    if (read(from_child_, &c, 1) != 1) return line + " (it exited)";
    if (c == '\n') return line;
    line.push_back(c);
  }
}

}  // namespace vigil::testing
