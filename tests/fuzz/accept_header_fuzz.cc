// The Kubernetes view's content negotiation (agent/api/kubernetes/
// media_type.h) on any Accept header: a representation or a 406, never a
// crash; every range parsed has a type and a subtype and a sane quality.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/api/kubernetes/media_type.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view accept(reinterpret_cast<const char*>(data), size);
  for (const vigil::kube::MediaRange& range : vigil::kube::ParseAccept(accept)) {
    FUZZ_CHECK(!range.type.empty() && !range.subtype.empty());
    FUZZ_CHECK(range.quality >= 0 && range.quality <= 1);
  }
  for (vigil::kube::Offer offer : {vigil::kube::Offer::kObjects, vigil::kube::Offer::kDiscoveryRoot,
                                   vigil::kube::Offer::kDocument}) {
    const auto chosen = vigil::kube::Negotiate(accept, offer);
    if (chosen.ok()) FUZZ_CHECK(!chosen->content_type.empty());
  }
  return 0;
}
