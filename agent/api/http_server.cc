#include "agent/api/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/api/http_router.h"
#include "agent/api/log_rate_limiter.h"
#include "agent/api/worker_pool.h"

namespace vigil {
namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
constexpr TimePoint kNever = TimePoint::max();
// How often a stream whose client is behind is looked at again.
constexpr auto kStallPoll = std::chrono::milliseconds(100);

// The buffer libmicrohttpd asks a stream to fill, at most.
constexpr size_t kStreamBlock = 16 * 1024;
// How often deadlines are checked: a connection lives at most this much
// past its deadline.
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
// The pump's epoll data for its own wake-up; streams are numbered from 1.
constexpr uint64_t kPumpWakeId = 0;

std::string Where(const ListenAddress& address) {
  const std::string host = address.host.empty() ? "0.0.0.0" : address.host;
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(address.port);
}

// A bound, listening, non-blocking socket for `address`.
Result<int> Listen(const ListenAddress& address, int backlog) {
  const std::string host = address.host.empty() ? "0.0.0.0" : address.host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (const int e = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); e != 0) {
    return Status::Error("cannot listen on " + Where(address) + ": " + gai_strerror(e));
  }
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int error = fd < 0 ? errno : 0;
  if (fd >= 0) {
    // SO_REUSEADDR allows a quick restart; no SO_REUSEPORT, which would let
    // a second agent share the port unnoticed.
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
      error = errno;
      close(fd);
    }
  }
  freeaddrinfo(found);
  if (error != 0)
    return Status::Error("cannot listen on " + Where(address) + ": " + strerror(error));
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

std::string PeerAddress(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = "";
  const sockaddr* addr = info->client_addr;
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
  } else if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text, sizeof text);
  }
  return text;
}

int ConnectionFd(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  return info == nullptr ? -1 : info->connect_fd;
}

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(cls);
  std::string name = key;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  (*headers)[std::move(name)] = value == nullptr ? "" : value;
  return MHD_YES;
}

