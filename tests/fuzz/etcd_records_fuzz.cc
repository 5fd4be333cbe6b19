// The registry's etcd records and keys (exporters/registry/etcd_records.h)
// on any bytes: an error or a record, never a crash; a decoded record encodes
// to a value that decodes back to the same record.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporters/registry/etcd_records.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  (void)vigil::ParseRegistryKey("/vigil", value);
  if (const auto service = vigil::DecodeServiceRecord(value); service.ok()) {
    vigil::EndpointsObject object;
    object.name = "s";
    object.labels = service->labels;
    object.ports = service->ports;
    object.creation_time = service->creation_time;
    const auto again = vigil::DecodeServiceRecord(vigil::EncodeServiceRecord(object, "n"));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->labels == service->labels);
    FUZZ_CHECK(again->ports == service->ports);
  }
  if (const auto endpoint = vigil::DecodeEndpointRecord(value); endpoint.ok()) {
    const auto again =
        vigil::DecodeEndpointRecord(vigil::EncodeEndpointRecord(endpoint->status, endpoint->probe));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->status.address == endpoint->status.address);
    FUZZ_CHECK(again->status.port == endpoint->status.port);
    FUZZ_CHECK(again->status.conditions == endpoint->status.conditions);
  }
  return 0;
}
