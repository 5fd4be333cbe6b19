#include "probes/exec_probes.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "probes/child_process.h"
#include "probes/probe_messages.h"

namespace vigil {
namespace {

constexpr size_t kScratchBytes = 64 * 1024;

ProbeResult Outcome(ProbeOutcome outcome, ProbeReason reason, std::string message) {
  ProbeResult result;
  result.outcome = outcome;
  result.reason = reason;
  result.message = std::move(message);
  return result;
}

// Go's error for a program that could not be started.
std::string StartError(const std::string& program, int err) {
  if (err == ENOENT && program.find('/') == std::string::npos) {
    return "exec: \"" + program + "\": executable file not found in $PATH";
  }
  return "fork/exec " + program + ": " + ErrnoText(err);
}

// What an exit adds after the output.
std::string ExitText(int code, int status) {
  if (code == CLD_EXITED) return "command terminated with exit code " + std::to_string(status);
  const char* name = sigabbrev_np(status);
  return "command terminated by signal " +
         (name != nullptr ? "SIG" + std::string(name) : std::to_string(status));
}

}  // namespace

ExecProbes::ExecProbes(int epoll_fd, const Clock& clock, Defer defer)
    : epoll_fd_(epoll_fd), clock_(clock), defer_(std::move(defer)), scratch_(kScratchBytes) {
  if (spawner_.event_fd() >= 0) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kSpawnerKey;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, spawner_.event_fd(), &event);
  }
}

ExecProbes::~ExecProbes() { Abandon(); }

void ExecProbes::Start(std::shared_ptr<const PreparedProbe> probe, Done done) {
  const PreparedProbe& p = *probe;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return defer_(std::move(done), Outcome(ProbeOutcome::kError, ProbeReason::kNone,
                                           std::string("pipe: ") + ErrnoText(errno)));
  }
  // Only the agent's end is non-blocking: the child's stdout is an ordinary pipe.
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  uint32_t slot = 0;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Child& c = slots_[slot];
  c.used = true;
  c.starting = true;
  c.pid = -1;
  c.pidfd = -1;
  c.pipe = fds[0];
  c.started = clock_.Now();
  c.deadline = c.started + std::chrono::duration_cast<Duration>(p.spec.timeout);
  c.output.clear();
  c.exited = false;
  c.status = 0;
  c.code = 0;
  c.probe = probe;
  c.done = std::move(done);
  ++in_flight_;
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = Key(slot, true);
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.pipe, &event);
  deadlines_.emplace(c.deadline, Key(slot, false));

  ChildSpawner::Request request;
  request.key = Key(slot, false);
  request.spec.argv = p.argv.data();
  request.spec.envp = p.envp.data();
  request.spec.paths = p.exec_paths.data();
  request.spec.out = fds[1];
  request.hold = std::move(probe);
  spawner_.Submit(std::move(request));
  if (spawner_.event_fd() < 0) OnStarted(spawner_.Take());  // started on this thread
}

void ExecProbes::OnStarted(std::vector<ChildSpawner::Started> started) {
  for (const ChildSpawner::Started& s : started) {
    Child* c = Find(s.key);
    const uint32_t slot = static_cast<uint32_t>(s.key & 0xffffffff);
    if (c == nullptr || !c->starting) continue;  // cannot be: a starting slot is never freed
    c->starting = false;
    if (s.start.error != 0) {
      // No child (the pipe's other end is closed already): kubelet's error,
      // through defer_ like every error of Start's, never a result of its own.
      Done done = std::move(c->done);
      c->done = nullptr;
      c->exited = true;
      std::string message = StartError(c->probe->spec.command[0], s.start.error);
      Free(slot);
      if (done) {
        --in_flight_;
        defer_(std::move(done), Outcome(ProbeOutcome::kError, ProbeReason::kNone, message));
      }
      continue;
    }
    c->pid = s.start.pid;
    c->pidfd = s.start.pidfd;
    ++children_;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = Key(slot, false);
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->pidfd, &event);
    // Its time ran out while it was starting: the group goes now.
    if (!c->done) kill(-c->pid, SIGKILL);
  }
}

ExecProbes::Child* ExecProbes::Find(uint64_t key) {
  const uint32_t slot = static_cast<uint32_t>(key & 0xffffffff);
  if (slot >= slots_.size()) return nullptr;
  Child& c = slots_[slot];
  if (!c.used || Key(slot, (key & kPipeBit) != 0) != key) return nullptr;
  return &c;
}

void ExecProbes::OnEvent(uint64_t data, uint32_t) {
  if (data == kSpawnerKey) return OnStarted(spawner_.Take());
  Child* c = Find(data);
  if (c == nullptr) return;
  const uint32_t slot = static_cast<uint32_t>(data & 0xffffffff);
  if ((data & kPipeBit) != 0) {
    ReadOutput(slot);
  } else {
    Reap(slot);
  }
  MaybeFinish(slot);
}

