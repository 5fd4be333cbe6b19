// nghttpd (Debian's nghttp2-server), a real HTTP/2-only server, for tests of
// HTTP/2 probes: cleartext (h2c with prior knowledge) or TLS (ALPN "h2"),
// serving files from a document root of its own on a loopback port. Run as a
// child tied to the test's thread; stops when destroyed.
//
// Methods are for one thread (the test's).
#pragma once

#include <sys/types.h>

#include <string>

namespace vigil::testing {

class NghttpdServer {
 public:
  struct Options {
    std::string cert_file;  // with key_file: TLS
    std::string key_file;
  };

  // The path of nghttpd, or "" (then `why` says what to install).
  static std::string Find(std::string* why);

  NghttpdServer();
  explicit NghttpdServer(Options options);
  ~NghttpdServer();

  NghttpdServer(const NghttpdServer&) = delete;
  NghttpdServer& operator=(const NghttpdServer&) = delete;

  int port() const { return port_; }
  // Serves `content` at /`name`.
  void AddFile(const std::string& name, const std::string& content);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
};

}  // namespace vigil::testing
