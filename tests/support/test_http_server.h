// An HTTP(S) server on a loopback address and an ephemeral port, for tests
// that probe or call a real server: it answers every GET, HEAD, POST and PUT
// with the status set for the request's path (200 by default; a 3xx can
// carry a Location), or with a whole response set for it (status, body,
// headers), and records each request, body included. Built on cpp-httplib;
// with `tls` it serves HTTPS with a self-signed certificate made at start,
// or the given one, can require a client certificate, and records the
// server name (SNI) each connection asked for.
//
// Thread-safe: the test changes statuses and reads requests while the
// server's threads answer. Stops when destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
}

namespace vigil::testing {

class TestHttpServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";  // or another 127.x.y.z, or "::1"
    bool tls = false;  // with a self-signed certificate for "localhost", made at start
    int port = 0;      // 0: an ephemeral port; else this one (several addresses may share it)
  };

  // HTTPS with a certificate of the test's own.
  struct Tls {
    std::string cert_file;  // PEM
    std::string key_file;
    // When set, a client certificate this CA (PEM file) signed is required.
    std::string client_ca_file;
  };

  struct Request {
    std::string method;
    std::string path;
    std::multimap<std::string, std::string> headers;  // names lowercased
    std::string body;

    // The first value of header `name` (any case), or "" when absent.
    std::string Header(const std::string& name) const;
    size_t HeaderCount(const std::string& name) const;
  };

  TestHttpServer();
  explicit TestHttpServer(Options options);
  explicit TestHttpServer(Tls tls, const std::string& address = "127.0.0.1");
  ~TestHttpServer();

  // One server on each of `addresses`, all on the same ephemeral port (as
  // the replicas of a service with one port).
  static std::vector<std::unique_ptr<TestHttpServer>> OnOnePort(
      const std::vector<std::string>& addresses);

  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  const std::string& address() const { return options_.address; }
  int port() const { return port_; }

  // From now on, `path` answers `status`, with a Location header when
  // `location` is not empty.
  void SetStatus(const std::string& path, int status, const std::string& location = "");
  // From now on, `path` answers 400 to a request whose Host is not `host`.
  void RequireHost(const std::string& path, const std::string& host);
  // From now on, `path` answers `status` with `body` and these headers.
  void SetResponse(const std::string& path, int status, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> headers = {});

  // TLS: the server name each handshake asked for, in order ("" for none).
  std::vector<std::string> server_names() const;

  std::vector<Request> requests() const;
  size_t request_count() const;
  // Waits until at least `count` requests have come; false after `timeout`.
  bool WaitForRequests(size_t count, std::chrono::milliseconds timeout) const;

 private:
  struct Route {
    int status = 200;
    std::string location;
    std::string host;     // required, when not empty
    bool custom = false;  // body and headers below, rather than "status N"
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  // The route that answers `request` (recorded), with a 400 for a wrong Host.
  Route Answer(Request request);
  static int OnServerName(void* ssl, int* alert, void* self);

  TestHttpServer(Options options, Tls tls);

  const Options options_;
  const Tls tls_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = -1;
  std::thread thread_;

  mutable std::mutex mutex_;
  mutable std::condition_variable request_came_;
  std::map<std::string, Route> routes_;    // GUARDED_BY(mutex_)
  std::vector<Request> requests_;          // GUARDED_BY(mutex_)
  std::vector<std::string> server_names_;  // GUARDED_BY(mutex_)
};

}  // namespace vigil::testing
