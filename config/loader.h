// Loading and validation of a vigil config file.
//
// LoadConfig decodes YAML (JSON is valid YAML) into a Config, fills in the
// defaults (Kubernetes' probe defaults, then `probeDefaults`, then the
// probe's own fields) and validates everything. It does not stop at the
// first problem: every error is reported, each with the position in the file
// and the key path it concerns. Pure functions, no shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace vigil {

// One problem found in a config file.
struct Diagnostic {
  std::string file;
  int line = 0;      // 1-based; 0 when the problem concerns the whole file
  int column = 0;    // 1-based
  std::string path;  // the key path, as "services[0].readinessProbe.periodSeconds"
  std::string message;

  // "FILE:LINE:COL: key.path: message", the parts that are unknown left out.
  std::string ToString() const;
};

// Either a valid config, or every error found.
struct ConfigLoad {
  std::optional<Config> config;  // set exactly when `errors` is empty
  std::vector<Diagnostic> errors;

  bool ok() const { return config.has_value(); }
  // Every error's ToString(), one per line.
  std::string ErrorText() const;
};

// Decodes `yaml` as the content of a file named `file_name` (used in messages).
ConfigLoad LoadConfig(std::string_view yaml, std::string_view file_name);

// Reads and decodes the file at `path`. A missing or unreadable file is one
// error without a position.
ConfigLoad LoadConfigFile(const std::string& path);

}  // namespace vigil
