#include "exporters/dns/response_encoder.h"

#include <ldns/ldns.h>

#include <algorithm>
#include <memory>
#include <string_view>

namespace vigil {
namespace {

constexpr size_t kMaxNameWire = 255;

struct PacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketFree>;

struct RrFree {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
using Rr = std::unique_ptr<ldns_rr, RrFree>;

// A name as length-prefixed labels ending in the root's empty one; null
// when a label or the whole is too long for DNS (which the config's limits
// keep from happening).
ldns_rdf* WireName(const std::vector<std::string_view>& labels) {
  uint8_t wire[kMaxNameWire];
  size_t size = 0;
  for (std::string_view label : labels) {
    if (label.empty() || label.size() > 63 || size + 1 + label.size() + 1 > kMaxNameWire) {
      return nullptr;
    }
    wire[size++] = static_cast<uint8_t>(label.size());
    std::copy(label.begin(), label.end(), wire + size);
    size += label.size();
  }
  wire[size++] = 0;
  return ldns_dname_new_frm_data(static_cast<uint16_t>(size), wire);
}

ldns_rdf* DottedName(std::string_view dotted) {
  std::vector<std::string_view> labels;
  while (!dotted.empty()) {
    const size_t dot = dotted.find('.');
    labels.push_back(dotted.substr(0, dot));
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return WireName(labels);
}

bool Push(ldns_rr* rr, ldns_rdf* rdf) {
  if (rdf == nullptr) return false;
  if (!ldns_rr_push_rdf(rr, rdf)) {
    ldns_rdf_deep_free(rdf);
    return false;
  }
  return true;
}

ldns_rr* BuildRr(const DnsRecord& record) {
  Rr rr(ldns_rr_new());
  if (rr == nullptr) return nullptr;
  ldns_rdf* owner = DottedName(record.name);
  if (owner == nullptr) return nullptr;
  ldns_rr_set_owner(rr.get(), owner);
  ldns_rr_set_ttl(rr.get(), record.ttl);
  ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_IN);
  ldns_rr_set_type(rr.get(), static_cast<ldns_rr_type>(record.type()));
  bool ok = true;
  if (const auto* a = std::get_if<DnsAddress>(&record.data)) {
    ok = Push(rr.get(), ldns_rdf_new_frm_data(a->size == 16 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A,
                                              a->size, a->bytes.data()));
  } else if (const auto* srv = std::get_if<DnsSrv>(&record.data)) {
    ok = Push(rr.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, srv->priority)) &&
         Push(rr.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, srv->weight)) &&
         Push(rr.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, srv->port)) &&
         Push(rr.get(), DottedName(srv->target));
  } else if (const auto* ns = std::get_if<DnsNs>(&record.data)) {
    ok = Push(rr.get(), DottedName(ns->host));
  } else {
    const auto& soa = std::get<DnsSoa>(record.data);
    ok = Push(rr.get(), DottedName(soa.mname)) && Push(rr.get(), DottedName(soa.rname)) &&
         Push(rr.get(), ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, soa.serial)) &&
         Push(rr.get(), ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, soa.refresh)) &&
         Push(rr.get(), ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, soa.retry)) &&
         Push(rr.get(), ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, soa.expire)) &&
         Push(rr.get(), ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, soa.minimum));
  }
  return ok ? rr.release() : nullptr;
}

bool PushRecords(ldns_pkt* packet, ldns_pkt_section section,
                 const std::vector<DnsRecord>& records) {
  for (const DnsRecord& record : records) {
    ldns_rr* rr = BuildRr(record);
    if (rr == nullptr) continue;  // a name DNS cannot carry: left out
    if (!ldns_pkt_push_rr(packet, section, rr)) {
      ldns_rr_free(rr);
      return false;
    }
  }
  return true;
}

Packet Header(uint16_t id, uint8_t opcode, bool rd, DnsRcode rcode) {
  Packet packet(ldns_pkt_new());
  if (packet == nullptr) return packet;
  ldns_pkt_set_id(packet.get(), id);
  ldns_pkt_set_qr(packet.get(), true);
  ldns_pkt_set_opcode(packet.get(), static_cast<ldns_pkt_opcode>(opcode));
  ldns_pkt_set_rd(packet.get(), rd);
  ldns_pkt_set_rcode(packet.get(), static_cast<uint8_t>(static_cast<uint16_t>(rcode) & 0x0f));
  return packet;
}

// The counts of a packet's sections, for trying it with fewer records: the
// header's counts and the lists' (ldns writes the one, iterates the other).
// The full counts are restored before the packet is freed, so that every
// record is freed with it.
class SectionCounts {
 public:
  explicit SectionCounts(ldns_pkt* packet)
      : packet_(packet),
        answers_(ldns_rr_list_rr_count(ldns_pkt_answer(packet))),
        authority_(ldns_rr_list_rr_count(ldns_pkt_authority(packet))),
        additional_(ldns_rr_list_rr_count(ldns_pkt_additional(packet))) {}
  ~SectionCounts() { Set(answers_, authority_, additional_); }

  void Set(size_t answers, size_t authority, size_t additional) {
    ldns_rr_list_set_rr_count(ldns_pkt_answer(packet_), answers);
    ldns_pkt_set_ancount(packet_, static_cast<uint16_t>(answers));
    ldns_rr_list_set_rr_count(ldns_pkt_authority(packet_), authority);
    ldns_pkt_set_nscount(packet_, static_cast<uint16_t>(authority));
    ldns_rr_list_set_rr_count(ldns_pkt_additional(packet_), additional);
    ldns_pkt_set_arcount(packet_, static_cast<uint16_t>(additional));
  }