HttpResponse PlainError(int status, const std::string& message) {
  return HttpResponse(status, "text/plain; charset=utf-8", message + "\n");
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const auto it = headers.find(key);
  return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::Capture(const std::string& name) const {
  const auto it = captures.find(name);
  return it == captures.end() ? "" : it->second;
}

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions options) : options_(std::move(options)), log_limit_(0.2, 5) {}
  ~Impl() { Stop(); }

  int AddPool(std::string name, size_t threads, size_t max_queued) {
    pools_.push_back(std::make_unique<WorkerPool>(std::move(name), threads, max_queued));
    return static_cast<int>(pools_.size()) - 1;
  }

  void AddRoute(HttpRoute route) {
    router_.Add(route.method, route.pattern, static_cast<int>(routes_.size()));
    routes_.push_back(std::move(route));
    shared_.push_back(std::make_unique<SharedGroup>());
  }

  Status Start(const ListenAddress& address);
  void Stop();

  void WakeStreams() {
    {
      std::lock_guard<std::mutex> lock(pump_mutex_);
      wake_all_ = true;
    }
    WakePump();
  }

  int port() const { return port_; }
  size_t streams() const { return open_streams_.load(); }
  Counters counters() const {
    return {deadline_closes_.load(), stream_drops_.load(), busy_refusals_.load(),
            shared_joins_.load()};
  }

 private:
  // One request, from its request line to its answer's end: libmicrohttpd's
  // request context. Touched by the loop thread only, except `answer` and
  // `shared_answer`, which a worker sets while the connection is suspended.
  struct Request {
    std::string target;
    std::string method;
    bool head_seen = false;
    int route = -1;
    std::string dialect = "other";
    std::vector<std::string> segments;
    std::map<std::string, std::string> captures;
    std::optional<HttpResponse> pending;  // decided at the head, sent at the end
    std::string body;
    std::optional<HttpResponse> answer;           // from a worker
    std::shared_ptr<MHD_Response> shared_answer;  // from a shared route's run
    int shared_status = 0;
    bool counted = false;  // on_answer was told
  };

  // A stream answer. `source` is pulled by the pump thread only; the rest
  // is guarded by `mutex`.
  struct Stream {
    uint64_t id = 0;
    MHD_Connection* connection = nullptr;
    int fd = -1;
    std::unique_ptr<ResponseStream> source;
    TimePoint wake_at = kNever;  // the pump's own

    std::mutex mutex;
    std::string pending;                     // pulled, not yet given to libmicrohttpd
    size_t offset = 0;                       // of pending, given
    bool parked = false;                     // the connection is suspended, waiting for the pump
    bool ended = false;                      // the source said its last word
    bool hangup = false;                     // the client closed its end
    bool closed = false;                     // libmicrohttpd is done with it
    std::optional<TimePoint> stalled_since;  // its client last took some of what it has
    size_t stalled_unsent = 0;               // what was left unsent then
  };
  struct StreamRef {
    Impl* server;
    std::shared_ptr<Stream> stream;
  };

  // The requests of a shared route waiting for its one run.
  struct SharedGroup {
    std::mutex mutex;
    bool running = false;
    std::vector<std::pair<MHD_Connection*, Request*>> waiters;
  };

  struct Body {
    Impl* server;
    std::string bytes;
  };

  struct ConnectionState {
    int fd = -1;
    TimePoint deadline = kNever;
  };

  // libmicrohttpd's callbacks.
  static MHD_Result OnRequest(void* cls, MHD_Connection* c, const char* url, const char* method,
                              const char* version, const char* upload, size_t* upload_size,
                              void** req_cls);
  static void* OnUri(void* cls, const char* uri, MHD_Connection* c);
  static void OnCompleted(void* cls, MHD_Connection* c, void** req_cls,
                          MHD_RequestTerminationCode code);
  static void OnConnection(void* cls, MHD_Connection* c, void** socket_context,
                           MHD_ConnectionNotificationCode code);
  static void OnLog(void* cls, const char* format, va_list args);
  static ssize_t ReadStream(void* cls, uint64_t position, char* buffer, size_t max);
  static void FreeStream(void* cls);
  static void FreeBody(void* cls);

  MHD_Result OnHead(MHD_Connection* c, Request* r, const char* method);
  MHD_Result Answer(MHD_Connection* c, Request* r);
  MHD_Result Offload(MHD_Connection* c, Request* r, const HttpRoute& route, HttpRequest request);
  MHD_Result JoinShared(MHD_Connection* c, Request* r, const HttpRoute& route, HttpRequest request);
  // Queues `response` as the answer of the request `r` on `c`.
  MHD_Result Queue(MHD_Connection* c, Request* r, HttpResponse response);
  MHD_Result StartStream(MHD_Connection* c, Request* r, HttpResponse response);
  // Queues `mr` and tells on_answer.
  MHD_Result Send(MHD_Connection* c, Request* r, int status, MHD_Response* mr);
  // A whole answer as libmicrohttpd's, or null.
  MHD_Response* MakeResponse(HttpResponse& response);
  void AddHeaders(MHD_Response* mr, const HttpResponse& response) const;
  HttpResponse Error(std::string_view path, int status, const std::string& message) const;
  HttpResponse Busy(std::string_view path);
  HttpResponse Run(const HttpRoute& route, const HttpRequest& request) const;

  void SetDeadline(MHD_Connection* c, TimePoint deadline);
  void Sweep();

  void Kick(uint64_t id);
  void WakePump();
  void Pump();
  void PullInto(Stream& s, bool stopping, TimePoint now);

  const HttpServerOptions options_;
  std::vector<HttpRoute> routes_;
  std::vector<std::unique_ptr<SharedGroup>> shared_;  // by route
  HttpRouter router_;
  std::vector<std::unique_ptr<WorkerPool>> pools_;

  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> serving_{false};  // started: libmicrohttpd's messages are about clients

  std::mutex connections_mutex_;
  std::unordered_map<MHD_Connection*, ConnectionState>
      connections_;  // GUARDED_BY(connections_mutex_)
  std::thread sweeper_;
  std::mutex sweep_mutex_;
  std::condition_variable sweep_wake_;
  bool sweep_stop_ = false;  // GUARDED_BY(sweep_mutex_)

  std::mutex streams_mutex_;
  std::unordered_map<uint64_t, std::shared_ptr<Stream>> streams_;  // GUARDED_BY(streams_mutex_)
  uint64_t next_stream_id_ = 1;                                    // loop thread only
  std::atomic<size_t> open_streams_{0};
  std::mutex streams_gone_mutex_;
  std::condition_variable streams_gone_;
  // After the stop grace: no stream may wait any more.
  std::atomic<bool> streams_final_{false};

  int pump_epoll_ = -1;
  int pump_event_ = -1;
  std::thread pump_;
  std::mutex pump_mutex_;
  std::vector<uint64_t> kicked_;  // GUARDED_BY(pump_mutex_)
  bool wake_all_ = false;         // GUARDED_BY(pump_mutex_)
  bool pump_stopping_ = false;    // GUARDED_BY(pump_mutex_)
  bool pump_final_ = false;       // GUARDED_BY(pump_mutex_)

  std::atomic<size_t> buffered_bytes_{0};
  std::atomic<uint64_t> deadline_closes_{0};
  std::atomic<uint64_t> stream_drops_{0};
  std::atomic<uint64_t> busy_refusals_{0};
  std::atomic<uint64_t> shared_joins_{0};

  std::mutex log_mutex_;
  LogRateLimiter log_limit_;  // GUARDED_BY(log_mutex_)
};

