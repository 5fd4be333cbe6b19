// The generic HTTP server, served for real on loopback and spoken to by
// hand (tests/support/raw_http_client.h), so that the requests can be what
// a hostile or broken client sends.
#include "agent/api/http_server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/support/heap.h"
#include "tests/support/raw_http_client.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::HttpGet;
using testing::RawHttpConnection;
using testing::RawHttpResponse;
using testing::WaitUntil;

// A gate handlers wait at until the test opens it.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiting_;
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  int waiting() {
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

// Lines a test appends; a FeedStream sends those it has not sent yet.
struct Feed {
  std::mutex mutex;
  std::vector<std::string> lines;
  void Add(std::string line) {
    std::lock_guard<std::mutex> lock(mutex);
    lines.push_back(std::move(line));
  }
};

class FeedStream final : public ResponseStream {
 public:
  FeedStream(Feed& feed, std::atomic<int>& alive) : feed_(feed), alive_(alive) { ++alive_; }
  ~FeedStream() override { --alive_; }

  bool Pull(std::string* out, bool stopping, TimePoint) override {
    std::lock_guard<std::mutex> lock(feed_.mutex);
    for (; next_ < feed_.lines.size(); ++next_) *out += feed_.lines[next_];
    if (stopping) {
      *out += "bye\n";
      return false;
    }
    return true;
  }

 private:
  Feed& feed_;
  std::atomic<int>& alive_;
  size_t next_ = 0;
};

// A stream with 16 KiB to say at every pull, woken every 10 ms.
class FloodStream final : public ResponseStream {
 public:
  bool Pull(std::string* out, bool, TimePoint now) override {
    out->assign(16 * 1024, 'x');
    last_ = now;
    return true;
  }
  TimePoint WakeAt() const override { return last_ + milliseconds(10); }

 private:
  TimePoint last_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Start({}).ok()); }

  Status Start(HttpServerOptions options) {
    options.on_answer = [this](const std::string& dialect, int status) {
      std::lock_guard<std::mutex> lock(answers_mutex_);
      answers_.emplace_back(dialect, status);
    };
    server_ = std::make_unique<HttpServer>(std::move(options));
    const int pool = server_->AddPool("test", 2, 64);
    small_pool_ = server_->AddPool("small", 1, 1);
    server_->AddRoute({.method = "GET",
                       .pattern = "/echo/{word}",
                       .dialect = "test",
                       .handler =
                           [](const HttpRequest& r) {
                             return HttpResponse(200, "text/plain",
                                                 r.Capture("word") + " " +
                                                     r.query.Get("q").value_or("-") + " " +
                                                     r.Header("X-Test") + " " + r.peer);
                           },
                       .pool = pool});
    server_->AddRoute({.method = "GET", .pattern = "/loop", .handler = [](const HttpRequest&) {
                         return HttpResponse(200, "", "loop");
                       }});
    server_->AddRoute({.method = "POST",
                       .pattern = "/post",
                       .handler =
                           [](const HttpRequest& r) {
                             return HttpResponse(200, "", std::to_string(r.body.size()));
                           },
                       .pool = pool});
    server_->AddRoute({.method = "GET",
                       .pattern = "/slow/{ms}",
                       .handler =
                           [](const HttpRequest& r) {
                             std::this_thread::sleep_for(milliseconds(std::stoi(r.Capture("ms"))));
                             return HttpResponse(200, "", r.Capture("ms"));
                           },
                       .pool = pool});
    server_->AddRoute(
        {.method = "GET",
         .pattern = "/big",
         .handler =
             [](const HttpRequest&) { return HttpResponse(200, "", std::string(1 << 20, 'b')); },
         .pool = pool});
    server_->AddRoute(
        {.method = "GET",
         .pattern = "/huge",
         .handler =
             [](const HttpRequest&) { return HttpResponse(200, "", std::string(16 << 20, 'h')); },
         .pool = pool});
    server_->AddRoute({.method = "GET",
                       .pattern = "/gated",
                       .handler =
                           [this](const HttpRequest&) {
                             gate_.Wait();
                             return HttpResponse(200, "", "through");
                           },
                       .pool = small_pool_});
    server_->AddRoute({.method = "GET",
                       .pattern = "/shared",
                       .handler =
                           [this](const HttpRequest&) {
                             const int run = ++shared_runs_;
                             gate_.Wait();
                             return HttpResponse(200, "", "run " + std::to_string(run));
                           },
                       .pool = pool,
                       .shared = true});
    server_->AddRoute(
        {.method = "GET", .pattern = "/throw", .handler = [](const HttpRequest&) -> HttpResponse {
           throw std::runtime_error("boom");
         }});
    server_->AddRoute({.method = "GET",
                       .pattern = "/feed",
                       .handler =
                           [this](const HttpRequest&) {
                             HttpResponse r(200, "application/x-ndjson", "");
                             r.stream = std::make_unique<FeedStream>(feed_, alive_streams_);
                             return r;
                           },
                       .pool = pool});
    server_->AddRoute({.method = "GET", .pattern = "/flood", .handler = [](const HttpRequest&) {
                         HttpResponse r(200, "", "");
                         r.stream = std::make_unique<FloodStream>();
                         return r;
                       }});
    return server_->Start(ListenAddress{"127.0.0.1", 0});
  }

  RawHttpConnection Connect() { return RawHttpConnection("127.0.0.1", server_->port()); }

  std::vector<std::pair<std::string, int>> answers() {
    std::lock_guard<std::mutex> lock(answers_mutex_);
    return answers_;
  }

  Gate gate_;
  std::atomic<int> shared_runs_{0};
  Feed feed_;
  std::atomic<int> alive_streams_{0};
  int small_pool_ = 0;
  std::mutex answers_mutex_;
  std::vector<std::pair<std::string, int>> answers_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, RoutesCapturesQueryAndHeaders) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/echo/h%C3%A9llo?q=a+b%26c", {"X-Test: yes"})));
  const auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "héllo a b&c yes 127.0.0.1");
  EXPECT_EQ(r->Header("content-type"), "text/plain");
  ASSERT_TRUE(WaitUntil([&] { return !answers().empty(); }, seconds(5)));
  EXPECT_EQ(answers().front(), (std::pair<std::string, int>{"test", 200}));
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RawHttpConnection c = Connect();
  // Slow and fast, on the pool and on the loop, and a 404, in one write.
  std::string pipeline;
  for (const char* target : {"/slow/200", "/loop", "/slow/1", "/nope", "/echo/last"}) {
    pipeline += HttpGet(target);
  }
  ASSERT_TRUE(c.Send(pipeline));
  std::vector<std::string> bodies;
  for (int i = 0; i < 5; ++i) {
    const auto r = c.ReadResponse();
    ASSERT_TRUE(r) << i;
    bodies.push_back(std::to_string(r->status) + " " + r->body.substr(0, 8));
  }
  EXPECT_EQ(bodies[0], "200 200");
  EXPECT_EQ(bodies[1], "200 loop");
  EXPECT_EQ(bodies[2], "200 1");
  EXPECT_EQ(bodies[3], "404 the serv");
  EXPECT_EQ(bodies[4], "200 last -  ");
}

