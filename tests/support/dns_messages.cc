#include "tests/support/dns_messages.h"

#include <random>

namespace vigil::testing {
namespace {

void Put16(DnsBytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v & 0xff));
}

DnsBytes Header(uint16_t id, uint8_t flags1, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
  DnsBytes b;
  Put16(b, id);
  b.push_back(flags1);
  b.push_back(0);
  Put16(b, qd);
  Put16(b, an);
  Put16(b, ns);
  Put16(b, ar);
  return b;
}

void PutName(DnsBytes& b, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<uint8_t>(dot - start));
    b.insert(b.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  b.push_back(0);
}

}  // namespace

DnsBytes DnsQueryBytes(uint16_t id, const std::string& name, uint16_t type, uint16_t edns_size) {
  DnsBytes b = Header(id, 0x01, 1, 0, 0, edns_size > 0 ? 1 : 0);
  PutName(b, name);
  Put16(b, type);
  Put16(b, 1);
  if (edns_size > 0) {
    b.push_back(0);  // root
    Put16(b, 41);    // OPT
    Put16(b, edns_size);
    Put16(b, 0);  // extended rcode, version
    Put16(b, 0);  // flags
    Put16(b, 0);  // no options
  }
  return b;
}

DnsBytes WithLengthPrefix(const DnsBytes& message) {
  DnsBytes b;
  Put16(b, static_cast<uint16_t>(message.size()));
  b.insert(b.end(), message.begin(), message.end());
  return b;
}

std::vector<DnsBytes> MalformedDnsMessages(size_t count, uint32_t seed) {
  std::mt19937 random(seed);
  const auto byte = [&] { return static_cast<uint8_t>(random() & 0xff); };
  const auto id = [&] { return static_cast<uint16_t>(random() & 0xffff); };
  std::vector<DnsBytes> messages;
  constexpr int kKinds = 15;
  for (size_t i = 0; i < count; ++i) {
    DnsBytes b;
    switch (i % kKinds) {
      case 0:  // a truncated header
        for (size_t n = random() % 12; n > 0; --n) b.push_back(byte());
        break;
      case 1:  // a header promising a question that is not there
        b = Header(id(), 0x01, 1, 0, 0, 0);
        break;
      case 2:  // a name pointing at itself
        b = Header(id(), 0x01, 1, 0, 0, 0);
        b.insert(b.end(), {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01});
        break;
      case 3:  // two pointers pointing at each other
        b = Header(id(), 0x01, 1, 0, 0, 0);
        b.insert(b.end(), {0xc0, 0x0e, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01});
        break;
      case 4:  // a pointer past the end
        b = Header(id(), 0x01, 1, 0, 0, 0);
        b.insert(b.end(), {0x03, 'w', 'e', 'b', 0xc0, 0xff, 0x00, 0x01, 0x00, 0x01});
        break;
      case 5:  // reserved label types (lengths 64 to 191)
        b = Header(id(), 0x01, 1, 0, 0, 0);
        b.push_back(static_cast<uint8_t>(0x40 + random() % 0x80));
        for (int n = 0; n < 70; ++n) b.push_back('a');
        b.insert(b.end(), {0x00, 0x00, 0x01, 0x00, 0x01});
        break;
      case 6:  // absurd counts, nothing behind them
        b = Header(id(), 0x01, 1, 0xffff, 0xffff, 0xffff);
        PutName(b, "web.default.svc.vigil");
        b.insert(b.end(), {0x00, 0x01, 0x00, 0x01});
        break;
      case 7:  // a label longer than what is left
        b = Header(id(), 0x01, 1, 0, 0, 0);
        b.insert(b.end(), {0x3f, 'a', 'b', 'c'});
        break;
      case 8:  // a name longer than 255 bytes
        b = Header(id(), 0x01, 1, 0, 0, 0);
        for (int n = 0; n < 130; ++n) b.insert(b.end(), {0x01, 'a'});
        b.insert(b.end(), {0x00, 0x00, 0x01, 0x00, 0x01});
        break;
      case 9:  // random bytes behind a query's header
        b = Header(id(), 0x01, static_cast<uint16_t>(random() % 3), 0, 0,
                   static_cast<uint16_t>(random() % 3));
        for (size_t n = random() % 600; n > 0; --n) b.push_back(byte());
        break;
      case 10:  // no question, or two
        b = Header(id(), 0x01, (random() % 2) == 0 ? 0 : 2, 0, 0, 0);
        PutName(b, "web.default.svc.vigil");
        b.insert(b.end(), {0x00, 0x01, 0x00, 0x01});
        break;
      case 11:  // an opcode other than QUERY
        b = Header(id(), static_cast<uint8_t>((1 + random() % 15) << 3), 1, 0, 0, 0);
        PutName(b, "web.default.svc.vigil");
        b.insert(b.end(), {0x00, 0x01, 0x00, 0x01});
        break;
      case 12:  // a response
        b = Header(id(), 0x81, 1, 0, 0, 0);
        PutName(b, "web.default.svc.vigil");
        b.insert(b.end(), {0x00, 0x01, 0x00, 0x01});
        break;
      case 13:  // an OPT record whose data runs past the end
        b = Header(id(), 0x01, 1, 0, 0, 1);
        PutName(b, "web.default.svc.vigil");
        b.insert(b.end(), {0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x64, 0x00, 0x0a});
        break;
      default:  // a question without its type and class
        b = Header(id(), 0x01, 1, 0, 0, 0);
        PutName(b, "web.default.svc.vigil");
        break;
    }
    messages.push_back(std::move(b));
  }
  return messages;
}

}  // namespace vigil::testing
