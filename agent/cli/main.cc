#include <iostream>

#include "agent/cli/commands.h"

int main(int argc, char** argv) {
  return vigil::RunCli(vigil::CommandArgs(argv + 1, argc - 1), std::cout, std::cerr);
}
