// One DNS message in, its answer out. The common query (query_scanner.h)
// is answered from the precompiled answers (answer_cache.h); any other
// message is decoded by ldns (query_decoder.h), answered from the board
// (zone_answer.h) and encoded within the transport's size
// (response_encoder.h). Both give the same bytes for the same board. A
// message that must not be answered yields nothing. The server's sockets
// are all that is left around it (dns_server.h).
//
// Messages come in batches: BeginBatch() looks at the board, so that every
// change committed before it is in the answers that follow, and EndBatch()
// tells the listener the batch's answers; Respond() is a batch of one.
//
// One responder serves one thread (its cache and encoder keep state); the
// board may be written concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "exporters/dns/answer_cache.h"
#include "exporters/dns/response_encoder.h"
#include "exporters/dns/zone_answer.h"
#include "exporters/registry/status_board.h"

namespace vigil {

enum class DnsTransport { kUdp, kTcp };

class DnsResponder {
 public:
  // Called at the end of each batch, once per rcode answered ("NOERROR",
  // …), with the number of such answers sent.
  using AnswerListener = std::function<void(std::string_view rcode, uint64_t count)>;

  // `board` must outlive the responder.
  DnsResponder(const StatusBoard& board, DnsZone zone, AnswerListener on_answer = {});

  DnsResponder(const DnsResponder&) = delete;
  DnsResponder& operator=(const DnsResponder&) = delete;

  // Writes the answer to `message` into `out`, from the board as it is
  // now; false when there is none to send (the message is dropped).
  bool Respond(std::span<const uint8_t> message, DnsTransport transport, std::vector<uint8_t>* out);

  void BeginBatch();
  // Like Respond, from the board as it was at BeginBatch() or later.
  bool Answer(std::span<const uint8_t> message, DnsTransport transport, std::vector<uint8_t>* out);
  void EndBatch();

  const DnsZone& zone() const { return zone_; }
  const AnswerCache& cache() const { return cache_; }

 private:
  void Count(DnsRcode rcode);

  const StatusBoard& board_;
  const DnsZone zone_;
  const AnswerListener on_answer_;
  ResponseEncoder encoder_;
  AnswerCache cache_;
  // Answers of the batch by rcode, in DnsRcode's order.
  std::array<uint64_t, 7> counts_{};
};

}  // namespace vigil
