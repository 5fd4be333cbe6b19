// The loader's bounds: any input is answered in bounded time and memory with
// a clear error, among them the inputs that once made it loop forever or
// take gigabytes. Each load runs in a child with a deadline and a memory
// ceiling (tests/support/bounded_run.h), so that a regression fails here
// instead of taking the machine down.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "tests/support/bounded_run.h"

namespace vigil {
namespace {

using std::chrono::milliseconds;
using testing::BoundedRun;
using testing::RunBounded;

// Above what any of these loads needs (the largest, 200,000 nodes, takes
// 440 MiB under AddressSanitizer, whose redzones and quarantine add to every
// allocation; 100 MiB without), far below what a runaway loop reaches
// within the deadline (260 MiB a second).
constexpr long kMaxRssMb = 1024;
constexpr milliseconds kDeadline{30'000};
// The CPU a load of any of these inputs may take under AddressSanitizer;
// most take milliseconds.
constexpr milliseconds kQuick{5'000};

// LoadConfig(yaml)'s ErrorText ("" when valid), from a bounded child.
BoundedRun Load(const std::string& yaml) {
  return RunBounded([&] { return LoadConfig(yaml, "test.yaml").ErrorText(); }, kDeadline,
                    kMaxRssMb);
}

// The load returned, having run for less than `limit` of CPU (what a
// runaway loop burns; unlike the wall clock, other processes do not add to
// it).
#define EXPECT_WITHIN(run, limit)                                      \
  do {                                                                 \
    EXPECT_EQ((run).end, BoundedRun::End::kReturned) << Describe(run); \
    EXPECT_LT((run).cpu, limit) << Describe(run);                      \
  } while (0)
#define EXPECT_QUICK(run) EXPECT_WITHIN(run, kQuick)

std::string Repeat(const std::string& item, size_t n, const std::string& separator) {
  std::string out;
  out.reserve((item.size() + separator.size()) * n);
  for (size_t i = 0; i < n; ++i) out += (i == 0 ? "" : separator) + item;
  return out;
}

// ---- Syntax errors yaml-cpp 0.7.0 loops on, allocating without end ----

TEST(LoaderLimitsTest, TrailingCommaAfterAFlowDocument) {
  const BoundedRun run = Load("{\"services\": []},");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output,
            "test.yaml:1:17: YAML syntax error: did not find expected <document start>\n");
}

TEST(LoaderLimitsTest, TrailingCommaAfterAFlowDocumentOnItsOwnLine) {
  const BoundedRun run = Load("{\"services\": []}\n,\n");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output,
            "test.yaml:2:1: YAML syntax error: did not find expected <document start>\n");
}

TEST(LoaderLimitsTest, BareComma) {
  const BoundedRun run = Load(",");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output,
            "test.yaml:1:1: YAML syntax error: did not find expected node content (while parsing "
            "a block node from line 1, column 1)\n");
}

TEST(LoaderLimitsTest, CommaAfterAFlowSequenceDocument) {
  const BoundedRun run = Load("[],");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output,
            "test.yaml:1:3: YAML syntax error: did not find expected <document start>\n");
}

// Found by tests/fuzz: well-formed YAML (a tagged plain scalar continued on
// a line that starts with ","), which libyaml reads as the scalar "a ,".
// yaml-cpp 0.7.0 looped on it as on the commas above, so configs are not
// read with yaml-cpp's parser at all.
TEST(LoaderLimitsTest, ATaggedScalarContinuedOnACommaLine) {
  const BoundedRun run = Load("!a a\n,");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output, "test.yaml:1:1: expected a mapping, got \"a ,\"\n");
  EXPECT_EQ(Load("&x a\n,").output, "test.yaml:1:1: expected a mapping, got \"a ,\"\n");
}

// ---- Aliases ----

