#include "probes/probe_engine.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "probes/curl_transfer.h"
#include "probes/exec_probes.h"
#include "probes/grpc_probe.h"
#include "probes/http_probe.h"
#include "probes/probe_messages.h"
#include "probes/socket_probes.h"
#include "probes/tcp_probe.h"

namespace vigil {
namespace {

using Steady = std::chrono::steady_clock;

// The wake handler runs at least this often, so that the loop keeps turning.
constexpr auto kMaxWakeInterval = std::chrono::seconds(1);
// Easy handles kept for reuse: the usual concurrency, not a burst's worth.
constexpr size_t kMaxIdleHandles = 256;
constexpr int kMaxEvents = 256;

// The mark curl keeps for a socket already in the epoll set (curl_multi_assign).
constexpr char kWatched = 0;

// epoll_wait's timeout for a wait of `wait`: whole milliseconds rounded up,
// since waking before a deadline would spin the loop until it comes.
int EpollTimeout(Steady::duration wait) {
  return static_cast<int>(
      std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
}

// Only readiness is passed on, never CURL_CSELECT_ERR: curl would fail with
// "select/poll returned error", while reading the socket itself (0: curl
// checks) gives the errno that the message names.
int CurlEvents(uint32_t events) {
  return ((events & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
         ((events & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0);
}

std::string ErrnoError(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

}  // namespace

class ProbeEngine::Loop {
 public:
  Loop(const Clock& clock, Options options)
      : clock_(clock),
        options_(options),
        event_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        last_turn_(clock.Now()) {}
  ~Loop();

  void SetWakeHandler(WakeHandler handler) { wake_handler_ = std::move(handler); }
  Status Start();
  void Stop();
  void Post(std::function<void()> task);
  void Probe(std::shared_ptr<const PreparedProbe> probe, Done done);
  void WakeAt(Time when);
  void WakeAfterTurn() {
    assert(OnLoopThread());
    wake_after_turn_ = true;
  }
  size_t in_flight() const;
  Time last_turn() const { return last_turn_.load(std::memory_order_relaxed); }

 private:
  // One probe in flight; its address is its easy handle's CURLOPT_PRIVATE.
  struct Transfer {
    std::shared_ptr<const PreparedProbe> probe;
    Done done;
    CURL* easy = nullptr;
    CURLSH* share = nullptr;  // the handle's own connection and DNS caches
    Time started;
    size_t slot = 0;    // its index in active_
    HttpExchange http;  // kHttp only
    GrpcExchange grpc;  // kGrpc only
    char error[CURL_ERROR_SIZE];
  };

  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* watched);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);

  bool OnLoopThread() const { return std::this_thread::get_id() == loop_thread_; }
  void Run();
  int NextTimeout();
  void RunPosted();
  void Reap();
  void Complete(Transfer* transfer, CURLcode code);
  void MaybeWake();
  void Fail(Done done, std::string message);
  // Delivers `result` to `done` on a later turn.
  void Defer(Done done, ProbeResult result);
  // Runs the probe on libcurl; `started` is when it began. A probe the
  // sockets hand over goes on at `redirect`, the first redirect it follows,
  // within its deadline, with the spec's Host when `keep_host`; otherwise
  // (empty) libcurl starts at the first URL.
  void StartCurl(std::shared_ptr<const PreparedProbe> probe, Done done, Time started,
                 const std::string& redirect = "", bool keep_host = true);
  // An easy handle with caches of its own (see AcquireHandle).
  struct Handle {
    CURL* easy = nullptr;
    CURLSH* share = nullptr;
  };

  Handle AcquireHandle();
  void ReleaseHandle(Handle handle);
  static void DestroyHandle(Handle handle);
  void Abandon();

  const Clock& clock_;
  const Options options_;
  const int event_fd_;  // Post() and Stop() wake the loop through it
  WakeHandler wake_handler_;
  bool started_ = false;
  bool curl_initialized_ = false;
  int epoll_fd_ = -1;
  CURLM* multi_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<Time> last_turn_;

  std::mutex mutex_;
  std::vector<std::function<void()>> posted_;  // GUARDED_BY(mutex_)

  // Loop thread only.
  std::thread::id loop_thread_;
  std::unique_ptr<SocketProbes> sockets_;
  std::unique_ptr<ExecProbes> execs_;
  std::optional<Steady::time_point> curl_deadline_;  // curl's single timer
  std::optional<Time> wake_at_;
  bool wake_after_turn_ = false;  // WakeAfterTurn()
  Steady::time_point next_heartbeat_;
  std::vector<std::unique_ptr<Transfer>> active_;
  std::vector<Handle> idle_;                          // reset easy handles, for reuse
  std::vector<std::pair<Transfer*, CURLcode>> done_;  // Reap()'s batch, kept for its capacity
  size_t deferred_errors_ = 0;                        // kError results posted, not yet delivered
};

ProbeEngine::Loop::~Loop() {
  Stop();
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (event_fd_ >= 0) close(event_fd_);
  if (curl_initialized_) curl_global_cleanup();
}

Status ProbeEngine::Loop::Start() {
  if (started_) return Status::Error("the probe engine was already started");
  started_ = true;
  if (event_fd_ < 0) return Status::Error(ErrnoError("eventfd"));
  curl_initialized_ = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!curl_initialized_) return Status::Error("curl_global_init failed");
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Status::Error(ErrnoError("epoll_create1"));
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = static_cast<uint64_t>(event_fd_);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &event) != 0) {
    return Status::Error(ErrnoError("epoll_ctl"));
  }
  multi_ = curl_multi_init();
  if (multi_ == nullptr) return Status::Error("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  sockets_ = std::make_unique<SocketProbes>(
      epoll_fd_, clock_,
      [this](std::shared_ptr<const PreparedProbe> probe, Done done, Time started, std::string url,
             bool keep_host) {
        StartCurl(std::move(probe), std::move(done), started, url, keep_host);
      },
      [this](Done done, ProbeResult result) { Defer(std::move(done), std::move(result)); });
  execs_ = std::make_unique<ExecProbes>(epoll_fd_, clock_, [this](Done done, ProbeResult result) {
    Defer(std::move(done), std::move(result));
  });
  next_heartbeat_ = Steady::now();  // the wake handler's first run is on the first turn
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void ProbeEngine::Loop::Stop() {
  if (!thread_.joinable()) return;
  assert(std::this_thread::get_id() != thread_.get_id() && "Stop() on the loop thread");
  stopping_.store(true, std::memory_order_release);
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(event_fd_, &one, sizeof(one));
  thread_.join();
}

void ProbeEngine::Loop::Post(std::function<void()> task) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    was_empty = posted_.empty();
    posted_.push_back(std::move(task));
  }
  // A non-empty queue has already woken the loop, which has yet to take it.
  if (was_empty) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t written = write(event_fd_, &one, sizeof(one));
  }
}

