"""Every installed kubectl (the dispatcher and each kubectl.1.N beside it,
1.27–1.33 on the machine image) prints vigil's tables and describe
(KUBERNETES_API.md §14: "every `kubectl.1.N` installed prints the tables and
describe"). Each version has its own --cache-dir: discovery is cold for each."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "kubernetes_python"))

from vigil_harness import (ALPACA, NODE, World, kubectl_versions,  # noqa: E402
                           require_kubectl)

AGE = r"\d+s"


class EveryKubectlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_kubectl()
        cls.w = World()
        cls.addClassCleanup(cls.w.close)
        cls.w.set_ready(ALPACA[0], False)
        cls.message = cls.w.unhealthy_message(ALPACA[0])
        cls.w.wait_event("Unhealthy", cls.message)


    def binaries(self):
        found = kubectl_versions()
        self.assertTrue(found, "no kubectl.1.N beside %s: the machine image installs "
                               "1.27..1.33" % require_kubectl())
        return [require_kubectl()] + found

    def check(self, binary):
        w = self.w
        e = w.endpoint
        run = lambda *args: w.kubectl_ok(*args, binary=binary)  # noqa: E731

        out = run("get", "endpoints")
        self.assertRegex(out, r"^NAME\s+ENDPOINTS\s+AGE\n")
        self.assertRegex(out, r"(?m)^alpaca-prod\s+%s,%s,%s \+ 1 more\.\.\.\s+%s$" % (
            re.escape(e(ALPACA[1])), re.escape(e(ALPACA[2])), re.escape(e(ALPACA[3])), AGE))

        out = run("get", "services", "-o", "wide")
        self.assertRegex(out, r"^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+"
                              r"SELECTOR\n")
        self.assertRegex(out, r"(?m)^alpaca-prod\s+ClusterIP\s+None\s+<none>\s+%d/TCP\s+%s\s+"
                              r"<none>$" % (w.port, AGE))

        out = run("get", "endpointslices")
        self.assertRegex(out, r"^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n")
        self.assertRegex(out, r"(?m)^alpaca-prod-ipv4-%d\s+IPv4\s+%d\s+%s,%s,%s \+ 2 more\.\.\.\s+"
                              r"%s$" % (w.port, w.port, re.escape(ALPACA[0]),
                                        re.escape(ALPACA[1]), re.escape(ALPACA[2]), AGE))

        out = run("get", "events", "-o", "wide")
        self.assertRegex(out, r"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+SUBOBJECT\s+SOURCE\s+"
                              r"MESSAGE\s+FIRST SEEN\s+COUNT\s+NAME\n")
        self.assertRegex(out, r"(?m)^%s\s+Warning\s+Unhealthy\s+endpoints/alpaca-prod\s+vigil, %s"
                              r"\s+%s\s+%s\s+1\s+alpaca-prod\.[0-9a-f]{16}$" %
                         (AGE, NODE, re.escape(self.message), AGE))

        out = run("get", "ep", "-A")
        self.assertRegex(out, r"^NAMESPACE\s+NAME\s+ENDPOINTS\s+AGE\ndefault\s+alpaca-prod\s")

        out = run("describe", "endpoints", "alpaca-prod")
        self.assertRegex(out, r"(?m)^Name:\s+alpaca-prod$")
        self.assertRegex(out, r"(?m)^  NotReadyAddresses:\s+%s$" % re.escape(ALPACA[0]))
        self.assertRegex(out, r"(?m)^  Warning\s+Unhealthy\s+\S+\s+vigil\s+%s$" %
                         re.escape(self.message))

        out = run("describe", "service", "alpaca-prod")
        if os.path.basename(binary) == "kubectl.1.31":
            # 1.31 reads the slices (1.27–1.30 read the Endpoints) but prints
            # every endpoint, ready or not; 1.32 prints the ready ones.
            shown = ALPACA[0:3], 2
        else:
            shown = ALPACA[1:4], 1
        self.assertRegex(out, r"(?m)^Endpoints:\s+%s,%s,%s \+ %d more\.\.\.$" % (
            tuple(re.escape(e(ip)) for ip in shown[0]) + (shown[1],)))

    def test_every_version(self):
        for binary in self.binaries():
            with self.subTest(os.path.basename(binary)):
                self.check(binary)

    def test_dispatcher_runs_the_servers_minor(self):
        # The dispatcher picks kubectl.1.<minor of /version>: its client
        # version is the server's minor when that binary is installed.
        import json
        version = json.loads(self.w.kubectl_ok("version", "-o", "json"))
        server_minor = version["serverVersion"]["minor"]
        self.assertRegex(server_minor, r"^\d+$")
        if os.path.exists(os.path.join(os.path.dirname(os.path.realpath(require_kubectl())),
                                       "kubectl.1." + server_minor)):
            # Google's builds say "32+".
            self.assertEqual(version["clientVersion"]["minor"].rstrip("+"), server_minor)


if __name__ == "__main__":
    unittest.main()