// An anchored list of 2,000 services referenced 37,000 times: 170 KB of text
// of the kind that once took more than 20 s of CPU and 2.25 GB, then aborted.
TEST(LoaderLimitsTest, AliasesRepeatingALargeListAreRefused) {
  const std::string yaml = "x: &l [" + Repeat("{name: a}", 2000, ", ") + "]\nservices: [" +
                           Repeat("*l", 37'000, ", ") + "]\n";
  ASSERT_GT(yaml.size(), 170'000u);
  const BoundedRun run = Load(yaml);
  EXPECT_QUICK(run);
  // Each alias repeats 6,001 nodes (the list, and a mapping, a key and a
  // value per item): the 17th is the one past 100,000.
  EXPECT_EQ(run.output, "test.yaml:2:" + std::to_string(12 + 4 * 16) +
                            ": alias *l repeats 6001 nodes: aliases may add at most 100000 in "
                            "all\n");
}

// Each level doubles the nodes of the one below: "a billion laughs".
TEST(LoaderLimitsTest, NestedAliasesAreRefused) {
  std::string yaml = "a0: &a0 [lol]\n";
  for (int i = 1; i <= 40; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  yaml += "services: *a40\n";
  const BoundedRun run = Load(yaml);
  EXPECT_QUICK(run);
  EXPECT_NE(run.output.find(": aliases may add at most 100000 in all\n"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.rfind("test.yaml:", 0), 0u) << run.output;
}

TEST(LoaderLimitsTest, AnAliasInsideItsOwnAnchorIsRefused) {
  const BoundedRun run = Load("services: &s [*s]\n");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output, "test.yaml:1:15: alias *s is inside the node that &s names\n");
}

TEST(LoaderLimitsTest, AnAliasWithoutAnAnchorIsRefused) {
  const BoundedRun run = Load("services: [*nowhere]\n");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output, "test.yaml:1:12: alias *nowhere names no anchor defined before it\n");
}

TEST(LoaderLimitsTest, AnchorsDoNotReachIntoTheNextDocument) {
  const BoundedRun run = Load("a: &a [x]\n---\nservices: *a\n");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output, "test.yaml:3:11: alias *a names no anchor defined before it\n");
}

// Sharing a probe among services is what aliases are for, and stays allowed.
TEST(LoaderLimitsTest, AliasesWithinTheBudgetLoad) {
  std::string yaml =
      "services:\n"
      "  - name: s0\n"
      "    endpoints: [10.0.0.1:8080]\n"
      "    readinessProbe: &probe {httpGet: {path: /ready, port: 8080}, periodSeconds: 5}\n";
  for (int i = 1; i < 1000; ++i) {
    yaml += "  - {name: s" + std::to_string(i) +
            ", endpoints: [10.0.0.1:8080], readinessProbe: *probe}\n";
  }
  const ConfigLoad load = LoadConfig(yaml, "test.yaml");
  ASSERT_TRUE(load.ok()) << load.ErrorText();
  ASSERT_EQ(load.config->services.size(), 1000u);
  for (const Service& service : load.config->services) {
    ASSERT_TRUE(service.readiness_probe) << service.name;
    EXPECT_EQ(service.readiness_probe->timing.period_seconds, 5) << service.name;
  }
}

// ---- Size, nodes and depth ----

TEST(LoaderLimitsTest, ALargerTextIsRefusedUnparsed) {
  const std::string yaml = "services: []\n" + std::string(kMaxConfigBytes, '#');
  const BoundedRun run = Load(yaml);
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output, "test.yaml: the config is larger than 4 MiB\n");
}

TEST(LoaderLimitsTest, ALargerFileIsRefusedUnread) {
  const std::string path = ::testing::TempDir() + "vigil-loader-limits-large.yaml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "services: []\n" << std::string(kMaxConfigBytes, '#');
  }
  const ConfigLoad load = LoadConfigFile(path);
  EXPECT_EQ(load.ErrorText(), path + ": cannot read config file: larger than 4 MiB\n");
  std::filesystem::remove(path);
}