TEST_F(HttpServerTest, ErrorsWithoutABodyKeepTheConnection) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(
      c.Send(HttpGet("/nope") + "DELETE /loop HTTP/1.1\r\nHost: x\r\n\r\n" + HttpGet("/loop")));
  const auto not_found = c.ReadResponse();
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(not_found->body, "the server could not find /nope\n");
  const auto not_allowed = c.ReadResponse();
  ASSERT_TRUE(not_allowed);
  EXPECT_EQ(not_allowed->status, 405);
  EXPECT_EQ(not_allowed->Header("allow"), "GET");
  EXPECT_EQ(not_allowed->body, "method DELETE is not allowed on /loop\n");
  const auto ok = c.ReadResponse();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, "loop");
}

TEST_F(HttpServerTest, AWriteWithoutABodyIsAnsweredAtOnce) {
  RawHttpConnection c = Connect();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.Send("POST /post HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto posted = c.ReadResponse(seconds(1));
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200);
  EXPECT_EQ(posted->body, "0");
  ASSERT_TRUE(c.Send("PUT /post HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto put = c.ReadResponse(seconds(1));
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(put->Header("allow"), "POST");
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(1));
}

TEST_F(HttpServerTest, ABodyWithinTheLimitIsRead) {
  RawHttpConnection c = Connect();
  const std::string body(60000, 'x');
  ASSERT_TRUE(c.Send("POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n" + body));
  const auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "60000");
}

