// The typed configuration of a vigil agent: services, their endpoints and
// readiness probes, and the agent's own settings.
//
// A Config is produced by LoadConfig (config/loader.h), which fills in every
// default and validates every field; code that receives a Config may rely on
// it being valid. Plain values: copy freely, no synchronization.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "common/logging.h"
#include "common/status.h"
#include "config/namespaced_name.h"

namespace vigil {

// Kubernetes' Probe timing fields, with Kubernetes' defaults. Seconds may be
// fractional (an extension to Kubernetes).
struct ProbeTiming {
  double initial_delay_seconds = 0;
  double period_seconds = 10;
  double timeout_seconds = 1;
  int success_threshold = 1;
  int failure_threshold = 3;

  bool operator==(const ProbeTiming&) const = default;
};

// A probe's target port: a number, the name of one of the service's ports,
// or neither, meaning the endpoint's own port.
struct PortRef {
  int number = 0;    // > 0 when given as a number
  std::string name;  // non-empty when given as a name

  bool operator==(const PortRef&) const = default;
};

enum class Scheme { kHttp, kHttps };

struct HttpHeader {
  std::string name;
  std::string value;

  bool operator==(const HttpHeader&) const = default;
};

// TLS settings of an HTTPS or gRPC probe (an extension to Kubernetes). The
// files are checked readable when the config loads.
struct TlsConfig {
  std::string ca_file;    // set: the server's certificate is verified against it
  std::string cert_file;  // client certificate (mutual TLS), with key_file
  std::string key_file;
  std::string server_name;  // SNI and the name verified; empty: the probe's host

  bool operator==(const TlsConfig&) const = default;
};

// An inclusive range of HTTP status codes.
struct StatusRange {
  int low = 200;
  int high = 399;

  bool operator==(const StatusRange&) const = default;
};

struct HeaderExpectation {
  std::string name;
  std::string matches;  // an RE2 pattern, checked to compile

  bool operator==(const HeaderExpectation&) const = default;
};

// What an HTTP answer must look like to be a success (an extension to
// Kubernetes): absent fields check nothing beyond kubelet's status rule.
struct HttpExpect {
  std::vector<StatusRange> status;              // empty: 200-399 (kubelet's)
  std::optional<std::string> body_matches;      // RE2, searched in the first 10 KiB
  std::optional<std::string> body_not_matches;  // RE2, must not be found there
  std::vector<HeaderExpectation> headers;

  bool operator==(const HttpExpect&) const = default;
};

enum class HttpProtocol { kHttp1, kHttp2 };

struct HttpGetAction {
  std::string path = "/";
  PortRef port;
  std::string host;  // empty: the endpoint's address
  Scheme scheme = Scheme::kHttp;
  std::vector<HttpHeader> headers;
  // Extensions to Kubernetes; their defaults are kubelet's behaviour.
  HttpProtocol protocol = HttpProtocol::kHttp1;
  std::string method = "GET";       // GET, HEAD, POST or PUT
  std::optional<std::string> body;  // POST and PUT only
  bool follow_redirects = true;
  std::optional<TlsConfig> tls;  // HTTPS only
  HttpExpect expect;

  // Whether any extension is set: a plain probe is kubelet's GET.
  bool HasExtensions() const;

  bool operator==(const HttpGetAction&) const = default;
};

// Kubernetes' GRPCAction: grpc.health.v1.Health/Check over HTTP/2,
// cleartext unless `tls` is set (an extension).
struct GrpcAction {
  PortRef port;
  std::string service;  // the HealthCheckRequest's service; "" asks for the server
  std::optional<TlsConfig> tls;

  bool operator==(const GrpcAction&) const = default;
};

// Kubernetes' ExecAction: a command run on the agent's node, no shell.
struct ExecAction {
  std::vector<std::string> command;  // at least one item; command[0] the program

  bool operator==(const ExecAction&) const = default;
};

struct TcpSocketAction {
  PortRef port;
  std::string host;  // empty: the endpoint's address

  bool operator==(const TcpSocketAction&) const = default;
};

struct Probe {
  std::variant<HttpGetAction, TcpSocketAction, GrpcAction, ExecAction> handler;
  ProbeTiming timing;

  bool operator==(const Probe&) const = default;
};

struct ServicePort {
  std::string name;  // may be empty when the service has a single port
  int port = 0;

  bool operator==(const ServicePort&) const = default;
};

// One address of a service. `address` is a canonical IP literal (IPv6
// without brackets).
struct Endpoint {
  std::string address;
  int port = 0;

  bool IsIpv6() const;
  // "10.0.0.1:8080" or "[::1]:8080": the endpoint's name in the API and metrics.
  std::string HostPort() const;

  bool operator==(const Endpoint&) const = default;
};

inline constexpr const char* kDefaultNamespace = "default";

struct Service {
  std::string name;  // a DNS-1035 label, unique in its namespace
  // The Kubernetes namespace the service appears in (a DNS-1123 label):
  // its DNS names are NAME.NAMESPACE.svc.DOMAIN.
  std::string namespace_name = kDefaultNamespace;
  std::map<std::string, std::string> labels;
  std::vector<ServicePort> ports;
  std::vector<Endpoint> endpoints;
  std::optional<Probe> readiness_probe;  // none: every endpoint is ready
  // As the Kubernetes Service field: DNS lists not-ready endpoints too.
  bool publish_not_ready_addresses = false;

  NamespacedName Id() const { return {namespace_name, name}; }

  bool operator==(const Service&) const = default;
};

// The names of `services` used in more than one namespace: their series and
// log lines say NAMESPACE/NAME (ServiceLabel).
std::set<std::string> SharedServiceNames(const std::vector<Service>& services);

// The port a probe targets on one endpoint of `service`: the number given,
// the number of the service port so named, or the endpoint's own port. An
// error when the name matches none of the service's ports.
Result<int> ResolvePort(const PortRef& ref, const Service& service, const Endpoint& endpoint);

enum class RegistryBackend { kEmbedded, kEtcd };

struct EtcdConfig {
  std::vector<std::string> endpoints = {"http://127.0.0.1:2379"};
  std::string prefix = "/vigil";
  int lease_ttl_seconds = 10;

  bool operator==(const EtcdConfig&) const = default;
};

struct RegistryConfig {
  RegistryBackend backend = RegistryBackend::kEmbedded;
  EtcdConfig etcd;

  bool operator==(const RegistryConfig&) const = default;
};

struct LoggingConfig {
  std::string level = "info";
  LogFormat format = LogFormat::kText;

  bool operator==(const LoggingConfig&) const = default;
};

// The DNS server (DESIGN.md, "DNS"): off while `listen` is empty.
struct DnsConfig {
  std::string listen;            // "ip:port", "[v6]:port" or ":port"; UDP and TCP
  std::string domain = "vigil";  // the zone: a DNS-1123 subdomain, lowercase
  int ttl_seconds = 5;

  bool operator==(const DnsConfig&) const = default;
};

inline constexpr const char* kDefaultListen = "127.0.0.1:9476";

struct Config {
  std::string node;  // empty: the agent uses the host name
  std::string listen = kDefaultListen;
  // The namespace of every service that does not name its own.
  std::string namespace_name = kDefaultNamespace;
  DnsConfig dns;
  LoggingConfig logging;
  RegistryConfig registry;
  // The timing every readinessProbe starts from; a probe's own fields win.
  ProbeTiming probe_defaults;
  std::vector<Service> services;

  bool operator==(const Config&) const = default;
};

}  // namespace vigil
