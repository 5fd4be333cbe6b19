// The DNS server on loopback, asked by dig (a real client) and by raw
// sockets (clients that misbehave): every record type and rcode, UDP and
// TCP, truncation, IPv6, the board's changes in the next answer, and the
// limits that keep hostile clients from starving the others. Skipped when
// dig is not installed.
#include "exporters/dns/dns_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "tests/exporters/dns/dns_fixtures.h"
#include "tests/support/dig.h"
#include "tests/support/dns_messages.h"
#include "tests/support/wait.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;
using testing::Dig;
using testing::DigFlags;
using testing::DigStatus;
using testing::DnsBytes;
using testing::Endpoint;
using testing::Many;
using testing::Records;
using testing::Service;
using testing::WaitUntil;

// A TCP client of the server's, at the byte level.
class RawTcp {
 public:
  // `receive_buffer` above 0 caps the socket's receive buffer (no autotuning).
  RawTcp(const std::string& host, int port, int receive_buffer = 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receive_buffer > 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawTcp() { close(fd_); }
  RawTcp(const RawTcp&) = delete;
  RawTcp& operator=(const RawTcp&) = delete;

  bool connected() const { return connected_; }
  bool Send(const DnsBytes& bytes) {
    // Never blocks: a server that stops reading must not stop the test.
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Whether the server closed the connection within `timeout` (data it sent
  // first is read and dropped).
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      uint8_t buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return true;
    }
    return false;
  }
  // Reads one length-prefixed answer; empty on failure.
  DnsBytes ReadMessage(std::chrono::milliseconds timeout = 5s) {
    DnsBytes length = Read(2, timeout);
    if (length.size() != 2) return {};
    return Read(static_cast<size_t>(length[0] << 8 | length[1]), timeout);
  }

 private:
  DnsBytes Read(size_t n, std::chrono::milliseconds timeout) {
    DnsBytes out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      uint8_t buffer[4096];
      const ssize_t got = recv(fd_, buffer, std::min(sizeof buffer, n - out.size()), 0);
      if (got <= 0) break;
      out.insert(out.end(), buffer, buffer + got);
    }
    return out;
  }

  int fd_ = -1;
  bool connected_ = false;
};

class DnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::DigPath().empty()) GTEST_SKIP() << "dig is not installed (bind9-dnsutils)";
  }
  ~DnsServerTest() override {
    if (server_) server_->Stop();
  }

  void Start(DnsServer::Options options = {}, const std::string& host = "127.0.0.1") {
    host_ = host;
    options.on_answer = [this](std::string_view rcode, uint64_t count) {
      std::lock_guard<std::mutex> lock(mutex_);
      answers_[std::string(rcode)] += static_cast<int>(count);
    };
    server_ = std::make_unique<DnsServer>(board_, clock_, std::move(options));
    const Status s = server_->Start(ListenAddress{host, 0});
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_GT(server_->port(), 0);
  }

  std::string Ask(std::vector<std::string> args) { return Dig(host_, server_->port(), args); }
  // The answer section's records.
  Lines Answer(const std::string& name, const std::string& type,
               std::vector<std::string> more = {}) {
    // -q: a name may start with "-" (an IPv6 endpoint's, "--1").
    std::vector<std::string> args = {"+noall", "+answer", "-q", name, "-t", type};
    args.insert(args.end(), more.begin(), more.end());
    return Records(Ask(args));
  }
  int Answered(const std::string& rcode) {
    std::lock_guard<std::mutex> lock(mutex_);
    return answers_[rcode];
  }
  int AnsweredTotal() {
    std::lock_guard<std::mutex> lock(mutex_);
    int total = 0;
    for (const auto& [rcode, n] : answers_) total += n;
    return total;
  }

  StatusBoard board_;
  SystemClock clock_;
  std::unique_ptr<DnsServer> server_;
  std::string host_;
  std::mutex mutex_;
  std::map<std::string, int> answers_;
};