TEST_F(HttpServerTest, ATooLargeBodyIs413BeforeAnyOfItIsRead) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send("POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 262144000\r\n\r\n"));
  const auto r = c.ReadResponse(seconds(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, "the request body is larger than 65536 bytes\n");
  EXPECT_TRUE(c.WaitForClose(seconds(2)));
}

TEST_F(HttpServerTest, AChunkedUploadIs411) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send("POST /post HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"));
  const auto r = c.ReadResponse(seconds(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 411);
  EXPECT_TRUE(c.WaitForClose(seconds(2)));
}

TEST_F(HttpServerTest, AWrongMethodWithABodyIs405BeforeTheBody) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send("PUT /loop HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"));
  const auto r = c.ReadResponse(seconds(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_TRUE(c.WaitForClose(seconds(2)));
}

TEST_F(HttpServerTest, TooManyHeadersIs431) {
  RawHttpConnection c = Connect();
  std::vector<std::string> headers;
  for (int i = 0; i < 101; ++i) headers.push_back("X-" + std::to_string(i) + ": v");
  ASSERT_TRUE(c.Send(HttpGet("/loop", headers)));
  const auto r = c.ReadResponse(seconds(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->body, "the request has more than 100 header fields\n");
}

TEST_F(HttpServerTest, AHeadBeyondTheConnectionMemoryIs431) {
  RawHttpConnection c = Connect();
  // Sent in pieces, as long as the server reads: it answers when it is full.
  ASSERT_TRUE(c.Send("GET /loop HTTP/1.1\r\nHost: x\r\n"));
  for (int i = 0; i < 2000; ++i) {
    if (!c.Send("X-Padding: " + std::string(100, 'p') + "\r\n", seconds(1))) break;
  }
  const auto r = c.ReadResponse(seconds(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST_F(HttpServerTest, ALongTargetIs414) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/loop?" + std::string(9000, 'a'))));
  const auto r = c.ReadResponse(seconds(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 414);
}

TEST_F(HttpServerTest, ABadEscapeIs400) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/echo/x?q=%zz") + HttpGet("/echo/%g1")));
  const auto query = c.ReadResponse();
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 400);
  EXPECT_EQ(query->body,
            "malformed request target: in the query: bad percent-escape at byte 1 of \"%zz\"\n");
  const auto path = c.ReadResponse();
  ASSERT_TRUE(path);
  EXPECT_EQ(path->status, 400);
}

TEST_F(HttpServerTest, ARangeHeaderIsIgnored) {
  std::string ranges = "bytes=0-";
  for (int i = 0; i < 2700; ++i) ranges += ",0-";
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/big", {"Range: " + ranges.substr(0, 8000)})));
  const auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), size_t{1} << 20);
  EXPECT_EQ(r->Header("content-type"), "");
  EXPECT_EQ(r->Header("content-range"), "");
}

TEST_F(HttpServerTest, AHandlerThatThrowsIs500) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/throw") + HttpGet("/loop")));
  const auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "internal error: boom\n");
  EXPECT_EQ(c.ReadResponse()->body, "loop");
}

