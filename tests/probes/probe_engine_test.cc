#include "probes/probe_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/probes/probe_runner.h"
#include "tests/support/raw_tcp_server.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using testing::HttpSpec;
using testing::ProbeRunner;
using testing::RawTcpServer;
using testing::WaitUntil;
using namespace std::chrono_literals;

// The wake handler's calls, recorded from the loop thread.
class WakeLog {
 public:
  void Record(Time now) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back(now);
  }
  std::vector<Time> calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  size_t size() const { return calls().size(); }

 private:
  mutable std::mutex mutex_;
  std::vector<Time> calls_;
};

TEST(ProbeEngineTest, StartsOnce) {
  SystemClock clock;
  ProbeEngine engine(clock);
  EXPECT_TRUE(engine.Start().ok());
  EXPECT_FALSE(engine.Start().ok());
  engine.Stop();
  engine.Stop();  // idempotent
}

TEST(ProbeEngineTest, PostRunsTasksOnTheLoopThread) {
  ProbeRunner runner;
  const std::thread::id loop = runner.OnLoop([] { return std::this_thread::get_id(); });
  EXPECT_NE(loop, std::this_thread::get_id());

  constexpr int kThreads = 4;
  constexpr int kTasks = 1000;
  std::atomic<int> ran{0};
  std::atomic<int> elsewhere{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < kTasks; ++i) {
        runner.engine().Post([&] {
          if (std::this_thread::get_id() != loop) ++elsewhere;
          ++ran;
        });
      }
    });
  }
  for (std::thread& poster : posters) poster.join();
  EXPECT_TRUE(WaitUntil([&] { return ran == kThreads * kTasks; }, 10s));
  EXPECT_EQ(elsewhere, 0);
}

TEST(ProbeEngineTest, WakeHandlerRunsAtLeastOnceASecond) {
  SystemClock clock;
  ProbeEngine engine(clock);
  WakeLog log;
  engine.SetWakeHandler([&](Time now) { log.Record(now); });
  ASSERT_TRUE(engine.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return log.size() >= 3; }, 5s));
  engine.Stop();
  const std::vector<Time> calls = log.calls();
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_GE(calls[i] - calls[i - 1], 990ms);
    EXPECT_LE(calls[i] - calls[i - 1], 1150ms);
  }
}

TEST(ProbeEngineTest, WakeAtFiresOnTimeAndTheEarliestWins) {
  SystemClock clock;
  ProbeEngine engine(clock);
  WakeLog log;
  Time wanted;
  engine.SetWakeHandler([&](Time now) {
    log.Record(now);
    if (log.size() == 1) {  // the first turn's call: ask for the next one
      wanted = now + 150ms;
      engine.WakeAt(now + 600ms);
      engine.WakeAt(wanted);
      engine.WakeAt(now + 400ms);
    }
  });
  ASSERT_TRUE(engine.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return log.size() >= 2; }, 5s));
  engine.Stop();
  const Time woke = log.calls()[1];
  EXPECT_GE(woke, wanted);
  EXPECT_LT(woke - wanted, 100ms);  // scheduling slack on a loaded machine; 400ms would lose
}

TEST(ProbeEngineTest, WakeHandlerGetsTheInjectedClocksTime) {
  FakeClock clock;
  ProbeEngine engine(clock);
  WakeLog log;
  const Time due = clock.Now() + 10s;
  engine.SetWakeHandler([&](Time now) {
    log.Record(now);
    engine.WakeAt(due);
  });
  ASSERT_TRUE(engine.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return log.size() >= 1; }, 5s));
  clock.Advance(10s);
  engine.Post([] {});  // a turn, so that the loop looks at the clock now
  EXPECT_TRUE(WaitUntil([&] { return log.calls().back() == due; }, 5s));
  engine.Stop();
}

TEST(ProbeEngineTest, WakeAtIsRoundedUpToTheQuantumSoThatDueWorkIsBatched) {
  FakeClock clock;  // starts on a whole hour: a multiple of the quantum
  ProbeEngine engine(clock);
  WakeLog log;
  const Time base = clock.Now();
  engine.SetWakeHandler([&](Time now) {
    log.Record(now);
    if (log.size() == 1) engine.WakeAt(base + std::chrono::milliseconds(1));
  });
  ASSERT_TRUE(engine.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return log.size() >= 1; }, 5s));
  // A turn runs posted tasks, then the wake handler if due: a task posted by
  // a task runs on the turn after, when the earlier turn's handler has run.
  const auto full_turn = [&] {
    std::promise<void> turned;
    engine.Post([&] { engine.Post([&] { turned.set_value(); }); });
    turned.get_future().wait();
  };
  clock.Advance(std::chrono::milliseconds(1));  // the time asked for...
  full_turn();
  EXPECT_EQ(log.size(), 1u);  // ...is within the quantum: not yet
  clock.Advance(ProbeEngine::kWakeQuantum - std::chrono::milliseconds(1));
  full_turn();
  ASSERT_TRUE(WaitUntil([&] { return log.size() >= 2; }, 5s));
  EXPECT_EQ(log.calls()[1], base + ProbeEngine::kWakeQuantum);
  engine.Stop();
}

