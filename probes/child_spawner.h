// ChildSpawner: starts children (StartChild) on threads of its own, so that
// the thread that asks never waits for one. A vfork-style clone suspends its
// caller until the child has exec'd, and on a busy core that is the time the
// child takes to get there and, at an equal weight, often the time it runs:
// 1,000 commands a second kept the probe loop suspended for most of each
// second's CPU.
//
// The threads are started by the first Submit, from the submitting thread,
// and so share its CPU affinity; they run `niceness` above its niceness, and
// their children inherit that from their first instruction: the scheduler
// gives the submitting thread the CPU as soon as it wakes, while the
// commands (and their starting) get every cycle it leaves idle. (Children
// made nicer only just before their exec still took the CPU from the loop
// at its own weight on the way there: the other probes' lateness p99 stayed
// at 15-25 ms.) There are kThreads of them because a nice spawner waits for
// each child behind the commands already running: one alone fell behind on
// a core the commands kept busy. Requests are begun in the order given, by
// whichever thread is free.
//
// When no thread or eventfd can be made, Submit starts the child itself (the
// caller waits, as it would without a spawner) and its result is ready for
// Take() on return.
//
// Results are taken with Take() once event_fd() is readable (an eventfd,
// readable for as long as results wait).
//
// Thread-safe: Submit, Take and Stop may be called from any thread, though
// the probe loop is the one user.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "probes/child_process.h"

namespace vigil {

class ChildSpawner {
 public:
  static constexpr int kThreads = 4;

  struct Request {
    uint64_t key = 0;                  // the caller's, given back with the result
    ChildSpec spec;                    // spec.out is closed by the spawner once the child has it
    std::shared_ptr<const void> hold;  // keeps what spec points at alive
  };
  struct Started {
    uint64_t key = 0;
    ChildStart start;
  };

  explicit ChildSpawner(int niceness);
  // Stop().
  ~ChildSpawner();

  ChildSpawner(const ChildSpawner&) = delete;
  ChildSpawner& operator=(const ChildSpawner&) = delete;

  // -1 when none could be made (see above).
  int event_fd() const { return event_fd_; }
  void Submit(Request request);
  // The children started since the last call.
  std::vector<Started> Take();
  // Ends the threads once the children they are starting have started:
  // requests not begun are dropped (their spec.out closed); what was
  // started stays for Take(). Later Submits start their children on the
  // caller's thread.
  void Stop();

 private:
  void Run();
  void Spawn(Request& request);
  void Publish(Started started);

  const int niceness_;
  int event_fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wanted_;
  std::deque<Request> requests_;  // GUARDED_BY(mutex_)
  std::vector<Started> started_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;         // GUARDED_BY(mutex_)
  bool tried_ = false;            // GUARDED_BY(mutex_): the threads were started, or tried
  std::vector<std::thread> threads_;
};

}  // namespace vigil