TEST_F(HttpServerTest, AFullPoolIs503AtOnce) {
  // The small pool runs one request and queues one: of two more, one waits
  // and one is refused at once.
  RawHttpConnection first = Connect();
  ASSERT_TRUE(first.Send(HttpGet("/gated")));
  ASSERT_TRUE(WaitUntil([&] { return gate_.waiting() == 1; }, seconds(5)));
  RawHttpConnection second = Connect();
  RawHttpConnection third = Connect();
  ASSERT_TRUE(second.Send(HttpGet("/gated")));
  ASSERT_TRUE(third.Send(HttpGet("/gated")));
  ASSERT_TRUE(WaitUntil([&] { return server_->counters().busy_refusals == 1; }, seconds(2)));
  gate_.Open();
  EXPECT_EQ(first.ReadResponse()->body, "through");
  const auto a = second.ReadResponse();
  const auto b = third.ReadResponse();
  ASSERT_TRUE(a && b);
  const RawHttpResponse& refused = a->status == 503 ? *a : *b;
  const RawHttpResponse& served = a->status == 503 ? *b : *a;
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(refused.body, "the server is busy; retry later\n");
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.body, "through");
}

TEST_F(HttpServerTest, ASharedRouteRunsOnceForTheRequestsThatCameMeanwhile) {
  RawHttpConnection first = Connect();
  ASSERT_TRUE(first.Send(HttpGet("/shared")));
  ASSERT_TRUE(WaitUntil([&] { return gate_.waiting() == 1; }, seconds(5)));
  std::vector<RawHttpConnection> others;
  for (int i = 0; i < 4; ++i) {
    others.push_back(Connect());
    ASSERT_TRUE(others.back().Send(HttpGet("/shared")));
  }
  ASSERT_TRUE(WaitUntil([&] { return server_->counters().shared_joins == 4; }, seconds(5)));
  gate_.Open();
  EXPECT_EQ(first.ReadResponse()->body, "run 1");
  for (auto& c : others) EXPECT_EQ(c.ReadResponse()->body, "run 1");
  EXPECT_EQ(shared_runs_, 1);
  // A request after the run gets a run of its own.
  RawHttpConnection later = Connect();
  ASSERT_TRUE(later.Send(HttpGet("/shared")));
  EXPECT_EQ(later.ReadResponse()->body, "run 2");
}

TEST_F(HttpServerTest, AStreamSendsWhatItsSourceHasWhenWoken) {
  feed_.Add("one\n");
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/feed")));
  auto r = c.ReadStreamUntil([](const std::string& body) { return body == "one\n"; });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->chunked);
  EXPECT_EQ(r->Header("content-type"), "application/x-ndjson");
  EXPECT_EQ(server_->streams(), 1u);
  feed_.Add("two\n");
  server_->WakeStreams();
  r = c.ReadStreamUntil([](const std::string& body) { return body == "one\ntwo\n"; });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "one\ntwo\n");
}

// A stream that has given its client all it pulled keeps no buffer of it:
// idle watches cost little, however large the backlog they were sent.
TEST_F(HttpServerTest, AStreamKeepsNoBufferOnceItsClientHasAll) {
  constexpr size_t kLine = 1 << 20;
  constexpr int kClients = 16;
  feed_.Add(std::string(kLine - 1, 'x') + "\n");
  const size_t before = testing::HeapInUse();
  std::vector<RawHttpConnection> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(Connect());
    ASSERT_TRUE(clients.back().Send(HttpGet("/feed")));
  }
  // Read off the socket and dropped, so that the client holds none of it:
  // the line ends its last chunk, "x\n\r\n".
  for (RawHttpConnection& c : clients) {
    size_t total = 0;
    std::string tail;
    char buffer[65536];
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (!(total > kLine && tail == "x\n\r\n")) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << total << " bytes came";
      pollfd readable{c.fd(), POLLIN, 0};
      if (poll(&readable, 1, 100) != 1) continue;
      const ssize_t n = recv(c.fd(), buffer, sizeof buffer, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      ASSERT_GT(n, 0);
      total += static_cast<size_t>(n);
      tail = (tail + std::string(buffer, static_cast<size_t>(n)));
      tail = tail.substr(tail.size() - std::min<size_t>(tail.size(), 4));
    }
  }
  EXPECT_EQ(server_->streams(), static_cast<size_t>(kClients));
  // Without freeing, each stream would keep a buffer of the line's size.
  EXPECT_TRUE(
      WaitUntil([&] { return testing::HeapInUse() < before + kClients * kLine / 4; }, seconds(10)))
      << (testing::HeapInUse() - before) << " bytes more than before";
}

