// Status and Result: errors as values across module boundaries.
//
// A Status is either OK or carries a message a user can act on. A Result<T>
// holds a T or the Status saying why there is none. Both are plain values,
// safe to copy and move; they are not synchronized.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

class Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !message_.has_value(); }
  // The error's message; empty when ok().
  const std::string& message() const;

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}

  std::optional<std::string> message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Status error) : state_(std::move(error)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok() && "a Result's error must not be OK");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; an OK status when the result holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace vigil
