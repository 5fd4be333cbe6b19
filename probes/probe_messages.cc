#include "probes/probe_messages.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace vigil {
namespace {

// `value` units of 10^-`digits`, written as Go does: the integer part, then
// the fraction without trailing zeros ("1.5", "2", "0.25").
std::string Fixed(uint64_t value, int digits) {
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = std::to_string(value / scale);
  uint64_t fraction = value % scale;
  if (fraction == 0) return out;
  std::string decimals = std::to_string(fraction);
  decimals.insert(0, digits - decimals.size(), '0');
  decimals.erase(decimals.find_last_not_of('0') + 1);
  return out + "." + decimals;
}

}  // namespace

std::string GoDuration(std::chrono::nanoseconds d) {
  if (d.count() < 0) return "-" + GoDuration(-d);
  const auto ns = static_cast<uint64_t>(d.count());
  if (ns == 0) return "0s";
  if (ns < 1'000) return std::to_string(ns) + "ns";
  if (ns < 1'000'000) return Fixed(ns, 3) + "\u00b5s";
  if (ns < 1'000'000'000) return Fixed(ns, 6) + "ms";
  constexpr uint64_t kMinute = 60'000'000'000;
  constexpr uint64_t kHour = 60 * kMinute;
  std::string seconds = Fixed(ns % kMinute, 9) + "s";
  if (ns < kMinute) return seconds;
  std::string minutes = std::to_string(ns % kHour / kMinute) + "m" + seconds;
  if (ns < kHour) return minutes;
  return std::to_string(ns / kHour) + "h" + minutes;
}

std::string ErrnoText(int err) {
  const char* text = strerrordesc_np(err);
  if (text == nullptr) return "errno " + std::to_string(err);
  std::string out = text;
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

std::string JoinHostPort(std::string_view host, long port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  return out + ":" + std::to_string(port);
}

ProbeReason DialReason(int err) {
  switch (err) {
    case ETIMEDOUT:
      return ProbeReason::kTimeout;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
      return ProbeReason::kReset;
    default:  // ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, ...
      return ProbeReason::kRefused;
  }
}

ProbeReason ConnectionReason(int err) {
  return err == ETIMEDOUT ? ProbeReason::kTimeout : ProbeReason::kReset;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      min = 0x10000;
    }
    bool valid = length > 0 && i + length <= text.size();
    uint32_t code = length > 0 ? c & (0xff >> (length + 1)) : 0;
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xc0) == 0x80;
      code = (code << 6) | (next & 0x3f);
    }
    valid = valid && code >= min && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.append("\xef\xbf\xbd");  // U+FFFD
      ++i;
    }
  }
  return out;
}

std::string TimeoutMessage(std::chrono::nanoseconds timeout) {
  return "probe timed out after " + GoDuration(timeout);
}

std::string BodyTimeoutMessage() {
  return "context deadline exceeded (Client.Timeout or context cancellation while reading body)";
}

std::string StatusCodeMessage(long code) {
  return "HTTP probe failed with statuscode: " + std::to_string(code);
}

std::string DialMessage(std::string_view address, long port, std::string_view reason) {
  return "dial tcp " + JoinHostPort(address, port) + ": connect: " + std::string(reason);
}

std::string LookupMessage(std::string_view host) {
  return "dial tcp: lookup " + std::string(host) + ": no such host";
}

std::string ConnectionMessage(std::string_view op, std::string_view local, std::string_view remote,
                              std::string_view reason) {
  std::string out(op);
  out.append(" tcp ").append(local).append("->").append(remote).append(": ");
  return out.append(op).append(": ").append(reason);
}

}  // namespace vigil
