// The tests' own process starter: what a test starts dies with it.
#include "tests/support/spawn.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/wait.h"

namespace vigil {
namespace {

TEST(SpawnTiedTest, TheChildIsKilledWhenTheThreadThatStartedItEnds) {
  pid_t pid = -1;
  std::thread starter([&] {
    pid = testing::SpawnTied({"/bin/sleep", "30"}, "/dev/null", "/dev/null");
    // The tie is made between fork and exec: once the child runs sleep, it
    // is in place, and this thread may end.
    testing::WaitUntil(
        [&] {
          std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
          std::string argv0;
          std::getline(cmdline, argv0, '\0');
          return argv0 == "/bin/sleep";
        },
        std::chrono::seconds(10));
  });
  starter.join();
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_TRUE(testing::WaitUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; },
                                 std::chrono::seconds(10)));
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(SpawnTiedTest, WritesTheChildsOutputToItsFiles) {
  const std::string out = "/tmp/vigil-spawn-test-out";
  pid_t pid = testing::SpawnTied({"/bin/sh", "-c", "echo to-out; echo to-err >&2"}, out, out);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  FILE* f = fopen(out.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char text[64] = {};
  const size_t n = fread(text, 1, sizeof(text) - 1, f);
  fclose(f);
  std::remove(out.c_str());
  EXPECT_EQ(std::string(text, n), "to-out\nto-err\n");
}

}  // namespace
}  // namespace vigil
