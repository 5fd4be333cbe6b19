// What the config tests ask of LoadConfig: the error lines of a config, or
// the config of one that must be valid.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace vigil::config_test {

using Lines = std::vector<std::string>;

// The errors of `yaml` (as "test.yaml:LINE:COL: message"); none for a valid config.
inline Lines Errors(std::string_view yaml) {
  const ConfigLoad load = LoadConfig(yaml, "test.yaml");
  Lines lines;
  for (const Diagnostic& d : load.errors) lines.push_back(d.ToString());
  EXPECT_EQ(load.ok(), lines.empty()) << "a config must be set exactly when there is no error";
  return lines;
}

// The config in `yaml`, which must be valid; an empty Config (and a failure) otherwise.
inline Config MustLoad(std::string_view yaml) {
  ConfigLoad load = LoadConfig(yaml, "test.yaml");
  if (!load.ok()) {
    ADD_FAILURE() << "unexpected errors:\n" << load.ErrorText();
    return Config{};
  }
  return *load.config;
}

}  // namespace vigil::config_test