TEST_F(DnsServerTest, AnswersEveryRecordTypeAndRcodeOverUdp) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, false),
                              Endpoint("fd00::3", 8080, true)})});
  Start();
  EXPECT_EQ(Answer("web.default.svc.vigil", "A"), Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"});
  EXPECT_EQ(Answer("web.default.svc.vigil", "AAAA"),
            Lines{"web.default.svc.vigil. 5 IN AAAA fd00::3"});

  const std::string srv = Ask({"_http._tcp.web.default.svc.vigil", "SRV"});
  EXPECT_EQ(DigStatus(srv), "NOERROR") << srv;
  EXPECT_NE(DigFlags(srv).find("aa"), std::string::npos) << srv;
  EXPECT_EQ(
      Records(srv),
      (Lines{"_http._tcp.web.default.svc.vigil. 5 IN SRV 0 50 8080 10-0-0-1.web.default.svc.vigil.",
             "_http._tcp.web.default.svc.vigil. 5 IN SRV 0 50 8080 fd00--3.web.default.svc.vigil.",
             "10-0-0-1.web.default.svc.vigil. 5 IN A 10.0.0.1",
             "fd00--3.web.default.svc.vigil. 5 IN AAAA fd00::3"}));
  // The targets resolve on their own.
  EXPECT_EQ(Answer("10-0-0-1.web.default.svc.vigil", "A"),
            Lines{"10-0-0-1.web.default.svc.vigil. 5 IN A 10.0.0.1"});
  EXPECT_EQ(Answer("fd00--3.web.default.svc.vigil", "AAAA"),
            Lines{"fd00--3.web.default.svc.vigil. 5 IN AAAA fd00::3"});

  const std::string soa = Answer("vigil", "SOA").at(0);
  EXPECT_EQ(soa.rfind("vigil. 5 IN SOA ns.dns.vigil. hostmaster.vigil. ", 0), 0u) << soa;
  EXPECT_EQ(Answer("vigil", "NS"), Lines{"vigil. 5 IN NS ns.dns.vigil."});
  EXPECT_EQ(Answer("ns.dns.vigil", "A"), Lines{"ns.dns.vigil. 5 IN A 127.0.0.1"});

  const std::string nxdomain = Ask({"nope.default.svc.vigil", "A"});
  EXPECT_EQ(DigStatus(nxdomain), "NXDOMAIN") << nxdomain;
  EXPECT_NE(nxdomain.find("AUTHORITY: 1"), std::string::npos) << nxdomain;
  const std::string nodata = Ask({"web.default.svc.vigil", "SRV"});
  EXPECT_EQ(DigStatus(nodata), "NOERROR") << nodata;
  EXPECT_NE(nodata.find("ANSWER: 0, AUTHORITY: 1"), std::string::npos) << nodata;
  ASSERT_EQ(Records(nodata).size(), 1u) << nodata;
  EXPECT_EQ(Records(nodata)[0].rfind("vigil. 5 IN SOA ns.dns.vigil. hostmaster.vigil. ", 0), 0u)
      << nodata;
  const std::string refused = Ask({"example.com", "A"});
  EXPECT_EQ(DigStatus(refused), "REFUSED") << refused;

  // Every answer was counted by its rcode.
  EXPECT_GE(Answered("NOERROR"), 9);
  EXPECT_EQ(Answered("NXDOMAIN"), 1);
  EXPECT_EQ(Answered("REFUSED"), 1);
}

TEST_F(DnsServerTest, TcpCarriesTheSameAnswers) {
  board_.Put(
      {Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, true)})});
  Start();
  EXPECT_EQ(
      Answer("web.default.svc.vigil", "A", {"+tcp"}),
      (Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1", "web.default.svc.vigil. 5 IN A 10.0.0.2"}));
  EXPECT_EQ(DigStatus(Ask({"+tcp", "nope.default.svc.vigil", "A"})), "NXDOMAIN");
  // Several queries on one connection.
  const std::string two = Ask({"+tcp", "+keepopen", "+noall", "+answer", "web.default.svc.vigil",
                               "A", "10-0-0-2.web.default.svc.vigil", "A"});
  EXPECT_EQ(Records(two), (Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1",
                                 "web.default.svc.vigil. 5 IN A 10.0.0.2",
                                 "10-0-0-2.web.default.svc.vigil. 5 IN A 10.0.0.2"}));
}

