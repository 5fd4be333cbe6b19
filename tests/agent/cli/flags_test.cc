#include "agent/cli/flags.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil {
namespace {

struct Parsed {
  std::string config;
  std::string selector;
  bool watch = false;
  FlagSet flags;
  Status status;
};

// Parses `args` with a typical flag set: --config/-c, --selector/-l, --watch/-w.
std::unique_ptr<Parsed> Parse(std::vector<const char*> args) {
  auto p = std::make_unique<Parsed>();
  p->flags.String("config", "c", "FILE", "The config", &p->config);
  p->flags.String("selector", "l", "SEL", "A selector", &p->selector);
  p->flags.Bool("watch", "w", "Watch", &p->watch);
  p->status = p->flags.Parse(args);
  return p;
}

TEST(FlagSetTest, TakesValuesInEveryForm) {
  EXPECT_EQ(Parse({"--config", "a.yaml"})->config, "a.yaml");
  EXPECT_EQ(Parse({"--config=a.yaml"})->config, "a.yaml");
  EXPECT_EQ(Parse({"-c", "a.yaml"})->config, "a.yaml");
  EXPECT_EQ(Parse({"--selector=app=x,env!=y"})->selector, "app=x,env!=y");
  EXPECT_EQ(Parse({"--config="})->config, "");
}

TEST(FlagSetTest, BooleansAndPositionals) {
  auto p = Parse({"endpoints", "-w", "alpaca"});
  ASSERT_TRUE(p->status.ok());
  EXPECT_TRUE(p->watch);
  EXPECT_EQ(p->flags.positionals(), (std::vector<std::string>{"endpoints", "alpaca"}));
  EXPECT_FALSE(Parse({"--watch=false"})->watch);
  EXPECT_TRUE(Parse({"--watch=true"})->watch);
  EXPECT_EQ(Parse({"--watch=maybe"})->status.message(),
            "flag --watch takes true or false, not \"maybe\"");
}

TEST(FlagSetTest, DoubleDashEndsFlags) {
  auto p = Parse({"--", "-w", "--config"});
  ASSERT_TRUE(p->status.ok());
  EXPECT_FALSE(p->watch);
  EXPECT_EQ(p->flags.positionals(), (std::vector<std::string>{"-w", "--config"}));
}

TEST(FlagSetTest, ALoneDashIsPositional) {
  EXPECT_EQ(Parse({"-"})->flags.positionals(), (std::vector<std::string>{"-"}));
}

TEST(FlagSetTest, Errors) {
  EXPECT_EQ(Parse({"--nope"})->status.message(), "unknown flag --nope");
  EXPECT_EQ(Parse({"-x"})->status.message(), "unknown flag -x");
  EXPECT_EQ(Parse({"--config"})->status.message(), "flag --config needs a value");
}

TEST(FlagSetTest, Help) {
  EXPECT_TRUE(Parse({"-h"})->flags.help_requested());
  EXPECT_TRUE(Parse({"x", "--help"})->flags.help_requested());
  EXPECT_FALSE(Parse({"x"})->flags.help_requested());
}

TEST(FlagSetTest, UsageIsAnAlignedTable) {
  EXPECT_EQ(Parse({})->flags.Usage(),
            "Flags:\n"
            "  -c, --config FILE    The config\n"
            "  -l, --selector SEL   A selector\n"
            "  -w, --watch          Watch\n"
            "  -h, --help           Show this help\n");
}

}  // namespace
}  // namespace vigil
