#include <cstdlib>

#include "agent/cli/api_client.h"
#include "agent/cli/commands.h"
#include "agent/cli/flags.h"

namespace vigil {
namespace {

// `text` as a YAML double-quoted scalar.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(c >> 4) & 0xf];
      out += kHex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int RunKubeconfigCommand(CommandArgs args, std::ostream& out, std::ostream& err) {
  std::string server;
  std::string token;
  FlagSet flags;
  flags.String("server", "", "URL",
               std::string("The agent's API (default: $VIGIL_SERVER, else ") + kDefaultServer + ")",
               &server);
  flags.String("token", "", "T",
               "A bearer token for the agent's API (default: $VIGIL_TOKEN); needs an https:// "
               "server",
               &token);
  if (Status s = flags.Parse(args); !s.ok()) {
    err << "vigil kubeconfig: " << s.message() << "\n";
    return kExitUsage;
  }
  if (flags.help_requested()) {
    out << "Print a kubeconfig for kubectl and the Kubernetes client libraries, pointing at\n"
           "this agent's Kubernetes API (one cluster, user and context, all named vigil):\n\n"
           "  kubectl --kubeconfig <(vigil kubeconfig) get endpoints -w\n\n"
           "kubectl sends a token only to an https:// server.\n\n"
           "Usage:\n  vigil kubeconfig [FLAGS]\n\n"
        << flags.Usage();
    return kExitOk;
  }
  if (!flags.positionals().empty()) {
    err << "vigil kubeconfig: takes no arguments\n";
    return kExitUsage;
  }
  const std::string url = ServerUrl(server);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    err << "vigil kubeconfig: the server \"" << url << "\" is not an http:// or https:// URL\n";
    return kExitUsage;
  }
  if (token.empty()) {
    const char* env = std::getenv("VIGIL_TOKEN");
    if (env != nullptr) token = env;
  }
  if (!token.empty() && url.rfind("https://", 0) != 0) {
    err << "vigil kubeconfig: a token needs an https:// server: kubectl sends no credentials "
           "over plain HTTP\n";
    return kExitUsage;
  }
  out << "apiVersion: v1\n"
         "kind: Config\n"
         "clusters:\n"
         "- name: vigil\n"
         "  cluster:\n"
         "    server: "
      << Quoted(url)
      << "\n"
         "users:\n"
         "- name: vigil\n";
  if (token.empty()) {
    out << "  user: {}\n";
  } else {
    out << "  user:\n    token: " << Quoted(token) << "\n";
  }
  out << "contexts:\n"
         "- name: vigil\n"
         "  context:\n"
         "    cluster: vigil\n"
         "    user: vigil\n"
         "    namespace: default\n"
         "current-context: vigil\n"
         "preferences: {}\n";
  return kExitOk;
}

}  // namespace vigil