TEST_F(DnsServerTest, LargeAnswersAreTruncatedOverUdpAndWholeOverTcp) {
  board_.Put({Many("big", 60)});  // 60 × 16 bytes of records
  Start();
  // Without EDNS0: 512 bytes, TC set, as many records as fit.
  const std::string udp = Ask({"+noedns", "+ignore", "big.default.svc.vigil", "A"});
  EXPECT_NE(DigFlags(udp).find("tc"), std::string::npos) << udp;
  const size_t partial = Records(udp).size();
  EXPECT_GT(partial, 0u);
  EXPECT_LT(partial, 60u);
  // dig retries over TCP on its own, and TCP carries them all.
  EXPECT_EQ(Answer("big.default.svc.vigil", "A", {"+noedns"}).size(), 60u);
  EXPECT_EQ(Answer("big.default.svc.vigil", "A", {"+tcp"}).size(), 60u);
  // With EDNS0 the requester's size counts: 512 is too small, 1232 is not.
  const std::string small = Ask({"+bufsize=512", "+ignore", "big.default.svc.vigil", "A"});
  EXPECT_NE(DigFlags(small).find("tc"), std::string::npos) << small;
  const std::string large = Ask({"+bufsize=1232", "+ignore", "big.default.svc.vigil", "A"});
  EXPECT_EQ(DigFlags(large).find("tc"), std::string::npos) << large;
  EXPECT_EQ(
      Records(Ask({"+bufsize=1232", "+ignore", "+noall", "+answer", "big.default.svc.vigil", "A"}))
          .size(),
      60u);
  EXPECT_NE(large.find("; EDNS: version: 0, flags:; udp: 1232"), std::string::npos) << large;
}

