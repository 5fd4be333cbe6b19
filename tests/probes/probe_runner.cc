#include "tests/probes/probe_runner.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

namespace vigil::testing {

ProbeRunner::ProbeRunner(ProbeEngine::Options options) : engine_(clock_, options) {
  Status started = engine_.Start();
  EXPECT_TRUE(started.ok()) << started.message();
}

ProbeRunner::~ProbeRunner() { engine_.Stop(); }

ProbeResult ProbeRunner::Run(const ProbeSpec& spec) { return RunAll({spec}).front(); }

std::vector<ProbeResult> ProbeRunner::RunAll(const std::vector<ProbeSpec>& specs) {
  struct Batch {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<ProbeResult> results;
    size_t left = 0;
  };
  auto batch = std::make_shared<Batch>();
  batch->results.resize(specs.size());
  batch->left = specs.size();
  engine_.Post([this, batch, specs] {
    for (size_t i = 0; i < specs.size(); ++i) {
      engine_.Probe(specs[i], [batch, i](const ProbeResult& result) {
        std::lock_guard<std::mutex> lock(batch->mutex);
        batch->results[i] = result;
        if (--batch->left == 0) batch->done.notify_all();
      });
    }
  });
  std::unique_lock<std::mutex> lock(batch->mutex);
  EXPECT_TRUE(batch->done.wait_for(lock, std::chrono::minutes(1), [&] { return batch->left == 0; }))
      << batch->left << " of " << specs.size() << " probes never finished";
  return batch->results;
}

ProbeSpec HttpSpec(int port, const std::string& path, const std::string& host) {
  ProbeSpec spec;
  spec.kind = ProbeSpec::Kind::kHttp;
  spec.host = host;
  spec.port = port;
  spec.path = path;
  spec.timeout = std::chrono::seconds(5);
  return spec;
}

ProbeSpec TcpSpec(int port, const std::string& host) {
  ProbeSpec spec = HttpSpec(port, "/", host);
  spec.kind = ProbeSpec::Kind::kTcp;
  return spec;
}

RefusingPort::RefusingPort(const std::string& address) {
  const bool v6 = address.find(':') != std::string::npos;
  sockaddr_storage storage{};
  socklen_t length = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  storage.ss_family = v6 ? AF_INET6 : AF_INET;
  void* ip = v6 ? static_cast<void*>(&reinterpret_cast<sockaddr_in6*>(&storage)->sin6_addr)
                : static_cast<void*>(&reinterpret_cast<sockaddr_in*>(&storage)->sin_addr);
  fd_ = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(inet_pton(storage.ss_family, address.c_str(), ip), 1);
  EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&storage), length), 0);
  EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length), 0);
  port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                   : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

RefusingPort::~RefusingPort() { close(fd_); }

}  // namespace vigil::testing