TEST_F(HttpServerTest, AStreamWithNothingToSayStillSendsItsHead) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/feed")));
  const auto start = std::chrono::steady_clock::now();
  const auto r = c.ReadStreamUntil([](const std::string&) { return true; }, seconds(2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(150));
}

TEST_F(HttpServerTest, StopGivesEveryStreamItsLastWordsAndAnEnd) {
  std::vector<RawHttpConnection> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(Connect());
    ASSERT_TRUE(clients.back().Send(HttpGet("/feed")));
  }
  ASSERT_TRUE(WaitUntil([&] { return server_->streams() == 20; }, seconds(5)));
  feed_.Add("last\n");  // not woken: the stop's pull takes it
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(1));
  for (auto& c : clients) {
    const auto r = c.ReadStreamUntil([](const std::string&) { return false; });
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->complete);
    EXPECT_EQ(r->body, "last\nbye\n");
  }
  EXPECT_EQ(alive_streams_, 0);
}

TEST_F(HttpServerTest, AClientThatLeavesFreesItsStreamPromptly) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/feed")));
  ASSERT_TRUE(c.ReadStreamUntil([](const std::string&) { return true; }));
  ASSERT_TRUE(WaitUntil([&] { return server_->streams() == 1; }, seconds(5)));
  c.Close();  // the stream is waiting: nothing wakes it but the close
  EXPECT_TRUE(
      WaitUntil([&] { return server_->streams() == 0 && alive_streams_ == 0; }, milliseconds(500)));
}

class HttpServerStallTest : public HttpServerTest {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.stream_stall_timeout = seconds(1);
    ASSERT_TRUE(Start(options).ok());
  }
};

TEST_F(HttpServerStallTest, AStreamWhoseClientDoesNotReadIsDropped) {
  std::vector<RawHttpConnection> clients;
  for (int i = 0; i < 10; ++i) {
    clients.emplace_back("127.0.0.1", server_->port());
    clients.back().SetReceiveBuffer(4096);
    ASSERT_TRUE(clients.back().Send(HttpGet("/flood")));
  }
  EXPECT_TRUE(WaitUntil([&] { return server_->counters().stream_drops == 10; }, seconds(10)))
      << server_->counters().stream_drops;
  EXPECT_TRUE(WaitUntil([&] { return server_->streams() == 0; }, seconds(5)));
}

// A client that reads, if slowly, is given all it reads: falling behind
// is no reason to drop it, taking nothing for the stall timeout is.
TEST_F(HttpServerStallTest, AStreamWhoseClientReadsSlowlyIsKept) {
  RawHttpConnection c = Connect();
  c.SetReceiveBuffer(16384);
  ASSERT_TRUE(c.Send(HttpGet("/flood")));
  size_t taken = 0;
  std::vector<char> buffer(16384);
  for (int round = 0; round < 40; ++round) {
    std::this_thread::sleep_for(milliseconds(50));  // the client's pace
    ssize_t n = 0;
    while ((n = recv(c.fd(), buffer.data(), buffer.size(), MSG_DONTWAIT)) > 0) {
      taken += static_cast<size_t>(n);
    }
  }
  EXPECT_EQ(server_->counters().stream_drops, 0u);
  EXPECT_EQ(server_->streams(), 1u);
  EXPECT_GT(taken, 256u * 1024) << taken;  // far more than the sockets hold
}

