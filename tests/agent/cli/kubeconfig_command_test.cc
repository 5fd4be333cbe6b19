// vigil kubeconfig: the kubeconfig kubectl reads, and its refusals.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "agent/cli/commands.h"

namespace vigil {
namespace {

int Kubeconfig(std::vector<const char*> args, std::string* out, std::string* err) {
  std::ostringstream o, e;
  const int code = RunKubeconfigCommand(args, o, e);
  *out = o.str();
  *err = e.str();
  return code;
}

TEST(KubeconfigCommandTest, OneClusterUserAndContextForTheServer) {
  std::string out, err;
  ASSERT_EQ(Kubeconfig({"--server", "http://127.0.0.1:19476"}, &out, &err), kExitOk) << err;
  EXPECT_EQ(out,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: vigil\n  cluster:\n"
            "    server: \"http://127.0.0.1:19476\"\nusers:\n- name: vigil\n  user: {}\n"
            "contexts:\n- name: vigil\n  context:\n    cluster: vigil\n    user: vigil\n"
            "    namespace: default\ncurrent-context: vigil\npreferences: {}\n");
}

TEST(KubeconfigCommandTest, ATokenNeedsHttpsAndIsQuoted) {
  std::string out, err;
  EXPECT_EQ(Kubeconfig({"--server", "http://127.0.0.1:9476", "--token", "t"}, &out, &err),
            kExitUsage);
  EXPECT_NE(err.find("a token needs an https:// server"), std::string::npos);
  ASSERT_EQ(Kubeconfig({"--server", "https://node-a:9476", "--token", "a\"b"}, &out, &err),
            kExitOk);
  EXPECT_NE(out.find("  user:\n    token: \"a\\\"b\"\n"), std::string::npos) << out;
}

TEST(KubeconfigCommandTest, BadServersAndArguments) {
  std::string out, err;
  EXPECT_EQ(Kubeconfig({"--server", "ftp://x"}, &out, &err), kExitUsage);
  EXPECT_EQ(Kubeconfig({"extra"}, &out, &err), kExitUsage);
  EXPECT_EQ(Kubeconfig({"--help"}, &out, &err), kExitOk);
  EXPECT_NE(out.find("kubectl --kubeconfig <(vigil kubeconfig) get endpoints -w"),
            std::string::npos);
}

}  // namespace
}  // namespace vigil
