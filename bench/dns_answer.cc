// Times the DNS server's answer path, the wire format through ldns:
//
//   dns_answer_bench [--services 100] [--endpoints 3] [--seconds 5] [--window 32]
//
// 1. In process, for an A query, an SRV query (its targets in the
//    additional section) and an NXDOMAIN, each repeated for --seconds / 10
//    twice: the answer built (decode with ldns, answer from a StatusBoard,
//    encode with ldns, as every answer was before answers were
//    precompiled), then DnsResponder::Respond (the hand-read query, the
//    board's version looked at, the precompiled answer copied and
//    patched): CPU microseconds per query (the thread's own CPU time, so
//    that other work on the machine does not count), one core.
// 2. A DnsServer on loopback and one UDP client keeping --window queries in
//    flight for --seconds: answers per second (the client shares the
//    machine), and the process's resident memory.
//
// A quick check, not dnsperf against NSD (that comparison is DESIGN.md's
// budget and needs both on the same zone).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <variant>
#include <vector>

#include "bench/bench_support.h"
#include "exporters/dns/dns_server.h"
#include "exporters/dns/query_decoder.h"
#include "exporters/dns/response_encoder.h"
#include "exporters/dns/zone_answer.h"

namespace {

using Clock = std::chrono::steady_clock;
using vigil::DnsResponder;
using vigil::DnsServer;
using vigil::EndpointsObject;
using vigil::EndpointStatus;
using vigil::StatusBoard;
using vigil::bench::Flag;
using vigil::bench::ResidentMiB;

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

std::vector<uint8_t> Query(uint16_t id, const std::string& name, uint16_t type) {
  std::vector<uint8_t> q = {
      static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 1};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
  // EDNS0, as dig and most resolvers send it.
  q.insert(q.end(), {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0});
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t services = Flag(argc, argv, "--services", 100);
  const size_t per_service = Flag(argc, argv, "--endpoints", 3);
  const size_t seconds = Flag(argc, argv, "--seconds", 5);
  const size_t window = Flag(argc, argv, "--window", 32);

  StatusBoard board;
  std::vector<EndpointsObject> objects;
  for (size_t s = 0; s < services; ++s) {
    EndpointsObject o;
    o.name = "svc-" + std::to_string(s);
    o.ports = {{"http", 8080}};
    for (size_t e = 0; e < per_service; ++e) {
      EndpointStatus status;
      status.address = "10." + std::to_string(s / 250) + "." + std::to_string(s % 250) + "." +
                       std::to_string(e + 1);
      status.port = 8080;
      status.node = "node-a";
      status.conditions = {true, true, false};
      o.endpoints.push_back(status);
    }
    objects.push_back(std::move(o));
  }
  board.Put(std::move(objects));

  const vigil::DnsZone zone;
  DnsResponder responder(board, zone);
  vigil::ResponseEncoder encoder;
  std::vector<uint8_t> out;
  const auto time = [&](const char* what, const char* how, auto answer) {
    size_t n = 0;
    const double cpu = ThreadCpuSeconds();
    const auto until = Clock::now() + std::chrono::milliseconds(seconds * 1000 / 10);
    while (Clock::now() < until) {
      for (int i = 0; i < 100; ++i) answer();
      n += 100;
    }
    const double us = (ThreadCpuSeconds() - cpu) * 1e6 / static_cast<double>(n);
    std::printf("%-28s %-12s %7.2f us/query  %8.0f queries/s  %zu bytes\n", what, how, us, 1e6 / us,
                out.size());
  };
  const auto both = [&](const char* what, const std::vector<uint8_t>& query) {
    time(what, "built", [&] {
      const vigil::DecodedQuery decoded = vigil::DecodeDnsQuery(query);
      const auto& q = std::get<vigil::DnsQuery>(decoded);
      if (!encoder.Encode(q, vigil::AnswerQuery(q, board, zone), vigil::UdpLimit(q), &out).ok()) {
        std::abort();
      }
    });
    time(what, "precompiled", [&] {
      if (!responder.Respond(query, vigil::DnsTransport::kUdp, &out)) std::abort();
    });
  };
  std::printf("in process, %zu services of %zu ready endpoints:\n", services, per_service);
  both("A (svc-7)", Query(1, "svc-7.default.svc.vigil", 1));
  both("SRV (svc-7, + additional)", Query(2, "_http._tcp.svc-7.default.svc.vigil", 33));
  both("NXDOMAIN", Query(3, "nope.default.svc.vigil", 1));

  vigil::SystemClock clock;
  DnsServer server(board, clock, {});
  if (vigil::Status s = server.Start({"127.0.0.1", 0}); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(server.port()));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
  std::vector<std::vector<uint8_t>> queries;
  for (size_t s = 0; s < services; ++s) {
    queries.push_back(
        Query(static_cast<uint16_t>(s), "svc-" + std::to_string(s) + ".default.svc.vigil", 1));
  }
  size_t sent = 0;
  size_t answered = 0;
  size_t in_flight = 0;
  uint8_t buffer[4096];
  const auto start = Clock::now();
  const auto until = start + std::chrono::seconds(seconds);
  while (Clock::now() < until) {
    while (in_flight < window) {
      const auto& q = queries[sent++ % queries.size()];
      if (send(fd, q.data(), q.size(), 0) < 0) break;
      ++in_flight;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) {
      in_flight = 0;  // lost in a full buffer: send again
      continue;
    }
    while (recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
      ++answered;
      if (in_flight > 0) --in_flight;
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "over UDP on loopback, one client, %zu in flight: %.0f answers/s (%zu sent, %zu "
      "answered in %.1f s)\n",
      window, static_cast<double>(answered) / elapsed, sent, answered, elapsed);
  std::printf("resident memory: %.1f MiB\n", ResidentMiB());
  close(fd);
  server.Stop();
  return 0;
}
