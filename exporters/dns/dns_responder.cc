#include "exporters/dns/dns_responder.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "exporters/dns/query_decoder.h"

namespace vigil {

DnsResponder::DnsResponder(const StatusBoard& board, DnsZone zone, AnswerListener on_answer)
    : board_(board), zone_(std::move(zone)), on_answer_(std::move(on_answer)) {}

bool DnsResponder::Respond(std::span<const uint8_t> message, DnsTransport transport,
                           std::vector<uint8_t>* out) {
  const DecodedQuery decoded = DecodeDnsQuery(message);
  if (const auto* error = std::get_if<DnsQueryError>(&decoded)) {
    spdlog::debug("dns: {} a message of {} bytes: {}", error->answer ? "answering" : "dropping",
                  message.size(), error->reason);
    if (!error->answer || !encoder_.EncodeError(*error, out).ok()) return false;
    if (on_answer_) on_answer_(RcodeName(error->rcode));
    return true;
  }
  const DnsQuery& query = std::get<DnsQuery>(decoded);
  const DnsResponse response = AnswerQuery(query, board_, zone_);
  const size_t limit = transport == DnsTransport::kUdp ? UdpLimit(query) : kMaxTcpMessage;
  if (Status s = encoder_.Encode(query, response, limit, out); !s.ok()) {
    spdlog::warn("dns: cannot encode an answer: {}", s.message());
    return false;
  }
  if (on_answer_) on_answer_(RcodeName(response.rcode));
  return true;
}

}  // namespace vigil
