// HttpSession: vigil's HTTP/1.1 client connection to one server it does not
// control (an etcd member, the agent the CLI talks to), on libcurl: one
// request at a time, the connection kept alive between requests, and a
// request in flight that another thread can wake (to cancel it) at once.
//
// Hardened against whatever the server sends: no proxy from the
// environment, no redirects, no compression, http:// and https:// only;
// a header line over kMaxHeaderLineBytes or headers (with trailers) over
// kMaxHeaderBytes end the request; a body over `max_body_bytes` is refused
// (at once when its Content-Length says so); every wait is bounded by the
// request's timeouts or by `keep_going`. The caller reads the body as it
// comes and decides what more to refuse.
//
// Thread-safety: Perform from one thread at a time; Wake from any thread,
// while the session lives.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace vigil {

class HttpSession {
 public:
  static constexpr size_t kMaxHeaderLineBytes = 8 * 1024;
  static constexpr size_t kMaxHeaderBytes = 64 * 1024;

  struct Request {
    std::string method = "GET";  // or "POST"
    std::string url;             // http:// or https://
    std::string body;            // POSTed, with `content_type`
    std::string content_type = "application/json";
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds timeout{0};  // the whole exchange, connecting included; 0: none
    uint64_t max_body_bytes = 0;           // 0: no cap here
    bool keep_alive = true;                // false: close the connection after the request
    // Each piece of the body as it comes, with the answer's HTTP status;
    // false stops the request (kStopped).
    std::function<bool(int http_status, std::string_view data)> on_body;
    // Asked after every Wake() and at least every `tick`; false stops the
    // request (kStopped).
    std::function<bool()> keep_going;
    std::chrono::milliseconds tick{1000};
  };

  enum class Failure {
    kNone,
    kBadUrl,          // not an http:// or https:// URL
    kCannotConnect,   // refused, unreachable, or the name does not resolve
    kConnectTimeout,  // no connection within connect_timeout
    kTimeout,         // connected, but no complete answer within `timeout`
    kClosed,          // the connection closed or broke before the answer was complete
    kNotHttp,         // the answer is not HTTP/1.x
    kHeaderTooLarge,  // a header line or all the headers over the caps
    kBodyTooLarge,    // the body is over max_body_bytes
    kStopped,         // on_body or keep_going said to stop
    kOther,           // anything else: `error` says what
  };
  struct Outcome {
    Failure failure = Failure::kNone;
    int http_status = 0;  // the answer's; 0 when no status line came
    uint64_t body_bytes = 0;
    std::string error;  // libcurl's words, for a failure
    bool ok() const { return failure == Failure::kNone; }
  };

  HttpSession();
  ~HttpSession();

  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  Outcome Perform(const Request& request);
  // Any thread: makes the Perform in flight ask `keep_going` now.
  void Wake();

  // Appends `data` to `body`, growing it by doubling but never past `cap`,
  // so that a body read up to the cap holds no more memory than the cap.
  static void AppendCapped(std::string* body, std::string_view data, size_t cap);

  // Whether `url` is one Perform takes ("http://host[:port][/...]" or
  // https://).
  static bool ValidUrl(const std::string& url);

 private:
  struct Transfer;
  static size_t OnHeader(char* line, size_t size, size_t count, void* transfer);
  static size_t OnBody(char* data, size_t size, size_t count, void* transfer);

  void* easy_ = nullptr;   // CURL*
  void* multi_ = nullptr;  // CURLM*
  bool initialized_ = false;
};

}  // namespace vigil
