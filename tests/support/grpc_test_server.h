// A real gRPC health server for tests: tests/support/grpc_health_server.py
// (python3-grpcio, gRPC's C core) run as a child tied to the test's thread,
// on a loopback port, cleartext or TLS. The test sets each service's status,
// forgets services, and makes Check hang; each call returns once the server
// has applied it.
//
// Methods are for one thread (the test's). Stops when destroyed.
#pragma once

#include <sys/types.h>

#include <string>

namespace vigil::testing {

class GrpcTestServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    std::string cert_file;  // with key_file: TLS
    std::string key_file;
  };

  // Whether the server can run here (/usr/bin/python3 with grpc importable);
  // when not, `why` says what to install.
  static bool Available(std::string* why);

  GrpcTestServer();
  explicit GrpcTestServer(Options options);
  ~GrpcTestServer();

  GrpcTestServer(const GrpcTestServer&) = delete;
  GrpcTestServer& operator=(const GrpcTestServer&) = delete;

  int port() const { return port_; }
  // `status`: SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN; `service`
  // "" is the server as a whole.
  void Set(const std::string& service, const std::string& status);
  void Forget(const std::string& service);
  void Hang(bool on);

 private:
  // Sends one command line and waits for its "ok".
  void Command(const std::string& line);
  std::string ReadLine();

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  int port_ = 0;
  std::string log_;
};

}  // namespace vigil::testing
