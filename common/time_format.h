// Times as Kubernetes writes and reads them: RFC 3339 timestamps and
// kubectl's human durations (the AGE column). Pure functions.
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace vigil {

// RFC 3339 in UTC with second precision, as Kubernetes prints times
// (metav1.Time): "2026-11-26T10:20:30Z".
std::string FormatTime(WallTime time);

// An RFC 3339 time such as "2026-11-26T10:20:30Z" (fraction and numeric offset
// allowed); an error naming the text otherwise.
Result<WallTime> ParseTime(const std::string& text);

// kubectl's AGE (k8s.io/apimachinery/pkg/util/duration.HumanDuration):
// "<invalid>" below -1s, "0s" for -1s, then "57s", "4m30s", "45m", "3h5m",
// "20h", "3d4h", "30d", "2y30d", "9y".
std::string HumanDuration(std::chrono::seconds d);

}  // namespace vigil