TEST_F(DnsServerTest, ListensOnIpv6) {
  {
    const int probe = socket(AF_INET6, SOCK_DGRAM, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    const bool ipv6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (probe >= 0) close(probe);
    if (!ipv6) GTEST_SKIP() << "no IPv6 loopback here";
  }
  board_.Put({Service("web", {Endpoint("fd00::1", 8080, true), Endpoint("::1", 8080, true),
                              Endpoint("10.0.0.1", 8080, true)})});
  Start({}, "::1");
  EXPECT_EQ(
      Answer("web.default.svc.vigil", "AAAA"),
      (Lines{"web.default.svc.vigil. 5 IN AAAA fd00::1", "web.default.svc.vigil. 5 IN AAAA ::1"}));
  EXPECT_EQ(Answer("web.default.svc.vigil", "AAAA", {"+tcp"}).size(), 2u);
  EXPECT_EQ(Answer("--1.web.default.svc.vigil", "AAAA"),
            Lines{"--1.web.default.svc.vigil. 5 IN AAAA ::1"});
  EXPECT_EQ(Answer("ns.dns.vigil", "AAAA"), Lines{"ns.dns.vigil. 5 IN AAAA ::1"});
}

TEST_F(DnsServerTest, EveryInterfaceAnswersFromTheAddressAsked) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  server_ = std::make_unique<DnsServer>(board_, clock_, DnsServer::Options{});
  ASSERT_TRUE(server_->Start(ListenAddress{"", 0}).ok());
  // dig checks that the answer comes from the address it asked.
  for (const char* host : {"127.0.0.1", "127.0.0.2"}) {
    EXPECT_EQ(Records(Dig(host, server_->port(), {"+noall", "+answer", "web.default.svc.vigil"})),
              Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"})
        << host;
  }
}

TEST_F(DnsServerTest, PublishNotReadyAddresses) {
  EndpointsObject db = Service(
      "db", {Endpoint("10.0.0.1", 5432, false), Endpoint("10.0.0.2", 5432, true)}, {{"pg", 5432}});
  board_.Put({db});
  Start();
  EXPECT_EQ(Answer("db.default.svc.vigil", "A"), Lines{"db.default.svc.vigil. 5 IN A 10.0.0.2"});
  db.publish_not_ready_addresses = true;
  board_.Put({db});
  EXPECT_EQ(Answer("db.default.svc.vigil", "A"), (Lines{"db.default.svc.vigil. 5 IN A 10.0.0.1",
                                                        "db.default.svc.vigil. 5 IN A 10.0.0.2"}));
  EXPECT_EQ(Records(Ask({"+noall", "+answer", "_pg._tcp.db.default.svc.vigil", "SRV"})).size(), 2u);
}

// A replica leaves the answers the moment the board says so, and returns.
TEST_F(DnsServerTest, AReplicaLeavesAndReturns) {
  const auto web = [](bool second_ready) {
    return Service("web",
                   {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, second_ready)});
  };
  board_.Put({web(true)});
  Start();
  EXPECT_EQ(Answer("web.default.svc.vigil", "A").size(), 2u);
  board_.Put({web(false)});
  EXPECT_EQ(Answer("web.default.svc.vigil", "A"), Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"});
  EXPECT_EQ(DigStatus(Ask({"10-0-0-2.web.default.svc.vigil", "A"})), "NXDOMAIN");
  board_.Put({web(true)});
  EXPECT_EQ(Answer("web.default.svc.vigil", "A").size(), 2u);
  EXPECT_EQ(Answer("10-0-0-2.web.default.svc.vigil", "A").size(), 1u);
}

// The kinds of testing::MalformedDnsMessages that get an answer for sure
// (FORMERR or NOTIMP): all but truncated headers (0), random bytes (9) and
// responses (12).
bool Answerable(size_t index) {
  const size_t kind = index % 15;
  return kind != 0 && kind != 9 && kind != 12;
}

TEST_F(DnsServerTest, ThousandsOfMalformedMessagesLeaveItAnswering) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  Start();
  const std::vector<DnsBytes> junk = testing::MalformedDnsMessages(3000, 7);
  // UDP, in batches the socket's buffer holds: each batch is read before
  // the next is sent, so that none is lost on the way.
  const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(server_->port()));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  int expected = 0;
  for (size_t i = 0; i < junk.size(); ++i) {
    sendto(udp, junk[i].data(), junk[i].size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (Answerable(i)) ++expected;
    if (i % 50 == 49) {
      ASSERT_TRUE(WaitUntil([&] { return AnsweredTotal() >= expected; }, 10s)) << i;
    }
  }
  close(udp);
  ASSERT_TRUE(WaitUntil([&] { return AnsweredTotal() >= expected; }, 10s));
  const int formerr_udp = Answered("FORMERR");
  EXPECT_GT(formerr_udp, 1500);
  EXPECT_GT(Answered("NOTIMP"), 150);

  // TCP: one message per connection ...
  for (size_t i = 0; i < junk.size(); i += 7) {
    RawTcp c("127.0.0.1", server_->port());
    ASSERT_TRUE(c.connected());
    c.Send(testing::WithLengthPrefix(junk[i]));
    if (Answerable(i)) {
      const DnsBytes answer = c.ReadMessage();
      ASSERT_EQ(answer.size(), 12u) << i;  // a header: FORMERR or NOTIMP
      EXPECT_EQ(answer[0], junk[i][0]);
      EXPECT_EQ(answer[1], junk[i][1]);
    } else if (i % 15 != 9) {
      EXPECT_TRUE(c.ClosedWithin(10s)) << i;
    }
  }
  // ... and on one connection, every answerable one, then one that is not.
  {
    RawTcp c("127.0.0.1", server_->port());
    DnsBytes stream;
    int answerable = 0;
    for (size_t i = 0; i < junk.size(); ++i) {
      if (!Answerable(i)) continue;
      const DnsBytes framed = testing::WithLengthPrefix(junk[i]);
      stream.insert(stream.end(), framed.begin(), framed.end());
      ++answerable;
    }
    const DnsBytes last = testing::WithLengthPrefix(junk[0]);
    stream.insert(stream.end(), last.begin(), last.end());
    const int before = AnsweredTotal();
    ASSERT_TRUE(c.Send(stream));
    EXPECT_TRUE(c.ClosedWithin(10s));
    EXPECT_GE(AnsweredTotal() - before, answerable);
  }
  EXPECT_EQ(Answer("web.default.svc.vigil", "A"), Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"});
  EXPECT_EQ(Answer("web.default.svc.vigil", "A", {"+tcp"}),
            Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"});
}

// Queries arriving together are received and answered in batches: each
// answer goes to its sender, with its ID, its question in the case asked
// and its service's address; a change committed between bursts is in every
// answer of the next.
TEST_F(DnsServerTest, ABurstOfQueriesIsAnsweredEachToItsSender) {
  std::vector<EndpointsObject> services;
  for (int i = 0; i < 20; ++i) {
    services.push_back(Service("s" + std::to_string(i),
                               {Endpoint("10.0.5." + std::to_string(i + 1), 8080, true)}));
  }
  board_.Put(services);
  Start();
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(server_->port()));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  constexpr int kClients = 3;
  constexpr int kEach = 40;
  std::vector<int> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    const int buffer = 1 << 20;
    setsockopt(clients.back(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  // The query of client c's i-th message: its ID, and a name whose case
  // varies.
  const auto name = [](int c, int i) {
    std::string n = "s" + std::to_string((c * kEach + i) % 20) + ".default.svc.vigil";
    if (i % 2 == 1) n[0] = 'S';
    if (i % 3 == 1) n.replace(n.size() - 5, 5, "VIGIL");
    return n;
  };
  const auto burst = [&](int third) {  // the addresses are 10.0.THIRD.x
    for (int i = 0; i < kEach; ++i) {
      for (int c = 0; c < kClients; ++c) {
        const DnsBytes q =
            testing::DnsQueryBytes(static_cast<uint16_t>(c * 1000 + i), name(c, i), 1);
        ASSERT_EQ(
            sendto(clients[c], q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(q.size()));
      }
    }
    for (int c = 0; c < kClients; ++c) {
      std::set<int> ids;
      while (ids.size() < kEach) {
        pollfd p{clients[c], POLLIN, 0};
        ASSERT_GT(poll(&p, 1, 5000), 0) << "client " << c << ": " << ids.size() << " answers";
        uint8_t buffer[4096];
        const ssize_t n = recv(clients[c], buffer, sizeof buffer, 0);
        ASSERT_GT(n, 12);
        const int id = buffer[0] << 8 | buffer[1];
        const int i = id - c * 1000;
        ASSERT_TRUE(i >= 0 && i < kEach) << "client " << c << " got ID " << id;
        EXPECT_TRUE(ids.insert(i).second) << "answered twice: " << id;
        const DnsBytes q = testing::DnsQueryBytes(static_cast<uint16_t>(id), name(c, i), 1);
        // The question as sent, and one A record: the service's address.
        ASSERT_GE(static_cast<size_t>(n), q.size() - 4);
        EXPECT_TRUE(std::equal(q.begin() + 12, q.end() - 4, buffer + 12)) << name(c, i);
        EXPECT_EQ(buffer[7], 1) << name(c, i);
        const int service = (c * kEach + i) % 20;
        EXPECT_EQ(buffer[n - 4], 10);
        EXPECT_EQ(buffer[n - 2], third) << name(c, i);
        EXPECT_EQ(buffer[n - 1], service + 1) << name(c, i);
      }
    }
  };
  burst(5);
  for (EndpointsObject& s : services) s.endpoints[0].address[5] = '6';  // 10.0.6.x
  board_.Put(services);
  burst(6);
  for (int fd : clients) close(fd);
}

TEST_F(DnsServerTest, MessagesWithoutAnAnswerEndTheirConnection) {
  Start();
  RawTcp zero("127.0.0.1", server_->port());
  zero.Send({0x00, 0x00});
  EXPECT_TRUE(zero.ClosedWithin(5s));
  RawTcp response("127.0.0.1", server_->port());
  DnsBytes r = testing::DnsQueryBytes(1, "vigil", 6);
  r[2] |= 0x80;
  response.Send(testing::WithLengthPrefix(r));
  EXPECT_TRUE(response.ClosedWithin(5s));
}

TEST_F(DnsServerTest, SlowAndSilentTcpClientsAreDropped) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  DnsServer::Options options;
  options.tcp_idle_timeout = 300ms;
  Start(options);
  RawTcp silent("127.0.0.1", server_->port());
  RawTcp half("127.0.0.1", server_->port());
  half.Send({0x00});  // half a length
  RawTcp huge("127.0.0.1", server_->port());
  huge.Send({0xff, 0xff, 0x12, 0x34});  // 65535 bytes promised, four sent
  ASSERT_TRUE(WaitUntil([&] { return server_->tcp_connections() == 3; }, 5s));
  // Meanwhile, others are answered.
  EXPECT_EQ(Answer("web.default.svc.vigil", "A", {"+tcp"}).size(), 1u);
  EXPECT_TRUE(silent.ClosedWithin(5s));
  EXPECT_TRUE(half.ClosedWithin(5s));
  EXPECT_TRUE(huge.ClosedWithin(5s));
  EXPECT_TRUE(WaitUntil([&] { return server_->tcp_connections() == 0; }, 5s));
}

TEST_F(DnsServerTest, AClientAnsweredKeepsItsConnectionUntilIdle) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  DnsServer::Options options;
  options.tcp_idle_timeout = 500ms;
  Start(options);
  RawTcp c("127.0.0.1", server_->port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.Send(testing::WithLengthPrefix(
        testing::DnsQueryBytes(static_cast<uint16_t>(i), "web.default.svc.vigil", 1))));
    const DnsBytes answer = c.ReadMessage();
    ASSERT_GE(answer.size(), 12u);
    EXPECT_EQ(answer[1], i);
  }
  EXPECT_TRUE(c.ClosedWithin(5s));
}

TEST_F(DnsServerTest, AtTheConnectionCapTheIdlestGoes) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  DnsServer::Options options;
  options.max_tcp_connections = 4;
  Start(options);
  std::vector<std::unique_ptr<RawTcp>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<RawTcp>("127.0.0.1", server_->port()));
    // One at a time, so that their order is known.
    ASSERT_TRUE(WaitUntil([&] { return server_->tcp_connections() == idle.size(); }, 5s));
  }
  RawTcp fresh("127.0.0.1", server_->port());
  ASSERT_TRUE(
      fresh.Send(testing::WithLengthPrefix(testing::DnsQueryBytes(9, "web.default.svc.vigil", 1))));
  EXPECT_GE(fresh.ReadMessage().size(), 12u);
  EXPECT_TRUE(idle[0]->ClosedWithin(5s));
  EXPECT_EQ(server_->tcp_connections(), 4u);
  EXPECT_EQ(Answer("web.default.svc.vigil", "A", {"+tcp"}).size(), 1u);
}

