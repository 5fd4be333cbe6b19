// Runs the vigil binary (or any program) as a child process for end-to-end
// tests: output goes to files, so nothing blocks on a full pipe, and waiting
// polls with a deadline. Not thread-safe; one Process per test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vigil::e2e {

class Process {
 public:
  // Starts `argv` (argv[0] is a path) with stdout and stderr captured.
  explicit Process(std::vector<std::string> argv);
  ~Process();  // kills the child if it still runs

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The exit code, or nullopt when the child still runs after `timeout`.
  // A child ended by a signal reports 128 + the signal number.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  void Signal(int signal);

  std::string Stdout() const;
  std::string Stderr() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string dir_;
};

struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` to completion (at most 30 s) and returns what it printed.
Output RunProcess(std::vector<std::string> argv);

// Runs the CLI, `vigil ARGS... --server SERVER`, against an agent's API,
// as RunProcess.
Output RunCli(std::vector<std::string> args, const std::string& server);

// The API port an agent or demo logged ("serving the API on
// http://127.0.0.1:PORT"), or 0 before it did.
int ApiPort(const std::string& log);

// The DNS port an agent logged ("serving DNS for zone Z on
// 127.0.0.1:PORT (UDP and TCP)"), or 0 before it did.
int DnsPort(const std::string& log);

// A fresh temporary directory, removed by the caller when it wants.
std::string MakeTempDir();

// Writes `content` to `path`.
void WriteFile(const std::string& path, const std::string& content);

}  // namespace vigil::e2e
