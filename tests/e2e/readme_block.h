// The README's examples, as the tests run them: the text of the fenced block
// whose info string is `info` (e.g. "haproxy haproxy.cfg"), with each
// `replacements` pair's first string replaced by its second (a test's own
// ports for the README's). Empty when the README has no such block.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace vigil::e2e {

std::string ReadmeBlock(const std::string& info,
                        const std::vector<std::pair<std::string, std::string>>& replacements = {});

}  // namespace vigil::e2e