// ---------------------------------------------------------------------------
// Start and stop

Status HttpServer::Impl::Start(const ListenAddress& address) {
  Result<int> listen_fd = Listen(address, options_.listen_backlog);
  if (!listen_fd.ok()) return listen_fd.status();
  port_ = BoundPort(*listen_fd);

  pump_epoll_ = epoll_create1(EPOLL_CLOEXEC);
  pump_event_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = kPumpWakeId;
  if (pump_epoll_ < 0 || pump_event_ < 0 ||
      epoll_ctl(pump_epoll_, EPOLL_CTL_ADD, pump_event_, &wake) != 0) {
    const std::string reason = strerror(errno);
    close(*listen_fd);
    if (pump_epoll_ >= 0) close(pump_epoll_);
    if (pump_event_ >= 0) close(pump_event_);
    pump_epoll_ = pump_event_ = -1;
    return Status::Error("cannot serve on " + Where(address) + ": " + reason);
  }

  daemon_ = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, nullptr,
      nullptr, &OnRequest, this,  //
      // First, so that libmicrohttpd's messages about the options come here too.
      MHD_OPTION_EXTERNAL_LOGGER, &OnLog, this,                                      //
      MHD_OPTION_LISTEN_SOCKET, *listen_fd,                                          //
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(options_.max_connections),  //
      MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned>(options_.max_connections_per_ip),                               //
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(options_.connection_memory),  //
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(options_.idle_timeout.count()),  //
      MHD_OPTION_URI_LOG_CALLBACK, &OnUri, this,                                            //
      MHD_OPTION_NOTIFY_COMPLETED, &OnCompleted, this,                                      //
      MHD_OPTION_NOTIFY_CONNECTION, &OnConnection, this,                                    //
      MHD_OPTION_END);
  if (daemon_ == nullptr) {
    close(*listen_fd);
    close(pump_epoll_);
    close(pump_event_);
    pump_epoll_ = pump_event_ = -1;
    return Status::Error("cannot serve on " + Where(address) + ": libmicrohttpd did not start");
  }
  serving_ = true;
  sweeper_ = std::thread([this] { Sweep(); });
  pump_ = std::thread([this] { Pump(); });
  return Status::Ok();
}

void HttpServer::Impl::Stop() {
  if (daemon_ == nullptr) {
    for (auto& pool : pools_) pool->Stop();
    return;
  }
  stopping_ = true;
  // No new connections; those open go on.
  if (const MHD_socket fd = MHD_quiesce_daemon(daemon_); fd != MHD_INVALID_SOCKET) close(fd);

  // Every stream's last words, then its clean end, within the grace.
  {
    std::lock_guard<std::mutex> lock(pump_mutex_);
    pump_stopping_ = true;
  }
  WakePump();
  {
    std::unique_lock<std::mutex> lock(streams_gone_mutex_);
    streams_gone_.wait_for(lock, options_.stop_grace, [&] { return open_streams_.load() == 0; });
  }
  // Streams still open (their client does not read) are cut; none waits.
  streams_final_ = true;
  {
    std::lock_guard<std::mutex> lock(pump_mutex_);
    pump_final_ = true;
  }
  WakePump();
  pump_.join();

  // Requests waiting for a worker get a 503; those running finish.
  for (auto& pool : pools_) pool->Stop();
  {
    std::lock_guard<std::mutex> lock(sweep_mutex_);
    sweep_stop_ = true;
  }
  sweep_wake_.notify_all();
  sweeper_.join();

  // Nothing is suspended any more: libmicrohttpd may stop (it must not with
  // suspended connections).
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
  close(pump_epoll_);
  close(pump_event_);
  pump_epoll_ = pump_event_ = -1;
}

// ---------------------------------------------------------------------------
// Requests

void* HttpServer::Impl::OnUri(void*, const char* uri, MHD_Connection*) {
  auto* r = new Request;
  r->target = uri == nullptr ? "" : uri;
  return r;
}

