// ApiObserver: what the HTTP API reports for metrics: each answer, by the
// dialect of its route ("vigil", "other"; a Kubernetes dialect adds
// "kubernetes") and its status code, and the watch streams open.
//
// Calls come from the API's threads, concurrently: implementations are
// thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace vigil {

class ApiObserver {
 public:
  virtual ~ApiObserver() = default;

  // One answer sent (or begun, for a stream) with `code`.
  virtual void OnApiRequest(const std::string& dialect, int code) = 0;
  // Watch streams of `dialect` opened (+1) or closed (-1); 0 makes the
  // dialect's series exist before its first watch.
  virtual void OnApiWatches(const std::string& dialect, int delta) = 0;
};

}  // namespace vigil
