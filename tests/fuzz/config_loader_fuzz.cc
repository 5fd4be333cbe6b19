// LoadConfig on any bytes: it must return (within libFuzzer's -timeout and
// -rss_limit_mb), with either a config or at most kMaxConfigErrors errors,
// each with a message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const vigil::ConfigLoad load = vigil::LoadConfig(text, "fuzz.yaml");
  FUZZ_CHECK(load.ok() == load.errors.empty());
  FUZZ_CHECK(load.errors.size() <= vigil::kMaxConfigErrors);
  FUZZ_CHECK(load.more_errors == 0 || load.errors.size() == vigil::kMaxConfigErrors);
  for (const vigil::Diagnostic& d : load.errors) {
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(d.line >= 0 && d.column >= 0);
  }
  (void)load.ErrorText();
  return 0;
}
