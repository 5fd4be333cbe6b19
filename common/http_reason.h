// Short lowercase descriptions of HTTP error statuses, for the bodies of
// error answers ("not found"). A pure function.
#pragma once

#include <string>

namespace vigil {

std::string ReasonPhrase(int status);

}  // namespace vigil