void ExecProbes::ReadOutput(uint32_t slot) {
  Child& c = slots_[slot];
  while (c.pipe >= 0) {
    const ssize_t n = read(c.pipe, scratch_.data(), scratch_.size());
    if (n > 0) {
      if (c.done && c.output.size() < kMaxOutputBytes) {
        c.output.append(scratch_.data(),
                        std::min(static_cast<size_t>(n), kMaxOutputBytes - c.output.size()));
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    ClosePipe(c);  // its end (every writer gone), or an error
  }
}

void ExecProbes::ClosePipe(Child& c) {
  if (c.pipe < 0) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.pipe, nullptr);
  close(c.pipe);
  c.pipe = -1;
}

void ExecProbes::Reap(uint32_t slot) {
  Child& c = slots_[slot];
  if (c.exited) return;
  siginfo_t info{};
  // Not reaped yet, so the group's id is still the child's: what the
  // command left running in it goes now.
  kill(-c.pid, SIGKILL);
  if (waitid(P_PIDFD, static_cast<id_t>(c.pidfd), &info, WEXITED | WNOHANG) != 0 ||
      info.si_pid == 0) {
    return;  // not exited yet (a spurious wake): the pidfd fires again
  }
  c.exited = true;
  c.code = info.si_code;
  c.status = info.si_status;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.pidfd, nullptr);
  close(c.pidfd);
  c.pidfd = -1;
  --children_;
  // What the pipe still holds; its end comes once the group's last member is gone.
  ReadOutput(slot);
}

void ExecProbes::MaybeFinish(uint32_t slot) {
  Child& c = slots_[slot];
  if (!c.used || !c.exited) return;
  if (c.done && c.pipe < 0) {
    ProbeResult result;
    std::string output = ValidUtf8(c.output);
    if (c.code == CLD_EXITED && c.status == 0) {
      result = Outcome(ProbeOutcome::kSuccess, ProbeReason::kNone, std::move(output));
    } else {
      if (!output.empty() && output.back() != '\n') output += '\n';
      result =
          Outcome(ProbeOutcome::kFailure, ProbeReason::kExit, output + ExitText(c.code, c.status));
    }
    return Deliver(slot, std::move(result));  // frees the slot; `c` may be gone after
  }
  if (c.pipe < 0 && !c.done) Free(slot);
}

void ExecProbes::Deliver(uint32_t slot, ProbeResult result) {
  Child& c = slots_[slot];
  Done done = std::move(c.done);
  c.done = nullptr;
  --in_flight_;
  result.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock_.Now() - c.started);
  if (c.exited && c.pipe < 0) Free(slot);
  // Last: `done` may start probes, which may move the slots.
  done(result);
}

void ExecProbes::Free(uint32_t slot) {
  Child& c = slots_[slot];
  if (!c.used) return;
  ClosePipe(c);
  c.used = false;
  c.probe.reset();
  c.output.clear();
  c.output.shrink_to_fit();
  ++c.generation;
  free_.push_back(slot);
}

void ExecProbes::Expire(Time now) {
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    const uint64_t key = deadlines_.top().second;
    deadlines_.pop();
    Child* c = Find(key);
    if (c == nullptr || !c->done) continue;
    const uint32_t slot = static_cast<uint32_t>(key & 0xffffffff);
    if (!c->exited) {
      // The whole group, while the child is unreaped; reaped when its pidfd
      // says so, the result going out now. One still starting is killed
      // once started.
      if (!c->starting) kill(-c->pid, SIGKILL);
      ClosePipe(*c);
      Deliver(slot, Outcome(ProbeOutcome::kTimeout, ProbeReason::kTimeout,
                            "command timed out after " + GoDuration(c->probe->spec.timeout)));
    } else {
      // Exited, but something outside its group holds the pipe open: the
      // exit decides, with the output so far.
      ClosePipe(*c);
      MaybeFinish(slot);
    }
  }
}

std::optional<Time> ExecProbes::NextDeadline() {
  while (!deadlines_.empty()) {
    const Child* c = Find(deadlines_.top().second);
    if (c != nullptr && c->done) return deadlines_.top().first;
    deadlines_.pop();
  }
  return std::nullopt;
}

void ExecProbes::Abandon() {
  // What is started by now is killed below with the rest; what is not, never starts.
  spawner_.Stop();
  for (const ChildSpawner::Started& s : spawner_.Take()) {
    Child* c = Find(s.key);
    if (c == nullptr || !c->starting || s.start.error != 0) continue;
    c->starting = false;
    c->pid = s.start.pid;
    c->pidfd = s.start.pidfd;
    ++children_;
  }
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    Child& c = slots_[slot];
    if (!c.used) continue;
    if (c.starting) {
      c.starting = false;
      c.exited = true;
    }
    if (!c.exited) {
      kill(-c.pid, SIGKILL);
      siginfo_t info{};
      waitid(P_PIDFD, static_cast<id_t>(c.pidfd), &info, WEXITED);  // killed: at once
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.pidfd, nullptr);
      close(c.pidfd);
      c.pidfd = -1;
      c.exited = true;
      --children_;
    }
    c.done = nullptr;
    Free(slot);
  }
  in_flight_ = 0;
  while (!deadlines_.empty()) deadlines_.pop();
}

}  // namespace vigil