TEST(ProbeEngineTest, WakeAfterTurnRunsTheHandlerAtTheEndOfThisTurnUnrounded) {
  FakeClock clock;
  clock.Advance(std::chrono::milliseconds(1));  // off the quantum
  ProbeEngine engine(clock);
  WakeLog log;
  engine.SetWakeHandler([&](Time now) { log.Record(now); });
  ASSERT_TRUE(engine.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return log.size() >= 1; }, 5s));
  std::promise<void> turned;
  engine.Post([&] {
    engine.WakeAfterTurn();
    engine.Post([&] { turned.set_value(); });
  });
  turned.get_future().wait();
  // The clock stood still, so only WakeAfterTurn (not WakeAt's quantum, nor
  // the once-a-second turn this soon) can have called the handler.
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log.calls()[1], clock.Now());
  engine.Stop();
}

TEST(ProbeEngineTest, LastTurnMoves) {
  ProbeRunner runner;
  const Time first = runner.engine().last_turn();
  EXPECT_TRUE(WaitUntil([&] { return runner.engine().last_turn() > first; }, 3s));
}

TEST(ProbeEngineTest, CountsProbesInFlight) {
  RawTcpServer silent(RawTcpServer::Behavior::kNeverAnswer);
  ProbeRunner runner;
  std::atomic<int> done{0};
  runner.OnLoop([&] {
    for (int i = 0; i < 5; ++i) {
      ProbeSpec spec = HttpSpec(silent.port());
      spec.timeout = 300ms;
      runner.engine().Probe(spec, [&](const ProbeResult&) { ++done; });
    }
    ProbeSpec invalid = HttpSpec(0);
    runner.engine().Probe(invalid, [&](const ProbeResult&) { ++done; });
    // The invalid probe's error comes on a later turn, never inside Probe().
    EXPECT_EQ(done, 0);
    EXPECT_EQ(runner.engine().in_flight(), 6u);
  });
  ASSERT_TRUE(WaitUntil([&] { return done == 6; }, 5s));
  EXPECT_EQ(runner.OnLoop([&] { return runner.engine().in_flight(); }), 0u);
}

TEST(ProbeEngineTest, DoneMayStartTheNextProbe) {
  RawTcpServer server(RawTcpServer::Behavior::kOk);
  ProbeRunner runner;
  std::atomic<int> successes{0};
  std::function<void(const ProbeResult&)> next = [&](const ProbeResult& result) {
    if (result.outcome == ProbeOutcome::kSuccess && ++successes < 100) {
      runner.engine().Probe(HttpSpec(server.port()), next);
    }
  };
  runner.engine().Post([&] { runner.engine().Probe(HttpSpec(server.port()), next); });
  EXPECT_TRUE(WaitUntil([&] { return successes == 100; }, 10s));
  runner.engine().Stop();
}

TEST(ProbeEngineTest, StopAbandonsProbesInFlightPromptly) {
  RawTcpServer silent(RawTcpServer::Behavior::kNeverAnswer);
  SystemClock clock;
  ProbeEngine engine(clock);
  ASSERT_TRUE(engine.Start().ok());
  std::atomic<int> done{0};
  engine.Post([&] {
    for (int i = 0; i < 20; ++i) {
      ProbeSpec spec = HttpSpec(silent.port());
      spec.timeout = 30s;
      engine.Probe(spec, [&](const ProbeResult&) { ++done; });
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return silent.accepted() == 20; }, 5s));
  const auto started = std::chrono::steady_clock::now();
  engine.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);  // their timeout is 30 s
  EXPECT_EQ(done, 0);
}

TEST(ProbeEngineTest, ManyConcurrentProbesAllComplete) {
  RawTcpServer server(RawTcpServer::Behavior::kOk);
  ProbeRunner runner;
  constexpr int kProbes = 500;
  std::vector<ProbeSpec> specs(kProbes, HttpSpec(server.port(), "/many"));
  const auto started = std::chrono::steady_clock::now();
  std::vector<ProbeResult> results = runner.RunAll(specs);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  for (const ProbeResult& result : results) {
    EXPECT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  }
  EXPECT_EQ(server.accepted(), static_cast<size_t>(kProbes));
  EXPECT_LT(elapsed, 2s);
  std::cout << kProbes << " concurrent probes took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
}

}  // namespace
}  // namespace vigil
