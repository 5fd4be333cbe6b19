// The DNS server: UDP and TCP on one address and port, answering for the
// zone from a StatusBoard (DnsResponder) on a thread of its own, an event
// loop on one epoll. It never touches the probe loop. UDP datagrams are
// received and answered in batches (recvmmsg, sendmmsg); the board is
// looked at once per batch, after it was received, so that a change
// committed before a query arrived is in its answer.
//
// TCP connections (RFC 7766: several queries per connection, pipelined) are
// held to limits, so that no client can starve the others: at most
// `max_tcp_connections` (a new one closes the one idle longest), each
// closed `tcp_idle_timeout` after it opened or last got a complete answer
// (a client sending slowly, or not reading, is dropped), and each with at
// most `max_tcp_output` bytes of answers waiting to be read, besides a send
// buffer of 64 KiB in the kernel (beyond it the server stops reading that
// client's queries). A pipelining client gets a share of each turn of the
// loop, never the whole turn. Over UDP, a server on every interface answers
// from the address it was asked at.
//
// Threading: Start() and Stop() from one controlling thread; port() and
// tcp_connections() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "config/address.h"
#include "exporters/dns/dns_responder.h"
#include "exporters/registry/status_board.h"

namespace vigil {

class DnsServer {
 public:
  struct Options {
    // With no name_server_addresses, the server's own address when it
    // listens on a particular one.
    DnsZone zone;
    size_t max_tcp_connections = 256;
    Duration tcp_idle_timeout = std::chrono::seconds(10);
    size_t max_tcp_output = 256 << 10;
    DnsResponder::AnswerListener on_answer;  // called on the server's thread
  };

  // `board` and `clock` must outlive the server.
  DnsServer(const StatusBoard& board, const Clock& clock, Options options);
  ~DnsServer();  // Stop()

  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Binds UDP and TCP on `address` (an IP literal, or empty for every
  // interface; port 0: a free port, the same for both) and starts the
  // thread. An error leaves nothing open.
  Status Start(const ListenAddress& address);
  // Ends the thread and closes every socket. Idempotent.
  void Stop();

  // The bound port, once started.
  int port() const { return port_.load(); }
  // TCP connections open now.
  size_t tcp_connections() const { return tcp_connections_.load(); }

 private:
  class Loop;

  const StatusBoard& board_;
  const Clock& clock_;
  Options options_;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  std::atomic<int> port_{0};
  std::atomic<size_t> tcp_connections_{0};
};

}  // namespace vigil
