// Every parser of etcd's JSON gateway answers (exporters/registry/
// etcd_gateway.h) on any bytes: an error or a value, never a crash, and
// never more than the input holds (a range answer cannot list more keys than
// the bytes could spell).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporters/registry/etcd_gateway.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)vigil::ParseLeaseGrantAnswer(body);
  (void)vigil::ParseTxnAnswer(body);
  (void)vigil::ParseKeepAliveAnswer(body);
  if (const auto range = vigil::ParseRangeAnswer(body); range.ok()) {
    FUZZ_CHECK(range->kvs.size() <= size);
  }
  if (const auto line = vigil::ParseWatchLine(body); line.ok()) {
    FUZZ_CHECK(line->events.size() <= size);
    FUZZ_CHECK(line->error.empty() || line->events.empty());
  }
  FUZZ_CHECK(!vigil::ParseErrorAnswer(500, body).empty());
  return 0;
}
