#include "exporters/dns/answer_cache.h"

#include <cstring>

#include "exporters/dns/zone_names.h"

namespace vigil {
namespace {

// What an entry costs beyond its bytes: the map's node, the vectors' heads.
constexpr size_t kEntryOverhead = 160;
constexpr size_t kHeaderSize = 12;

uint16_t Read16(const std::vector<uint8_t>& w, size_t at) {
  return static_cast<uint16_t>(w[at] << 8 | w[at + 1]);
}

char Lower(uint8_t c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); }

std::string Lower(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) out.push_back(Lower(static_cast<uint8_t>(c)));
  return out;
}

// Where the serials of the SOA records in `w` (the encoder's output) are;
// nullopt when it does not read as a message.
std::optional<std::vector<uint16_t>> SoaSerials(const std::vector<uint8_t>& w) {
  if (w.size() < kHeaderSize) return std::nullopt;
  size_t at = kHeaderSize;
  const auto skip_name = [&](size_t end) {
    while (at < end) {
      const uint8_t length = w[at];
      if ((length & 0xc0) == 0xc0) {
        at += 2;
        return at <= end;
      }
      if (length > 63) return false;
      at += 1 + length;
      if (length == 0) return true;
    }
    return false;
  };
  const size_t questions = Read16(w, 4);
  const size_t records = size_t{Read16(w, 6)} + Read16(w, 8) + Read16(w, 10);
  for (size_t i = 0; i < questions; ++i) {
    if (!skip_name(w.size()) || w.size() - at < 4) return std::nullopt;
    at += 4;
  }
  std::vector<uint16_t> serials;
  for (size_t i = 0; i < records; ++i) {
    if (!skip_name(w.size()) || w.size() - at < 10) return std::nullopt;
    const uint16_t type = Read16(w, at);
    const size_t length = Read16(w, at + 8);
    at += 10;
    const size_t end = at + length;
    if (end > w.size()) return std::nullopt;
    if (type == dns_type::kSoa) {
      if (!skip_name(end) || !skip_name(end) || end - at < 20) return std::nullopt;
      serials.push_back(static_cast<uint16_t>(at));
    }
    at = end;
  }
  if (at != w.size()) return std::nullopt;
  return serials;
}

}  // namespace

AnswerCache::AnswerCache(const StatusBoard& board, const DnsZone& zone, size_t max_bytes)
    : board_(board), zone_(zone), max_bytes_(max_bytes) {}

void AnswerCache::Refresh() {
  // The epoch is read on both sides of the versions: a history restarted
  // meanwhile is seen.
  const uint64_t epoch = board_.epoch();
  const uint64_t version = board_.resource_version();
  if (epoch_ == epoch && version_ == version) return;
  if (epoch_ != epoch || entries_.empty()) {
    Clear();
  } else {
    const std::optional<std::vector<BoardEvent>> events = board_.EventsSince(version_);
    if (!events || board_.epoch() != epoch) {
      Clear();
    } else {
      for (const BoardEvent& event : *events) {
        if (event.object != nullptr) Invalidate(event.object->name);
      }
    }
  }
  epoch_ = epoch;
  version_ = version;
}

