#include "tests/support/bounded_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

namespace vigil::testing {
namespace {

// The resident set of process `pid` in MiB, or 0 when it cannot be read.
long RssMb(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  long size = 0;
  long resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * sysconf(_SC_PAGESIZE) / (1 << 20);
}

void WriteAll(int fd, const std::string& text) {
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

BoundedRun RunBounded(const std::function<std::string()>& body, std::chrono::milliseconds timeout,
                      long max_rss_mb) {
  BoundedRun run;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return run;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return run;
  }
  if (pid == 0) {
    close(fds[0]);
    WriteAll(fds[1], body());
    _exit(0);
  }
  close(fds[1]);
  bool exited = false;
  int status = 0;
  for (;;) {
    // Read as the child writes, so that a long output cannot block it.
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 1) > 0) {
      char buffer[1 << 16];
      const ssize_t n = read(fds[0], buffer, sizeof buffer);
      if (n > 0) run.output.append(buffer, static_cast<size_t>(n));
    }
    rusage usage{};
    if (!exited && wait4(pid, &status, WNOHANG, &usage) == pid) {
      exited = true;
      run.cpu = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
          std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec));
    }
    if (exited) {
      // Drain what is left in the pipe: the child has closed its end.
      for (char buffer[1 << 16];;) {
        const ssize_t n = read(fds[0], buffer, sizeof buffer);
        if (n <= 0) break;
        run.output.append(buffer, static_cast<size_t>(n));
      }
      break;
    }
    run.peak_rss_mb = std::max(run.peak_rss_mb, RssMb(pid));
    const bool late = std::chrono::steady_clock::now() - start > timeout;
    if (late || run.peak_rss_mb > max_rss_mb) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      run.end = late ? BoundedRun::End::kTimedOut : BoundedRun::End::kOverMemory;
      run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      close(fds[0]);
      return run;
    }
  }
  close(fds[0]);
  run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  run.end = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? BoundedRun::End::kReturned
                                                          : BoundedRun::End::kCrashed;
  return run;
}

std::string Describe(const BoundedRun& run) {
  const char* what = "";
  switch (run.end) {
    case BoundedRun::End::kReturned:
      what = "returned";
      break;
    case BoundedRun::End::kCrashed:
      what = "crashed";
      break;
    case BoundedRun::End::kTimedOut:
      what = "was still running";
      break;
    case BoundedRun::End::kOverMemory:
      what = "went over its memory ceiling";
      break;
  }
  return std::string(what) + " after " + std::to_string(run.elapsed.count()) + " ms (" +
         std::to_string(run.cpu.count()) + " ms of CPU), at " + std::to_string(run.peak_rss_mb) +
         " MiB resident";
}

}  // namespace vigil::testing
