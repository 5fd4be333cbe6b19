// WorkerPool: a few threads running the HTTP server's slow handlers (lists,
// /metrics, a reload) off its event loop, from a bounded queue: when the
// queue is full, Submit refuses, and the server answers 503 at once instead
// of letting requests pile up.
//
// Thread-safe. Stop() runs the tasks not yet started with `cancelled` true
// (so that each still answers its request), then joins the threads: a task
// running then must return promptly.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil {

class WorkerPool {
 public:
  using Task = std::function<void(bool cancelled)>;

  WorkerPool(std::string name, size_t threads, size_t max_queued);
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (and `task` untouched) when the queue is full or
  // the pool stopped.
  bool Submit(Task& task);
  void Stop();

  const std::string& name() const { return name_; }

 private:
  void Run();

  const std::string name_;
  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;   // GUARDED_BY(mutex_)
  std::vector<std::thread> threads_;
};

}  // namespace vigil
