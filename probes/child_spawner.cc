#include "probes/child_spawner.h"

#include <errno.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>
#include <utility>

namespace vigil {

ChildSpawner::ChildSpawner(int niceness)
    : niceness_(niceness), event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

ChildSpawner::~ChildSpawner() {
  Stop();
  if (event_fd_ >= 0) close(event_fd_);
}

void ChildSpawner::Submit(Request request) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!tried_ && !stopping_ && event_fd_ >= 0) {
      tried_ = true;
      for (int i = 0; i < kThreads; ++i) {
        try {
          threads_.emplace_back([this] { Run(); });
        } catch (const std::system_error&) {
          break;  // as many as there are
        }
      }
    }
    if (!threads_.empty() && !stopping_) {
      requests_.push_back(std::move(request));
      lock.unlock();
      wanted_.notify_one();
      return;
    }
  }
  // On the caller's thread, as nice as a spawner's child would be.
  request.spec.niceness += niceness_;
  Spawn(request);
}

std::vector<ChildSpawner::Started> ChildSpawner::Take() {
  if (event_fd_ >= 0) {
    uint64_t count = 0;
    [[maybe_unused]] const ssize_t got = read(event_fd_, &count, sizeof count);
  }
  std::vector<Started> out;
  std::lock_guard<std::mutex> lock(mutex_);
  out.swap(started_);
  return out;
}

void ChildSpawner::Stop() {
  std::deque<Request> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    dropped.swap(requests_);
  }
  wanted_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  for (Request& request : dropped) close(request.spec.out);
}

void ChildSpawner::Run() {
  pthread_setname_np(pthread_self(), "vigil-exec");  // for top -H, perf, gdb
  // This thread's own niceness (Linux keeps one per thread), which its
  // children inherit.
  const id_t self = static_cast<id_t>(gettid());
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, self);
  setpriority(PRIO_PROCESS, self, std::clamp((errno != 0 ? 0 : own) + niceness_, -20, 19));
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wanted_.wait(lock, [this] { return stopping_ || !requests_.empty(); });
    if (stopping_) return;
    Request request = std::move(requests_.front());
    requests_.pop_front();
    lock.unlock();
    Spawn(request);
    lock.lock();
  }
}

void ChildSpawner::Spawn(Request& request) {
  Started started{request.key, StartChild(request.spec)};
  close(request.spec.out);
  request.hold.reset();
  Publish(std::move(started));
}

void ChildSpawner::Publish(Started started) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    first = started_.empty();
    started_.push_back(std::move(started));
  }
  if (first && event_fd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = write(event_fd_, &one, sizeof one);
  }
}

}  // namespace vigil
