#include "config/loader.h"

#include <re2/re2.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <utility>
#include <variant>

#include "config/address.h"
#include "config/names.h"
#include "config/yaml_tree.h"

namespace vigil {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::string_view kConfigKeys[] = {"node",    "namespace", "listen",        "dns",
                                            "logging", "registry",  "probeDefaults", "services"};
constexpr std::string_view kDnsKeys[] = {"listen", "domain", "ttlSeconds"};
constexpr std::string_view kLoggingKeys[] = {"level", "format"};
constexpr std::string_view kRegistryKeys[] = {"backend", "etcd"};
constexpr std::string_view kEtcdKeys[] = {"endpoints", "prefix", "leaseTTLSeconds"};
constexpr std::string_view kTimingKeys[] = {"initialDelaySeconds", "periodSeconds",
                                            "timeoutSeconds", "successThreshold",
                                            "failureThreshold"};
constexpr std::string_view kServiceKeys[] = {"name",
                                             "namespace",
                                             "labels",
                                             "ports",
                                             "endpoints",
                                             "readinessProbe",
                                             "publishNotReadyAddresses"};
constexpr std::string_view kServicePortKeys[] = {"name", "port", "protocol"};
constexpr std::string_view kEndpointKeys[] = {"address", "port"};
constexpr std::string_view kHandlerKeys[] = {"httpGet", "tcpSocket", "grpc", "exec"};
constexpr std::string_view kProbeKeys[] = {
    "httpGet",        "tcpSocket",           "exec",
    "grpc",           "initialDelaySeconds", "periodSeconds",
    "timeoutSeconds", "successThreshold",    "failureThreshold"};
constexpr std::string_view kHttpGetKeys[] = {"path",   "port",        "host",
                                             "scheme", "httpHeaders", "protocol",
                                             "method", "body",        "followRedirects",
                                             "tls",    "expect"};
constexpr std::string_view kHeaderKeys[] = {"name", "value"};
constexpr std::string_view kTcpSocketKeys[] = {"port", "host"};
constexpr std::string_view kGrpcKeys[] = {"port", "service", "tls"};
constexpr std::string_view kExecKeys[] = {"command"};
constexpr std::string_view kTlsKeys[] = {"caFile", "certFile", "keyFile", "serverName"};
constexpr std::string_view kExpectKeys[] = {"status", "bodyMatches", "bodyNotMatches", "headers"};
constexpr std::string_view kHeaderExpectationKeys[] = {"name", "matches"};

// Seconds: Kubernetes takes whole seconds; vigil also takes fractions down to this.
constexpr double kMinSeconds = 0.05;
// A day: beyond any sensible probe timing, and far from overflowing a clock.
constexpr double kMaxSeconds = 86400;
constexpr int kMaxThreshold = 10000;
// A DNS answer's lifetime: readiness changes must reach clients soon.
constexpr int kMaxDnsTtlSeconds = 3600;
// The longest zone name: with it, the longest name in the zone (an IPv6
// endpoint's under a 63-character service and namespace) stays within
// DNS's 253 characters.
constexpr size_t kMaxDnsDomainLength = 64;
// What a file may hold (config/yaml_tree.h). A config of 10,000 services,
// each with labels, a port, an endpoint and a probe, holds 360,000 nodes;
// 500,000 take about 110 MB to load.
constexpr YamlLimits kYamlLimits{};

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// An expect pattern compiles with RE2 as the probe will compile it (linear
// time, no backreferences): an error says what RE2 found wrong.
Status CheckPattern(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(pattern, options);
  if (!re.ok()) return Status::Error("not an RE2 pattern: " + re.error());
  return Status::Ok();
}

// A scalar the author marked as a string: quoted, or tagged !!str.
bool IsStringTagged(const YamlNode& node) { return node.StringTagged(); }

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Indexed(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string FormatNumber(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// A node's value as a user would describe it, for type errors.
std::string Describe(const YamlNode& node) {
  switch (node.kind()) {
    case YamlNode::Kind::kScalar:
      return IsStringTagged(node) ? "the string " + Quote(node.Scalar()) : Quote(node.Scalar());
    case YamlNode::Kind::kSequence:
      return "a list";
    case YamlNode::Kind::kMap:
      return "a mapping";
    case YamlNode::Kind::kNull:
      break;
  }
  return "nothing";
}

// A value in the document with where it is, for messages.
struct Field {
  YamlNode value;
  YamlMark mark;  // the value's position, or its key's when the value is empty
  std::string path;
};

// The fields of one mapping, after unknown and duplicate keys were reported.
class Fields {
 public:
  Fields(YamlMark mark, std::string path) : mark_(mark), path_(std::move(path)) {}

  // The field named `key` when it is present with a non-null value.
  std::optional<Field> Get(std::string_view key) const {
    for (const auto& [name, field] : fields_) {
      if (name == key) {
        if (field.value.IsNull()) return std::nullopt;
        return field;
      }
    }
    return std::nullopt;
  }

  // The line (1-based) of the key `key`, when present.
  std::optional<int> LineOf(std::string_view key) const {
    for (const auto& [name, field] : fields_) {
      if (name == key) return field.mark.line + 1;
    }
    return std::nullopt;
  }

  void Add(std::string key, Field field) { fields_.emplace_back(std::move(key), std::move(field)); }

  const YamlMark& mark() const { return mark_; }
  const std::string& path() const { return path_; }

 private:
  YamlMark mark_;
  std::string path_;
  std::vector<std::pair<std::string, Field>> fields_;
};

// Walks a YAML document into a Config, collecting every error on the way.
class Decoder {
 public:
  explicit Decoder(std::string file) : file_(std::move(file)) {}

  // The first kMaxConfigErrors errors by position, in order, and how many more there were.
  std::vector<Diagnostic> TakeErrors() { return std::move(errors_); }
  size_t more_errors() const { return more_errors_; }

  void Error(const YamlMark& mark, const std::string& path, std::string message) {
    Diagnostic d;
    d.file = file_;
    d.line = mark.is_null() ? 1 : mark.line + 1;
    d.column = mark.is_null() ? 1 : mark.column + 1;
    d.path = path;
    d.message = std::move(message);
    Keep(std::move(d));
  }

  void Error(const Field& f, std::string message) { Error(f.mark, f.path, std::move(message)); }

  // "file:line:col" of `mark`, for a message that points at a second place.
  std::string Position(const YamlMark& mark) const {
    return file_ + ":" + std::to_string(mark.is_null() ? 1 : mark.line + 1) + ":" +
           std::to_string(mark.is_null() ? 1 : mark.column + 1);
  }

  void MissingKey(const Fields& fields, std::string_view key) {
    Error(fields.mark(), Join(fields.path(), key), "required key is missing");
  }

  // Reports a mapping's unknown and duplicate keys; nullopt when `f` is not a mapping.
  std::optional<Fields> Map(const Field& f, Keys known) {
    if (!f.value.IsMap()) {
      Error(f, "expected a mapping, got " + Describe(f.value));
      return std::nullopt;
    }
    Fields fields(f.mark, f.path);
    std::map<std::string, int> seen_at_line;
    for (const auto& item : f.value.pairs()) {
      const YamlNode& key = item.first;
      if (!key.IsScalar()) {
        Error(key.Mark(), f.path, "expected a key, got " + Describe(key));
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string path = Join(f.path, name);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string message = "unknown key " + Quote(name);
        if (std::string hint = ClosestMatch(name, known); !hint.empty()) {
          message += " (did you mean " + Quote(hint) + "?)";
        }
        Error(key.Mark(), path, std::move(message));
        continue;
      }
      if (auto it = seen_at_line.find(name); it != seen_at_line.end()) {
        Error(key.Mark(), path,
              "duplicate key " + Quote(name) + " (first set at line " + std::to_string(it->second) +
                  ")");
        continue;
      }
      seen_at_line[name] = key.Mark().line + 1;
      const YamlNode& value = item.second;
      fields.Add(name, Field{value, value.IsNull() ? key.Mark() : value.Mark(), path});
    }
    return fields;
  }

  // The items of a list, each with its path; nullopt when `f` is not a list.
  std::optional<std::vector<Field>> List(const Field& f) {
    if (!f.value.IsSequence()) {
      Error(f, "expected a list, got " + Describe(f.value));
      return std::nullopt;
    }
    std::vector<Field> items;
    for (size_t i = 0; i < f.value.items().size(); ++i) {
      const YamlNode item = f.value.items()[i];
      items.push_back(Field{item, item.IsNull() ? f.mark : item.Mark(), Indexed(f.path, i)});
    }
    return items;
  }

  std::optional<std::string> String(const Field& f) {
    if (!f.value.IsScalar()) {
      Error(f, "expected a string, got " + Describe(f.value));
      return std::nullopt;
    }
    return f.value.Scalar();
  }

  std::optional<std::string> NonEmptyString(const Field& f) {
    std::optional<std::string> s = String(f);
    if (s && s->empty()) {
      Error(f, "must not be empty");
      return std::nullopt;
    }
    return s;
  }

  // A plain (unquoted) scalar: numbers written as quoted strings are refused,
  // as Kubernetes refuses them.
  std::optional<std::string> NumberText(const Field& f, std::string_view want) {
    if (!f.value.IsScalar() || IsStringTagged(f.value)) {
      Error(f, "expected " + std::string(want) + ", got " + Describe(f.value));
      return std::nullopt;
    }
    return f.value.Scalar();
  }

  // true or false (YAML 1.2's spellings), unquoted.
  std::optional<bool> Bool(const Field& f) {
    if (f.value.IsScalar() && !IsStringTagged(f.value)) {
      const std::string& text = f.value.Scalar();
      if (text == "true" || text == "True" || text == "TRUE") return true;
      if (text == "false" || text == "False" || text == "FALSE") return false;
    }
    Error(f, "expected true or false, got " + Describe(f.value));
    return std::nullopt;
  }

  std::optional<int> Int(const Field& f, int min, int max) {
    std::optional<std::string> text = NumberText(f, "a whole number");
    if (!text) return std::nullopt;
    long long v = 0;
    const char* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, v);
    if (text->empty() || ptr != end || ec == std::errc::invalid_argument) {
      Error(f, "expected a whole number, got " + Describe(f.value));
      return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || v < min || v > max) {
      Error(f, "must be from " + std::to_string(min) + " to " + std::to_string(max) + " (got " +
                   *text + ")");
      return std::nullopt;
    }
    return static_cast<int>(v);
  }

  std::optional<double> Seconds(const Field& f, double min) {
    std::optional<std::string> text = NumberText(f, "a number of seconds");
    if (!text) return std::nullopt;
    double v = 0;
    const char* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, v);
    if (text->empty() || ptr != end || ec != std::errc() || !std::isfinite(v)) {
      Error(f, "expected a number of seconds, got " + Describe(f.value));
      return std::nullopt;
    }
    if (v < min || v > kMaxSeconds) {
      Error(f, "must be from " + FormatNumber(min) + " to " + FormatNumber(kMaxSeconds) +
                   " seconds (got " + *text + ")");
      return std::nullopt;
    }
    return v;
  }

  // A port given as a number, or as the name of one of `service`'s ports.
  std::optional<PortRef> Port(const Field& f, const Service& service) {
    if (!f.value.IsScalar()) {
      Error(f, "expected a port number or name, got " + Describe(f.value));
      return std::nullopt;
    }
    const std::string& text = f.value.Scalar();
    // A plain scalar that looks like a number (signs included, so that "-1"
    // gets a range error rather than a port-name one).
    const std::string_view digits = !text.empty() && (text[0] == '-' || text[0] == '+')
                                        ? std::string_view(text).substr(1)
                                        : std::string_view(text);
    const bool numeric =
        !IsStringTagged(f.value) && !digits.empty() &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return isdigit(c); });
    if (numeric) {
      Result<int> port = ParsePort(text);
      if (!port.ok()) {
        Error(f, "must be from 1 to 65535 (got " + text + ")");
        return std::nullopt;
      }
      return PortRef{*port, ""};
    }
    if (Status s = CheckPortName(text); !s.ok()) {
      Error(f, s.message());
      return std::nullopt;
    }
    if (std::none_of(service.ports.begin(), service.ports.end(),
                     [&](const ServicePort& p) { return p.name == text; })) {
      std::string known;
      for (const ServicePort& p : service.ports) {
        if (p.name.empty()) continue;
        known += (known.empty() ? "" : ", ") + p.name;
      }
      Error(f, "port " + Quote(text) + " is not one of the service's ports" +
                   (known.empty() ? " (it has no named ports)" : " (" + known + ")"));
      return std::nullopt;
    }
    return PortRef{0, text};
  }

  // ---- The schema ----

  Config DecodeConfig(const Field& root) {
    Config config;
    std::optional<Fields> fields = Map(root, kConfigKeys);
    if (!fields) return config;
    if (auto f = fields->Get("node")) {
      if (auto node = NonEmptyString(*f)) {
        if (Status s = CheckDns1123Subdomain(*node); !s.ok()) {
          Error(*f, s.message());
        } else {
          config.node = *node;
        }
      }
    }
    if (auto f = fields->Get("namespace")) {
      if (auto ns = Namespace(*f)) config.namespace_name = *ns;
    }
    if (auto f = fields->Get("listen")) {
      if (auto listen = String(*f)) {
        if (Result<ListenAddress> a = ParseListenAddress(*listen); !a.ok()) {
          Error(*f, a.status().message());
        } else {
          config.listen = *listen;
        }
      }
    }
    if (auto f = fields->Get("dns")) config.dns = DecodeDns(*f);
    if (auto f = fields->Get("logging")) config.logging = DecodeLogging(*f);
    if (auto f = fields->Get("registry")) config.registry = DecodeRegistry(*f);
    if (auto f = fields->Get("probeDefaults")) {
      if (auto timing = Map(*f, kTimingKeys)) {
        config.probe_defaults = DecodeTiming(*timing, config.probe_defaults);
      }
    }
    if (auto f = fields->Get("services"))
      config.services = DecodeServices(*f, config.probe_defaults, config.namespace_name,
                                       config.registry.backend == RegistryBackend::kEtcd);
    return config;
  }

  // A Kubernetes namespace name: a DNS-1123 label.
  std::optional<std::string> Namespace(const Field& f) {
    std::optional<std::string> text = String(f);
    if (!text) return std::nullopt;
    if (Status s = CheckDns1123Label(*text); !s.ok()) {
      Error(f, s.message());
      return std::nullopt;
    }
    return text;
  }

  DnsConfig DecodeDns(const Field& f) {
    DnsConfig dns;
    std::optional<Fields> fields = Map(f, kDnsKeys);
    if (!fields) return dns;
    if (auto listen = fields->Get("listen")) {
      if (auto text = String(*listen); text && !text->empty()) {
        Result<ListenAddress> a = ParseListenAddress(*text);
        if (!a.ok()) {
          Error(*listen, a.status().message());
        } else if (!a->host.empty() && !CanonicalIp(a->host).ok()) {
          Error(*listen, "want an IP address and a port, e.g. 127.0.0.1:8600 or [::1]:8600 (got " +
                             Quote(*text) + ": a DNS server listens on an address, not a name)");
        } else {
          dns.listen = *text;
        }
      }
    }
    if (auto domain = fields->Get("domain")) {
      if (auto text = NonEmptyString(*domain)) {
        if (Status s = CheckDns1123Subdomain(*text); !s.ok()) {
          Error(*domain, s.message());
        } else if (text->size() > kMaxDnsDomainLength) {
          Error(*domain, "must be at most " + std::to_string(kMaxDnsDomainLength) +
                             " characters long, so that every name in the zone fits in a DNS "
                             "name (got " +
                             std::to_string(text->size()) + ")");
        } else {
          dns.domain = *text;
        }
      }
    }
    if (auto ttl = fields->Get("ttlSeconds")) {
      if (auto v = Int(*ttl, 0, kMaxDnsTtlSeconds)) dns.ttl_seconds = *v;
    }
    return dns;
  }

  LoggingConfig DecodeLogging(const Field& f) {
    LoggingConfig logging;
    std::optional<Fields> fields = Map(f, kLoggingKeys);
    if (!fields) return logging;
    if (auto level = fields->Get("level")) {
      if (auto text = String(*level)) {
        if (Result<spdlog::level::level_enum> l = ParseLogLevel(*text); !l.ok()) {
          Error(*level, l.status().message());
        } else {
          logging.level = *text;
        }
      }
    }
    if (auto format = fields->Get("format")) {
      if (auto text = String(*format)) {
        if (Result<LogFormat> fmt = ParseLogFormat(*text); !fmt.ok()) {
          Error(*format, fmt.status().message());
        } else {
          logging.format = *fmt;
        }
      }
    }
    return logging;
  }

  RegistryConfig DecodeRegistry(const Field& f) {
    RegistryConfig registry;
    std::optional<Fields> fields = Map(f, kRegistryKeys);
    if (!fields) return registry;
    if (auto backend = fields->Get("backend")) {
      if (auto text = String(*backend)) {
        if (*text == "embedded") {
          registry.backend = RegistryBackend::kEmbedded;
        } else if (*text == "etcd") {
          registry.backend = RegistryBackend::kEtcd;
        } else {
          Error(*backend, "unknown backend " + Quote(*text) + " (want embedded or etcd)");
        }
      }
    }
    if (auto etcd = fields->Get("etcd")) registry.etcd = DecodeEtcd(*etcd);
    return registry;
  }

  EtcdConfig DecodeEtcd(const Field& f) {
    EtcdConfig etcd;
    std::optional<Fields> fields = Map(f, kEtcdKeys);
    if (!fields) return etcd;
    if (auto endpoints = fields->Get("endpoints")) {
      if (auto items = List(*endpoints)) {
        if (items->empty()) Error(*endpoints, "must list at least one etcd endpoint");
        etcd.endpoints.clear();
        for (const Field& item : *items) {
          std::optional<std::string> url = String(item);
          if (!url) continue;
          if (Status s = CheckEtcdUrl(*url); !s.ok()) {
            Error(item, s.message());
            continue;
          }
          etcd.endpoints.push_back(*url);
        }
      }
    }
    if (auto prefix = fields->Get("prefix")) {
      if (auto text = String(*prefix)) {
        const bool ok = text->size() >= 2 && text->front() == '/' && text->back() != '/' &&
                        text->find("//") == std::string::npos;
        if (ok) {
          etcd.prefix = *text;
        } else {
          Error(*prefix, "must start with \"/\", not end with \"/\", and have no empty segment " +
                             std::string("(got ") + Quote(*text) + ")");
        }
      }
    }
    if (auto ttl = fields->Get("leaseTTLSeconds")) {
      if (auto v = Int(*ttl, 2, 86400)) etcd.lease_ttl_seconds = *v;
    }
    return etcd;
  }

  static Status CheckEtcdUrl(const std::string& url) {
    for (std::string_view scheme : {"http://", "https://"}) {
      if (url.rfind(scheme, 0) != 0) continue;
      const std::string_view rest = std::string_view(url).substr(scheme.size());
      Result<ListenAddress> hp = ParseListenAddress(rest);
      if (hp.ok() && !hp->host.empty() && hp->port > 0) return Status::Ok();
      break;
    }
    return Status::Error("invalid etcd endpoint " + Quote(url) +
                         ": want \"http://host:port\" or \"https://host:port\"");
  }

  ProbeTiming DecodeTiming(const Fields& fields, ProbeTiming timing) {
    if (auto f = fields.Get("initialDelaySeconds")) {
      if (auto v = Seconds(*f, 0)) timing.initial_delay_seconds = *v;
    }
    if (auto f = fields.Get("periodSeconds")) {
      if (auto v = Seconds(*f, kMinSeconds)) timing.period_seconds = *v;
    }
    if (auto f = fields.Get("timeoutSeconds")) {
      if (auto v = Seconds(*f, kMinSeconds)) timing.timeout_seconds = *v;
    }
    if (auto f = fields.Get("successThreshold")) {
      if (auto v = Int(*f, 1, kMaxThreshold)) timing.success_threshold = *v;
    }
    if (auto f = fields.Get("failureThreshold")) {
      if (auto v = Int(*f, 1, kMaxThreshold)) timing.failure_threshold = *v;
    }
    return timing;
  }

  // A name is unique in its namespace. With the etcd registry it is unique
  // across namespaces too: its keys (PREFIX/services/SERVICE/NODE,
  // PREFIX/endpoints/SERVICE/NODE/ADDRESS:PORT) have no namespace segment.
  std::vector<Service> DecodeServices(const Field& f, const ProbeTiming& defaults,
                                      const std::string& default_namespace, bool etcd) {
    std::vector<Service> services;
    std::optional<std::vector<Field>> items = List(f);
    if (!items) return services;
    // Where each name was first defined in each namespace.
    std::map<NamespacedName, YamlMark> first_of;
    // Where each name was first defined, whatever its namespace.
    std::map<std::string, std::pair<std::string, YamlMark>> first_of_name;
    for (const Field& item : *items) {
      std::optional<Fields> fields = Map(item, kServiceKeys);
      if (!fields) continue;
      Service service = DecodeService(*fields, defaults, default_namespace);
      if (service.name.empty()) continue;
      const Field name = *fields->Get("name");
      const auto [same, fresh] = first_of.emplace(service.Id(), name.mark);
      if (!fresh) {
        Error(name.mark, name.path,
              "duplicate service name " + Quote(service.name) + " in namespace " +
                  Quote(service.namespace_name) + " (first defined at " + Position(same->second) +
                  ")");
        continue;
      }
      const auto [other, first] =
          first_of_name.emplace(service.name, std::pair{service.namespace_name, name.mark});
      if (!first && etcd && other->second.first != service.namespace_name) {
        Error(name.mark, name.path,
              "service name " + Quote(service.name) + " is already used in namespace " +
                  Quote(other->second.first) + " (" + Position(other->second.second) +
                  "): with registry.backend etcd a name may be used in one namespace only, "
                  "because the etcd keys (PREFIX/services/SERVICE/NODE, "
                  "PREFIX/endpoints/SERVICE/NODE/ADDRESS:PORT) have no namespace");
        continue;
      }
      services.push_back(std::move(service));
    }
    return services;
  }

  Service DecodeService(const Fields& fields, const ProbeTiming& defaults,
                        const std::string& default_namespace) {
    Service service;
    service.namespace_name = default_namespace;
    if (auto ns = fields.Get("namespace")) {
      if (auto text = Namespace(*ns)) service.namespace_name = *text;
    }
    if (auto publish = fields.Get("publishNotReadyAddresses")) {
      if (auto v = Bool(*publish)) service.publish_not_ready_addresses = *v;
    }
    std::optional<Field> name = fields.Get("name");
    if (!name) {
      MissingKey(fields, "name");
    } else if (std::optional<std::string> text = String(*name)) {
      if (Status s = CheckDns1035Label(*text); !s.ok()) {
        Error(*name, s.message());
      } else {
        service.name = *text;
      }
    }
    if (auto labels = fields.Get("labels")) service.labels = DecodeLabels(*labels);
    if (auto ports = fields.Get("ports")) service.ports = DecodeServicePorts(*ports);
    if (auto endpoints = fields.Get("endpoints")) {
      service.endpoints = DecodeEndpoints(*endpoints, service);
    }
    if (auto probe = fields.Get("readinessProbe")) {
      service.readiness_probe = DecodeProbe(*probe, service, defaults);
    }
    return service;
  }

  std::map<std::string, std::string> DecodeLabels(const Field& f) {
    std::map<std::string, std::string> labels;
    if (!f.value.IsMap()) {
      Error(f, "expected a mapping, got " + Describe(f.value));
      return labels;
    }
    for (const auto& item : f.value.pairs()) {
      const Field key{item.first, item.first.Mark(), f.path};
      std::optional<std::string> k = String(key);
      if (!k) continue;
      const Field value{item.second, item.second.IsNull() ? item.first.Mark() : item.second.Mark(),
                        f.path + "." + *k};
      if (Status s = CheckLabelKey(*k); !s.ok()) {
        Error(key.mark, value.path, s.message());
        continue;
      }
      if (labels.count(*k) != 0) {
        Error(key.mark, value.path, "duplicate label " + Quote(*k));
        continue;
      }
      std::optional<std::string> v = item.second.IsNull() ? std::string() : String(value);
      if (!v) continue;
      if (Status s = CheckLabelValue(*v); !s.ok()) {
        Error(value, s.message());
        continue;
      }
      labels.emplace(*k, *v);
    }
    return labels;
  }

  std::vector<ServicePort> DecodeServicePorts(const Field& f) {
    std::vector<ServicePort> ports;
    std::optional<std::vector<Field>> items = List(f);
    if (!items) return ports;
    for (const Field& item : *items) {
      std::optional<Fields> fields = Map(item, kServicePortKeys);
      if (!fields) continue;
      ServicePort port;
      bool ok = true;
      if (auto name = fields->Get("name")) {
        std::optional<std::string> text = String(*name);
        if (text && CheckPortName(*text).ok()) {
          port.name = *text;
          if (std::any_of(ports.begin(), ports.end(),
                          [&](const ServicePort& p) { return p.name == port.name; })) {
            Error(*name, "duplicate port name " + Quote(port.name));
            ok = false;
          }
        } else {
          if (text) Error(*name, CheckPortName(*text).message());
          ok = false;
        }
      } else if (items->size() > 1) {
        Error(fields->mark(), Join(fields->path(), "name"),
              "required when a service has more than one port");
        ok = false;
      }
      if (auto number = fields->Get("port")) {
        if (auto v = Int(*number, 1, 65535)) {
          port.port = *v;
          if (std::any_of(ports.begin(), ports.end(),
                          [&](const ServicePort& p) { return p.port == port.port; })) {
            Error(*number, "duplicate port " + std::to_string(port.port));
            ok = false;
          }
        } else {
          ok = false;
        }
      } else {
        MissingKey(*fields, "port");
        ok = false;
      }
      if (auto protocol = fields->Get("protocol")) {
        std::optional<std::string> text = String(*protocol);
        if (text && *text != "TCP") {
          Error(*protocol, "unsupported protocol " + Quote(*text) + " (vigil probes TCP only)");
        }
      }
      if (ok) ports.push_back(std::move(port));
    }
    return ports;
  }

  std::vector<Endpoint> DecodeEndpoints(const Field& f, const Service& service) {
    std::vector<Endpoint> endpoints;
    std::optional<std::vector<Field>> items = List(f);
    if (!items) return endpoints;
    const std::optional<int> default_port =
        service.ports.empty() ? std::nullopt : std::optional<int>(service.ports.front().port);
    std::map<std::string, int> line_of;
    for (const Field& item : *items) {
      std::optional<Endpoint> endpoint = DecodeEndpoint(item, service, default_port);
      if (!endpoint) continue;
      const auto [it, inserted] = line_of.emplace(endpoint->HostPort(), item.mark.line + 1);
      if (!inserted) {
        Error(item, "duplicate endpoint " + endpoint->HostPort() + " (first listed at line " +
                        std::to_string(it->second) + ")");
        continue;
      }
      endpoints.push_back(std::move(*endpoint));
    }
    return endpoints;
  }

  std::optional<Endpoint> DecodeEndpoint(const Field& f, const Service& service,
                                         std::optional<int> default_port) {
    if (f.value.IsScalar()) {
      Result<Endpoint> endpoint = ParseEndpoint(f.value.Scalar(), default_port);
      if (!endpoint.ok()) {
        Error(f, endpoint.status().message());
        return std::nullopt;
      }
      return *endpoint;
    }
    if (!f.value.IsMap()) {
      Error(f, "expected \"ip:port\" or a mapping {address, port}, got " + Describe(f.value));
      return std::nullopt;
    }
    std::optional<Fields> fields = Map(f, kEndpointKeys);
    if (!fields) return std::nullopt;
    Endpoint endpoint;
    std::optional<Field> address = fields->Get("address");
    if (!address) {
      MissingKey(*fields, "address");
      return std::nullopt;
    }
    std::optional<std::string> text = String(*address);
    if (!text) return std::nullopt;
    Result<std::string> ip = CanonicalIp(*text);
    if (!ip.ok()) {
      Error(*address, ip.status().message());
      return std::nullopt;
    }
    endpoint.address = *ip;
    if (auto port = fields->Get("port")) {
      std::optional<PortRef> ref = Port(*port, service);
      if (!ref) return std::nullopt;
      endpoint.port = *ResolvePort(*ref, service, endpoint);
    } else if (default_port) {
      endpoint.port = *default_port;
    } else {
      Error(fields->mark(), Join(fields->path(), "port"),
            "required when the service declares no ports to default to");
      return std::nullopt;
    }
    return endpoint;
  }

  std::optional<Probe> DecodeProbe(const Field& f, const Service& service,
                                   const ProbeTiming& defaults) {
    std::optional<Fields> fields = Map(f, kProbeKeys);
    if (!fields) return std::nullopt;
    Probe probe;
    probe.timing = DecodeTiming(*fields, defaults);
    // Every handler present is decoded, so that its own errors are reported too.
    std::vector<std::string_view> kinds;
    bool handlers_ok = true;
    for (std::string_view kind : kHandlerKeys) {
      std::optional<Field> handler = fields->Get(kind);
      if (!handler) continue;
      kinds.push_back(kind);
      const auto take = [&](auto decoded) {
        handlers_ok = handlers_ok && decoded.has_value();
        if (decoded) probe.handler = std::move(*decoded);
      };
      if (kind == "httpGet") {
        take(DecodeHttpGet(*handler, service));
      } else if (kind == "tcpSocket") {
        take(DecodeTcpSocket(*handler, service));
      } else if (kind == "grpc") {
        take(DecodeGrpc(*handler, service));
      } else {
        take(DecodeExec(*handler));
      }
      if (kinds.size() == 2) {
        Error(*handler, "a probe takes one handler, but both " + std::string(kinds[0]) + " and " +
                            std::string(kinds[1]) + " are set");
      }
    }
    if (kinds.empty()) {
      Error(fields->mark(), fields->path(),
            "must set one handler: httpGet, tcpSocket, grpc or exec");
    }
    if (kinds.size() != 1 || !handlers_ok) return std::nullopt;
    return probe;
  }

  // Decodes `host` and `port`, shared by httpGet and tcpSocket.
  bool DecodeTarget(const Fields& fields, const Service& service, std::string* host,
                    PortRef* port) {
    bool ok = true;
    if (auto f = fields.Get("host")) {
      if (auto text = NonEmptyString(*f)) {
        if (Result<std::string> h = ParseHost(*text); h.ok()) {
          *host = *h;
        } else {
          Error(*f, h.status().message());
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    if (auto f = fields.Get("port")) {
      if (std::optional<PortRef> ref = Port(*f, service)) {
        *port = *ref;
      } else {
        ok = false;
      }
    }
    return ok;
  }

  std::optional<HttpGetAction> DecodeHttpGet(const Field& f, const Service& service) {
    std::optional<Fields> fields = Map(f, kHttpGetKeys);
    if (!fields) return std::nullopt;
    HttpGetAction http;
    bool ok = DecodeTarget(*fields, service, &http.host, &http.port);
    if (auto path = fields->Get("path")) {
      std::optional<std::string> text = String(*path);
      const bool valid = text && !text->empty() && text->front() == '/' &&
                         std::none_of(text->begin(), text->end(), [](char c) {
                           return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
                         });
      // kubelet would read "//host/path" as a host and a path: refused.
      const bool network_path = valid && text->rfind("//", 0) == 0 && text->rfind("///", 0) != 0;
      if (valid && !network_path) {
        http.path = *text;
      } else {
        if (network_path) {
          Error(*path, "must not start with \"//\" (what follows would be read as a host)");
        } else if (text) {
          Error(*path, "must start with \"/\" and hold no spaces or control characters");
        }
        ok = false;
      }
    }
    if (auto scheme = fields->Get("scheme")) {
      std::optional<std::string> text = String(*scheme);
      if (text && *text == "HTTP") {
        http.scheme = Scheme::kHttp;
      } else if (text && *text == "HTTPS") {
        http.scheme = Scheme::kHttps;
      } else {
        if (text) Error(*scheme, "unknown scheme " + Quote(*text) + " (want HTTP or HTTPS)");
        ok = false;
      }
    }
    if (auto headers = fields->Get("httpHeaders")) {
      if (auto items = List(*headers)) {
        for (const Field& item : *items) {
          std::optional<HttpHeader> header = DecodeHeader(item);
          if (header) {
            http.headers.push_back(std::move(*header));
          } else {
            ok = false;
          }
        }
      } else {
        ok = false;
      }
    }
    if (auto protocol = fields->Get("protocol")) {
      std::optional<std::string> text = String(*protocol);
      if (text && *text == "HTTP1") {
        http.protocol = HttpProtocol::kHttp1;
      } else if (text && *text == "HTTP2") {
        http.protocol = HttpProtocol::kHttp2;
      } else {
        if (text) Error(*protocol, "unknown protocol " + Quote(*text) + " (want HTTP1 or HTTP2)");
        ok = false;
      }
    }
    if (auto method = fields->Get("method")) {
      std::optional<std::string> text = String(*method);
      constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT"};
      if (text &&
          std::find(std::begin(kMethods), std::end(kMethods), *text) != std::end(kMethods)) {
        http.method = *text;
      } else {
        if (text) {
          Error(*method, "unsupported method " + Quote(*text) + " (want GET, HEAD, POST or PUT)");
        }
        ok = false;
      }
    }
    if (auto body = fields->Get("body")) {
      std::optional<std::string> text = String(*body);
      if (!text) {
        ok = false;
      } else if (http.method != "POST" && http.method != "PUT") {
        Error(*body, "a body is sent with method POST or PUT only (method is " + http.method + ")");
        ok = false;
      } else {
        http.body = *text;
      }
    }
    if (auto follow = fields->Get("followRedirects")) {
      if (std::optional<bool> v = Bool(*follow)) {
        http.follow_redirects = *v;
      } else {
        ok = false;
      }
    }
    if (auto tls = fields->Get("tls")) {
      http.tls = DecodeTls(*tls);
      if (!http.tls) {
        ok = false;
      } else if (http.scheme != Scheme::kHttps) {
        Error(*tls, "tls is for scheme HTTPS (scheme is HTTP)");
        ok = false;
      }
    }
    if (auto expect = fields->Get("expect")) {
      if (std::optional<HttpExpect> e = DecodeExpect(*expect)) {
        http.expect = std::move(*e);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return http;
  }

  // A file the agent must be able to read, named by `f`.
  std::optional<std::string> ReadableFile(const Field& f) {
    std::optional<std::string> path = NonEmptyString(f);
    if (!path) return std::nullopt;
    struct stat st {};
    if (stat(path->c_str(), &st) != 0) {
      Error(f, "cannot read " + Quote(*path) + ": " + std::strerror(errno));
      return std::nullopt;
    }
    if (S_ISDIR(st.st_mode)) {
      Error(f, "cannot read " + Quote(*path) + ": it is a directory");
      return std::nullopt;
    }
    std::ifstream in(*path, std::ios::binary);
    if (!in || in.peek() == std::ifstream::traits_type::eof()) {
      Error(f, "cannot read " + Quote(*path) +
                   (in ? ": it is empty" : ": " + std::string(std::strerror(errno))));
      return std::nullopt;
    }
    return path;
  }

  std::optional<TlsConfig> DecodeTls(const Field& f) {
    std::optional<Fields> fields = Map(f, kTlsKeys);
    if (!fields) return std::nullopt;
    TlsConfig tls;
    bool ok = true;
    for (auto [key, member] :
         {std::pair{"caFile", &TlsConfig::ca_file}, std::pair{"certFile", &TlsConfig::cert_file},
          std::pair{"keyFile", &TlsConfig::key_file}}) {
      if (auto file = fields->Get(key)) {
        if (std::optional<std::string> path = ReadableFile(*file)) {
          tls.*member = *path;
        } else {
          ok = false;
        }
      }
    }
    const std::optional<Field> cert = fields->Get("certFile");
    const std::optional<Field> key = fields->Get("keyFile");
    if (cert.has_value() != key.has_value()) {
      Error(cert ? *cert : *key,
            "certFile and keyFile go together (a client certificate and its key)");
      ok = false;
    }
    if (auto name = fields->Get("serverName")) {
      std::optional<std::string> text = NonEmptyString(*name);
      if (!text) {
        ok = false;
      } else if (Status s = CheckDns1123Subdomain(*text); !s.ok()) {
        Error(*name, "not a server name: " + s.message());
        ok = false;
      } else {
        tls.server_name = *text;
      }
    }
    if (!ok) return std::nullopt;
    return tls;
  }

  // An RE2 pattern that compiles.
  std::optional<std::string> Pattern(const Field& f) {
    std::optional<std::string> text = String(f);
    if (!text) return std::nullopt;
    if (Status s = CheckPattern(*text); !s.ok()) {
      Error(f, s.message());
      return std::nullopt;
    }
    return text;
  }

  std::optional<StatusRange> DecodeStatus(const Field& f) {
    constexpr int kLow = 100;
    constexpr int kHigh = 599;
    const std::string& scalar = f.value.IsScalar() ? f.value.Scalar() : std::string();
    if (f.value.IsScalar() && !IsStringTagged(f.value) && !scalar.empty() &&
        std::all_of(scalar.begin(), scalar.end(), [](char c) { return isdigit(c); })) {
      std::optional<int> code = Int(f, kLow, kHigh);
      if (!code) return std::nullopt;
      return StatusRange{*code, *code};
    }
    std::optional<std::string> text = String(f);
    if (!text) return std::nullopt;
    const size_t dash = text->find('-');
    int low = 0;
    int high = 0;
    const auto number = [](std::string_view digits, int* out) {
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
      return !digits.empty() && ec == std::errc() && ptr == digits.data() + digits.size();
    };
    if (dash == std::string::npos || !number(std::string_view(*text).substr(0, dash), &low) ||
        !number(std::string_view(*text).substr(dash + 1), &high)) {
      Error(f, "expected a status code or a range \"low-high\" (as \"200-299\"), got " +
                   Describe(f.value));
      return std::nullopt;
    }
    if (low < kLow || high > kHigh || low > high) {
      Error(f, "a range of status codes from 100 to 599, low first (got " + *text + ")");
      return std::nullopt;
    }
    return StatusRange{low, high};
  }

  std::optional<HttpExpect> DecodeExpect(const Field& f) {
    std::optional<Fields> fields = Map(f, kExpectKeys);
    if (!fields) return std::nullopt;
    HttpExpect expect;
    bool ok = true;
    if (auto status = fields->Get("status")) {
      if (auto items = List(*status)) {
        if (items->empty()) {
          Error(*status, "must list at least one status code or range");
          ok = false;
        }
        for (const Field& item : *items) {
          if (std::optional<StatusRange> range = DecodeStatus(item)) {
            expect.status.push_back(*range);
          } else {
            ok = false;
          }
        }
      } else {
        ok = false;
      }
    }
    for (auto [key, member] : {std::pair{"bodyMatches", &HttpExpect::body_matches},
                               std::pair{"bodyNotMatches", &HttpExpect::body_not_matches}}) {
      if (auto pattern = fields->Get(key)) {
        if (std::optional<std::string> text = Pattern(*pattern)) {
          expect.*member = *text;
        } else {
          ok = false;
        }
      }
    }
    if (auto headers = fields->Get("headers")) {
      if (auto items = List(*headers)) {
        for (const Field& item : *items) {
          std::optional<Fields> header = Map(item, kHeaderExpectationKeys);
          if (!header) {
            ok = false;
            continue;
          }
          HeaderExpectation expectation;
          std::optional<Field> name = header->Get("name");
          std::optional<Field> matches = header->Get("matches");
          if (!name) MissingKey(*header, "name");
          if (!matches) MissingKey(*header, "matches");
          std::optional<std::string> name_text = name ? String(*name) : std::nullopt;
          if (name_text) {
            if (Status s = CheckHeaderName(*name_text); !s.ok()) {
              Error(*name, s.message());
              name_text.reset();
            }
          }
          std::optional<std::string> pattern = matches ? Pattern(*matches) : std::nullopt;
          if (!name_text || !pattern) {
            ok = false;
            continue;
          }
          expect.headers.push_back({*name_text, *pattern});
        }
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return expect;
  }

  std::optional<GrpcAction> DecodeGrpc(const Field& f, const Service& service) {
    std::optional<Fields> fields = Map(f, kGrpcKeys);
    if (!fields) return std::nullopt;
    GrpcAction grpc;
    bool ok = true;
    if (auto port = fields->Get("port")) {
      if (std::optional<PortRef> ref = Port(*port, service)) {
        grpc.port = *ref;
      } else {
        ok = false;
      }
    }
    if (auto name = fields->Get("service")) {
      if (std::optional<std::string> text = String(*name)) {
        grpc.service = *text;
      } else {
        ok = false;
      }
    }
    if (auto tls = fields->Get("tls")) {
      grpc.tls = DecodeTls(*tls);
      ok = ok && grpc.tls.has_value();
    }
    if (!ok) return std::nullopt;
    return grpc;
  }

  std::optional<ExecAction> DecodeExec(const Field& f) {
    std::optional<Fields> fields = Map(f, kExecKeys);
    if (!fields) return std::nullopt;
    std::optional<Field> command = fields->Get("command");
    if (!command) {
      MissingKey(*fields, "command");
      return std::nullopt;
    }
    std::optional<std::vector<Field>> items = List(*command);
    if (!items) return std::nullopt;
    if (items->empty()) {
      Error(*command, "must name a program to run");
      return std::nullopt;
    }
    ExecAction exec;
    bool ok = true;
    for (const Field& item : *items) {
      std::optional<std::string> text = String(item);
      if (!text) {
        ok = false;
      } else if (text->find('\0') != std::string::npos) {
        Error(item, "must not hold NUL characters");
        ok = false;
      } else if (exec.command.empty() && text->empty()) {
        Error(item, "must name a program to run");
        ok = false;
      } else {
        exec.command.push_back(*text);
      }
    }
    if (!ok) return std::nullopt;
    return exec;
  }

  std::optional<HttpHeader> DecodeHeader(const Field& f) {
    std::optional<Fields> fields = Map(f, kHeaderKeys);
    if (!fields) return std::nullopt;
    HttpHeader header;
    std::optional<Field> name = fields->Get("name");
    if (!name) {
      MissingKey(*fields, "name");
      return std::nullopt;
    }
    std::optional<std::string> name_text = String(*name);
    if (!name_text) return std::nullopt;
    if (Status s = CheckHeaderName(*name_text); !s.ok()) {
      Error(*name, s.message());
      return std::nullopt;
    }
    header.name = *name_text;
    if (auto value = fields->Get("value")) {
      std::optional<std::string> text = String(*value);
      if (!text) return std::nullopt;
      if (text->find_first_of("\r\n") != std::string::npos ||
          text->find('\0') != std::string::npos) {
        Error(*value, "must not hold line breaks or NUL characters");
        return std::nullopt;
      }
      header.value = *text;
    }
    return header;
  }

  std::optional<TcpSocketAction> DecodeTcpSocket(const Field& f, const Service& service) {
    std::optional<Fields> fields = Map(f, kTcpSocketKeys);
    if (!fields) return std::nullopt;
    TcpSocketAction tcp;
    if (!DecodeTarget(*fields, service, &tcp.host, &tcp.port)) return std::nullopt;
    return tcp;
  }

 private:
  // Errors come mostly in the order of their positions: most past the cap
  // are dropped at one comparison, and the memory kept stays bounded.
  void Keep(Diagnostic d) {
    const auto before = [](const Diagnostic& a, const Diagnostic& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    };
    if (errors_.size() >= kMaxConfigErrors) {
      ++more_errors_;
      if (!before(d, errors_.back())) return;
      errors_.pop_back();
    }
    // After the errors at the same position: equal positions keep the order found.
    errors_.insert(std::upper_bound(errors_.begin(), errors_.end(), d, before), std::move(d));
  }

  std::string file_;
  std::vector<Diagnostic> errors_;  // sorted by position
  size_t more_errors_ = 0;
};

ConfigLoad FileError(std::string_view path, std::string message) {
  ConfigLoad load;
  Diagnostic d;
  d.file = std::string(path);
  d.message = std::move(message);
  load.errors.push_back(std::move(d));
  return load;
}

}  // namespace

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

std::string ConfigLoad::ErrorText() const {
  std::string text;
  for (const Diagnostic& d : errors) text += d.ToString() + "\n";
  if (more_errors > 0) {
    text += "\u2026 " + std::to_string(more_errors) +
            (more_errors == 1 ? " more error\n" : " more errors\n");
  }
  return text;
}

ConfigLoad LoadConfig(std::string_view yaml, std::string_view file_name) {
  if (yaml.size() > kMaxConfigBytes) {
    return FileError(file_name,
                     "the config is larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB");
  }
  try {
    std::variant<YamlTree, YamlProblem> parsed = YamlTree::Parse(yaml, kYamlLimits);
    if (YamlProblem* problem = std::get_if<YamlProblem>(&parsed)) {
      ConfigLoad load = FileError(file_name, std::move(problem->message));
      load.errors[0].line = problem->line;
      load.errors[0].column = problem->column;
      return load;
    }
    std::vector<YamlNode> documents = std::get<YamlTree>(parsed).documents();
    // A trailing "---" yields an empty last document: not a second config.
    while (documents.size() > 1 && documents.back().IsNull()) documents.pop_back();
    if (documents.empty() || (documents.size() == 1 && documents[0].IsNull())) {
      return FileError(file_name, "the file is empty: expected a mapping with a \"services\" list");
    }
    Decoder decoder{std::string(file_name)};
    if (documents.size() > 1) {
      decoder.Error(documents[1].Mark(), "",
                    "expected one YAML document, found " + std::to_string(documents.size()));
    }
    Config config = decoder.DecodeConfig(Field{documents[0], YamlMark(), ""});
    ConfigLoad load;
    load.errors = decoder.TakeErrors();
    load.more_errors = decoder.more_errors();
    if (load.errors.empty()) load.config = std::move(config);
    return load;
  } catch (const std::exception& e) {
    // Nothing above throws by design; should an allocation fail anyway,
    // the file is refused and the caller goes on.
    return FileError(file_name, std::string("cannot load the config: ") + e.what());
  }
}

ConfigLoad LoadConfigFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return FileError(path, std::string("cannot read config file: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return FileError(path, "cannot read config file: it is a directory");
  const std::string too_large =
      "cannot read config file: larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB";
  if (S_ISREG(st.st_mode) && static_cast<uintmax_t>(st.st_size) > kMaxConfigBytes) {
    return FileError(path, too_large);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileError(path, std::string("cannot read config file: ") + std::strerror(errno));
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) return FileError(path, too_large);
  }
  if (in.bad()) return FileError(path, "cannot read config file: read error");
  return LoadConfig(text, path);
}

}  // namespace vigil
