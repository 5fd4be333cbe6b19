#include "agent/cli/resources.h"

#include <cctype>
#include <cstdio>

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

}  // namespace vigil