std::optional<DnsRcode> AnswerCache::Answer(const ScannedQuery& query,
                                            std::span<const uint8_t> message, size_t limit,
                                            std::vector<uint8_t>* out) {
  if (!epoch_) Refresh();
  const std::span<const uint8_t> asked =
      message.subspan(ScannedQuery::kNameOffset, query.name_size);
  constexpr size_t kNameInKey = 5;
  key_.resize(kNameInKey + asked.size());
  char* key = key_.data();
  key[0] = static_cast<char>(query.type >> 8);
  key[1] = static_cast<char>(query.type & 0xff);
  key[2] = static_cast<char>(query.qclass >> 8);
  key[3] = static_cast<char>(query.qclass & 0xff);
  key[4] = static_cast<char>(!query.edns ? 0 : query.dnssec_ok ? 2 : 1);
  for (size_t i = 0; i < asked.size(); ++i) key[kNameInKey + i] = Lower(asked[i]);
  const std::span<const uint8_t> lower(reinterpret_cast<const uint8_t*>(key_.data()) + kNameInKey,
                                       query.name_size);

  // The query the answers are built for: lowercase, with the header bits
  // that are patched in left clear.
  const auto canonical = [&] {
    DnsQuery q = ToDnsQuery(query, lower);
    q.id = 0;
    q.recursion_desired = false;
    q.checking_disabled = false;
    return q;
  };
  // (Lowercasing leaves the name's length bytes alone: they are below 'A'.)
  std::optional<DnsQuery> built_for;
  auto it = entries_.find(key_);
  if (it == entries_.end() || !Current(it->second)) {
    if (it == entries_.end() && bytes_ > max_bytes_) {
      Clear();
      it = entries_.end();
    }
    built_for = canonical();
    Entry entry;
    entry.generation = Dependency(*built_for);
    entry.built_at = entry.generation != nullptr ? *entry.generation : 0;
    if (!Build(*built_for, lower, kMaxTcpMessage, &entry.full, &entry.rcode)) {
      if (it != entries_.end()) {
        bytes_ -= Cost(it->first, it->second);
        entries_.erase(it);
      }
      return std::nullopt;
    }
    if (it == entries_.end()) {
      it = entries_.emplace(key_, std::move(entry)).first;
    } else {
      bytes_ -= Cost(it->first, it->second);
      it->second = std::move(entry);
    }
    bytes_ += Cost(it->first, it->second);
  }
  Entry& entry = it->second;

  const Wire* wire = &entry.full;
  if (wire->bytes.size() > limit) {
    wire = nullptr;
    for (const auto& [at, truncated] : entry.truncated) {
      if (at == limit) wire = &truncated;
    }
    if (wire == nullptr) {
      if (!built_for) built_for = canonical();
      Wire truncated;
      if (!Build(*built_for, lower, limit, &truncated, nullptr)) return std::nullopt;
      if (entry.truncated.size() < kMaxTruncated) {
        bytes_ += truncated.bytes.size() + truncated.serials.size() * 2;
        entry.truncated.emplace_back(limit, std::move(truncated));
        wire = &entry.truncated.back().second;
      } else {
        scratch_ = std::move(truncated);
        wire = &scratch_;
      }
    }
  }

  out->assign(wire->bytes.begin(), wire->bytes.end());
  uint8_t* w = out->data();
  w[0] = static_cast<uint8_t>(query.id >> 8);
  w[1] = static_cast<uint8_t>(query.id & 0xff);
  w[2] = static_cast<uint8_t>((w[2] & 0xfe) | (query.recursion_desired ? 0x01 : 0));
  w[3] = static_cast<uint8_t>((w[3] & 0xef) | (query.checking_disabled ? 0x10 : 0));
  std::memcpy(w + ScannedQuery::kNameOffset, asked.data(), asked.size());
  const auto serial = static_cast<uint32_t>(version_);
  for (const uint16_t at : wire->serials) {
    w[at] = static_cast<uint8_t>(serial >> 24);
    w[at + 1] = static_cast<uint8_t>(serial >> 16);
    w[at + 2] = static_cast<uint8_t>(serial >> 8);
    w[at + 3] = static_cast<uint8_t>(serial);
  }
  return entry.rcode;
}

bool AnswerCache::Build(const DnsQuery& query, std::span<const uint8_t> name, size_t limit,
                        Wire* wire, DnsRcode* rcode) {
  ++builds_;
  const DnsResponse response = AnswerQuery(query, board_, zone_);
  if (!encoder_.Encode(query, response, limit, &wire->bytes).ok()) return false;
  std::optional<std::vector<uint16_t>> serials = SoaSerials(wire->bytes);
  if (!serials) return false;
  // The question's name, where the patch will write it as asked.
  if (wire->bytes.size() < ScannedQuery::kNameOffset + name.size() ||
      std::memcmp(wire->bytes.data() + ScannedQuery::kNameOffset, name.data(), name.size()) != 0) {
    return false;
  }
  wire->serials = std::move(*serials);
  if (rcode != nullptr) *rcode = response.rcode;
  return true;
}

const uint64_t* AnswerCache::Dependency(const DnsQuery& query) {
  const ZoneName name = ParseZoneName(query.labels, zone_.domain);
  switch (name.kind) {
    case ZoneName::Kind::kNamespace:
      return &namespaces_generation_;
    case ZoneName::Kind::kService:
    case ZoneName::Kind::kPortProtocol:
    case ZoneName::Kind::kSrv:
    case ZoneName::Kind::kEndpoint:
      return &service_generations_.try_emplace(name.service, 0).first->second;
    default:
      return nullptr;
  }
}

void AnswerCache::Invalidate(const std::string& service) {
  ++namespaces_generation_;
  const auto it = service_generations_.find(Lower(service));
  if (it != service_generations_.end()) ++it->second;
}

size_t AnswerCache::Cost(const std::string& key, const Entry& entry) {
  size_t cost =
      kEntryOverhead + key.size() + entry.full.bytes.size() + entry.full.serials.size() * 2;
  for (const auto& [limit, wire] : entry.truncated) {
    cost += wire.bytes.size() + wire.serials.size() * 2;
  }
  return cost;
}

void AnswerCache::Clear() {
  entries_.clear();
  service_generations_.clear();
  bytes_ = 0;
}

}  // namespace vigil
