// ExecProbes: kubelet's exec probes (pkg/probe/exec), as child processes of
// the agent watched on the probe engine's epoll, never waited for: each
// probe's command is started by StartChild (child_process.h: a vfork-style
// clone, no shell, looked up in PATH like posix_spawnp) on a ChildSpawner's
// thread (child_spawner.h), its exit is seen through a pidfd, its output
// (stdout and stderr together) through a pipe.
//
// Each child:
//  - runs `command` with the agent's environment plus the spec's entries
//    (VIGIL_SERVICE, VIGIL_ENDPOINT, …), stdin from /dev/null, stdout and
//    stderr to the pipe, no other descriptor of the agent (closed from 3 up
//    in the child), every signal at its default and none blocked;
//  - is started off the loop, by threads as nice as the commands, and runs
//    kCommandNiceness above the probe loop's niceness, on the CPUs the
//    agent may use. The commands share those CPUs with the loop (an agent
//    pinned to one core runs its commands there too): started by the loop
//    and at an equal weight, 1,000 commands a second kept the loop
//    suspended in the clones and waiting behind them, and the other probes
//    started late. Started elsewhere and at a lower weight from their
//    first instruction, they leave the loop the CPU as soon as it wakes,
//    while a command still gets every cycle the loop leaves idle and, on a
//    busy node, a share of it. A probe's timeout counts from its request,
//    so a command that could not even start in time is a timeout;
//  - leads a process group of its own. When it exits, or its time is up,
//    the whole group is killed (SIGKILL) before the child is reaped, so
//    nothing it started outlives the probe and the group's id cannot have
//    been reused by then;
//  - is reaped through its pidfd (waitid P_PIDFD): no SIGCHLD handler, no
//    waitpid(-1), nothing that would take another part of the agent's child.
//
// The first 10 KiB of output are kept (kubelet's limit); the rest is read
// and dropped, so a child that writes without end costs no memory and never
// blocks on a full pipe. Exit 0 is a success with the output as its
// message; another exit a failure (reason exit) whose message is the output
// then "command terminated with exit code N"; past the timeout a timeout,
// "command timed out after 1s", delivered at once while the killed child is
// reaped in the background. A command that cannot be started is kubelet's
// prober error (kError), e.g. exec: "nosuch": executable file not found in
// $PATH.
//
// Loop thread only; not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "probes/child_spawner.h"
#include "probes/prepared_probe.h"
#include "probes/probe_result.h"

namespace vigil {

class ExecProbes {
 public:
  using Done = std::function<void(const ProbeResult&)>;
  // Delivers a result on a later turn of the loop (never inside Start).
  using Defer = std::function<void(Done, ProbeResult)>;
  // kubelet's maxReadLength.
  static constexpr size_t kMaxOutputBytes = 10 * 1024;
  // How much nicer than the probe loop each command runs (see above).
  static constexpr int kCommandNiceness = 10;

  ExecProbes(int epoll_fd, const Clock& clock, Defer defer);
  // Kills and reaps every child still running; their results are never delivered.
  ~ExecProbes();

  ExecProbes(const ExecProbes&) = delete;
  ExecProbes& operator=(const ExecProbes&) = delete;

  // Starts `probe` (prepared, kExec); `done` gets its result on a later call.
  void Start(std::shared_ptr<const PreparedProbe> probe, Done done);
  // Whether an epoll event's data is one of these probes'.
  static bool Owns(uint64_t data) { return (data & kTagMask) == kTag; }
  void OnEvent(uint64_t data, uint32_t events);
  // Ends the probes whose time is up as timeouts.
  void Expire(Time now);
  // The earliest deadline of a probe whose result is still to come.
  std::optional<Time> NextDeadline();
  // Probes whose result is still to come.
  size_t in_flight() const { return in_flight_; }
  // Children started and not reaped yet (results delivered or not).
  size_t children() const { return children_; }
  // Kills and reaps every child; their results are never delivered.
  void Abandon();

 private:
  // Bit 63 is SocketProbes'; exec probes' events carry bit 62 alone, and bit
  // 61 tells the pipe from the pidfd.
  static constexpr uint64_t kTagMask = uint64_t{3} << 62;
  static constexpr uint64_t kTag = uint64_t{1} << 62;
  static constexpr uint64_t kPipeBit = uint64_t{1} << 61;

  // The spawner's eventfd: a slot no Child has.
  static constexpr uint64_t kSpawnerKey = kTag | 0xffffffff;

  struct Child {
    bool used = false;
    bool starting = false;  // submitted to the spawner, not started yet
    uint32_t generation = 0;
    pid_t pid = -1;  // -1 until started
    int pidfd = -1;
    int pipe = -1;  // the read end; -1 once at its end or closed
    std::shared_ptr<const PreparedProbe> probe;
    Done done;  // null once the result is delivered
    Time started;
    Time deadline;
    std::string output;  // at most kMaxOutputBytes
    bool exited = false;
    int status = 0;  // waitid's si_code and si_status, once exited
    int code = 0;
  };

  uint64_t Key(uint32_t slot, bool pipe) const {
    return kTag | (pipe ? kPipeBit : 0) | (uint64_t{slots_[slot].generation & 0x1fffffff} << 32) |
           slot;
  }
  Child* Find(uint64_t key);
  // The spawner's answers: each child is watched, or its start error delivered.
  void OnStarted(std::vector<ChildSpawner::Started> started);
  void ReadOutput(uint32_t slot);
  void ClosePipe(Child& c);
  // The child is gone: its group is killed, it is reaped.
  void Reap(uint32_t slot);
  // Delivers the result once the child is reaped and its output has ended.
  void MaybeFinish(uint32_t slot);
  void Deliver(uint32_t slot, ProbeResult result);
  void Free(uint32_t slot);

  const int epoll_fd_;
  const Clock& clock_;
  const Defer defer_;
  std::vector<Child> slots_;
  std::vector<uint32_t> free_;
  size_t in_flight_ = 0;
  size_t children_ = 0;
  using Deadline = std::pair<Time, uint64_t>;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::vector<char> scratch_;  // output past the cap is read into it and dropped
  ChildSpawner spawner_{kCommandNiceness};
};

}  // namespace vigil
