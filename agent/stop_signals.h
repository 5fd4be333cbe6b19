// SIGINT and SIGTERM, the signals that stop `vigil agent` and `vigil demo`.
//
// BlockStopSignals must run on the main thread before any other thread
// starts: threads inherit the mask, so the signals reach WaitForStopSignal
// only, never a thread in the middle of its work.
#pragma once

namespace vigil {

void BlockStopSignals();

// Blocks until SIGINT or SIGTERM arrives; returns its name ("SIGINT").
const char* WaitForStopSignal();

}  // namespace vigil
