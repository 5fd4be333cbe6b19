#include "tests/e2e/readme_block.h"

#include <fstream>

namespace vigil::e2e {

std::string ReadmeBlock(const std::string& info,
                        const std::vector<std::pair<std::string, std::string>>& replacements) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/README.md");
  std::string line;
  std::string block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line == "```" + info;
    } else if (line == "```") {
      break;
    } else {
      block += line + "\n";
    }
  }
  if (!inside) return "";
  for (const auto& [from, to] : replacements) {
    for (size_t at = block.find(from); at != std::string::npos; at = block.find(from, at)) {
      block.replace(at, from.size(), to);
      at += to.size();
    }
  }
  return block;
}

}  // namespace vigil::e2e
