// Writing a DNS response in its wire form, through ldns (ldns_pkt2buffer_wire
// compresses names), within the size its transport allows: 512 bytes over
// UDP, or the requester's EDNS0 size within [512, kMaxUdpPayload]; 65,535
// over TCP. A response too large first loses additional records (without
// TC, as RFC 2181 §9 has it), then answers, with TC set, keeping as many as
// fit: a client that retries over TCP gets them all, one that cannot still
// gets some.
//
// One encoder serves one thread: it keeps its output buffer between calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/status.h"
#include "exporters/dns/dns_message.h"
#include "exporters/dns/query_decoder.h"

struct ldns_struct_buffer;

namespace vigil {

// The UDP payload size this server offers in its EDNS0 record, and the most
// it sends: the size DNS Flag Day 2020 settled on, which no path fragments.
inline constexpr uint16_t kMaxUdpPayload = 1232;
inline constexpr size_t kMinUdpPayload = 512;
inline constexpr size_t kMaxTcpMessage = 65535;

// The most a UDP response to `query` may take.
size_t UdpLimit(const DnsQuery& query);
// The same for a query with an EDNS0 UDP size, or without (nullopt).
size_t UdpLimit(std::optional<uint16_t> edns_udp_size);

class ResponseEncoder {
 public:
  ResponseEncoder();
  ~ResponseEncoder();

  ResponseEncoder(const ResponseEncoder&) = delete;
  ResponseEncoder& operator=(const ResponseEncoder&) = delete;

  // Writes the response to `query` into `out` (replacing what it held), in
  // at most `limit` bytes. An error only when ldns fails (out of memory).
  Status Encode(const DnsQuery& query, const DnsResponse& response, size_t limit,
                std::vector<uint8_t>* out);
  // Writes the FORMERR or NOTIMP answering a message that did not decode
  // (error.answer must be set).
  Status EncodeError(const DnsQueryError& error, std::vector<uint8_t>* out);

 private:
  ldns_struct_buffer* buffer_;
};

}  // namespace vigil
