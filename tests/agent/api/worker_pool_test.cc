#include "agent/api/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "tests/support/wait.h"

namespace vigil {
namespace {

// A gate the tasks wait at until the test opens it.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiting_;
    open_cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    open_cv_.notify_all();
  }
  int waiting() {
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable open_cv_;
  bool open_ = false;
  int waiting_ = 0;
};

TEST(WorkerPoolTest, RunsTasksAndRefusesBeyondItsQueue) {
  WorkerPool pool("test", /*threads=*/1, /*max_queued=*/2);
  Gate gate;
  std::atomic<int> ran{0};
  WorkerPool::Task blocker = [&](bool) {
    gate.Wait();
    ++ran;
  };
  ASSERT_TRUE(pool.Submit(blocker));
  ASSERT_TRUE(testing::WaitUntil([&] { return gate.waiting() == 1; }, std::chrono::seconds(5)));
  for (int i = 0; i < 2; ++i) {
    WorkerPool::Task task = [&](bool cancelled) { ran += cancelled ? 100 : 1; };
    EXPECT_TRUE(pool.Submit(task));
  }
  WorkerPool::Task refused = [&](bool) { ran += 1000; };
  EXPECT_FALSE(pool.Submit(refused));
  EXPECT_TRUE(refused != nullptr);  // left to the caller
  gate.Open();
  ASSERT_TRUE(testing::WaitUntil([&] { return ran == 3; }, std::chrono::seconds(5)));
}

TEST(WorkerPoolTest, StopCancelsWhatHasNotStartedAndWaitsForWhatHas) {
  WorkerPool pool("test", 1, 10);
  Gate gate;
  std::atomic<int> completed{0};
  std::atomic<int> cancelled{0};
  WorkerPool::Task blocker = [&](bool) {
    gate.Wait();
    ++completed;
  };
  ASSERT_TRUE(pool.Submit(blocker));
  ASSERT_TRUE(testing::WaitUntil([&] { return gate.waiting() == 1; }, std::chrono::seconds(5)));
  for (int i = 0; i < 3; ++i) {
    WorkerPool::Task task = [&](bool c) { ++(c ? cancelled : completed); };
    ASSERT_TRUE(pool.Submit(task));
  }
  std::thread opener([&] {
    testing::WaitUntil([&] { return cancelled == 3; }, std::chrono::seconds(5));
    gate.Open();
  });
  pool.Stop();
  opener.join();
  EXPECT_EQ(cancelled, 3);
  EXPECT_EQ(completed, 1);
  WorkerPool::Task late = [](bool) {};
  EXPECT_FALSE(pool.Submit(late));
}

}  // namespace
}  // namespace vigil
