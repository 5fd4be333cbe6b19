// A small command-line flag parser for vigil's subcommands.
//
// Accepts "--name value", "--name=value", "-n value" and boolean "--name";
// "--" ends the flags; everything else is positional. "-h" and "--help" are
// always known. Not thread-safe; one FlagSet per parse.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace vigil {

class FlagSet {
 public:
  // Registers a flag taking a value, stored into `*target` when given.
  void String(std::string name, std::string shorthand, std::string value_name, std::string help,
              std::string* target);
  // Registers a flag without a value; `*target` becomes true when given.
  void Bool(std::string name, std::string shorthand, std::string help, bool* target);

  // Parses `args` (without the program and command names). An unknown flag or
  // a missing value is an error naming it.
  Status Parse(std::span<const char* const> args);

  bool help_requested() const { return help_requested_; }
  const std::vector<std::string>& positionals() const { return positionals_; }

  // The flag table for --help, one flag a line, aligned.
  std::string Usage() const;

 private:
  struct Flag {
    std::string name;
    std::string shorthand;
    std::string value_name;  // empty for boolean flags
    std::string help;
    std::string* string_target = nullptr;
    bool* bool_target = nullptr;
  };

  const Flag* Find(std::string_view arg) const;

  std::vector<Flag> flags_;
  std::vector<std::string> positionals_;
  bool help_requested_ = false;
};

}  // namespace vigil