MHD_Result HttpServer::Impl::OnRequest(void* cls, MHD_Connection* c, const char* url,
                                       const char* method, const char*, const char* upload,
                                       size_t* upload_size, void** req_cls) {
  auto* self = static_cast<Impl*>(cls);
  auto* r = static_cast<Request*>(*req_cls);
  if (r == nullptr) {
    r = new Request;
    r->target = url;
    *req_cls = r;
  }
  if (!r->head_seen) return self->OnHead(c, r, method);
  if (*upload_size > 0) {
    // The Content-Length was checked at the head and chunked uploads are
    // refused, so this holds; if not, the connection goes.
    if (r->body.size() + *upload_size > self->options_.max_body_bytes) return MHD_NO;
    r->body.append(upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  return self->Answer(c, r);
}

MHD_Result HttpServer::Impl::OnHead(MHD_Connection* c, Request* r, const char* method) {
  r->head_seen = true;
  r->method = method;
  SetDeadline(c, Clock::now() + options_.request_timeout);
  const TargetParts parts = SplitTarget(r->target);

  // An answer queued now, at the head, makes libmicrohttpd read no body and
  // close the connection after it: right for what refuses the request, so
  // only those are answered here. Everything else is answered once the
  // (empty) body is in, which keeps the connection and its pipelined
  // requests.
  if (r->target.size() > options_.max_target_bytes) {
    return Queue(c, r,
                 Error(parts.path.substr(0, 64), 414,
                       "the request target is longer than " +
                           std::to_string(options_.max_target_bytes) + " bytes"));
  }
  if (MHD_get_connection_values(c, MHD_HEADER_KIND, nullptr, nullptr) >
      static_cast<int>(options_.max_header_count)) {
    return Queue(c, r,
                 Error(parts.path, 431,
                       "the request has more than " + std::to_string(options_.max_header_count) +
                           " header fields"));
  }
  const char* length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  const char* encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
  // libmicrohttpd answered 400 itself to a Content-Length that is no number.
  const uint64_t body_bytes = length == nullptr ? 0 : std::strtoull(length, nullptr, 10);

  Result<std::vector<std::string>> segments = DecodePathSegments(parts.path);
  if (!segments.ok()) {
    r->pending = Error(parts.path, 400, "malformed request target: " + segments.status().message());
  } else {
    HttpRouter::Match match = router_.Find(r->method, *segments);
    switch (match.kind) {
      case HttpRouter::Match::Kind::kFound:
        r->route = match.route;
        r->dialect = routes_[match.route].dialect;
        r->segments = std::move(segments).value();
        r->captures = std::move(match.captures);
        break;
      case HttpRouter::Match::Kind::kNotFound:
        r->pending = Error(parts.path, 404, "the server could not find " + std::string(parts.path));
        break;
      case HttpRouter::Match::Kind::kMethodNotAllowed:
        r->pending = Error(parts.path, 405,
                           "method " + r->method + " is not allowed on " + std::string(parts.path));
        r->pending->headers.emplace_back("Allow", match.allow);
        break;
    }
  }
  if (encoding != nullptr) {
    // A chunked body cannot be refused with a status once libmicrohttpd
    // reads it; and no route needs one.
    return Queue(c, r,
                 Error(parts.path, 411,
                       "a request body needs a Content-Length (chunked uploads are not "
                       "accepted)"));
  }
  if (body_bytes > options_.max_body_bytes) {
    return Queue(c, r,
                 Error(parts.path, 413,
                       "the request body is larger than " +
                           std::to_string(options_.max_body_bytes) + " bytes"));
  }
  // A refused request with a body: answer before reading it.
  if (r->pending && body_bytes > 0) return Queue(c, r, std::move(*r->pending));
  return MHD_YES;
}

MHD_Result HttpServer::Impl::Answer(MHD_Connection* c, Request* r) {
  if (r->shared_answer != nullptr) return Send(c, r, r->shared_status, r->shared_answer.get());
  if (r->answer) {
    HttpResponse answer = std::move(*r->answer);
    r->answer.reset();
    return Queue(c, r, std::move(answer));
  }
  if (r->pending) {
    HttpResponse pending = std::move(*r->pending);
    r->pending.reset();
    return Queue(c, r, std::move(pending));
  }

  HttpRequest request;
  request.method = r->method;
  request.target = r->target;
  const TargetParts parts = SplitTarget(r->target);
  request.path = std::string(parts.path);
  Result<QueryParams> query = ParseQueryString(parts.query);
  if (!query.ok()) {
    return Queue(c, r,
                 Error(parts.path, 400, "malformed request target: " + query.status().message()));
  }
  request.query = std::move(query).value();
  request.segments = std::move(r->segments);
  request.captures = std::move(r->captures);
  MHD_get_connection_values(c, MHD_HEADER_KIND, &CollectHeader, &request.headers);
  request.body = std::move(r->body);
  request.peer = PeerAddress(c);

  const HttpRoute& route = routes_[r->route];
  if (route.pool == kOnLoop) return Queue(c, r, Run(route, request));
  if (buffered_bytes_.load() > options_.max_buffered_bytes) return Queue(c, r, Busy(parts.path));
  if (route.shared) return JoinShared(c, r, route, std::move(request));
  return Offload(c, r, route, std::move(request));
}

MHD_Result HttpServer::Impl::Offload(MHD_Connection* c, Request* r, const HttpRoute& route,
                                     HttpRequest request) {
  // Suspended before the task exists, so that its resume always finds the
  // connection suspended.
  MHD_suspend_connection(c);
  auto shared_request = std::make_shared<HttpRequest>(std::move(request));
  WorkerPool::Task task = [this, c, r, &route, shared_request](bool cancelled) {
    r->answer = cancelled ? Error(shared_request->path, 503, "the server is stopping")
                          : Run(route, *shared_request);
    MHD_resume_connection(c);
  };
  if (!pools_[route.pool]->Submit(task)) {
    r->answer = Busy(shared_request->path);
    MHD_resume_connection(c);
  }
  return MHD_YES;
}

MHD_Result HttpServer::Impl::JoinShared(MHD_Connection* c, Request* r, const HttpRoute& route,
                                        HttpRequest request) {
  SharedGroup& group = *shared_[r->route];
  std::lock_guard<std::mutex> lock(group.mutex);
  MHD_suspend_connection(c);
  group.waiters.emplace_back(c, r);
  if (group.running) {
    ++shared_joins_;
    return MHD_YES;  // the run under way answers this one too
  }
  group.running = true;
  auto shared_request = std::make_shared<HttpRequest>(std::move(request));
  WorkerPool::Task task = [this, &group, &route, shared_request](bool cancelled) {
    HttpResponse response = cancelled ? Error(shared_request->path, 503, "the server is stopping")
                                      : Run(route, *shared_request);
    if (response.stream != nullptr) {
      response = Error(shared_request->path, 500, "internal error: a stream on a shared route");
    }
    const int status = response.status;
    std::shared_ptr<MHD_Response> answer(MakeResponse(response), [](MHD_Response* mr) {
      if (mr != nullptr) MHD_destroy_response(mr);
    });
    std::vector<std::pair<MHD_Connection*, Request*>> waiters;
    {
      std::lock_guard<std::mutex> lock(group.mutex);
      waiters.swap(group.waiters);
      group.running = false;
    }
    for (auto& [connection, waiter] : waiters) {
      if (answer != nullptr) {
        waiter->shared_answer = answer;
        waiter->shared_status = status;
      } else {
        waiter->answer = Error(shared_request->path, 500, "internal error: no answer");
      }
      MHD_resume_connection(connection);
    }
  };
  if (!pools_[route.pool]->Submit(task)) {
    group.running = false;
    for (auto& [connection, waiter] : group.waiters) {
      waiter->answer = Busy(shared_request->path);
      MHD_resume_connection(connection);
    }
    group.waiters.clear();
  }
  return MHD_YES;
}

HttpResponse HttpServer::Impl::Run(const HttpRoute& route, const HttpRequest& request) const {
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    return Error(request.path, 500, std::string("internal error: ") + e.what());
  } catch (...) {
    return Error(request.path, 500, "internal error");
  }
}

HttpResponse HttpServer::Impl::Error(std::string_view path, int status,
                                     const std::string& message) const {
  return options_.error_page ? options_.error_page(path, status, message)
                             : PlainError(status, message);
}

HttpResponse HttpServer::Impl::Busy(std::string_view path) {
  ++busy_refusals_;
  HttpResponse response = Error(path, 503, "the server is busy; retry later");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

void HttpServer::Impl::OnCompleted(void* cls, MHD_Connection* c, void** req_cls,
                                   MHD_RequestTerminationCode) {
  auto* self = static_cast<Impl*>(cls);
  auto* r = static_cast<Request*>(*req_cls);
  // What libmicrohttpd answered itself (a 431 for a head beyond the
  // connection's memory, a 400 for a malformed one) is counted here.
  if (self->options_.on_answer && (r == nullptr || !r->counted)) {
    const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    if (info != nullptr) {
      self->options_.on_answer(r != nullptr ? r->dialect : "other",
                               static_cast<int>(info->http_status));
    }
  }
  delete r;
  *req_cls = nullptr;
  // The next request's head, on a kept-alive connection, is due as a new
  // connection's would be.
  self->SetDeadline(c, Clock::now() + self->options_.header_timeout);
}

// ---------------------------------------------------------------------------
// Answers

void HttpServer::Impl::AddHeaders(MHD_Response* mr, const HttpResponse& response) const {
  if (!response.content_type.empty()) {
    MHD_add_response_header(mr, "Content-Type", response.content_type.c_str());
  }
  if (!options_.server_header.empty()) {
    MHD_add_response_header(mr, "Server", options_.server_header.c_str());
  }
  for (const auto& [name, value] : response.headers) {
    MHD_add_response_header(mr, name.c_str(), value.c_str());
  }
}

MHD_Response* HttpServer::Impl::MakeResponse(HttpResponse& response) {
  auto* body = new Body{this, std::move(response.body)};
  buffered_bytes_ += body->bytes.size();
  MHD_Response* mr = MHD_create_response_from_buffer_with_free_callback_cls(
      body->bytes.size(), body->bytes.data(), &FreeBody, body);
  if (mr == nullptr) {
    FreeBody(body);
    return nullptr;
  }
  AddHeaders(mr, response);
  return mr;
}

void HttpServer::Impl::FreeBody(void* cls) {
  auto* body = static_cast<Body*>(cls);
  body->server->buffered_bytes_ -= body->bytes.size();
  delete body;
}

MHD_Result HttpServer::Impl::Queue(MHD_Connection* c, Request* r, HttpResponse response) {
  if (response.stream != nullptr) return StartStream(c, r, std::move(response));
  MHD_Response* mr = MakeResponse(response);
  if (mr == nullptr) return MHD_NO;
  const MHD_Result queued = Send(c, r, response.status, mr);
  MHD_destroy_response(mr);
  return queued;
}

MHD_Result HttpServer::Impl::Send(MHD_Connection* c, Request* r, int status, MHD_Response* mr) {
  const MHD_Result queued = MHD_queue_response(c, static_cast<unsigned>(status), mr);
  if (queued == MHD_YES && options_.on_answer) {
    r->counted = true;
    options_.on_answer(r->dialect, status);
  }
  return queued;
}

// ---------------------------------------------------------------------------
// Streams

MHD_Result HttpServer::Impl::StartStream(MHD_Connection* c, Request* r, HttpResponse response) {
  auto stream = std::make_shared<Stream>();
  stream->id = next_stream_id_++;
  stream->connection = c;
  stream->fd = ConnectionFd(c);
  stream->source = std::move(response.stream);
  // Without a bound the kernel grows a socket's send buffer to megabytes,
  // and a client that stops reading would be noticed only then.
  const int send_buffer = static_cast<int>(options_.stream_send_buffer);
  setsockopt(stream->fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
  {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    streams_[stream->id] = stream;
  }
  // A client that goes away while its stream waits is seen by the pump.
  epoll_event hangup{};
  hangup.events = EPOLLRDHUP | EPOLLONESHOT;
  hangup.data.u64 = stream->id;
  epoll_ctl(pump_epoll_, EPOLL_CTL_ADD, stream->fd, &hangup);
  ++open_streams_;
  SetDeadline(c, kNever);

  auto* ref = new StreamRef{this, stream};
  // An unknown size: chunked with HTTP/1.1, until the close with HTTP/1.0.
  MHD_Response* mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, kStreamBlock, &ReadStream,
                                                       ref, &FreeStream);
  if (mr == nullptr) {
    FreeStream(ref);
    return MHD_NO;
  }
  AddHeaders(mr, response);
  const MHD_Result queued = Send(c, r, response.status, mr);
  MHD_destroy_response(mr);
  return queued;
}

ssize_t HttpServer::Impl::ReadStream(void* cls, uint64_t, char* buffer, size_t max) {
  auto* ref = static_cast<StreamRef*>(cls);
  Impl* self = ref->server;
  Stream& s = *ref->stream;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.offset < s.pending.size()) {
      const size_t n = std::min(max, s.pending.size() - s.offset);
      std::memcpy(buffer, s.pending.data() + s.offset, n);
      s.offset += n;
      return static_cast<ssize_t>(n);
    }
    // Given whole: freed, not kept at the size of its largest pull by
    // every idle stream.
    std::string().swap(s.pending);
    s.offset = 0;
    if (s.ended) return MHD_CONTENT_READER_END_OF_STREAM;
    if (s.hangup || self->streams_final_) return MHD_CONTENT_READER_END_WITH_ERROR;
    MHD_suspend_connection(s.connection);
    s.parked = true;
  }
  // The pump looks at it once more after it parked: a change between its
  // last pull and now is not missed.
  self->Kick(s.id);
  return 0;
}