  size_t answers() const { return answers_; }
  size_t authority() const { return authority_; }
  size_t additional() const { return additional_; }

 private:
  ldns_pkt* packet_;
  const size_t answers_;
  const size_t authority_;
  const size_t additional_;
};

// The largest n in [0, max] with fits(n), fits being monotone and fits(0) true.
template <typename Fits>
size_t Largest(size_t max, Fits fits) {
  size_t lo = 0;
  size_t hi = max;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

}  // namespace

size_t UdpLimit(const DnsQuery& query) {
  return UdpLimit(query.edns ? std::optional<uint16_t>(query.edns->udp_size) : std::nullopt);
}

size_t UdpLimit(std::optional<uint16_t> edns_udp_size) {
  if (!edns_udp_size) return kMinUdpPayload;
  return std::clamp<size_t>(*edns_udp_size, kMinUdpPayload, kMaxUdpPayload);
}

ResponseEncoder::ResponseEncoder() : buffer_(ldns_buffer_new(kMinUdpPayload)) {}

ResponseEncoder::~ResponseEncoder() { ldns_buffer_free(buffer_); }

Status ResponseEncoder::Encode(const DnsQuery& query, const DnsResponse& response, size_t limit,
                               std::vector<uint8_t>* out) {
  if (buffer_ == nullptr) return Status::Error("out of memory");
  Packet packet = Header(query.id, LDNS_PACKET_QUERY, query.recursion_desired, response.rcode);
  if (packet == nullptr) return Status::Error("out of memory");
  ldns_pkt* p = packet.get();
  ldns_pkt_set_aa(p, response.authoritative);
  ldns_pkt_set_cd(p, query.checking_disabled);

  std::vector<std::string_view> labels(query.labels.begin(), query.labels.end());
  ldns_rdf* name = WireName(labels);
  Rr question(ldns_rr_new());
  if (name == nullptr || question == nullptr) {
    if (name != nullptr) ldns_rdf_deep_free(name);
    return Status::Error("cannot encode the question");
  }
  ldns_rr_set_owner(question.get(), name);
  ldns_rr_set_question(question.get(), true);
  ldns_rr_set_type(question.get(), static_cast<ldns_rr_type>(query.type));
  ldns_rr_set_class(question.get(), static_cast<ldns_rr_class>(query.qclass));
  if (!ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, question.get())) {
    return Status::Error("out of memory");
  }
  question.release();
  if (!PushRecords(p, LDNS_SECTION_ANSWER, response.answer) ||
      !PushRecords(p, LDNS_SECTION_AUTHORITY, response.authority) ||
      !PushRecords(p, LDNS_SECTION_ADDITIONAL, response.additional)) {
    return Status::Error("out of memory");
  }
  if (query.edns) {
    ldns_pkt_set_edns_udp_size(p, kMaxUdpPayload);
    ldns_pkt_set_edns_version(p, 0);
    ldns_pkt_set_edns_extended_rcode(
        p, static_cast<uint8_t>(static_cast<uint16_t>(response.rcode) >> 4));
    ldns_pkt_set_edns_do(p, query.edns->dnssec_ok);
  }

  const auto size = [&]() -> size_t {
    ldns_buffer_clear(buffer_);
    if (ldns_pkt2buffer_wire(buffer_, p) != LDNS_STATUS_OK || !ldns_buffer_status_ok(buffer_)) {
      return SIZE_MAX;
    }
    return ldns_buffer_position(buffer_);
  };
  if (size() > limit) {
    SectionCounts counts(p);
    const auto with = [&](size_t answers, size_t authority, size_t additional) {
      counts.Set(answers, authority, additional);
      return size() <= limit;
    };
    if (with(counts.answers(), counts.authority(), 0)) {
      const size_t additional = Largest(counts.additional(), [&](size_t n) {
        return with(counts.answers(), counts.authority(), n);
      });
      with(counts.answers(), counts.authority(), additional);
    } else {
      ldns_pkt_set_tc(p, true);
      const size_t answers = Largest(counts.answers(), [&](size_t n) { return with(n, 0, 0); });
      with(answers, 0, 0);
    }
    if (ldns_buffer_position(buffer_) > limit) return Status::Error("the response does not fit");
    const uint8_t* begin = ldns_buffer_begin(buffer_);
    out->assign(begin, begin + ldns_buffer_position(buffer_));
    return Status::Ok();
  }
  const uint8_t* begin = ldns_buffer_begin(buffer_);
  out->assign(begin, begin + ldns_buffer_position(buffer_));
  return Status::Ok();
}

Status ResponseEncoder::EncodeError(const DnsQueryError& error, std::vector<uint8_t>* out) {
  if (buffer_ == nullptr) return Status::Error("out of memory");
  Packet packet = Header(error.id, error.opcode, error.recursion_desired, error.rcode);
  if (packet == nullptr) return Status::Error("out of memory");
  ldns_buffer_clear(buffer_);
  if (ldns_pkt2buffer_wire(buffer_, packet.get()) != LDNS_STATUS_OK ||
      !ldns_buffer_status_ok(buffer_)) {
    return Status::Error("cannot encode the response");
  }
  const uint8_t* begin = ldns_buffer_begin(buffer_);
  out->assign(begin, begin + ldns_buffer_position(buffer_));
  return Status::Ok();
}

}  // namespace vigil
