#include "exporters/dns/dns_responder.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "exporters/dns/query_decoder.h"
#include "exporters/dns/query_scanner.h"

namespace vigil {
namespace {

constexpr DnsRcode kRcodes[] = {DnsRcode::kNoError,  DnsRcode::kFormErr, DnsRcode::kServFail,
                                DnsRcode::kNxDomain, DnsRcode::kNotImp,  DnsRcode::kRefused,
                                DnsRcode::kBadVers};

size_t RcodeIndex(DnsRcode rcode) {
  const auto value = static_cast<size_t>(rcode);
  return value < 6 ? value : 6;
}

}  // namespace

DnsResponder::DnsResponder(const StatusBoard& board, DnsZone zone, AnswerListener on_answer)
    : board_(board),
      zone_(std::move(zone)),
      on_answer_(std::move(on_answer)),
      cache_(board_, zone_) {}

bool DnsResponder::Respond(std::span<const uint8_t> message, DnsTransport transport,
                           std::vector<uint8_t>* out) {
  BeginBatch();
  const bool answered = Answer(message, transport, out);
  EndBatch();
  return answered;
}

void DnsResponder::BeginBatch() { cache_.Refresh(); }

void DnsResponder::EndBatch() {
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    if (on_answer_) on_answer_(RcodeName(kRcodes[i]), counts_[i]);
    counts_[i] = 0;
  }
}

void DnsResponder::Count(DnsRcode rcode) { ++counts_[RcodeIndex(rcode)]; }

bool DnsResponder::Answer(std::span<const uint8_t> message, DnsTransport transport,
                          std::vector<uint8_t>* out) {
  if (const std::optional<ScannedQuery> scanned = ScanDnsQuery(message)) {
    const size_t limit =
        transport == DnsTransport::kTcp
            ? kMaxTcpMessage
            : UdpLimit(scanned->edns ? std::optional<uint16_t>(scanned->udp_size) : std::nullopt);
    if (const std::optional<DnsRcode> rcode = cache_.Answer(*scanned, message, limit, out)) {
      Count(*rcode);
      return true;
    }
  }
  const DecodedQuery decoded = DecodeDnsQuery(message);
  if (const auto* error = std::get_if<DnsQueryError>(&decoded)) {
    spdlog::debug("dns: {} a message of {} bytes: {}", error->answer ? "answering" : "dropping",
                  message.size(), error->reason);
    if (!error->answer || !encoder_.EncodeError(*error, out).ok()) return false;
    Count(error->rcode);
    return true;
  }
  const DnsQuery& query = std::get<DnsQuery>(decoded);
  const DnsResponse response = AnswerQuery(query, board_, zone_);
  const size_t limit = transport == DnsTransport::kUdp ? UdpLimit(query) : kMaxTcpMessage;
  if (Status s = encoder_.Encode(query, response, limit, out); !s.ok()) {
    spdlog::warn("dns: cannot encode an answer: {}", s.message());
    return false;
  }
  Count(response.rcode);
  return true;
}

}  // namespace vigil
