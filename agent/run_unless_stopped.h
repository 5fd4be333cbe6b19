// RunUnlessStopped: runs a blocking call (reading a config file, which may
// sit on a slow disk or be a FIFO nobody writes) on a thread of its own and
// waits for its result, unless a stop is requested first: then it returns
// nullopt at once and leaves the call to finish, or block, alone. The call
// must therefore own everything it uses (capture by value); its thread
// touches only what the call and this function share.
//
// Thread-safe: a free function; each call has its own thread and state.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

namespace vigil {

template <typename T>
std::optional<T> RunUnlessStopped(std::function<T()> call, std::stop_token stop) {
  if (stop.stop_requested()) return std::nullopt;
  struct State {
    std::mutex mutex;
    std::condition_variable_any done;
    std::optional<T> result;
  };
  auto state = std::make_shared<State>();
  std::thread([state, call = std::move(call)] {
    T result = call();
    std::lock_guard<std::mutex> lock(state->mutex);
    state->result = std::move(result);
    state->done.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(state->mutex);
  state->done.wait(lock, stop, [&] { return state->result.has_value(); });
  return std::move(state->result);
}

}  // namespace vigil
