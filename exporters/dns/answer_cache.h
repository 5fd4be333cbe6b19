// The DNS server's answers, precompiled: the wire form of every answer the
// server has built (zone_answer.h, then response_encoder.h through ldns),
// kept by the question (its name lowercase, type, class) and the EDNS0 the
// query carried, and sent again as a copy patched for the query at hand:
// its ID, its RD and CD bits, its question's name in the case it was asked
// (the names of the answer point to it, as ldns compressed them), and the
// SOA serial. An answer too large for a transport's limit is kept truncated
// for that limit too, as the encoder truncates it.
//
// Answers follow the StatusBoard exactly: Refresh() compares the board's
// version with the one the answers were built at, and every service the
// board's history shows changed since loses its answers (its names, and
// those of namespaces, whose existence may have changed with it); the
// others are kept, since their answers have not changed but for the SOA
// serial, which is patched in. A restarted history (the board's epoch) or
// one out of reach drops every answer. So an answer given after a
// Refresh() that follows a change is built from the board as changed.
// What the cache keeps is bounded (kMaxBytes): past it, it starts over
// (a client asking for ever new names costs the slow path, no more).
//
// One cache serves one thread (DnsResponder); the board may be written
// concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporters/dns/dns_message.h"
#include "exporters/dns/query_scanner.h"
#include "exporters/dns/response_encoder.h"
#include "exporters/dns/zone_answer.h"
#include "exporters/registry/status_board.h"

namespace vigil {

class AnswerCache {
 public:
  // About what the cache may hold (answers, keys and their bookkeeping).
  static constexpr size_t kMaxBytes = 16 << 20;
  // The truncated forms kept of one answer (one per limit asked with).
  static constexpr size_t kMaxTruncated = 4;

  // `board` and `zone` must outlive the cache.
  AnswerCache(const StatusBoard& board, const DnsZone& zone, size_t max_bytes = kMaxBytes);

  AnswerCache(const AnswerCache&) = delete;
  AnswerCache& operator=(const AnswerCache&) = delete;

  // Catches up with the board's changes since the last call.
  void Refresh();

  // Writes into `out` the answer to `query` (scanned from `message`) in at
  // most `limit` bytes, and returns its rcode; nullopt when the answer
  // cannot be built (the caller answers the slow way).
  std::optional<DnsRcode> Answer(const ScannedQuery& query, std::span<const uint8_t> message,
                                 size_t limit, std::vector<uint8_t>* out);

  // For tests and benchmarks: the answers kept, what they cost, and how
  // many answers were built (through ldns) so far.
  size_t entries() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  uint64_t builds() const { return builds_; }

 private:
  // One answer in wire form, with where its SOA serials are.
  struct Wire {
    std::vector<uint8_t> bytes;
    std::vector<uint16_t> serials;
  };
  struct Entry {
    // The generation of what the answer depends on (a service's, or that
    // of namespaces), as it was when the answer was built; null: nothing
    // on the board but the serial.
    const uint64_t* generation = nullptr;
    uint64_t built_at = 0;
    DnsRcode rcode = DnsRcode::kNoError;
    Wire full;                                       // within kMaxTcpMessage
    std::vector<std::pair<size_t, Wire>> truncated;  // by limit
  };

  bool Current(const Entry& entry) const {
    return entry.generation == nullptr || *entry.generation == entry.built_at;
  }
  // Builds the answer to `query` (lowercase; `name` its question's name
  // on the wire) in at most `limit` bytes into `wire`; false when it
  // cannot be built.
  bool Build(const DnsQuery& query, std::span<const uint8_t> name, size_t limit, Wire* wire,
             DnsRcode* rcode);
  // The generation the answer to `query` depends on (see Entry).
  const uint64_t* Dependency(const DnsQuery& query);
  void Invalidate(const std::string& service);
  static size_t Cost(const std::string& key, const Entry& entry);
  void Clear();

  const StatusBoard& board_;
  const DnsZone& zone_;
  const size_t max_bytes_;
  ResponseEncoder encoder_;
  std::unordered_map<std::string, Entry> entries_;
  // Bumped when a service changes: by its name (lowercase; shared by the
  // namespaces that use the name, which a change in either bumps), and for
  // all.
  std::unordered_map<std::string, uint64_t> service_generations_;
  uint64_t namespaces_generation_ = 0;
  size_t bytes_ = 0;
  uint64_t builds_ = 0;
  // The board as of the last Refresh().
  std::optional<uint64_t> epoch_;
  uint64_t version_ = 0;
  // The key being looked up: type, class, EDNS, then the name, lowercase.
  std::string key_;
  Wire scratch_;  // a truncated answer past kMaxTruncated
};

}  // namespace vigil
