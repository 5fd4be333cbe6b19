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

}  // namespace vigil::testing