void ProbeEngine::Loop::Probe(std::shared_ptr<const PreparedProbe> probe, Done done) {
  assert(OnLoopThread());
  if (!probe->invalid.ok()) return Fail(std::move(done), probe->invalid.message());
  if (probe->spec.kind == ProbeSpec::Kind::kExec) {
    return execs_->Start(std::move(probe), std::move(done));
  }
  if (probe->native && options_.native_sockets) {
    return sockets_->Start(std::move(probe), std::move(done));
  }
  StartCurl(std::move(probe), std::move(done), clock_.Now());
}

void ProbeEngine::Loop::StartCurl(std::shared_ptr<const PreparedProbe> probe, Done done,
                                  Time started, const std::string& redirect, bool keep_host) {
  const ProbeSpec& spec = probe->spec;
  const Duration left = started + std::chrono::duration_cast<Duration>(spec.timeout) - clock_.Now();
  if (left <= Duration::zero()) {
    ProbeResult timeout;
    timeout.outcome = ProbeOutcome::kTimeout;
    timeout.message = TimeoutMessage(spec.timeout);
    return Defer(std::move(done), std::move(timeout));
  }
  const Handle handle = AcquireHandle();
  if (handle.easy == nullptr) return Fail(std::move(done), "curl_easy_init failed");
  CURL* easy = handle.easy;
  auto transfer = std::make_unique<Transfer>();
  transfer->done = std::move(done);
  transfer->easy = easy;
  transfer->share = handle.share;
  transfer->started = started;
  SetUpTransfer(easy, left, transfer->error);
  if (spec.kind == ProbeSpec::Kind::kHttp) {
    const bool redirected = !redirect.empty();
    // A redirect handed over follows the first request: its Referer.
    StartHttp(easy, *probe, spec.method, redirected ? redirect : probe->url, Steady::now() + left,
              redirected ? 1 : 0, keep_host, redirected ? probe->referer : "", &transfer->http);
  } else if (spec.kind == ProbeSpec::Kind::kGrpc) {
    StartGrpc(easy, *probe, &transfer->grpc);
  } else {
    StartTcp(easy, spec);
  }
  transfer->probe = std::move(probe);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
  if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
    ReleaseHandle(handle);
    return Fail(std::move(transfer->done), "curl_multi_add_handle failed");
  }
  transfer->slot = active_.size();
  active_.push_back(std::move(transfer));
}

