#include "config/address.h"

#include <arpa/inet.h>

#include <charconv>

namespace vigil {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

Result<int> ParsePortNumber(std::string_view text, int min) {
  int port = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port < min ||
      port > 65535 || text.front() == '+' || text.front() == '-') {
    return Status::Error("invalid port " + Quote(text) + ": want a number from " +
                         std::to_string(min) + " to 65535");
  }
  return port;
}

// RFC 1123 host names: dot-separated labels of letters, digits and '-', not
// starting or ending with '-'; the last label is not all digits (that would
// be a malformed IPv4 address such as 300.1.1.1).
bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const std::string_view label = s.substr(start, dot == s.npos ? s.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    bool all_digits = true;
    for (char c : label) {
      const bool digit = c >= '0' && c <= '9';
      if (!(digit || isalpha(static_cast<unsigned char>(c)) || c == '-')) return false;
      all_digits = all_digits && digit;
    }
    if (dot == s.npos) return !all_digits;
    start = dot + 1;
  }
}

// The IPv6 address inside "[...]", canonicalized.
Result<std::string> BracketedIpv6(std::string_view inner) {
  Result<std::string> ip = CanonicalIp(inner);
  if (!ip.ok() || ip->find(':') == std::string::npos) {
    return Status::Error(Quote(inner) + " is not an IPv6 address");
  }
  return ip;
}

}  // namespace

Result<std::string> CanonicalIp(std::string_view text) {
  const std::string s(text);
  char buf[INET6_ADDRSTRLEN];
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    return std::string(inet_ntop(AF_INET, &v4, buf, sizeof buf));
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    return std::string(inet_ntop(AF_INET6, &v6, buf, sizeof buf));
  }
  return Status::Error(Quote(text) + " is not an IP address");
}

Result<std::string> ParseHost(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    if (Result<std::string> ip = BracketedIpv6(text.substr(1, text.size() - 2)); ip.ok()) return ip;
  } else if (Result<std::string> ip = CanonicalIp(text); ip.ok()) {
    return ip;
  } else if (IsHostName(text)) {
    return std::string(text);
  }
  return Status::Error(Quote(text) + " is neither an IP address nor a host name");
}

Result<int> ParsePort(std::string_view text) { return ParsePortNumber(text, 1); }

Result<Endpoint> ParseEndpoint(std::string_view text, std::optional<int> default_port) {
  std::string_view host = text;
  std::optional<std::string_view> port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Status::Error("invalid address " + Quote(text) + ": missing \"]\"");
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Status::Error("invalid address " + Quote(text) + ": want \"[v6]:port\"");
      }
      port_text = rest.substr(1);
    }
  } else if (const size_t colon = text.find(':');
             colon != std::string_view::npos &&
             text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  // Anything else with colons is a bare IPv6 address.

  const bool bracketed = host.size() != text.size() && text.front() == '[';
  Result<std::string> ip = bracketed ? BracketedIpv6(host) : CanonicalIp(host);
  if (!ip.ok()) {
    return Status::Error("invalid address " + Quote(text) + ": " + Quote(host) +
                         (bracketed ? " is not an IPv6 address" : " is not an IP address"));
  }
  Endpoint endpoint;
  endpoint.address = std::move(ip).value();
  if (port_text) {
    Result<int> port = ParsePort(*port_text);
    if (!port.ok())
      return Status::Error("invalid address " + Quote(text) + ": " + port.status().message());
    endpoint.port = *port;
  } else if (default_port) {
    endpoint.port = *default_port;
  } else {
    return Status::Error("address " + Quote(text) +
                         " has no port and the service declares no ports to default to");
  }
  return endpoint;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const std::string want = ": want \"host:port\", \"[v6]:port\" or \":port\"";
  ListenAddress out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find("]:");
    if (close == std::string_view::npos)
      return Status::Error("invalid listen address " + Quote(text) + want);
    out.host = std::string(text.substr(1, close - 1));
    if (!BracketedIpv6(out.host).ok()) {
      return Status::Error("invalid listen address " + Quote(text) + ": " + Quote(out.host) +
                           " is not an IPv6 address");
    }
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Status::Error("invalid listen address " + Quote(text) + want);
    }
    out.host = std::string(text.substr(0, colon));
    if (!out.host.empty() && !CanonicalIp(out.host).ok() && !IsHostName(out.host)) {
      return Status::Error("invalid listen address " + Quote(text) + ": bad host " +
                           Quote(out.host));
    }
    port_text = text.substr(colon + 1);
  }
  Result<int> port = ParsePortNumber(port_text, 0);
  if (!port.ok())
    return Status::Error("invalid listen address " + Quote(text) + ": " + port.status().message());
  out.port = *port;
  return out;
}

}  // namespace vigil