void HttpServer::Impl::FreeStream(void* cls) {
  auto* ref = static_cast<StreamRef*>(cls);
  Impl* self = ref->server;
  std::shared_ptr<Stream> s = std::move(ref->stream);
  delete ref;
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->closed = true;
  }
  {
    std::lock_guard<std::mutex> lock(self->streams_mutex_);
    self->streams_.erase(s->id);
  }
  epoll_ctl(self->pump_epoll_, EPOLL_CTL_DEL, s->fd, nullptr);
  {
    std::lock_guard<std::mutex> lock(self->streams_gone_mutex_);
    --self->open_streams_;
  }
  self->streams_gone_.notify_all();
}

void HttpServer::Impl::Kick(uint64_t id) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(pump_mutex_);
    first = kicked_.empty();
    kicked_.push_back(id);
  }
  if (first) WakePump();
}

void HttpServer::Impl::WakePump() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = write(pump_event_, &one, sizeof one);
}

void HttpServer::Impl::PullInto(Stream& s, bool stopping, TimePoint now) {
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    // Pulled again only once what it has is sent: a slow client holds one
    // pull's worth, never a queue. It is kicked when it has sent it all.
    if (s.closed || s.ended || s.offset < s.pending.size()) {
      s.wake_at = kNever;
      return;
    }
    // Nor while its socket still holds more than a little of the last: a
    // client reading slowly through a long backlog gets it at its pace; one
    // that takes nothing of it for stream_stall_timeout is dropped rather
    // than kept with what it misses.
    int unsent = 0;
    if (!stopping && ioctl(s.fd, TIOCOUTQ, &unsent) == 0 &&
        static_cast<size_t>(unsent) > options_.stream_max_unsent) {
      if (!s.stalled_since || static_cast<size_t>(unsent) < s.stalled_unsent) {
        s.stalled_since = now;  // first behind, or it took some since
        s.stalled_unsent = static_cast<size_t>(unsent);
      }
      if (now - *s.stalled_since < options_.stream_stall_timeout) {
        s.wake_at = std::min(now + kStallPoll, *s.stalled_since + options_.stream_stall_timeout);
        return;
      }
      ++stream_drops_;
      s.hangup = true;
      s.wake_at = kNever;
      if (s.parked) {
        s.parked = false;
        MHD_resume_connection(s.connection);  // the read callback ends it
      }
      return;
    }
    s.stalled_since.reset();
  }
  std::string out;
  const bool more = s.source->Pull(&out, stopping, now);
  s.wake_at = more ? s.source->WakeAt() : kNever;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.closed) return;
  s.pending.erase(0, s.offset);
  s.offset = 0;
  if (s.pending.empty()) {
    s.pending = std::move(out);
  } else {
    s.pending += out;
  }
  if (!more) s.ended = true;
  if (s.parked && (!s.pending.empty() || s.ended)) {
    s.parked = false;
    MHD_resume_connection(s.connection);
  }
}

