// An owned curl_slist (libcurl's list of header lines), without libcurl's
// headers: a PreparedProbe holds one, and the engine's users need not see
// libcurl.
#pragma once

#include <memory>

struct curl_slist;

namespace vigil {

struct SlistFree {
  void operator()(curl_slist* list) const;  // curl_slist_free_all
};
using SlistPtr = std::unique_ptr<curl_slist, SlistFree>;

}  // namespace vigil
