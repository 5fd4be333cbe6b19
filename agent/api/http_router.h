// HttpRouter: finds the route of a request from its method and decoded path
// segments. A pattern is a path whose segments are literals or captures
// ("/vigil/v1/endpoints/{name}/transitions"); a capture matches one non-empty
// segment; a last segment "{**}" matches the rest of the path, however many
// segments (none included). A literal segment wins over a capture at the
// same place. HEAD is answered by the GET route; a route of method "*"
// answers every method (its handler tells them apart).
//
// A path that matches some pattern but not with the request's method is a
// 405 with the methods that would do (Allow); one that matches none, a 404.
//
// Pure logic. Add() before any Match(); Match() is then safe to call from
// several threads at once.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace vigil {

class HttpRouter {
 public:
  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed } kind = Kind::kNotFound;
    int route = -1;                               // the id given to Add, when found
    std::map<std::string, std::string> captures;  // when found
    std::string allow;                            // for 405: "GET" or "GET, POST"
  };

  // `route` is the caller's id of the route. A pattern must start with '/';
  // the same method and pattern twice is a programming error (asserted).
  void Add(const std::string& method, const std::string& pattern, int route);

  Match Find(const std::string& method, const std::vector<std::string>& segments) const;

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> pattern;  // "{name}" for a capture
    int route;
  };
  // Whether `pattern` matches `segments`; fills `captures` and counts the
  // literal segments matched (more is more specific).
  static bool Matches(const std::vector<std::string>& pattern,
                      const std::vector<std::string>& segments,
                      std::map<std::string, std::string>* captures, int* literals);

  std::vector<Entry> entries_;
};

}  // namespace vigil