void HttpServer::Impl::Pump() {
  std::vector<epoll_event> events(256);
  int timeout_ms = 1000;
  while (true) {
    const int n =
        epoll_wait(pump_epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    std::vector<uint64_t> hangups;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kPumpWakeId) {
        uint64_t count = 0;
        [[maybe_unused]] const ssize_t got = read(pump_event_, &count, sizeof count);
      } else {
        hangups.push_back(events[i].data.u64);
      }
    }
    std::vector<uint64_t> kicked;
    bool all = false;
    bool stopping = false;
    bool final = false;
    {
      std::lock_guard<std::mutex> lock(pump_mutex_);
      kicked.swap(kicked_);
      all = std::exchange(wake_all_, false);
      stopping = pump_stopping_;
      final = pump_final_;
    }
    const TimePoint now = Clock::now();
    std::vector<std::shared_ptr<Stream>> pull;
    std::vector<std::shared_ptr<Stream>> gone;
    {
      std::lock_guard<std::mutex> lock(streams_mutex_);
      if (all || stopping || final) {
        for (const auto& [id, s] : streams_) pull.push_back(s);
      } else {
        for (const uint64_t id : kicked) {
          if (auto it = streams_.find(id); it != streams_.end()) pull.push_back(it->second);
        }
        for (const auto& [id, s] : streams_) {
          if (s->wake_at <= now) pull.push_back(s);
        }
      }
      for (const uint64_t id : hangups) {
        if (auto it = streams_.find(id); it != streams_.end()) gone.push_back(it->second);
      }
    }
    for (const auto& s : gone) {
      std::lock_guard<std::mutex> lock(s->mutex);
      s->hangup = true;
      if (s->parked && !s->closed) {
        s->parked = false;
        MHD_resume_connection(s->connection);  // libmicrohttpd sees the close and ends it
      }
    }
    if (final) {
      for (const auto& s : pull) {
        std::lock_guard<std::mutex> lock(s->mutex);
        if (s->parked && !s->closed) {
          s->parked = false;
          MHD_resume_connection(s->connection);
        }
      }
      return;
    }
    // A stream kicked twice in one round is pulled once (the second finds
    // what the first got still unsent, or the source without news).
    for (const auto& s : pull) PullInto(*s, stopping, now);

    TimePoint next = now + std::chrono::seconds(1);
    {
      std::lock_guard<std::mutex> lock(streams_mutex_);
      for (const auto& [id, s] : streams_) next = std::min(next, s->wake_at);
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now());
    timeout_ms = static_cast<int>(std::max<int64_t>(0, wait.count()));
  }
}

