#include "tests/support/test_http_server.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "tests/support/wait.h"

namespace vigil::testing {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// An HTTPS server for "localhost" with a fresh P-256 key and a self-signed
// certificate valid for a day, made in memory.
std::unique_ptr<httplib::Server> MakeTlsServer() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("cannot make a key and a certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("cannot sign the certificate");
  }
  // The server's SSL_CTX takes its own references to both.
  auto server = std::make_unique<httplib::SSLServer>(cert.get(), key.get());
  if (!server->is_valid()) throw std::runtime_error("cannot set up the TLS server");
  return server;
}

std::unique_ptr<httplib::Server> MakeServer(const TestHttpServer::Options& options,
                                            const TestHttpServer::Tls& tls) {
  if (!options.tls) return std::make_unique<httplib::Server>();
  if (tls.cert_file.empty()) return MakeTlsServer();
  auto server = std::make_unique<httplib::SSLServer>(
      tls.cert_file.c_str(), tls.key_file.c_str(),
      tls.client_ca_file.empty() ? nullptr : tls.client_ca_file.c_str());
  if (!server->is_valid()) throw std::runtime_error("cannot set up the TLS server");
  return server;
}

}  // namespace

std::string TestHttpServer::Request::Header(const std::string& name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? "" : it->second;
}

size_t TestHttpServer::Request::HeaderCount(const std::string& name) const {
  return headers.count(Lower(name));
}

TestHttpServer::TestHttpServer() : TestHttpServer(Options{}) {}

int TestHttpServer::OnServerName(void* ssl, int*, void* self) {
  auto* server = static_cast<TestHttpServer*>(self);
  const char* name = SSL_get_servername(static_cast<SSL*>(ssl), TLSEXT_NAMETYPE_host_name);
  std::lock_guard<std::mutex> lock(server->mutex_);
  server->server_names_.push_back(name != nullptr ? name : "");
  return SSL_TLSEXT_ERR_OK;
}

TestHttpServer::TestHttpServer(Options options) : TestHttpServer(std::move(options), Tls{}) {}

TestHttpServer::TestHttpServer(Tls tls, const std::string& address)
    : TestHttpServer(Options{address, true}, std::move(tls)) {}

TestHttpServer::TestHttpServer(Options options, Tls tls)
    : options_(std::move(options)), tls_(std::move(tls)), server_(MakeServer(options_, tls_)) {
  if (options_.tls) {
    SSL_CTX* ctx = static_cast<httplib::SSLServer&>(*server_).ssl_context();
    SSL_CTX_set_tlsext_servername_callback(
        ctx, reinterpret_cast<int (*)(SSL*, int*, void*)>(&TestHttpServer::OnServerName));
    SSL_CTX_set_tlsext_servername_arg(ctx, this);
  }
  const auto handler = [this](const httplib::Request& in, httplib::Response& out) {
    Request request{in.method, in.path, {}, in.body};
    for (const auto& [name, value] : in.headers) request.headers.emplace(Lower(name), value);
    const Route route = Answer(std::move(request));
    out.status = route.status;
    if (!route.location.empty()) out.set_header("Location", route.location);
    if (route.custom) {
      for (const auto& [name, value] : route.headers) out.set_header(name, value);
      out.set_content(route.body, "text/plain");
    } else if (out.status != 204 && out.status != 304) {
      out.set_content("status " + std::to_string(out.status) + "\n", "text/plain");
    }
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.address);
  } else {
    port_ = server_->bind_to_port(options_.address, options_.port) ? options_.port : -1;
  }
  if (port_ < 0) {
    throw std::runtime_error("cannot listen on " + options_.address + ":" +
                             std::to_string(options_.port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the server runs.
  if (!WaitUntil([this] { return server_->is_running(); }, std::chrono::seconds(10))) {
    throw std::runtime_error("the test HTTP server did not start");
  }
}

TestHttpServer::~TestHttpServer() {
  server_->stop();
  thread_.join();
}

void TestHttpServer::SetStatus(const std::string& path, int status, const std::string& location) {
  std::lock_guard<std::mutex> lock(mutex_);
  Route route;
  route.status = status;
  route.location = location;
  route.host = routes_[path].host;
  routes_[path] = std::move(route);
}

void TestHttpServer::SetResponse(const std::string& path, int status, const std::string& body,
                                 std::vector<std::pair<std::string, std::string>> headers) {
  std::lock_guard<std::mutex> lock(mutex_);
  Route& route = routes_[path];
  route.status = status;
  route.custom = true;
  route.body = body;
  route.headers = std::move(headers);
}

std::vector<std::string> TestHttpServer::server_names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return server_names_;
}

void TestHttpServer::RequireHost(const std::string& path, const std::string& host) {
  std::lock_guard<std::mutex> lock(mutex_);
  routes_[path].host = host;
}

TestHttpServer::Route TestHttpServer::Answer(Request request) {
  Route answer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto route = routes_.find(request.path);
    if (route != routes_.end()) answer = route->second;
    if (!answer.host.empty() && request.Header("Host") != answer.host) {
      answer = Route{};
      answer.status = 400;
    }
    requests_.push_back(std::move(request));
  }
  request_came_.notify_all();
  return answer;
}

std::vector<TestHttpServer::Request> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

size_t TestHttpServer::request_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_.size();
}

bool TestHttpServer::WaitForRequests(size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return request_came_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

std::vector<std::unique_ptr<TestHttpServer>> TestHttpServer::OnOnePort(
    const std::vector<std::string>& addresses) {
  for (int attempt = 0;; ++attempt) {
    std::vector<std::unique_ptr<TestHttpServer>> servers;
    try {
      for (const std::string& address : addresses) {
        const int port = servers.empty() ? 0 : servers.front()->port();
        servers.push_back(std::make_unique<TestHttpServer>(Options{address, false, port}));
      }
      return servers;
    } catch (const std::runtime_error&) {
      // The port was taken on another address: try another one.
      if (attempt == 20) throw;
    }
  }
}

}  // namespace vigil::testing
