#include "tests/support/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char** environ;

namespace vigil::testing {

pid_t SpawnTied(const std::vector<std::string>& argv, const std::string& out_path,
                const std::string& err_path) {
  // Everything the child needs is made before the fork: between fork and exec
  // a multi-threaded program may only make async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const bool one_file = out_path == err_path;
  const int flags = O_WRONLY | O_CREAT | (one_file ? O_APPEND : O_TRUNC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;  // the parent, or -1

  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl
  const int in = open("/dev/null", O_RDONLY);
  const int out = open(out_path.c_str(), flags, 0644);
  const int err = one_file ? out : open(err_path.c_str(), flags, 0644);
  if (in < 0 || out < 0 || err < 0) _exit(127);
  dup2(in, STDIN_FILENO);
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  execve(args[0], args.data(), environ);
  _exit(127);
}

pid_t SpawnTiedPiped(const std::vector<std::string>& argv, int* to_child, int* from_child,
                     const std::string& err_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return -1;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err < 0) _exit(127);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execve(args[0], args.data(), environ);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    return -1;
  }
  *to_child = in[1];
  *from_child = out[0];
  return pid;
}

}  // namespace vigil::testing
