// LabelSelector::Parse on any bytes: an error, or a selector whose canonical
// form parses back to an equal selector with the same canonical form (as
// label_selector.h promises).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "exporters/registry/label_selector.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const vigil::Result<vigil::LabelSelector> selector = vigil::LabelSelector::Parse(text);
  if (!selector.ok()) {
    FUZZ_CHECK(!selector.status().message().empty());
    return 0;
  }
  const std::string canonical = selector->ToString();
  const vigil::Result<vigil::LabelSelector> again = vigil::LabelSelector::Parse(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *selector);
  FUZZ_CHECK(again->ToString() == canonical);
  FUZZ_CHECK(selector->empty() == canonical.empty());
  // Matching never fails; with no labels at all, only negative requirements match.
  (void)selector->Matches({});
  (void)selector->Matches({{"app", "web"}, {"env", ""}});
  return 0;
}