TEST(LoaderLimitsTest, AFileOfTheLimitIsRead) {
  const std::string head = "services: []\n";
  const std::string yaml = head + std::string(kMaxConfigBytes - head.size(), '#');
  const ConfigLoad load = LoadConfig(yaml, "test.yaml");
  EXPECT_TRUE(load.ok()) << load.ErrorText();
}

TEST(LoaderLimitsTest, TooManyNodesAreRefused) {
  // 500,001 nodes in 1 MB: the mapping, the key, the list and its items.
  const std::string yaml = "services: [" + Repeat("1", 499'998, ",") + "]\n";
  const BoundedRun run = Load(yaml);
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output, "test.yaml:1:" + std::to_string(12 + 2 * 499'997) +
                            ": the file holds more than 500000 YAML nodes (values, lists and "
                            "mappings)\n");
}

TEST(LoaderLimitsTest, DeepNestingIsRefused) {
  const std::string yaml = "services: " + std::string(100'000, '[') + std::string(100'000, ']');
  const BoundedRun run = Load(yaml);
  EXPECT_QUICK(run);
  // The mapping is the first level, the 64th list the 65th.
  EXPECT_EQ(run.output, "test.yaml:1:" + std::to_string(11 + 63) +
                            ": lists and mappings are nested more than 64 deep\n");
}

TEST(LoaderLimitsTest, InvalidUtf8HasItsPosition) {
  const BoundedRun run = Load("services:\n  - name: w\xff\n");
  EXPECT_QUICK(run);
  EXPECT_EQ(run.output, "test.yaml:2:12: YAML syntax error: invalid leading UTF-8 octet (0xFF)\n");
}

// ---- Errors ----

// 200,000 errors once took 734 MB and were all printed.
TEST(LoaderLimitsTest, ErrorsAreCappedAndCounted) {
  const std::string yaml = "services: [" + Repeat("1", 200'000, ", ") + "]\n";
  const BoundedRun run = Load(yaml);
  // 0.5 s in a release build, 4 s under AddressSanitizer.
  EXPECT_WITHIN(run, milliseconds(20'000));
  std::string want;
  for (size_t i = 0; i < kMaxConfigErrors; ++i) {
    want += "test.yaml:1:" + std::to_string(12 + 3 * i) + ": services[" + std::to_string(i) +
            "]: expected a mapping, got \"1\"\n";
  }
  want += "\u2026 199900 more errors\n";
  EXPECT_EQ(run.output, want);
}

// The cap keeps the first errors by position, whatever order they were found in.
TEST(LoaderLimitsTest, TheErrorsKeptAreTheFirstInTheFile) {
  // A second document is reported before the first is decoded, at its own
  // position, after every error of the first.
  std::string yaml = "services:\n";
  for (size_t i = 0; i < kMaxConfigErrors + 5; ++i) yaml += "  - {name: Bad}\n";
  yaml += "---\nservices: []\n";
  const ConfigLoad load = LoadConfig(yaml, "test.yaml");
  ASSERT_EQ(load.errors.size(), kMaxConfigErrors);
  EXPECT_EQ(load.more_errors, 6u);
  EXPECT_EQ(load.error_count(), kMaxConfigErrors + 6);
  for (size_t i = 0; i < load.errors.size(); ++i) {
    EXPECT_EQ(load.errors[i].line, static_cast<int>(2 + i)) << load.errors[i].ToString();
    EXPECT_EQ(load.errors[i].column, 12) << load.errors[i].ToString();
  }
  const std::string text = load.ErrorText();
  EXPECT_EQ(text.substr(text.rfind("\u2026")), "\u2026 6 more errors\n");
}

TEST(LoaderLimitsTest, OneMoreErrorIsSingular) {
  std::string yaml = "services: [" + Repeat("1", kMaxConfigErrors + 1, ", ") + "]\n";
  const ConfigLoad load = LoadConfig(yaml, "test.yaml");
  EXPECT_EQ(load.more_errors, 1u);
  const std::string text = load.ErrorText();
  EXPECT_EQ(text.substr(text.rfind("\u2026")), "\u2026 1 more error\n");
}

}  // namespace
}  // namespace vigil