// ---------------------------------------------------------------------------
// Deadlines: libmicrohttpd has an idle timeout only, which every byte
// resets, so a client sending one byte every few seconds would hold its
// connection forever. A sweeper closes connections past their deadline.

void HttpServer::Impl::OnConnection(void* cls, MHD_Connection* c, void**,
                                    MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<Impl*>(cls);
  std::lock_guard<std::mutex> lock(self->connections_mutex_);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    self->connections_[c] = {ConnectionFd(c), Clock::now() + self->options_.header_timeout};
  } else {
    // Called before libmicrohttpd closes the socket: the sweeper never
    // shuts down a number reused by another connection.
    self->connections_.erase(c);
  }
}

void HttpServer::Impl::SetDeadline(MHD_Connection* c, TimePoint deadline) {
  std::lock_guard<std::mutex> lock(connections_mutex_);
  if (auto it = connections_.find(c); it != connections_.end()) it->second.deadline = deadline;
}

void HttpServer::Impl::Sweep() {
  std::unique_lock<std::mutex> lock(sweep_mutex_);
  while (!sweep_stop_) {
    sweep_wake_.wait_for(lock, kSweepInterval);
    const TimePoint now = Clock::now();
    std::lock_guard<std::mutex> connections_lock(connections_mutex_);
    for (auto& [c, state] : connections_) {
      if (state.deadline > now) continue;
      ++deadline_closes_;
      state.deadline = kNever;
      // libmicrohttpd sees the socket fail and closes the connection.
      shutdown(state.fd, SHUT_RDWR);
    }
  }
}

