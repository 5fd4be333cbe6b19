// One DNS message in, its answer out: decodes the message (query_decoder.h),
// answers it from the board (zone_answer.h) and encodes the answer within
// the transport's size (response_encoder.h). A message that must not be
// answered yields nothing. The server's sockets are all that is left around
// it (dns_server.h).
//
// One responder serves one thread (its encoder keeps a buffer); the board
// may be written concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "exporters/dns/response_encoder.h"
#include "exporters/dns/zone_answer.h"
#include "exporters/registry/status_board.h"

namespace vigil {

enum class DnsTransport { kUdp, kTcp };

class DnsResponder {
 public:
  // Called once per answer sent, with its rcode's name ("NOERROR", …).
  using AnswerListener = std::function<void(std::string_view rcode)>;

  // `board` must outlive the responder.
  DnsResponder(const StatusBoard& board, DnsZone zone, AnswerListener on_answer = {});

  // Writes the answer to `message` into `out`; false when there is none to
  // send (the message is dropped).
  bool Respond(std::span<const uint8_t> message, DnsTransport transport, std::vector<uint8_t>* out);

  const DnsZone& zone() const { return zone_; }

 private:
  const StatusBoard& board_;
  const DnsZone zone_;
  const AnswerListener on_answer_;
  ResponseEncoder encoder_;
};

}  // namespace vigil
