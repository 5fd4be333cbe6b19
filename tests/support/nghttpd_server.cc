#include "tests/support/nghttpd_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/support/host.h"
#include "tests/support/spawn.h"
#include "tests/support/wait.h"

namespace vigil::testing {
namespace {

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

std::string NghttpdServer::Find(std::string* why) {
  for (const char* path : {"/usr/sbin/nghttpd", "/usr/bin/nghttpd"}) {
    if (access(path, X_OK) == 0) return path;
  }
  std::string found = FindProgram("nghttpd");
  if (found.empty()) *why = "nghttpd is not installed (Debian package nghttp2-server)";
  return found;
}

NghttpdServer::NghttpdServer() : NghttpdServer(Options{}) {}

NghttpdServer::NghttpdServer(Options options) {
  std::string why;
  const std::string program = Find(&why);
  if (program.empty()) throw std::runtime_error(why);
  std::string pattern = (std::filesystem::temp_directory_path() / "vigil-nghttpd-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a directory");
  dir_ = pattern;
  std::filesystem::create_directory(dir_ + "/htdocs");
  // Another process may take a free port before nghttpd binds it: try a few.
  for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
    const int port = FreeLoopbackPort();
    std::vector<std::string> argv = {program, "-a", "127.0.0.1", "-d", dir_ + "/htdocs"};
    if (options.cert_file.empty()) argv.push_back("--no-tls");
    argv.push_back(std::to_string(port));
    if (!options.cert_file.empty()) argv.insert(argv.end(), {options.key_file, options.cert_file});
    const std::string log = dir_ + "/nghttpd.log";
    pid_ = SpawnTied(argv, log, log);
    if (pid_ < 0) break;
    const bool up = WaitUntil(
        [&] {
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return true;  // exited: the port was taken
          }
          return Accepts(port);
        },
        std::chrono::seconds(10));
    if (up && pid_ > 0) port_ = port;
  }
  if (port_ == 0) throw std::runtime_error("nghttpd did not start (see " + dir_ + "/nghttpd.log)");
}

NghttpdServer::~NghttpdServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void NghttpdServer::AddFile(const std::string& name, const std::string& content) {
  std::ofstream(dir_ + "/htdocs/" + name, std::ios::binary) << content;
}

}  // namespace vigil::testing
