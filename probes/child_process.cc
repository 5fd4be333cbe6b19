#include "probes/child_process.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace vigil {
namespace {

// The child's stack while it shares the caller's memory: it only makes
// system calls.
constexpr size_t kChildStackBytes = 64 * 1024;
// glibc's internal signals (SIGCANCEL, SIGSETXID): ignored in the child, as
// posix_spawn leaves them.
constexpr int kFirstInternalSignal = 32;
constexpr int kLastInternalSignal = 33;
constexpr int kSignals = 64;

// The kernel's struct sigaction (rt_sigaction), for SIG_DFL and SIG_IGN:
// glibc's sigaction() refuses its internal signals.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

struct ChildArgs {
  const ChildSpec* spec;
  int niceness;  // the child's, absolute
  int max_fd;    // for closing by hand where close_range is missing
  int error;     // set by the child when it cannot exec
};

// Only system calls through syscall(): no lock, allocation or
// sanitizer interceptor of the caller's is touched while the memory is
// shared. syscall() sets errno, the caller thread's, which it does not read
// until the child has exec'd or exited.
__attribute__((no_sanitize("address", "undefined"))) int ChildMain(void* raw) {
  auto* args = static_cast<ChildArgs*>(raw);
  const ChildSpec& spec = *args->spec;
  for (int sig = 1; sig <= kSignals; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    KernelSigaction action{};
    action.handler = sig >= kFirstInternalSignal && sig <= kLastInternalSignal ? SIG_IGN : SIG_DFL;
    syscall(SYS_rt_sigaction, sig, &action, nullptr, sizeof(uint64_t));
  }
  syscall(SYS_setpgid, 0, 0);
  // The child has its own descriptor table: `out` is moved above 2 first, so
  // that it survives whatever it was numbered.
  const long out = syscall(SYS_fcntl, spec.out, F_DUPFD, 3);
  const long null = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
  if (out < 0 || null < 0 || syscall(SYS_dup2, null, 0) < 0 || syscall(SYS_dup2, out, 1) < 0 ||
      syscall(SYS_dup2, out, 2) < 0) {
    args->error = errno;
    syscall(SYS_exit_group, 127);
  }
  if (syscall(SYS_close_range, 3, ~0U, 0) != 0) {
    for (int fd = 3; fd < args->max_fd; ++fd) syscall(SYS_close, fd);
  }
  const uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof(none));
  // Last: until the exec the caller waits for the child, which must not
  // wait behind other commands meanwhile. Raising it cannot fail.
  syscall(SYS_setpriority, PRIO_PROCESS, 0, args->niceness);
  // posix_spawnp's search (glibc's __execvpex): EACCES is remembered, a
  // file or directory that is not there is skipped, any other error ends it.
  int error = ENOENT;
  bool denied = false;
  for (const char* const* path = spec.paths; *path != nullptr; ++path) {
    syscall(SYS_execve, *path, spec.argv, spec.envp);
    error = errno;
    if (error == EACCES) {
      denied = true;
    } else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV &&
               error != ETIMEDOUT) {
      break;
    }
  }
  args->error = denied && (error == ENOENT || error == ENOTDIR) ? EACCES : error;
  syscall(SYS_exit_group, 127);
  return 127;
}

int MaxFd() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1 << 20;
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20));
}

}  // namespace

ChildStart StartChild(const ChildSpec& spec) {
  static const int max_fd = MaxFd();
  ChildStart start;
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, 0);  // the calling thread's
  ChildArgs args{&spec, std::clamp((errno != 0 ? 0 : own) + spec.niceness, -20, 19), max_fd, 0};
  // On the caller's stack: the caller is suspended until the child has
  // exec'd or exited, so nothing else uses it meanwhile.
  alignas(16) char stack[kChildStackBytes];
  // No handler of the caller's may run in the child: every signal is blocked
  // across the clone; the child unblocks them once they are at their defaults.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  int pidfd = -1;
  const pid_t pid = clone(ChildMain, stack + sizeof(stack),
                          CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &args, &pidfd);
  const int clone_error = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) {
    start.error = clone_error;
    return start;
  }
  if (args.error != 0) {
    siginfo_t info{};
    waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED);  // it has exited
    close(pidfd);
    start.error = args.error;
    return start;
  }
  start.pid = pid;
  start.pidfd = pidfd;
  return start;
}

std::vector<std::string> ExecCandidates(const std::string& program, const char* search_path) {
  if (program.empty()) return {};
  if (program.find('/') != std::string::npos) return {program};
  // glibc's default (confstr _CS_PATH) when PATH is unset.
  const std::string path = search_path != nullptr ? search_path : "/bin:/usr/bin";
  std::vector<std::string> out;
  size_t begin = 0;
  while (true) {
    const size_t end = path.find(':', begin);
    const std::string dir = path.substr(begin, end == std::string::npos ? end : end - begin);
    out.push_back(dir.empty() ? program : dir + "/" + program);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return out;
}

}  // namespace vigil
