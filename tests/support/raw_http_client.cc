#include "tests/support/raw_http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <functional>

namespace vigil::testing {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Parses a response head at the start of `buffer`; the bytes it took, or 0
// when the head is not all there.
size_t ParseHead(const std::string& buffer, RawHttpResponse* response) {
  const size_t end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  const std::string head = buffer.substr(0, end);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  const size_t space = status_line.find(' ');
  response->status = space == std::string::npos ? 0 : std::atoi(status_line.c_str() + space + 1);
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response->headers[Lower(line.substr(0, colon))] = value;
  }
  response->chunked = Lower(response->Header("transfer-encoding")) == "chunked";
  return end + 4;
}

// Decodes whole chunks from the start of `buffer` into `response`; returns
// the bytes taken. Sets `complete` at the last chunk.
size_t DecodeChunks(const std::string& buffer, RawHttpResponse* response) {
  size_t at = 0;
  while (!response->complete) {
    const size_t line_end = buffer.find("\r\n", at);
    if (line_end == std::string::npos) break;
    const size_t size = std::strtoul(buffer.c_str() + at, nullptr, 16);
    if (size == 0) {
      if (buffer.size() < line_end + 4) break;  // the empty trailer line
      at = line_end + 4;
      response->complete = true;
      break;
    }
    if (buffer.size() < line_end + 2 + size + 2) break;
    response->body.append(buffer, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return at;
}

}  // namespace

std::string RawHttpResponse::Header(const std::string& lowercase_name) const {
  const auto it = headers.find(lowercase_name);
  return it == headers.end() ? "" : it->second;
}

RawHttpConnection::RawHttpConnection(const std::string& host, int port, const std::string& source) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (!source.empty()) {
    inet_pton(AF_INET, source.c_str(), &addr.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Close();
      return;
    }
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Close();
    return;
  }
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

RawHttpConnection::~RawHttpConnection() { Close(); }

RawHttpConnection::RawHttpConnection(RawHttpConnection&& other) noexcept
    : fd_(other.fd_),
      buffer_(std::move(other.buffer_)),
      closed_(other.closed_),
      stream_(std::move(other.stream_)) {
  other.fd_ = -1;
}

void RawHttpConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void RawHttpConnection::SetReceiveBuffer(int bytes) {
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

bool RawHttpConnection::Send(const std::string& bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, RemainingMs(deadline)) <= 0) return false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
  return true;
}

bool RawHttpConnection::Fill(Clock::time_point deadline) {
  if (fd_ < 0 || closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, RemainingMs(deadline)) <= 0) return false;
  char chunk[65536];
  const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
  if (n > 0) {
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  closed_ = true;
  return false;
}

std::optional<RawHttpResponse> RawHttpConnection::ReadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    RawHttpResponse response;
    const size_t head = ParseHead(buffer_, &response);
    if (head > 0) {
      const std::string rest = buffer_.substr(head);
      if (response.chunked) {
        const size_t used = DecodeChunks(rest, &response);
        if (response.complete) {
          buffer_.erase(0, head + used);
          return response;
        }
      } else if (const std::string length = response.Header("content-length"); !length.empty()) {
        const size_t size = std::strtoul(length.c_str(), nullptr, 10);
        if (rest.size() >= size) {
          response.body = rest.substr(0, size);
          response.complete = true;
          buffer_.erase(0, head + size);
          return response;
        }
      } else if (response.status == 204 || response.status == 304 || response.status < 200) {
        buffer_.erase(0, head);
        response.complete = true;
        return response;
      } else if (closed_) {
        response.body = rest;
        response.complete = true;
        buffer_.clear();
        return response;
      }
    }
    if (!Fill(deadline)) {
      if (closed_ && head > 0 && !response.chunked && response.Header("content-length").empty()) {
        continue;  // a body that ends with the connection: now it has
      }
      return std::nullopt;
    }
  }
}

std::optional<RawHttpResponse> RawHttpConnection::ReadStreamUntil(
    const std::function<bool(const std::string& body)>& until, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (!stream_) {
      RawHttpResponse response;
      const size_t head = ParseHead(buffer_, &response);
      if (head > 0) {
        buffer_.erase(0, head);
        stream_ = response;
      }
    }
    if (stream_) {
      buffer_.erase(0, DecodeChunks(buffer_, &*stream_));
      if (stream_->complete || until(stream_->body)) return stream_;
    }
    if (!Fill(deadline)) return stream_;
  }
}

bool RawHttpConnection::WaitForClose(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!closed_) {
    if (!Fill(deadline) && !closed_) return false;
  }
  return true;
}

std::string HttpGet(const std::string& target, const std::vector<std::string>& headers) {
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) request += h + "\r\n";
  return request + "\r\n";
}

}  // namespace vigil::testing
