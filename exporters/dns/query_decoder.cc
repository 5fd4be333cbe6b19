#include "exporters/dns/query_decoder.h"

#include <ldns/ldns.h>

#include <memory>

namespace vigil {
namespace {

constexpr size_t kHeaderSize = 12;

struct PacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

DnsQueryError Drop(std::string reason) {
  DnsQueryError e;
  e.answer = false;
  e.reason = std::move(reason);
  return e;
}

}  // namespace

DecodedQuery DecodeDnsQuery(std::span<const uint8_t> message) {
  if (message.size() < kHeaderSize) return Drop("shorter than a DNS header");
  // The header is read here first: whether and how to answer a message
  // ldns refuses depends on it.
  const uint16_t id = static_cast<uint16_t>(message[0] << 8 | message[1]);
  const bool response = (message[2] & 0x80) != 0;
  const uint8_t opcode = (message[2] >> 3) & 0x0f;
  const bool rd = (message[2] & 0x01) != 0;
  const uint16_t questions = static_cast<uint16_t>(message[4] << 8 | message[5]);
  if (response) return Drop("a response, not a query");

  DnsQueryError error;
  error.answer = true;
  error.id = id;
  error.opcode = opcode;
  error.recursion_desired = rd;
  if (opcode != LDNS_PACKET_QUERY) {
    error.rcode = DnsRcode::kNotImp;
    error.reason = "opcode " + std::to_string(opcode) + " is not supported";
    return error;
  }
  if (questions != 1) {
    error.reason = std::to_string(questions) + " questions: a query has one";
    return error;
  }

  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_wire2pkt(&raw, message.data(), message.size());
  std::unique_ptr<ldns_pkt, PacketFree> packet(raw);
  if (status != LDNS_STATUS_OK || packet == nullptr) {
    const char* text = ldns_get_errorstr_by_id(status);
    error.reason = std::string("malformed: ") + (text != nullptr ? text : "unknown error");
    return error;
  }
  const ldns_rr_list* question = ldns_pkt_question(packet.get());
  if (question == nullptr || ldns_rr_list_rr_count(question) != 1) {
    error.reason = "no question";
    return error;
  }
  const ldns_rr* rr = ldns_rr_list_rr(question, 0);
  const ldns_rdf* owner = ldns_rr_owner(rr);
  if (owner == nullptr || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME) {
    error.reason = "the question has no name";
    return error;
  }

  DnsQuery query;
  query.id = id;
  query.recursion_desired = rd;
  query.checking_disabled = ldns_pkt_cd(packet.get());
  // ldns keeps a name uncompressed, as length-prefixed labels ending in the
  // root's empty label; it checked those lengths.
  const uint8_t* data = ldns_rdf_data(owner);
  const size_t size = ldns_rdf_size(owner);
  for (size_t at = 0; at < size && data[at] != 0;) {
    const size_t length = data[at];
    if (at + 1 + length > size) {
      error.reason = "a label runs past its name";
      return error;
    }
    query.labels.emplace_back(reinterpret_cast<const char*>(data + at + 1), length);
    at += 1 + length;
  }
  query.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  query.qclass = static_cast<uint16_t>(ldns_rr_get_class(rr));
  if (ldns_pkt_edns(packet.get())) {
    DnsEdns edns;
    edns.udp_size = ldns_pkt_edns_udp_size(packet.get());
    edns.version = ldns_pkt_edns_version(packet.get());
    edns.dnssec_ok = ldns_pkt_edns_do(packet.get());
    query.edns = edns;
  }
  return query;
}

}  // namespace vigil
