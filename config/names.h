// Validation of the names a config holds (service names, label keys and
// values, port names, node names, header names), with Kubernetes' rules, and
// the "did you mean" suggestion for misspelt keys.
//
// Pure functions. Each check returns OK or an error message that says what a
// valid name looks like.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil {

// A DNS-1035 label, as a Kubernetes Service name: lowercase letters, digits
// and '-', starting with a letter, ending with a letter or digit, ≤ 63 chars.
Status CheckDns1035Label(std::string_view name);

// A DNS-1123 label, as a Kubernetes Namespace name: lowercase letters,
// digits and '-', starting and ending with a letter or digit, ≤ 63 chars.
Status CheckDns1123Label(std::string_view name);

// A DNS-1123 subdomain, as a Kubernetes Node name.
Status CheckDns1123Subdomain(std::string_view name);

// Kubernetes label keys ("[prefix/]name") and values.
Status CheckLabelKey(std::string_view key);
Status CheckLabelValue(std::string_view value);

// An IANA service name, as a Kubernetes port name: ≤ 15 lowercase letters,
// digits and '-', at least one letter, no "--", no '-' at either end.
Status CheckPortName(std::string_view name);

// An HTTP header field name (an RFC 9110 token).
Status CheckHeaderName(std::string_view name);

// The candidate closest to `word` when it is a plausible misspelling of it
// (case-insensitive equality or a small edit distance); empty otherwise.
std::string ClosestMatch(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace vigil
