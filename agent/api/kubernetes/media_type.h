// Content negotiation of the Kubernetes view (KUBERNETES_API.md §5): which
// representation a request gets from its Accept header. The client's media
// ranges are tried in its order (highest q first, the client's order among
// equals; q=0 refuses), and the first this server can answer wins:
//   application/json;as=Table;v=v1;g=meta.k8s.io (or v=v1beta1) → a Table,
//     on the paths of objects;
//   application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList →
//     aggregated discovery, on /api and /apis;
//   application/json, application/*, */*, or no Accept at all → JSON;
// anything else (protobuf, CBOR, YAML, another "as") is skipped, and when
// nothing is left the answer is 406 NotAcceptable.
//
// Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/api/kubernetes/api_error.h"

namespace vigil::kube {

// One media range of an Accept header. Type, subtype and parameter names are
// lower-cased (they are case-insensitive); parameter values are kept as
// sent, unquoted; q is taken out into `quality`.
struct MediaRange {
  std::string type;
  std::string subtype;
  std::vector<std::pair<std::string, std::string>> parameters;
  double quality = 1.0;

  bool operator==(const MediaRange&) const = default;
};

// The ranges of an Accept header in the order sent; a malformed one (no
// "/", an empty name, a bad q) is left out.
std::vector<MediaRange> ParseAccept(std::string_view header);

enum class Representation { kJson, kTable, kAggregatedDiscovery };

// What a path can answer with besides JSON.
enum class Offer {
  kObjects,        // lists, gets and watches: Tables too
  kDiscoveryRoot,  // /api and /apis: aggregated discovery too
  kDocument,       // /version and the other discovery documents: JSON only
};

struct Negotiation {
  Representation representation = Representation::kJson;
  // The answer's Content-Type: "application/json" (Tables too), or the
  // aggregated discovery type, from which client-go tells the format.
  std::string_view content_type;

  bool operator==(const Negotiation&) const = default;
};

// The representation for `accept` (the header's value; "" when absent), or
// 406 "only the following media types are accepted: …" naming what `offer`
// serves.
ApiResult<Negotiation> Negotiate(std::string_view accept, Offer offer);

}  // namespace vigil::kube
