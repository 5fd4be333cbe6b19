#include "agent/api/kubernetes/object_uid.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdio>

#include "common/time_format.h"

namespace vigil::kube {
namespace {

// The UUID namespace of vigil's object names (RFC 4122 section 4.3): chosen
// once at random; changing it would change every uid.
constexpr std::array<uint8_t, 16> kUidNamespace = {0x4c, 0xb9, 0x1d, 0xf2, 0x26, 0x6f, 0x46, 0x8c,
                                                   0xba, 0xef, 0xbe, 0x92, 0x85, 0x36, 0x9b, 0x50};

}  // namespace

std::string ObjectUid(std::string_view kind, std::string_view namespace_name, std::string_view name,
                      WallTime creation_time) {
  // "/" cannot appear in a kind, a namespace or a name: the parts cannot run
  // into each other.
  std::string input(kUidNamespace.begin(), kUidNamespace.end());
  input += std::string(kind) + "/" + std::string(namespace_name) + "/" + std::string(name) + "/" +
           FormatTime(creation_time);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest;
  unsigned int size = 0;
  // SHA-1 cannot fail on a buffer in memory; the version bits below keep a
  // valid-looking UUID in any case.
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr);
  digest[6] = static_cast<uint8_t>((digest[6] & 0x0f) | 0x50);  // version 5
  digest[8] = static_cast<uint8_t>((digest[8] & 0x3f) | 0x80);  // the RFC 4122 variant
  char text[37];
  std::snprintf(
      text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
      digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]);
  return text;
}

}  // namespace vigil::kube
