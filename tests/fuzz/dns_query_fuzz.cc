// DecodeDnsQuery on any bytes, then the whole answer path (DnsResponder over
// a board with IPv4 and IPv6 endpoints) over UDP and TCP: a message is
// dropped only when it is shorter than a header or is a response; a decoded
// query's labels fit DNS's limits; every answer is a well-formed response
// (ldns reads it back) with the query's id, within its transport's size.
// The hot path too: a message ScanDnsQuery takes decodes through ldns to
// the same query, and the precompiled answer (AnswerCache, kept across
// inputs, so that later ones are patched copies) is byte for byte the one
// built for the query by ldns's decoder, the zone and the encoder.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "exporters/dns/answer_cache.h"
#include "exporters/dns/dns_responder.h"
#include "exporters/dns/query_decoder.h"
#include "exporters/dns/query_scanner.h"
#include "exporters/dns/response_encoder.h"
#include "exporters/registry/status_board.h"
#include "tests/fuzz/fuzz_check.h"

// After the C++ headers: ldns's own headers leave clang unable to parse
// libstdc++'s <span> when they come first.
#include <ldns/ldns.h>

namespace {

vigil::EndpointStatus Endpoint(const char* address, int port, bool ready) {
  vigil::EndpointStatus e;
  e.address = address;
  e.port = port;
  e.node = "node-a";
  e.conditions = {ready, ready, false};
  return e;
}

vigil::StatusBoard& Board() {
  static vigil::StatusBoard* board = [] {
    auto* b = new vigil::StatusBoard();
    std::vector<vigil::EndpointStatus> many;
    for (int i = 1; i <= 60; ++i) {
      many.push_back(Endpoint(("10.1.0." + std::to_string(i)).c_str(), 8080, i % 7 != 0));
    }
    vigil::EndpointsObject web;
    web.name = "web";
    web.ports = {{"http", 8080}, {"grpc", 9000}};
    web.endpoints = {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, false),
                     Endpoint("fd00::1", 9000, true)};
    vigil::EndpointsObject big;
    big.name = "big";
    big.namespace_name = "shop";
    big.publish_not_ready_addresses = true;
    big.ports = {{"http", 8080}};
    big.endpoints = std::move(many);
    b->Put({web, big});
    return b;
  }();
  return *board;
}

// The response ldns reads back from `wire`, checked against the query's id.
void CheckResponse(const std::vector<uint8_t>& wire, std::span<const uint8_t> query, size_t limit) {
  FUZZ_CHECK(wire.size() >= 12);
  FUZZ_CHECK(wire.size() <= limit);
  FUZZ_CHECK(wire[0] == query[0] && wire[1] == query[1]);
  FUZZ_CHECK((wire[2] & 0x80) != 0);  // QR: a response, never a query
  ldns_pkt* packet = nullptr;
  FUZZ_CHECK(ldns_wire2pkt(&packet, wire.data(), wire.size()) == LDNS_STATUS_OK);
  ldns_pkt_free(packet);
}

const vigil::DnsZone& Zone() {
  static const vigil::DnsZone* zone = new vigil::DnsZone{"vigil", 5, {"127.0.0.1", "fd00::53"}};
  return *zone;
}

// The scanner against ldns's decoder, and the cache against the answers
// built for each query.
void CheckHotPath(std::span<const uint8_t> message, const vigil::DecodedQuery& decoded) {
  const std::optional<vigil::ScannedQuery> scanned = vigil::ScanDnsQuery(message);
  if (!scanned) return;
  const auto* query = std::get_if<vigil::DnsQuery>(&decoded);
  FUZZ_CHECK(query != nullptr);
  FUZZ_CHECK(scanned->name_size <= 255);
  FUZZ_CHECK(vigil::ToDnsQuery(*scanned, message.subspan(vigil::ScannedQuery::kNameOffset,
                                                         scanned->name_size)) == *query);
  static vigil::AnswerCache cache(Board(), Zone());
  static vigil::ResponseEncoder encoder;
  cache.Refresh();
  for (const size_t limit : {vigil::UdpLimit(*query), vigil::kMaxTcpMessage}) {
    std::vector<uint8_t> cached;
    FUZZ_CHECK(cache.Answer(*scanned, message, limit, &cached).has_value());
    std::vector<uint8_t> built;
    FUZZ_CHECK(
        encoder.Encode(*query, vigil::AnswerQuery(*query, Board(), Zone()), limit, &built).ok());
    FUZZ_CHECK(cached == built);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> message(data, size);
  const vigil::DecodedQuery decoded = vigil::DecodeDnsQuery(message);
  bool answered = true;
  size_t udp_limit = vigil::kMinUdpPayload;
  if (const auto* error = std::get_if<vigil::DnsQueryError>(&decoded)) {
    FUZZ_CHECK(!error->reason.empty());
    if (!error->answer) {
      FUZZ_CHECK(size < 12 || (data[2] & 0x80) != 0);
      answered = false;
    }
  } else {
    const vigil::DnsQuery& query = std::get<vigil::DnsQuery>(decoded);
    size_t name = 1;
    for (const std::string& label : query.labels) {
      FUZZ_CHECK(!label.empty() && label.size() <= 63);
      name += 1 + label.size();
    }
    FUZZ_CHECK(name <= 255);
    udp_limit = vigil::UdpLimit(query);
    FUZZ_CHECK(udp_limit >= vigil::kMinUdpPayload && udp_limit <= vigil::kMaxUdpPayload);
  }
  CheckHotPath(message, decoded);

  static vigil::DnsResponder responder(Board(), Zone());
  std::vector<uint8_t> out;
  const bool udp = responder.Respond(message, vigil::DnsTransport::kUdp, &out);
  FUZZ_CHECK(udp == answered);
  if (udp) CheckResponse(out, message, udp_limit);
  const bool tcp = responder.Respond(message, vigil::DnsTransport::kTcp, &out);
  FUZZ_CHECK(tcp == answered);
  if (tcp) CheckResponse(out, message, vigil::kMaxTcpMessage);
  return 0;
}
