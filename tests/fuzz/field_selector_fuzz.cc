// FieldSelector::Parse on any bytes: an error, or a selector whose canonical
// form parses back to an equal selector (as field_selector.h promises).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "exporters/registry/field_selector.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const vigil::Result<vigil::FieldSelector> selector = vigil::FieldSelector::Parse(text);
  if (!selector.ok()) {
    FUZZ_CHECK(!selector.status().message().empty());
    return 0;
  }
  const std::string canonical = selector->ToString();
  const vigil::Result<vigil::FieldSelector> again = vigil::FieldSelector::Parse(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *selector);
  FUZZ_CHECK(again->ToString() == canonical);
  (void)selector->Matches({{"metadata.name", "a"}, {"metadata.namespace", "default"}});
  (void)selector->RequiredValue("metadata.name");
  return 0;
}
