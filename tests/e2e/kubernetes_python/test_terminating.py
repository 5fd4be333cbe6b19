"""The agent's graceful stop as Kubernetes clients see it: its endpoints turn
terminating — slice conditions (ready F, serving T, terminating T) for one
that was ready, left out of the Endpoints' subsets — and open watches get
that change before the end (KUBERNETES_API.md §2.3, §7.5, §14)."""

import signal
import unittest

from vigil_harness import ALPACA, World, WatchStream


class GracefulStopTest(unittest.TestCase):
    def test_terminating(self):
        w = World()
        self.addCleanup(w.close)
        w.set_ready(ALPACA[0], False)
        rv = w.get_json("/api/v1/namespaces/default/endpoints")["metadata"]["resourceVersion"]
        slices = WatchStream(w.url, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?"
                             "watch=true&resourceVersion=%s&labelSelector=kubernetes.io%%2F"
                             "service-name%%3Dalpaca-prod" % rv)
        self.addCleanup(slices.close)
        endpoints = WatchStream(w.url, "/api/v1/namespaces/default/endpoints?watch=true&"
                                "resourceVersion=%s&fieldSelector=metadata.name%%3Dalpaca-prod" % rv)
        self.addCleanup(endpoints.close)
        self.assertEqual((slices.status, endpoints.status), (200, 200))

        self.assertEqual(w.agent.stop(signal.SIGTERM), 0, w.agent.log())
        self.assertTrue(slices.ended.wait(5) and endpoints.ended.wait(5))

        modified = [e["object"] for e in slices.events() if e.get("type") == "MODIFIED"]
        self.assertTrue(modified, "no MODIFIED slice before the end: %r" % slices.events())
        last = modified[-1]
        conditions = {e["addresses"][0]: e["conditions"] for e in last["endpoints"]}
        self.assertEqual(sorted(conditions), ALPACA)
        for ip in ALPACA[1:]:  # ready before: still serving while it drains
            self.assertEqual(conditions[ip], {"ready": False, "serving": True, "terminating": True})
        self.assertEqual(conditions[ALPACA[0]],
                         {"ready": False, "serving": False, "terminating": True})

        modified = [e["object"] for e in endpoints.events() if e.get("type") == "MODIFIED"]
        self.assertTrue(modified, "no MODIFIED Endpoints before the end: %r" % endpoints.events())
        # Terminating endpoints are left out, ready or not: no subset is left.
        self.assertNotIn("subsets", modified[-1], modified[-1])


if __name__ == "__main__":
    unittest.main()
