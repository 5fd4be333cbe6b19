// What an HttpServer route sees and answers: the request, decoded (path
// segments, the route's captures, query parameters, headers, body), and the
// answer, either whole (a status, headers and a body) or a stream whose
// bytes the server pulls when it has room to send and the stream's source
// has something new.
//
// HttpRequest and HttpResponse are plain values. A ResponseStream is owned by
// the server once answered; see its comment for the threads that call it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/request_target.h"

namespace vigil {

struct HttpRequest {
  std::string method;                           // "GET", "POST", …
  std::string target;                           // as received: "/a/b?c=d"
  std::string path;                             // the target's path, not decoded
  std::vector<std::string> segments;            // the path's decoded segments
  std::map<std::string, std::string> captures;  // the route pattern's {name}s
  QueryParams query;
  std::map<std::string, std::string> headers;  // names lowercased; a repeated one: the last
  std::string body;
  std::string peer;  // the client's address

  // The value of `name` (any case), or "" when absent.
  std::string Header(std::string_view name) const;
  // The capture `name` of the route's pattern, or "" when there is none.
  std::string Capture(const std::string& name) const;
};

// An answer's body, pulled piece by piece (a watch stream). The server calls
// Pull on one thread of its own at a time, never concurrently, and destroys
// the stream on any of its threads once the connection is done with it.
class ResponseStream {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~ResponseStream() = default;

  // Appends to `*out` what is ready to send (possibly nothing). Returns
  // false once the stream is over: nothing comes after what was appended,
  // and the server ends the answer cleanly. With `stopping` the server is
  // about to stop: append the last words and return false.
  virtual bool Pull(std::string* out, bool stopping, TimePoint now) = 0;

  // When Pull gave nothing: by when it should be called again even if
  // nothing wakes the server's streams (e.g. a heartbeat is due);
  // TimePoint::max() for never.
  virtual TimePoint WakeAt() const { return TimePoint::max(); }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is this stream's (chunked with HTTP/1.1) and `body`
  // is ignored.
  std::unique_ptr<ResponseStream> stream;

  HttpResponse() = default;
  HttpResponse(int status, std::string content_type, std::string body)
      : status(status), content_type(std::move(content_type)), body(std::move(body)) {}
};

}  // namespace vigil
