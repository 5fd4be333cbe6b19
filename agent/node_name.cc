#include "agent/node_name.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "config/names.h"

namespace vigil {

Result<std::string> HostNodeName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) {
    return Status::Error("cannot read the host name; set --node");
  }
  std::string node = name;
  std::transform(node.begin(), node.end(), node.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (Status s = CheckDns1123Subdomain(node); !s.ok()) {
    return Status::Error("the host name cannot serve as node name: " + s.message() +
                         "; set --node");
  }
  return node;
}

}  // namespace vigil
