// Every config the project ships, as a file or in the README, is valid.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.h"

namespace vigil {
namespace {

const std::filesystem::path kSource = VIGIL_SOURCE_DIR;

TEST(ExamplesTest, EveryExampleFileLoads) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kSource / "config/examples")) {
    const ConfigLoad load = LoadConfigFile(entry.path().string());
    EXPECT_TRUE(load.ok()) << load.ErrorText();
    names.push_back(entry.path().filename().string());
  }
  for (const char* name : {"quickstart.yaml", "etcd.yaml", "reference.yaml"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

TEST(ExamplesTest, EtcdExampleSelectsTheEtcdBackend) {
  const ConfigLoad load = LoadConfigFile((kSource / "config/examples/etcd.yaml").string());
  ASSERT_TRUE(load.ok()) << load.ErrorText();
  EXPECT_EQ(load.config->registry.backend, RegistryBackend::kEtcd);
}

// The README's ```yaml blocks are configs a reader will copy: each must load.
TEST(ExamplesTest, ReadmeYamlBlocksLoad) {
  std::ifstream in(kSource / "README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::string line;
  std::string block;
  bool in_block = false;
  int blocks = 0;
  int block_line = 0;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!in_block && line == "```yaml") {
      in_block = true;
      block.clear();
      block_line = n;
    } else if (in_block && line == "```") {
      in_block = false;
      ++blocks;
      const ConfigLoad load =
          LoadConfig(block, "README.md block at line " + std::to_string(block_line));
      EXPECT_TRUE(load.ok()) << load.ErrorText();
    } else if (in_block) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 1);
}

}  // namespace
}  // namespace vigil
