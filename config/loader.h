// Loading and validation of a vigil config file.
//
// LoadConfig decodes YAML (JSON is valid YAML) into a Config, fills in the
// defaults (Kubernetes' probe defaults, then `probeDefaults`, then the
// probe's own fields) and validates everything. It does not stop at the
// first problem: every error is reported, each with the position in the file
// and the key path it concerns, up to kMaxConfigErrors of them. Any input is
// refused or accepted in time and memory bounded by kMaxConfigBytes (see
// config/yaml_tree.h for the YAML-level limits). Pure functions, no
// shared state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace vigil {

// Larger files are refused unread: a config of 10,000 services with a probe
// each is 2 MB.
inline constexpr size_t kMaxConfigBytes = 4 << 20;
// Errors kept and printed; the rest are counted.
inline constexpr size_t kMaxConfigErrors = 100;

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

// Either a valid config, or the errors found.
struct ConfigLoad {
  std::optional<Config> config;  // set exactly when `errors` is empty
  // The first kMaxConfigErrors errors, in the order of their positions.
  std::vector<Diagnostic> errors;
  size_t more_errors = 0;  // errors found beyond those in `errors`

  bool ok() const { return config.has_value(); }
  size_t error_count() const { return errors.size() + more_errors; }
  // Every error's ToString(), one per line, then "… N more errors" when
  // some were left out.
  std::string ErrorText() const;
};

// Decodes `yaml` as the content of a file named `file_name` (used in messages).
ConfigLoad LoadConfig(std::string_view yaml, std::string_view file_name);

// Reads and decodes the file at `path`. A missing or unreadable file is one
// error without a position.
ConfigLoad LoadConfigFile(const std::string& path);

}  // namespace vigil
