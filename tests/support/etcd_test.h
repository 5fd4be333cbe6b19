// The base of tests that need a real etcd: a fresh single member on loopback
// for each test (skipped when etcd is not installed) and client options that
// fail fast, so that a test of a fault does not wait for default timeouts.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "exporters/registry/etcd_client.h"
#include "tests/support/etcd_server.h"

namespace vigil::testing {

inline EtcdClient::Options FastEtcdOptions() {
  EtcdClient::Options options;
  options.connect_timeout = std::chrono::milliseconds(300);
  options.request_timeout = std::chrono::milliseconds(2000);
  return options;
}

class EtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (EtcdServer::Binary().empty()) GTEST_SKIP() << "etcd is not installed (etcd-server)";
    ASSERT_TRUE(server_.Start()) << server_.error();
    etcd_ = std::make_unique<EtcdClient>(std::vector<std::string>{server_.endpoint()},
                                         FastEtcdOptions());
  }

  // A client of the test's own, apart from the code under test.
  EtcdClient& etcd() { return *etcd_; }

  EtcdServer server_;
  std::unique_ptr<EtcdClient> etcd_;
};

}  // namespace vigil::testing
