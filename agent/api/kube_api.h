// KubeApi: the Kubernetes API view's requests, answered from the
// StatusBoard (KUBERNETES_API.md): discovery (/version, /api, /apis, the
// resource lists, aggregated discovery when asked), list, get and watch of
// Services, Endpoints, EndpointSlices, Events and Namespaces, in JSON or as
// Tables, with label and field selectors, resourceVersion semantics,
// bookmarks and timeoutSeconds; every error a metav1.Status. The paths,
// parameters, media types, objects and Tables are the pure logic of
// agent/api/kubernetes; this class reads the board and makes the answers.
//
// `board` holds the services; `events` the Kubernetes Events (the same
// board, except with the etcd registry: then `board` is the cluster-wide
// view at etcd's revisions and Events are the agent's own, kept on its local
// board with that board's versions and never published to etcd; each then
// points at the cluster view's Endpoints object of its service). The watch
// machinery is the board's (kube_view.h).
//
// Every object is encoded once per committed version, in an ObjectCache
// that lists and watches share (it keeps the encodings of what the boards
// hold, and of older states while watches use them).
//
// Thread-safety: Handle may be called from any thread, concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "agent/api/http_message.h"
#include "agent/api/kube_view.h"
#include "agent/api/kubernetes/api_error.h"
#include "agent/api/kubernetes/object_cache.h"
#include "agent/api/kubernetes/query.h"
#include "agent/api/kubernetes/router.h"
#include "exporters/registry/status_board.h"

namespace vigil {

struct KubeApiOptions {
  // A watch without timeoutSeconds ends after a random time in
  // [watch_duration, 2 * watch_duration), as the apiserver's (30-60 min):
  // kubectl's `get -w` exits when the server ends it.
  std::chrono::seconds watch_duration = std::chrono::minutes(30);
  // With allowWatchBookmarks, a BOOKMARK at least this often (and one
  // before a timeoutSeconds end).
  std::chrono::milliseconds bookmark_interval = std::chrono::seconds(60);
};

class KubeApi {
 public:
  static constexpr const char* kDialect = "kubernetes";

  // Takes one of the API's watch slots: the function that gives it back, or
  // nullopt when none is free (the answer is then a 429).
  using WatchSlot = std::function<std::optional<std::function<void()>>()>;

  KubeApi(const StatusBoard& board, const StatusBoard& events, WatchSlot slot,
          KubeApiOptions options = {});

  // Any method on /version, /api[/…] and /apis[/…].
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  HttpResponse Discovery(kube::Document document, const kube::Negotiation& negotiation,
                         const HttpRequest& request) const;
  HttpResponse Objects(const kube::ResourceRequest& target, const kube::Negotiation& negotiation,
                       const HttpRequest& request) const;
  HttpResponse Watch(const kube::ResourceRequest& target, kube::KubeQuery query,
                     const kube::Negotiation& negotiation) const;
  const StatusBoard& BoardOf(kube::Resource resource) const;
  // With Events on a board of their own: points `event`'s involvedObject
  // (uid, resourceVersion) at the served board's Endpoints of that name,
  // which `kubectl describe` selects them by.
  void Relink(kube::KubeJson& event) const;

  const StatusBoard& board_;
  const StatusBoard& events_;
  const WatchSlot slot_;
  const KubeApiOptions options_;
  const DefaultNamespace default_namespace_;
  // Every object encoded once, for every list and watch.
  mutable kube::ObjectCache cache_;
  KubeEncoding encoding_;
};

}  // namespace vigil
