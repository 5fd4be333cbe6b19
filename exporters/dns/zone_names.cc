#include "exporters/dns/zone_names.h"

#include <algorithm>

namespace vigil {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  if (s.empty()) return parts;
  while (true) {
    const size_t dot = s.find('.');
    parts.push_back(s.substr(0, dot));
    if (dot == std::string_view::npos) return parts;
    s.remove_prefix(dot + 1);
  }
}

}  // namespace

std::string EndpointLabel(std::string_view address) {
  std::string label(address);
  std::replace_if(
      label.begin(), label.end(), [](char c) { return c == '.' || c == ':'; }, '-');
  return label;
}

std::string ServiceDomainName(std::string_view service, std::string_view namespace_name,
                              std::string_view domain) {
  std::string name;
  name.reserve(service.size() + namespace_name.size() + domain.size() + 6);
  name.append(service).append(".").append(namespace_name).append(".svc.").append(domain);
  return name;
}

std::string NameServerName(std::string_view domain) { return "ns.dns." + std::string(domain); }

ZoneName ParseZoneName(const std::vector<std::string>& labels, std::string_view domain) {
  ZoneName name;
  const std::vector<std::string_view> zone = SplitDots(domain);
  if (labels.size() < zone.size()) return name;
  const size_t own = labels.size() - zone.size();
  for (size_t i = 0; i < zone.size(); ++i) {
    if (Lower(labels[own + i]) != zone[i]) return name;
  }
  // The labels below the zone's, lowercase, rightmost first.
  std::vector<std::string> rel;
  for (size_t i = own; i-- > 0;) rel.push_back(Lower(labels[i]));

  using Kind = ZoneName::Kind;
  name.kind = Kind::kUnknown;
  if (rel.empty()) {
    name.kind = Kind::kApex;
    return name;
  }
  if (rel[0] == "dns") {
    if (rel.size() == 1) name.kind = Kind::kEmpty;
    if (rel.size() == 2 && rel[1] == "ns") name.kind = Kind::kNameServer;
    return name;
  }
  if (rel[0] != "svc") return name;
  if (rel.size() == 1) {
    name.kind = Kind::kEmpty;
    return name;
  }
  name.namespace_name = rel[1];
  if (rel.size() == 2) {
    name.kind = Kind::kNamespace;
    return name;
  }
  name.service = rel[2];
  if (rel.size() == 3) {
    name.kind = Kind::kService;
    return name;
  }
  const std::string& fourth = rel[3];
  if (rel.size() == 4) {
    if (fourth == "_tcp") {
      name.kind = Kind::kPortProtocol;
    } else if (!fourth.empty() && fourth.front() != '_') {
      name.kind = Kind::kEndpoint;
      name.endpoint = fourth;
    }
    return name;
  }
  const std::string& fifth = rel[4];
  if (rel.size() == 5 && fourth == "_tcp" && fifth.size() > 1 && fifth.front() == '_') {
    name.kind = Kind::kSrv;
    name.port = fifth.substr(1);
  }
  return name;
}

}  // namespace vigil
