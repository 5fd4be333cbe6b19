// The signals that drive `vigil agent` and `vigil demo`: SIGINT and SIGTERM
// stop them, SIGHUP reloads the agent's config.
//
// BlockSignals must run on the main thread before any other thread starts:
// threads inherit the mask, so the signals reach WaitForSignal only, never a
// thread in the middle of its work.
#pragma once

namespace vigil {

void BlockSignals();

// Blocks until SIGINT, SIGTERM or SIGHUP arrives; returns its number.
int WaitForSignal();

// "SIGINT", "SIGTERM", "SIGHUP".
const char* SignalName(int signal);

}  // namespace vigil
