// A watch stream held open against a real server, for tests: a thread reads
// the NDJSON events while the test waits for the ones it expects. Destroying
// it (or Close()) drops the connection, as a client that goes away would.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace vigil::testing {

class WatchStream {
 public:
  WatchStream(const std::string& host, int port, const std::string& target,
              httplib::Headers headers = {})
      : client_(host, port) {
    client_.set_connection_timeout(std::chrono::seconds(5));
    client_.set_read_timeout(std::chrono::seconds(60));
    thread_ = std::thread([this, target, headers] {
      client_.Get(
          target, headers,
          [this](const httplib::Response& response) {
            std::lock_guard<std::mutex> lock(mutex_);
            status_ = response.status;
            content_type_ = response.get_header_value("Content-Type");
            changed_.notify_all();
            return true;
          },
          [this](const char* data, size_t size) {
            std::lock_guard<std::mutex> lock(mutex_);
            pending_.append(data, size);
            for (size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
              events_.push_back(nlohmann::json::parse(pending_.substr(0, nl)));
              pending_.erase(0, nl + 1);
            }
            changed_.notify_all();
            return true;
          });
      std::lock_guard<std::mutex> lock(mutex_);
      ended_ = true;
      changed_.notify_all();
    });
  }
  ~WatchStream() { Close(); }

  void Close() {
    client_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Waits until at least `count` events came (true) or `timeout` passed.
  bool WaitForEvents(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
  }
  // Waits until at least `count` events other than BOOKMARKs came.
  bool WaitForChanges(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return ChangesLocked().size() >= count; });
  }
  // The events other than BOOKMARKs.
  std::vector<nlohmann::json> changes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ChangesLocked();
  }

  // Waits until the server ended the stream.
  bool WaitForEnd(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return ended_; });
  }
  // Waits for the response status; 0 when none came in time.
  int Status(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return status_ != 0 || ended_; });
    return status_;
  }

  // The answer's Content-Type, once its status came.
  std::string content_type() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return content_type_;
  }

  std::vector<nlohmann::json> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  std::vector<nlohmann::json> ChangesLocked() const {
    std::vector<nlohmann::json> changes;
    for (const auto& e : events_) {
      if (e.value("type", "") != "BOOKMARK") changes.push_back(e);
    }
    return changes;
  }

  httplib::Client client_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string pending_;
  std::vector<nlohmann::json> events_;
  int status_ = 0;
  std::string content_type_;
  bool ended_ = false;
};

}  // namespace vigil::testing
