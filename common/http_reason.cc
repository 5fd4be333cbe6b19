#include "common/http_reason.h"

namespace vigil {

std::string ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 413:
      return "request body too large";
    case 414:
      return "URI too long";
    case 429:
      return "too many requests";
    case 503:
      return "service unavailable";
    default:
      return "request failed with status " + std::to_string(status);
  }
}

}  // namespace vigil