void ProbeEngine::Loop::WakeAt(Time when) {
  assert(OnLoopThread());
  // Rounded up to the quantum: what falls due within one quantum starts in
  // one turn, so the loop sleeps and wakes a few hundred times a second, not
  // once per probe.
  when = Time(std::chrono::ceil<WakeQuantum>(when.time_since_epoch()));
  if (!wake_at_ || when < *wake_at_) wake_at_ = when;
}

size_t ProbeEngine::Loop::in_flight() const {
  assert(OnLoopThread());
  return active_.size() + deferred_errors_ + (sockets_ ? sockets_->in_flight() : 0) +
         (execs_ ? execs_->in_flight() : 0);
}

int ProbeEngine::Loop::OnSocket(CURL*, curl_socket_t fd, int what, void* self, void* watched) {
  auto* loop = static_cast<Loop*>(self);
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(loop->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event event{};
  event.events = ((what & CURL_POLL_IN) != 0 ? uint32_t{EPOLLIN} : 0) |
                 ((what & CURL_POLL_OUT) != 0 ? uint32_t{EPOLLOUT} : 0);
  event.data.u64 = static_cast<uint64_t>(fd);
  if (watched != nullptr) {
    epoll_ctl(loop->epoll_fd_, EPOLL_CTL_MOD, fd, &event);
  } else {
    epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    curl_multi_assign(loop->multi_, fd, const_cast<char*>(&kWatched));
  }
  return 0;
}

int ProbeEngine::Loop::OnTimer(CURLM*, long timeout_ms, void* self) {
  auto* loop = static_cast<Loop*>(self);
  if (timeout_ms < 0) {
    loop->curl_deadline_.reset();
  } else {
    loop->curl_deadline_ = Steady::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void ProbeEngine::Loop::Run() {
  loop_thread_ = std::this_thread::get_id();
  pthread_setname_np(pthread_self(), "vigil-probes");  // for top -H, perf, gdb
  std::array<epoll_event, kMaxEvents> events;
  while (true) {
    const int count = epoll_wait(epoll_fd_, events.data(), kMaxEvents, NextTimeout());
    if (stopping_.load(std::memory_order_acquire)) break;
    // One reading of the clock for the turn's events and expiries: when the
    // loop learned of them.
    const Time now = clock_.Now();
    bool posted = false;
    int running = 0;
    for (int i = 0; i < count; ++i) {
      const uint64_t data = events[i].data.u64;
      if (SocketProbes::Owns(data)) {
        sockets_->OnEvent(data, events[i].events, now);
      } else if (ExecProbes::Owns(data)) {
        execs_->OnEvent(data, events[i].events);
      } else if (data == static_cast<uint64_t>(event_fd_)) {
        posted = true;
      } else {
        curl_multi_socket_action(multi_, static_cast<curl_socket_t>(data),
                                 CurlEvents(events[i].events), &running);
      }
    }
    sockets_->Expire(now);
    execs_->Expire(now);
    if (curl_deadline_ && Steady::now() >= *curl_deadline_) {
      curl_deadline_.reset();  // before the call, which may set the next one
      curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    Reap();
    if (posted) RunPosted();
    MaybeWake();
    last_turn_.store(clock_.Now(), std::memory_order_relaxed);
  }
  Abandon();
}

int ProbeEngine::Loop::NextTimeout() {
  const Steady::time_point steady_now = Steady::now();
  Steady::duration wait = next_heartbeat_ - steady_now;
  if (curl_deadline_) wait = std::min(wait, *curl_deadline_ - steady_now);
  std::optional<Time> next = wake_at_;
  for (const std::optional<Time> deadline : {sockets_->NextDeadline(), execs_->NextDeadline()}) {
    if (deadline && (!next || *deadline < *next)) next = deadline;
  }
  if (next) wait = std::min(wait, *next - clock_.Now());
  if (wake_after_turn_) wait = Steady::duration::zero();
  return EpollTimeout(wait);
}

void ProbeEngine::Loop::RunPosted() {
  // Drained before the queue is taken, so that a task posted meanwhile wakes the loop again.
  uint64_t wakes = 0;
  [[maybe_unused]] ssize_t read_bytes = read(event_fd_, &wakes, sizeof(wakes));
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks.swap(posted_);
  }
  for (std::function<void()>& task : tasks) task();
}

void ProbeEngine::Loop::Reap() {
  // Every message is read before any handle is removed: curl_multi_remove_handle
  // scans the messages still queued, which would make a turn that completes k
  // probes cost O(k^2) — just when the loop is busiest.
  done_.clear();
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    void* transfer = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
    done_.emplace_back(static_cast<Transfer*>(transfer), message->data.result);
  }
  for (const auto& [transfer, code] : done_) Complete(transfer, code);
}

void ProbeEngine::Loop::Complete(Transfer* transfer, CURLcode code) {
  curl_multi_remove_handle(multi_, transfer->easy);
  const ProbeSpec& spec = transfer->probe->spec;
  std::optional<ProbeResult> result;
  switch (spec.kind) {
    case ProbeSpec::Kind::kHttp:
      result = FinishHttp(transfer->easy, code, transfer->error, *transfer->probe, &transfer->http);
      if (result) {
        result->certificate_expiry = transfer->http.tls.certificate_expiry;
        ReclassifyTlsFailure(transfer->http.tls, &*result);
      }
      break;
    case ProbeSpec::Kind::kGrpc:
      result = FinishGrpc(transfer->easy, code, transfer->error, *transfer->probe, &transfer->grpc);
      result->certificate_expiry = transfer->grpc.tls.certificate_expiry;
      ReclassifyTlsFailure(transfer->grpc.tls, &*result);
      break;
    default:
      result = FinishTcp(transfer->easy, code, transfer->error, spec);
      break;
  }
  if (!result) {  // a redirect to follow, on the same handle
    transfer->error[0] = '\0';
    if (curl_multi_add_handle(multi_, transfer->easy) == CURLM_OK) return;
    result.emplace();
    result->message = "curl_multi_add_handle failed";
  }

  // Out of active_ before Done runs: Done may start probes, which grow it.
  const size_t slot = transfer->slot;
  std::unique_ptr<Transfer> finished = std::move(active_[slot]);
  if (slot + 1 != active_.size()) {
    active_[slot] = std::move(active_.back());
    active_[slot]->slot = slot;
  }
  active_.pop_back();
  const bool tls = (spec.kind == ProbeSpec::Kind::kHttp && spec.https) ||
                   (spec.kind == ProbeSpec::Kind::kGrpc && spec.tls.has_value());
  ReadPhases(finished->easy, !finished->probe->literal, tls, &*result);
  ReleaseHandle({finished->easy, finished->share});
  result->latency =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.Now() - finished->started);
  finished->done(*result);
}

void ProbeEngine::Loop::MaybeWake() {
  const Time now = clock_.Now();
  const Steady::time_point steady_now = Steady::now();
  if (!wake_after_turn_ && !(wake_at_ && *wake_at_ <= now) && steady_now < next_heartbeat_) return;
  wake_at_.reset();
  wake_after_turn_ = false;
  next_heartbeat_ = steady_now + kMaxWakeInterval;
  if (wake_handler_) wake_handler_(now);
}

void ProbeEngine::Loop::Fail(Done done, std::string message) {
  ProbeResult result;
  result.outcome = ProbeOutcome::kError;
  result.message = std::move(message);
  Defer(std::move(done), std::move(result));
}

void ProbeEngine::Loop::Defer(Done done, ProbeResult result) {
  ++deferred_errors_;
  // Delivered on a later turn: Done never runs inside the caller's Probe().
  Post([this, done = std::move(done), result = std::move(result)] {
    --deferred_errors_;
    done(result);
  });
}

// Each easy handle gets connection and DNS caches of its own, through a
// share of its own. In a shared (the multi's) cache, curl walks every
// connection of every host on some steps of each transfer, so a probe would
// cost O(probes in flight): the loop slows, more probes wait, each costs more,
// and a loaded agent collapses. A private cache holds the handle's one
// connection, so each probe costs the same however many are in flight.
ProbeEngine::Loop::Handle ProbeEngine::Loop::AcquireHandle() {
  Handle handle;
  if (!idle_.empty()) {
    handle = idle_.back();
    idle_.pop_back();
  } else {
    handle.easy = curl_easy_init();
    handle.share = curl_share_init();
    if (handle.easy == nullptr || handle.share == nullptr) {
      DestroyHandle(handle);
      return {};
    }
    curl_share_setopt(handle.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(handle.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  curl_easy_setopt(handle.easy, CURLOPT_SHARE, handle.share);
  return handle;
}

void ProbeEngine::Loop::ReleaseHandle(Handle handle) {
  if (idle_.size() >= kMaxIdleHandles) return DestroyHandle(handle);
  curl_easy_reset(handle.easy);
  idle_.push_back(handle);
}

void ProbeEngine::Loop::DestroyHandle(Handle handle) {
  if (handle.easy != nullptr) curl_easy_cleanup(handle.easy);  // before its share
  if (handle.share != nullptr) curl_share_cleanup(handle.share);
}

void ProbeEngine::Loop::Abandon() {
  if (sockets_) sockets_->Abandon();
  if (execs_) execs_->Abandon();
  for (const std::unique_ptr<Transfer>& transfer : active_) {
    curl_multi_remove_handle(multi_, transfer->easy);
    DestroyHandle({transfer->easy, transfer->share});
  }
  active_.clear();
  for (const Handle& handle : idle_) DestroyHandle(handle);
  idle_.clear();
}

ProbeEngine::ProbeEngine(const Clock& clock, Options options)
    : loop_(std::make_unique<Loop>(clock, options)) {}
ProbeEngine::~ProbeEngine() = default;

void ProbeEngine::SetWakeHandler(WakeHandler handler) { loop_->SetWakeHandler(std::move(handler)); }
Status ProbeEngine::Start() { return loop_->Start(); }
void ProbeEngine::Stop() { loop_->Stop(); }
void ProbeEngine::Post(std::function<void()> task) { loop_->Post(std::move(task)); }
void ProbeEngine::Probe(std::shared_ptr<const PreparedProbe> probe, Done done) {
  loop_->Probe(std::move(probe), std::move(done));
}
void ProbeEngine::WakeAt(Time when) { loop_->WakeAt(when); }
void ProbeEngine::WakeAfterTurn() { loop_->WakeAfterTurn(); }
size_t ProbeEngine::in_flight() const { return loop_->in_flight(); }
Time ProbeEngine::last_turn() const { return loop_->last_turn(); }

}  // namespace vigil
