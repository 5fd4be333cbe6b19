// The ChildSpawner on its own, with real commands, and as the exec probes
// use it.
#include "probes/child_spawner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "probes/exec_probes.h"
#include "tests/probes/exec_runner.h"
#include "tests/probes/probe_runner.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::seconds;

// A command's argv, environment and path, kept alive for the spawner.
struct Command {
  explicit Command(std::string program) : program_(std::move(program)) {
    argv = {program_.data(), nullptr};
    envp = {nullptr};
    paths = {program_.c_str(), nullptr};
  }
  ChildSpec Spec(int out) const {
    ChildSpec spec;
    spec.argv = argv.data();
    spec.envp = envp.data();
    spec.paths = paths.data();
    spec.out = out;
    return spec;
  }
  std::string program_;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<const char*> paths;
};

// All the output of a pipe's read end, up to its end of file.
std::string ReadToEnd(int fd) {
  std::string out;
  char buffer[256];
  while (true) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 10000) != 1) return out + "<no end>";
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

void Reap(const ChildStart& start) {
  siginfo_t info{};
  EXPECT_EQ(waitid(P_PIDFD, static_cast<id_t>(start.pidfd), &info, WEXITED), 0);
  close(start.pidfd);
}

int OwnNiceness() {
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, 0);
  return errno != 0 ? 0 : own;
}

TEST(ChildSpawnerTest, StartsEachOnceAndStopDropsWhatItHasNotBegun) {
  auto command = std::make_shared<Command>("/bin/true");
  ChildSpawner spawner(0);
  std::vector<int> read_ends;
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_ends.push_back(fds[0]);
    spawner.Submit({static_cast<uint64_t>(i), command->Spec(fds[1]), command});
  }
  std::vector<ChildSpawner::Started> started;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (ChildSpawner::Started& s : spawner.Take()) started.push_back(s);
        return !started.empty();
      },
      seconds(10)));
  spawner.Stop();
  for (ChildSpawner::Started& s : spawner.Take()) started.push_back(s);
  std::set<uint64_t> keys;
  for (const ChildSpawner::Started& s : started) {
    EXPECT_LT(s.key, static_cast<uint64_t>(kRequests));
    EXPECT_TRUE(keys.insert(s.key).second) << "each once";
    ASSERT_EQ(s.start.error, 0);
    Reap(s.start);
  }
  // Started or dropped, no request's end of its pipe stays open.
  for (int fd : read_ends) {
    EXPECT_EQ(ReadToEnd(fd), "");
    close(fd);
  }
  siginfo_t info{};
  EXPECT_EQ(waitid(P_ALL, 0, &info, WEXITED | WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD) << "no other child";
}

TEST(ChildSpawnerTest, AfterStopTheCallerStartsTheChildAtTheSameNiceness) {
  auto command = std::make_shared<Command>("/usr/bin/nice");
  ChildSpawner spawner(5);
  spawner.Stop();
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  spawner.Submit({7, command->Spec(fds[1]), command});
  // Ready on return.
  const std::vector<ChildSpawner::Started> started = spawner.Take();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].key, 7u);
  ASSERT_EQ(started[0].start.error, 0);
  EXPECT_EQ(ReadToEnd(fds[0]), std::to_string(std::min(19, OwnNiceness() + 5)) + "\n");
  Reap(started[0].start);
  close(fds[0]);
}

TEST(ChildSpawnerTest, AStartErrorIsGivenBack) {
  auto command = std::make_shared<Command>("/nonexistent/command");
  ChildSpawner spawner(0);
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  spawner.Submit({1, command->Spec(fds[1]), command});
  std::vector<ChildSpawner::Started> started;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        started = spawner.Take();
        return !started.empty();
      },
      seconds(10)));
  EXPECT_EQ(started[0].start.error, ENOENT);
  EXPECT_EQ(ReadToEnd(fds[0]), "");
  close(fds[0]);
}

// The field of /proc/self/task/TID/stat after the command's name: state is
// the first, niceness the 17th.
std::string StatField(const std::string& stat, int field) {
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string value;
  for (int i = 0; i < field && rest >> value;) ++i;
  return value;
}

// The probe loop never waits for a clone: the exec probes' commands are
// started by threads of their own, as nice as the commands.
TEST(ChildSpawnerTest, ExecProbesStartTheirCommandsOnNicerThreadsOfTheirOwn) {
  const auto spawners = [] {
    std::vector<std::string> nicenesses;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::string comm;
      std::getline(std::ifstream(task.path() / "comm"), comm);
      if (comm != "vigil-exec") continue;
      std::string stat;
      std::getline(std::ifstream(task.path() / "stat"), stat);
      nicenesses.push_back(StatField(stat, 17));
    }
    return nicenesses;
  };
  testing::ProbeRunner runner;
  EXPECT_TRUE(spawners().empty());  // until the first command
  const ProbeResult result = runner.Run(testing::ExecSpec({"nice"}));
  ASSERT_EQ(result.outcome, ProbeOutcome::kSuccess) << result.message;
  const std::string nicer =
      std::to_string(std::min(19, OwnNiceness() + ExecProbes::kCommandNiceness));
  EXPECT_EQ(result.message, nicer + "\n");
  // A thread sets its niceness as it starts.
  std::vector<std::string> threads;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        threads = spawners();
        return threads.size() == ChildSpawner::kThreads &&
               std::all_of(threads.begin(), threads.end(),
                           [&](const std::string& n) { return n == nicer; });
      },
      seconds(10)));
}

}  // namespace
}  // namespace vigil
