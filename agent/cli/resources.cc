#include "agent/cli/resources.h"

#include <cctype>
#include <cstdio>
#include <string_view>

namespace vigil {

std::optional<Resource> ParseResource(const std::string& name) {
  if (name == "endpoints" || name == "endpoint" || name == "ep") return Resource::kEndpoints;
  if (name == "services" || name == "service" || name == "svc") return Resource::kServices;
  return std::nullopt;
}

std::string QueryEscape(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

std::string CliMessage(std::string message) {
  constexpr std::string_view kApiHint = "add ?namespace=NS";
  if (message.ends_with(kApiHint)) {
    message.replace(message.size() - kApiHint.size(), kApiHint.size(), "add -n NAMESPACE");
  }
  return message;
}

}  // namespace vigil