TEST_F(HttpServerTest, ATakenPortIsAClearError) {
  HttpServer second;
  const Status s = second.Start(ListenAddress{"127.0.0.1", server_->port()});
  EXPECT_EQ(s.message(), "cannot listen on 127.0.0.1:" + std::to_string(server_->port()) +
                             ": Address already in use");
}

class HttpServerDeadlineTest : public HttpServerTest {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.header_timeout = milliseconds(300);
    options.request_timeout = milliseconds(600);
    ASSERT_TRUE(Start(options).ok());
  }
};

class HttpServerMemoryTest : public HttpServerTest {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.max_buffered_bytes = 20 << 20;
    ASSERT_TRUE(Start(options).ok());
  }
};

// Clients that ask for big answers and do not read them hold at most about
// max_buffered_bytes: past it, requests for pool routes are a 503, until
// the holders go.
TEST_F(HttpServerMemoryTest, AnswersHeldForClientsThatDoNotReadAreBounded) {
  std::vector<RawHttpConnection> holders;
  for (int i = 0; i < 2; ++i) {
    holders.emplace_back("127.0.0.1", server_->port());
    holders.back().SetReceiveBuffer(4096);
    ASSERT_TRUE(holders.back().Send(HttpGet("/huge")));
  }
  // Both answers are made (the first alone is under the bound) and held.
  ASSERT_TRUE(WaitUntil([&] { return answers().size() == 2; }, seconds(10)));
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/echo/x")));
  const auto refused = c.ReadResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(server_->counters().busy_refusals, 1u);
  // On the loop, cheap answers go on.
  ASSERT_TRUE(c.Send(HttpGet("/loop")));
  EXPECT_EQ(c.ReadResponse()->body, "loop");
  holders.clear();
  ASSERT_TRUE(WaitUntil(
      [&] {
        const auto r = [&] {
          RawHttpConnection again = Connect();
          again.Send(HttpGet("/echo/y"));
          return again.ReadResponse();
        }();
        return r && r->status == 200;
      },
      seconds(10)));
}

TEST_F(HttpServerDeadlineTest, ASlowHeadIsCutAtItsDeadline) {
  RawHttpConnection c = Connect();
  const auto start = std::chrono::steady_clock::now();
  const std::string request = HttpGet("/loop");
  // One byte every 50 ms: each resets libmicrohttpd's idle timeout.
  bool cut = false;
  for (const char byte : request) {
    if (!c.Send(std::string(1, byte))) break;
    if (c.WaitForClose(milliseconds(50))) {
      cut = true;
      break;
    }
  }
  EXPECT_TRUE(cut);
  const auto lived = std::chrono::steady_clock::now() - start;
  EXPECT_GE(lived, milliseconds(250));
  EXPECT_LT(lived, milliseconds(800));
  EXPECT_EQ(server_->counters().deadline_closes, 1u);
}

TEST_F(HttpServerDeadlineTest, AnIdleKeepAliveConnectionIsClosed) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/loop")));
  ASSERT_TRUE(c.ReadResponse());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.WaitForClose(seconds(2)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(800));
}

TEST_F(HttpServerDeadlineTest, AStreamHasNoDeadline) {
  RawHttpConnection c = Connect();
  ASSERT_TRUE(c.Send(HttpGet("/feed")));
  ASSERT_TRUE(c.ReadStreamUntil([](const std::string&) { return true; }));
  EXPECT_FALSE(c.WaitForClose(milliseconds(1000)));
  feed_.Add("still here\n");
  server_->WakeStreams();
  const auto r = c.ReadStreamUntil([](const std::string& body) { return !body.empty(); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "still here\n");
}

}  // namespace
}  // namespace vigil
