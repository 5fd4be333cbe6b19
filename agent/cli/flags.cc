#include "agent/cli/flags.h"

#include <algorithm>

namespace vigil {

void FlagSet::String(std::string name, std::string shorthand, std::string value_name,
                     std::string help, std::string* target) {
  flags_.push_back({std::move(name), std::move(shorthand), std::move(value_name), std::move(help),
                    target, nullptr});
}

void FlagSet::Bool(std::string name, std::string shorthand, std::string help, bool* target) {
  flags_.push_back({std::move(name), std::move(shorthand), "", std::move(help), nullptr, target});
}

const FlagSet::Flag* FlagSet::Find(std::string_view arg) const {
  for (const Flag& flag : flags_) {
    if (arg == "--" + flag.name || (!flag.shorthand.empty() && arg == "-" + flag.shorthand)) {
      return &flag;
    }
  }
  return nullptr;
}

Status FlagSet::Parse(std::span<const char* const> args) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) positionals_.emplace_back(args[i]);
      break;
    }
    if (arg == "-h" || arg == "--help") {
      help_requested_ = true;
      continue;
    }
    if (arg.size() < 2 || arg.front() != '-') {
      positionals_.emplace_back(arg);
      continue;
    }
    std::optional<std::string_view> inline_value;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const Flag* flag = Find(arg);
    if (flag == nullptr) return Status::Error("unknown flag " + std::string(arg));
    if (flag->bool_target != nullptr) {
      if (inline_value && *inline_value != "true" && *inline_value != "false") {
        return Status::Error("flag " + std::string(arg) + " takes true or false, not \"" +
                             std::string(*inline_value) + "\"");
      }
      *flag->bool_target = !inline_value || *inline_value == "true";
      continue;
    }
    if (inline_value) {
      *flag->string_target = std::string(*inline_value);
    } else if (i + 1 < args.size()) {
      *flag->string_target = args[++i];
    } else {
      return Status::Error("flag " + std::string(arg) + " needs a value");
    }
  }
  return Status::Ok();
}

std::string FlagSet::Usage() const {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Flag& flag : flags_) {
    std::string left = flag.shorthand.empty() ? "    " : "-" + flag.shorthand + ", ";
    left += "--" + flag.name;
    if (!flag.value_name.empty()) left += " " + flag.value_name;
    rows.emplace_back(std::move(left), flag.help);
  }
  rows.emplace_back("-h, --help", "Show this help");
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string out = "Flags:\n";
  for (const auto& [left, help] : rows) {
    out += "  " + left + std::string(width - left.size() + 3, ' ') + help + "\n";
  }
  return out;
}

}  // namespace vigil
