// HttpServer: a small HTTP/1.1 server that no client can starve, on
// libmicrohttpd. Every connection lives on one event loop (libmicrohttpd's
// epoll thread); what is slow runs elsewhere:
//
// - a route runs on the loop (cheap answers: /healthz) or on a WorkerPool
//   its owner adds (lists, /metrics, a reload), from a bounded queue: a full
//   queue is a 503 at once, never a pile-up;
// - a stream answer (a watch) holds no thread: its connection is suspended
//   while its ResponseStream has nothing to say, and a pump thread pulls the
//   streams when WakeStreams() says their source changed (or a stream's
//   WakeAt() comes), then resumes those that have something to send;
// - a "shared" route (/metrics) runs once for all the requests that arrive
//   while it runs, and they all get the same answer, held in memory once.
//
// Limits (HttpServerOptions): connections in all and per client address; the
// request head (target, header bytes and count), the body (a Content-Length
// over the limit is a 413 before any of it is read; a chunked upload a 411),
// deadlines for the request head and for the whole request, an idle timeout,
// the bytes held by answers not yet sent (beyond: 503), and a stream whose
// client stops reading is dropped once its unsent bytes stay past a bound
// for a while.
// Requests pipelined on a connection are answered in order. A Range header
// is never interpreted: the answer is the whole body.
//
// Thread-safety: AddPool and AddRoute before Start, from one thread. Start,
// Stop, port(), WakeStreams() and the counters may then be called from any
// thread. Handlers run on the loop or on their pool's threads, concurrently
// with each other; a handler must not block for long on the loop, and must
// return promptly once its owner stops (Stop waits for running handlers).
// Stop() (or the destructor) is graceful: no new connection is accepted,
// every stream gets its last words (Pull with `stopping`) and its clean end,
// bounded by stop_grace, then every connection is closed.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/api/http_message.h"
#include "common/status.h"
#include "config/address.h"

namespace vigil {

struct HttpServerOptions {
  // Connections open at once; at the cap, new ones wait in the kernel's
  // backlog (listen_backlog) until one closes.
  size_t max_connections = 4096;
  // Connections open at once from one client address; beyond, a new one
  // is closed at once.
  size_t max_connections_per_ip = 1024;
  int listen_backlog = 1024;
  // Memory of each connection: the request line and headers must fit in
  // it (with room for reading and writing), else 414 or 431.
  size_t connection_memory = 32 * 1024;
  size_t max_target_bytes = 8 * 1024;  // else 414
  size_t max_header_count = 100;       // else 431
  size_t max_body_bytes = 64 * 1024;   // else 413
  // Bodies of answers held in memory until sent (a shared answer counts
  // once); while more is held, requests to pool routes are a 503.
  size_t max_buffered_bytes = 64 * 1024 * 1024;
  // From a connection's start, or the end of its previous answer (an idle
  // keep-alive connection), until the whole request head is in.
  std::chrono::milliseconds header_timeout = std::chrono::seconds(5);
  // From the request head until its answer is sent: body, waiting for a
  // worker, handling, sending. Not for streams.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(60);
  // A connection on which no byte moves for this long is closed (a stream
  // waiting for its source does not count: it is not sending).
  std::chrono::seconds idle_timeout = std::chrono::seconds(30);
  // A stream's socket send buffer, and the unsent bytes (in the kernel)
  // beyond which a stream gets nothing more until its client reads; a
  // stream stuck beyond them for stream_stall_timeout is dropped.
  size_t stream_send_buffer = 64 * 1024;
  size_t stream_max_unsent = 32 * 1024;
  std::chrono::milliseconds stream_stall_timeout = std::chrono::seconds(10);
  // How long Stop() lets streams deliver their last words.
  std::chrono::milliseconds stop_grace = std::chrono::seconds(2);
  // The Server header of every answer; none when empty.
  std::string server_header;
  // The body of the answers the server makes itself (404, 405, 400, 411,
  // 413, 414, 431, 500, 503) and of nothing else. By default plain text.
  std::function<HttpResponse(std::string_view path, int status, const std::string& message)>
      error_page;
  // Told of every answer as it is queued (a stream as it begins), with its
  // route's dialect ("other" when no route matched) and status; also of
  // libmicrohttpd's own (431, 400). Called on the loop thread.
  std::function<void(const std::string& dialect, int status)> on_answer;
};

struct HttpRoute {
  std::string method;   // "GET", "POST", …; a GET route answers HEAD too
  std::string pattern;  // "/vigil/v1/endpoints/{name}"
  std::string dialect = "other";
  std::function<HttpResponse(const HttpRequest&)> handler;
  // Where the handler runs: kOnLoop, or a pool's id from AddPool.
  int pool = -1;
  // Concurrent requests share one run of the handler and its answer: for
  // an answer that depends on nothing in the request but the route (must
  // not be a stream). Needs a pool.
  bool shared = false;
};

class HttpServer {
 public:
  static constexpr int kOnLoop = -1;

  struct Counters {
    uint64_t deadline_closes = 0;  // connections closed at a header or request deadline
    uint64_t stream_drops = 0;     // streams dropped: their client did not read
    uint64_t busy_refusals = 0;    // 503s: a pool's queue full, or too much held
    uint64_t shared_joins = 0;     // requests of a shared route that joined a run under way
  };

  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // A pool of `threads` for routes, with at most `max_queued` requests
  // waiting; returns its id.
  int AddPool(std::string name, size_t threads, size_t max_queued);
  void AddRoute(HttpRoute route);

  // Binds `address` (port 0: any free port) and starts serving. An error
  // says where and why ("cannot listen on 127.0.0.1:9476: Address already
  // in use").
  Status Start(const ListenAddress& address);
  void Stop();

  // The streams' source changed: pull every waiting stream. Cheap (a flag
  // and a wake-up of the pump); safe from any thread.
  void WakeStreams();

  // The bound port, once started.
  int port() const;
  // Stream answers open now.
  size_t streams() const;
  Counters counters() const;

  class Impl;  // the libmicrohttpd side (http_server.cc)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
