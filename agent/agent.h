// The running agent: the probe engine and its loop thread, the Prober on that
// loop, the StatusBoard, and the HTTP API, wired together for one Config.
//
// Threading: Start() and Stop() are called from one controlling thread (main);
// the board may be read from anywhere.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>

#include "agent/api/api_server.h"
#include "agent/prober.h"
#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "config/loader.h"
#include "exporters/metrics/metrics.h"
#include "exporters/registry/etcd_registry.h"
#include "exporters/registry/status_board.h"
#include "probes/probe_engine.h"

namespace vigil {

// Reads the config again for a reload: the file, with the command line's
// overrides applied.
using ConfigSource = std::function<ConfigLoad()>;

class Agent {
 public:
  // `config.node` must be set. `clock` must outlive the agent. Without a
  // `source` there is nothing to reload from.
  Agent(Config config, const Clock& clock, ConfigSource source = {});
  ~Agent();

  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Starts probing and serving; an error (e.g. the listen address is taken)
  // leaves nothing running.
  Status Start();
  // A graceful stop: probing ends, every endpoint is published as
  // terminating, watch streams receive that and end cleanly, then the API and
  // the loop stop. A reload under way is abandoned (see Reload). Idempotent.
  void Stop();

  // Loads the config from the source and, when it is valid, applies it as a
  // diff (see Prober::Apply). An invalid one changes nothing: every error is
  // logged and returned. Safe to call from any thread; reloads are serialized.
  // Once Stop() begins, a reload still reading its file is abandoned: it
  // returns an error at once and the read is left to finish (or block)
  // alone, so that a slow file never holds up a stop.
  Status Reload();

  // The API's bound port, once started.
  int api_port() const { return api_.port(); }
  // The agent's own endpoints.
  const StatusBoard& board() const { return board_; }
  // What the API serves: the agent's own board, or with the etcd registry
  // the cluster-wide view.
  const StatusBoard& served_board() const { return registry_ ? registry_->board() : board_; }

 private:
  Status Healthz() const;
  Status Readyz() const;
  static Status Abandoned();

  std::mutex reload_mutex_;
  Config config_;  // GUARDED_BY(reload_mutex_) once started
  const ConfigSource source_;
  const Clock& clock_;
  StatusBoard board_;
  Metrics metrics_;
  ProbeEngine engine_;
  Prober prober_;
  std::unique_ptr<EtcdRegistry> registry_;  // with registry.backend etcd
  ApiServer api_;
  bool started_ = false;
  std::atomic<bool> stopping_{false};
  // Set with stopping_ under stop_mutex_: a reload posts its changes to the
  // loop under it too, so none is posted after the termination.
  std::mutex stop_mutex_;
  std::stop_source stop_source_;
};

}  // namespace vigil