// A client that sends queries and never reads the answers fills its own
// allowance, not the server's memory; it is dropped, the rest answered.
TEST_F(DnsServerTest, AClientThatNeverReadsIsHeldToItsAllowance) {
  board_.Put({Many("big", 1000)});  // 16 KB answers: 2000 of them are more than socket buffers hold
  DnsServer::Options options;
  options.tcp_idle_timeout = 500ms;
  options.max_tcp_output = 16 << 10;
  Start(options);
  RawTcp greedy("127.0.0.1", server_->port(), 4096);
  DnsBytes stream;
  for (int i = 0; i < 2000; ++i) {
    const DnsBytes q = testing::WithLengthPrefix(
        testing::DnsQueryBytes(static_cast<uint16_t>(i), "big.default.svc.vigil", 1));
    stream.insert(stream.end(), q.begin(), q.end());
  }
  greedy.Send(stream);
  EXPECT_EQ(Answer("big.default.svc.vigil", "A", {"+tcp"}).size(), 1000u);
  // Once its allowance and the socket buffers are full, it gets no more
  // answers, and at its deadline it goes.
  EXPECT_TRUE(WaitUntil([&] { return server_->tcp_connections() == 0; }, 20s));
  EXPECT_LT(Answered("NOERROR"), 2000);
  EXPECT_TRUE(greedy.ClosedWithin(5s));
}

TEST_F(DnsServerTest, APortTakenIsAClearError) {
  Start();
  DnsServer second(board_, clock_, {});
  const Status s = second.Start(ListenAddress{"127.0.0.1", server_->port()});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "cannot listen on 127.0.0.1:" + std::to_string(server_->port()) +
                             " (UDP): Address already in use");
}

}  // namespace
}  // namespace vigil
