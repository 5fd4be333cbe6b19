// The running agent: the probe engine and its loop thread, the Prober on that
// loop, the StatusBoard, and the HTTP API, wired together for one Config.
//
// Threading: Start() and Stop() are called from one controlling thread (main);
// the board may be read from anywhere.
#pragma once

#include <memory>

#include "agent/api_server.h"
#include "agent/prober.h"
#include "agent/status_board.h"
#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "exporters/metrics.h"
#include "probes/probe_engine.h"

namespace vigil {

class Agent {
 public:
  // `config.node` must be set. `clock` must outlive the agent.
  Agent(Config config, const Clock& clock);
  ~Agent();

  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Starts probing and serving; an error (e.g. the listen address is taken)
  // leaves nothing running.
  Status Start();
  void Stop();

  // The API's bound port, once started.
  int api_port() const { return api_.port(); }
  const StatusBoard& board() const { return board_; }

 private:
  Status Healthz() const;

  const Config config_;
  const Clock& clock_;
  StatusBoard board_;
  Metrics metrics_;
  ProbeEngine engine_;
  Prober prober_;
  ApiServer api_;
};

}  // namespace vigil
