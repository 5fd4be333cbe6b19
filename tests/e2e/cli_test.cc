// End-to-end tests of the vigil binary's command line.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/version.h"
#include "tests/e2e/process.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using e2e::Output;
using e2e::Process;
using e2e::RunProcess;

const std::string kVigil = VIGIL_BINARY;
const std::string kExamples = std::string(VIGIL_SOURCE_DIR) + "/config/examples";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(CliTest, VersionPrintsTheProjectVersion) {
  const Output o = RunProcess({kVigil, "version"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.out, std::string("vigil ") + kVersion + "\n");
  EXPECT_EQ(RunProcess({kVigil, "--version"}).out, o.out);
}

TEST(CliTest, HelpListsTheCommands) {
  const Output o = RunProcess({kVigil, "--help"});
  EXPECT_EQ(o.exit_code, 0);
  for (const char* command : {"agent", "check-config", "version"}) {
    EXPECT_NE(o.out.find(std::string("\n  ") + command + " "), std::string::npos) << command;
  }
}

TEST(CliTest, NoCommandPrintsUsageAndFails) {
  const Output o = RunProcess({kVigil});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("Usage:"), std::string::npos);
}

TEST(CliTest, UnknownCommandIsAUsageError) {
  const Output o = RunProcess({kVigil, "frobnicate"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "vigil: unknown command \"frobnicate\"; run \"vigil --help\" for the list\n");
}

TEST(CliTest, EveryCommandHasHelp) {
  for (const char* command : {"agent", "check-config", "version"}) {
    const Output o = RunProcess({kVigil, command, "--help"});
    EXPECT_EQ(o.exit_code, 0) << command;
    EXPECT_NE(o.out.find("Usage:\n  vigil " + std::string(command)), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("-h, --help"), std::string::npos) << command;
  }
}

TEST(CliTest, AgentHelpNamesItsFlags) {
  const Output o = RunProcess({kVigil, "agent", "-h"});
  for (const char* flag : {"--config FILE", "--listen ADDR", "--node NAME", "--log-level LEVEL",
                           "--log-format FORMAT"}) {
    EXPECT_NE(o.out.find(flag), std::string::npos) << flag;
  }
}

TEST(CliTest, UnknownFlagIsAUsageError) {
  const Output o = RunProcess({kVigil, "check-config", "--frob", "x.yaml"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "vigil check-config: unknown flag --frob\n");
}

TEST(CheckConfigTest, EveryShippedExampleIsValid) {
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
    const Output o = RunProcess({kVigil, "check-config", entry.path().string()});
    EXPECT_EQ(o.exit_code, 0) << entry.path() << "\n" << o.err;
    EXPECT_EQ(o.err, "");
    EXPECT_NE(o.out.find(": valid ("), std::string::npos);
    ++examples;
  }
  EXPECT_GE(examples, 3);
}

TEST(CheckConfigTest, ReportsEveryErrorOfEveryFileAndFails) {
  const std::string dir = e2e::MakeTempDir();
  e2e::WriteFile(dir + "/a.yaml", "services:\n  - name: Bad\n    endpoints: [1.2.3.4:0]\n");
  e2e::WriteFile(dir + "/b.yaml", "listen: nowhere\n");
  const Output o = RunProcess(
      {kVigil, "check-config", dir + "/a.yaml", kExamples + "/quickstart.yaml", dir + "/b.yaml"});
  EXPECT_EQ(o.exit_code, 1);
  const std::vector<std::string> errors = Lines(o.err);
  ASSERT_EQ(errors.size(), 3u) << o.err;
  EXPECT_TRUE(errors[0].starts_with(dir + "/a.yaml:2:11: services[0].name: \"Bad\" is not a "))
      << errors[0];
  EXPECT_TRUE(errors[1].starts_with(dir + "/a.yaml:3:17: services[0].endpoints[0]: ")) << errors[1];
  EXPECT_TRUE(errors[2].starts_with(dir + "/b.yaml:1:9: listen: invalid listen address"))
      << errors[2];
  // The valid file among them is still reported as valid.
  EXPECT_NE(o.out.find("quickstart.yaml: valid (1 service, 3 endpoints)"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(CheckConfigTest, MissingFileIsOneClearLine) {
  const Output o = RunProcess({kVigil, "check-config", "/nonexistent/vigil.yaml"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "/nonexistent/vigil.yaml: cannot read config file: No such file or directory\n");
}

TEST(CheckConfigTest, QuietPrintsNothingForValidFiles) {
  const Output o = RunProcess({kVigil, "check-config", "-q", kExamples + "/quickstart.yaml"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.out, "");
}

TEST(CheckConfigTest, NoFileIsAUsageError) {
  EXPECT_EQ(RunProcess({kVigil, "check-config"}).exit_code, 2);
}

TEST(AgentTest, RefusesABadConfig) {
  const std::string dir = e2e::MakeTempDir();
  e2e::WriteFile(dir + "/bad.yaml", "services:\n  - name: a\n    readinessProbe: {}\n");
  const Output o = RunProcess({kVigil, "agent", "--config", dir + "/bad.yaml"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find(dir + "/bad.yaml:3:21: services[0].readinessProbe: must set one handler"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("is not valid (1 error)"), std::string::npos) << o.err;
  std::filesystem::remove_all(dir);
}

TEST(AgentTest, RequiresAConfig) {
  const Output o = RunProcess({kVigil, "agent"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "vigil agent: --config FILE is required\n");
}

TEST(AgentTest, RejectsBadFlagValues) {
  const std::string config = kExamples + "/quickstart.yaml";
  EXPECT_EQ(RunProcess({kVigil, "agent", "--config", config, "--listen", "x"}).exit_code, 2);
  EXPECT_EQ(RunProcess({kVigil, "agent", "--config", config, "--node", "Not_A_Node"}).exit_code, 2);
  EXPECT_EQ(RunProcess({kVigil, "agent", "--config", config, "--log-level", "loud"}).exit_code, 2);
  const Output o = RunProcess({kVigil, "agent", "--config", config, "--log-format", "xml"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "vigil agent: --log-format: unknown log format \"xml\" (want text or json)\n");
}

TEST(AgentTest, StartsOnAValidConfigAndStopsOnSigterm) {
  Process agent({kVigil, "agent", "--config", kExamples + "/quickstart.yaml", "--node", "node-x",
                 "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return agent.Stderr().find("starting on node node-x") != std::string::npos; },
      std::chrono::seconds(10)))
      << agent.Stderr();
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.Wait(std::chrono::seconds(5)), 0);
}

TEST(AgentTest, JsonLogsAreOneObjectPerLine) {
  Process agent({kVigil, "agent", "--config", kExamples + "/quickstart.yaml", "--log-format",
                 "json", "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(
      testing::WaitUntil([&] { return agent.Stderr().find("starting") != std::string::npos; },
                         std::chrono::seconds(10)));
  agent.Signal(SIGINT);
  ASSERT_EQ(agent.Wait(std::chrono::seconds(5)), 0);
  const std::vector<std::string> lines = Lines(agent.Stderr());
  ASSERT_GE(lines.size(), 2u);
  for (const std::string& line : lines) {
    const nlohmann::json j = nlohmann::json::parse(line);  // throws, failing the test, if invalid
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
  }
  // In-flight probes may still log after it, so the line is looked for, not taken as the last.
  EXPECT_NE(std::find_if(lines.begin(), lines.end(),
                         [](const std::string& line) {
                           return nlohmann::json::parse(line)["msg"] == "received SIGINT, stopping";
                         }),
            lines.end());
}

}  // namespace
}  // namespace vigil