// ---------------------------------------------------------------------------
// libmicrohttpd's own messages: on the loop thread, so rate-limited into the
// agent's log. Once serving, they are about clients (one that reset, one
// whose head did not fit, one that went away during a stream): debug, as
// the API's answers and metrics tell the rest; before, about starting: errors.

void HttpServer::Impl::OnLog(void* cls, const char* format, va_list args) {
  auto* self = static_cast<Impl*>(cls);
  const spdlog::level::level_enum level =
      self->serving_ ? spdlog::level::debug : spdlog::level::err;
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  uint64_t suppressed = 0;
  {
    std::lock_guard<std::mutex> lock(self->log_mutex_);
    if (!self->log_limit_.Allow(Clock::now(), &suppressed)) return;
  }
  char text[512];
  std::vsnprintf(text, sizeof text, format, args);
  std::string message = text;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (suppressed > 0) {
    spdlog::log(level, "HTTP server: {} ({} messages suppressed)", message, suppressed);
  } else {
    spdlog::log(level, "HTTP server: {}", message);
  }
}

// ---------------------------------------------------------------------------

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpServer::~HttpServer() = default;
int HttpServer::AddPool(std::string name, size_t threads, size_t max_queued) {
  return impl_->AddPool(std::move(name), threads, max_queued);
}
void HttpServer::AddRoute(HttpRoute route) { impl_->AddRoute(std::move(route)); }
Status HttpServer::Start(const ListenAddress& address) { return impl_->Start(address); }
void HttpServer::Stop() { impl_->Stop(); }
void HttpServer::WakeStreams() { impl_->WakeStreams(); }
int HttpServer::port() const { return impl_->port(); }
size_t HttpServer::streams() const { return impl_->streams(); }
HttpServer::Counters HttpServer::counters() const { return impl_->counters(); }

}  // namespace vigil
