#include "tests/support/etcd_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "tests/support/host.h"
#include "tests/support/spawn.h"
#include "tests/support/wait.h"

namespace vigil::testing {

std::string EtcdServer::Binary() {
  for (const char* path : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

EtcdServer::EtcdServer() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/vigil-etcd-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  client_port_ = FreeLoopbackPort();
  do {
    peer_port_ = FreeLoopbackPort();
  } while (peer_port_ == client_port_);
}

EtcdServer::~EtcdServer() {
  Kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string EtcdServer::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(client_port_);
}

std::string EtcdServer::peer_url() const {
  return "http://127.0.0.1:" + std::to_string(peer_port_);
}

bool EtcdServer::Spawn() {
  const std::string binary = Binary();
  if (binary.empty()) {
    error_ = "etcd is not installed";
    return false;
  }
  const std::string client_url = endpoint();
  const std::string cluster =
      initial_cluster_.empty() ? name_ + "=" + peer_url() : initial_cluster_;
  std::vector<std::string> argv = {
      binary, "--name=" + name_, "--data-dir=" + dir_ + "/data",
      "--listen-client-urls=" + client_url, "--advertise-client-urls=" + client_url,
      "--listen-peer-urls=" + peer_url(), "--initial-advertise-peer-urls=" + peer_url(),
      "--initial-cluster=" + cluster,
      // One token per cluster, so that members of
      // clusters of other tests never talk.
      "--initial-cluster-token=vigil-" + std::to_string(std::hash<std::string>()(cluster)),
      "--log-level=warn", "--logger=zap"};
  const std::string log = dir_ + "/etcd.log";
  pid_ = SpawnTied(argv, log, log);
  if (pid_ < 0) {
    pid_ = -1;
    error_ = "cannot start " + binary;
    return false;
  }
  return true;
}

bool EtcdServer::WaitUp(std::chrono::milliseconds timeout) {
  bool exited = false;
  const bool up = WaitUntil(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          exited = true;
          return true;
        }
        return Answers();
      },
      timeout);
  if (exited) pid_ = -1;
  if (!up || exited) {
    error_ = "etcd did not come up on " + endpoint() + ":\n" + ReadLog();
    Kill();
    return false;
  }
  return true;
}

bool EtcdServer::Start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) return true;
  return Spawn() && WaitUp(timeout);
}

void EtcdServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool EtcdServer::Answers() const {
  httplib::Client client("127.0.0.1", client_port_);
  client.set_connection_timeout(0, 200000);
  client.set_read_timeout(1, 0);
  // A read through raft: etcd answers it once it has a leader.
  const auto res = client.Post("/v3/kv/range", R"({"key":"AA=="})", "application/json");
  return res && res->status == 200;
}

bool EtcdServer::Compact(int64_t revision) {
  httplib::Client client("127.0.0.1", client_port_);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(5, 0);
  const std::string body = R"({"revision":")" + std::to_string(revision) + R"(","physical":true})";
  const auto res = client.Post("/v3/kv/compaction", body, "application/json");
  return res && res->status == 200;
}

std::string EtcdServer::ReadLog() const {
  std::ifstream in(dir_ + "/etcd.log", std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace vigil::testing

namespace vigil::testing {

EtcdCluster::EtcdCluster(int size) {
  std::string cluster;
  for (int i = 0; i < size; ++i) {
    auto member = std::make_unique<EtcdServer>();
    member->name_ = "member-" + std::to_string(i);
    cluster += (i == 0 ? "" : ",") + member->name_ + "=" + member->peer_url();
    members_.push_back(std::move(member));
  }
  for (auto& member : members_) member->initial_cluster_ = cluster;
}

bool EtcdCluster::Start(std::chrono::milliseconds timeout) {
  // All at once: a member answers only once a quorum has elected a leader.
  for (auto& member : members_) {
    if (member->pid_ <= 0 && !member->Spawn()) return false;
  }
  for (auto& member : members_) {
    if (!member->WaitUp(timeout)) return false;
  }
  return true;
}

bool EtcdCluster::StartMember(int index, std::chrono::milliseconds timeout) {
  return members_[index]->Start(timeout);
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (const auto& member : members_) out.push_back(member->endpoint());
  return out;
}

std::string EtcdCluster::error() const {
  std::string out;
  for (const auto& member : members_) {
    if (!member->error().empty()) out += member->name_ + ": " + member->error() + "\n";
  }
  return out;
}

}  // namespace vigil::testing
