"""kubernetes.watch.Watch().stream of the official Python client against a
live agent: initial ADDED, MODIFIED on a flip, the end at timeout_seconds,
slice conditions, exact resume from a resourceVersion, 410, bookmarks
(KUBERNETES_API.md §7, §14)."""

import threading
import time
import unittest
import urllib.parse

from vigil_harness import (ALPACA, BANDICOOT, NODE, World, WatchStream, request,
                           require_python_client, wait_until)


def clients(url):
    require_python_client()
    from kubernetes import client
    configuration = client.Configuration()
    configuration.host = url
    api = client.ApiClient(configuration)
    return client.CoreV1Api(api), client.DiscoveryV1Api(api)


def in_background(action):
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


class WatchTest(unittest.TestCase):
    def setUp(self):
        require_python_client()
        self.w = World()
        self.addCleanup(self.w.close)
        self.core, self.discovery = clients(self.w.url)

    def stream(self, function, *args, **kwargs):
        from kubernetes import watch
        return watch.Watch().stream(function, *args, **kwargs)

    # §14: initial ADDED as V1Endpoints, MODIFIED with the address in
    # notReadyAddresses, stream ends at timeout_seconds
    def test_added_modified_and_the_end(self):
        from kubernetes import client
        w = self.w
        seen = []
        started = time.monotonic()
        flipped = []
        for event in self.stream(self.core.list_namespaced_endpoints, "default",
                                 field_selector="metadata.name=alpaca-prod", timeout_seconds=3):
            seen.append(event)
            if not flipped:
                flipped.append(in_background(lambda: w.replicas.set_ready(ALPACA[0], False)))
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 2.0, "the stream ended early")
        self.assertLess(elapsed, 5.0, "the stream outlived timeout_seconds")
        self.assertEqual(seen[0]["type"], "ADDED")
        self.assertIsInstance(seen[0]["object"], client.V1Endpoints)
        self.assertEqual(seen[0]["object"].metadata.name, "alpaca-prod")
        self.assertEqual(seen[0]["raw_object"]["kind"], "Endpoints")
        self.assertEqual([e["type"] for e in seen[1:]], ["MODIFIED"] * (len(seen) - 1))
        self.assertGreaterEqual(len(seen), 2, "no MODIFIED for the flip")
        modified = seen[-1]["object"]
        self.assertIsInstance(modified, client.V1Endpoints)
        self.assertEqual([a.ip for a in modified.subsets[0].not_ready_addresses], [ALPACA[0]])
        self.assertEqual([a.ip for a in modified.subsets[0].addresses], ALPACA[1:])
        self.assertGreater(int(modified.metadata.resource_version),
                           int(seen[0]["object"].metadata.resource_version))

    # §14: label-selected slice watch, conditions (F,F,F) for the failed one,
    # (T,T,F) others, nodeName
    def test_slice_watch(self):
        from kubernetes import client
        w = self.w
        seen = []
        for event in self.stream(self.discovery.list_namespaced_endpoint_slice, "default",
                                 label_selector="kubernetes.io/service-name=alpaca-prod",
                                 timeout_seconds=3):
            seen.append(event)
            if len(seen) == 1:
                in_background(lambda: w.replicas.set_ready(ALPACA[0], False))
        self.assertEqual(seen[0]["type"], "ADDED")
        self.assertEqual({e["object"].metadata.name for e in seen},
                         {"alpaca-prod-ipv4-%d" % w.port})
        self.assertEqual(seen[-1]["type"], "MODIFIED")
        last = seen[-1]["object"]
        self.assertIsInstance(last, client.V1EndpointSlice)
        conditions = {e.addresses[0]: (e.conditions.ready, e.conditions.serving,
                                       e.conditions.terminating) for e in last.endpoints}
        self.assertEqual(conditions, {ALPACA[0]: (False, False, False),
                                      **{ip: (True, True, False) for ip in ALPACA[1:]}})
        self.assertEqual({e.node_name for e in last.endpoints}, {NODE})
        self.assertEqual([(p.name, p.port, p.protocol) for p in last.ports],
                         [("http", w.port, "TCP")])

    # §14: resume from RV N gives exactly the later MODIFIEDs in RV order,
    # none ≤ N, no ADDED; from the last RV nothing; field selector respected
    def test_resume(self):
        w = self.w
        start = self.core.list_namespaced_endpoints("default").metadata.resource_version
        states = []
        for ready in (False, True, False):
            w.set_ready(ALPACA[0], ready)
            states.append(w.endpoints("alpaca-prod")["metadata"]["resourceVersion"])
        w.set_ready(BANDICOOT[0], False, service="bandicoot-prod")
        bandicoot_rv = w.endpoints("bandicoot-prod")["metadata"]["resourceVersion"]

        seen = list(self.stream(self.core.list_namespaced_endpoints, "default",
                                resource_version=start, timeout_seconds=2))
        self.assertEqual([e["type"] for e in seen], ["MODIFIED"] * len(seen))
        rvs = [int(e["object"].metadata.resource_version) for e in seen]
        self.assertEqual(rvs, sorted(set(rvs)), "not in RV order, or twice")
        self.assertTrue(all(rv > int(start) for rv in rvs))
        alpaca = [e["object"] for e in seen if e["object"].metadata.name == "alpaca-prod"]
        not_ready = [sorted(a.ip for s in o.subsets for a in (s.not_ready_addresses or []))
                     for o in alpaca]
        self.assertEqual([n for i, n in enumerate(not_ready) if i == 0 or n != not_ready[i - 1]],
                         [[ALPACA[0]], [], [ALPACA[0]]])
        self.assertEqual(alpaca[-1].metadata.resource_version, states[-1])
        self.assertEqual(seen[-1]["object"].metadata.name, "bandicoot-prod")
        self.assertEqual(seen[-1]["object"].metadata.resource_version, bandicoot_rv)

        # From a RV in the middle: only what came after it.
        later = list(self.stream(self.core.list_namespaced_endpoints, "default",
                                 resource_version=states[1], timeout_seconds=1))
        self.assertEqual([int(e["object"].metadata.resource_version) for e in later],
                         [rv for rv in rvs if rv > int(states[1])])

        # From the newest RV: nothing.
        newest = self.core.list_namespaced_endpoints("default").metadata.resource_version
        self.assertEqual(list(self.stream(self.core.list_namespaced_endpoints, "default",
                                          resource_version=newest, timeout_seconds=1)), [])
        # A field selector keeps other objects' changes out.
        only = list(self.stream(self.core.list_namespaced_endpoints, "default",
                                resource_version=start, timeout_seconds=1,
                                field_selector="metadata.name=bandicoot-prod"))
        self.assertEqual([(e["type"], e["object"].metadata.name) for e in only],
                         [("MODIFIED", "bandicoot-prod")])
        only = list(self.stream(self.core.list_namespaced_endpoints, "default",
                                resource_version=start, timeout_seconds=1,
                                label_selector="app=cache"))
        self.assertEqual(only, [])

    # §14: python raises 410 with and without timeout_seconds
    def test_410(self):
        from kubernetes.client.rest import ApiException
        # Without timeout_seconds the client retries once, then raises; a
        # read timeout keeps a server that never answers from hanging the test.
        for kwargs in ({"timeout_seconds": 2}, {"_request_timeout": 10}):
            with self.subTest(str(kwargs)):
                started = time.monotonic()
                with self.assertRaises(ApiException) as raised:
                    for _ in self.stream(self.core.list_namespaced_endpoints, "default",
                                         resource_version="1", **kwargs):
                        pass
                self.assertEqual(raised.exception.status, 410)
                self.assertIn("Expired", raised.exception.reason)
                self.assertIn("too old resource version: 1", raised.exception.reason)
                self.assertLess(time.monotonic() - started, 5, "410 was not at once")

    # §14: BOOKMARK with {kind, apiVersion, metadata.resourceVersion} ≥ list
    # RV; resuming from it replays nothing; none without the parameter
    def test_bookmarks(self):
        listed = self.core.list_namespaced_endpoints("default").metadata.resource_version
        seen = list(self.stream(self.core.list_namespaced_endpoints, "default",
                                allow_watch_bookmarks=True, timeout_seconds=2))
        bookmarks = [e for e in seen if e["type"] == "BOOKMARK"]
        self.assertEqual([e["type"] for e in seen], ["ADDED"] * 3 + ["BOOKMARK"] * len(bookmarks))
        self.assertTrue(bookmarks, "no BOOKMARK before the timeoutSeconds end")
        mark = bookmarks[-1]["raw_object"]
        self.assertEqual(set(mark), {"kind", "apiVersion", "metadata"})
        self.assertEqual((mark["kind"], mark["apiVersion"]), ("Endpoints", "v1"))
        self.assertEqual(set(mark["metadata"]), {"resourceVersion"})
        self.assertGreaterEqual(int(mark["metadata"]["resourceVersion"]), int(listed))
        self.assertEqual(list(self.stream(self.core.list_namespaced_endpoints, "default",
                                          resource_version=mark["metadata"]["resourceVersion"],
                                          timeout_seconds=1)), [])
        plain = list(self.stream(self.core.list_namespaced_endpoints, "default", timeout_seconds=1))
        self.assertEqual([e["type"] for e in plain], ["ADDED"] * 3)

    # §14 (events): python event watch
    def test_event_watch(self):
        from kubernetes import client
        w = self.w
        listed = self.core.list_namespaced_event("default").metadata.resource_version
        w.set_ready(ALPACA[0], False)
        seen = list(self.stream(self.core.list_namespaced_event, "default",
                                resource_version=listed, timeout_seconds=1))
        unhealthy = [e for e in seen if e["object"].reason == "Unhealthy"]
        self.assertEqual([e["type"] for e in unhealthy], ["ADDED"])
        self.assertIsInstance(unhealthy[0]["object"], client.CoreV1Event)
        self.assertEqual(unhealthy[0]["object"].message, w.unhealthy_message(ALPACA[0]))
        self.assertEqual(unhealthy[0]["object"].involved_object.name, "alpaca-prod")


# §14: raw: 200 + one ERROR Status 410 Expired then end; … an RV pushed out
# of history → 410
class ExpiredTest(unittest.TestCase):
    def setUp(self):
        self.w = World()
        self.addCleanup(self.w.close)

    def watch_from(self, rv, resource="endpoints"):
        stream = WatchStream(self.w.url, "/api/v1/namespaces/default/%s?watch=true&"
                             "resourceVersion=%s" % (resource, rv))
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        self.assertTrue(stream.ended.wait(5), "the watch did not end after its ERROR")
        return stream.events()

    def assertExpired(self, events, rv):  # noqa: N802
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["type"], "ERROR")
        status = events[0]["object"]
        self.assertEqual(status["kind"], "Status")
        self.assertEqual(status["apiVersion"], "v1")
        self.assertEqual(status["status"], "Failure")
        self.assertEqual(status["code"], 410)
        self.assertEqual(status["reason"], "Expired")
        self.assertTrue(status["message"].startswith("too old resource version: %s (" % rv),
                        status["message"])

    def test_too_old_and_too_new(self):
        self.assertExpired(self.watch_from("1"), "1")
        current = int(self.w.get_json("/api/v1/namespaces/default/endpoints")["metadata"][
            "resourceVersion"])
        self.assertExpired(self.watch_from(str(current + 1000000)), str(current + 1000000))

    def test_pushed_out_of_history(self):
        # More changes after `start` than the history keeps (DESIGN.md: at
        # least 1000; the embedded board keeps 4096): a reload adds 5000
        # services, each an ADDED change of its own.
        w = self.w
        start = w.get_json("/api/v1/namespaces/default/endpoints")["metadata"]["resourceVersion"]
        # An RV inside the history is served first.
        stream = WatchStream(w.url, "/api/v1/namespaces/default/endpoints?watch=true&"
                             "resourceVersion=%s&timeoutSeconds=1" % start)
        self.addCleanup(stream.close)
        self.assertTrue(stream.ended.wait(5))
        self.assertEqual([e for e in stream.events() if e.get("type") == "ERROR"], [])

        with open(w.agent.config_path, "a") as f:
            for i in range(5000):
                f.write("  - {name: flood-%04d, endpoints: [127.0.0.1:1]}\n" % i)
        answer = request(w.url, "POST", "/-/reload")
        self.assertEqual(answer.status, 200, answer.body)
        wait_until(lambda: len(w.get_json("/api/v1/namespaces/default/services?"
                                          "labelSelector=")["items"]) == 5003, 30,
                   "the 5000 services")
        self.assertExpired(self.watch_from(start), start)
        require_python_client()
        from kubernetes.client.rest import ApiException
        core, _ = clients(w.url)
        from kubernetes import watch
        with self.assertRaises(ApiException) as raised:
            for _ in watch.Watch().stream(core.list_namespaced_endpoints, "default",
                                          resource_version=start, timeout_seconds=2):
                pass
        self.assertEqual(raised.exception.status, 410)


# §2.6, DESIGN.md Registry: the first resourceVersion after a restart is
# above every one the agent issued before, so a client resuming across the
# restart gets 410 and relists, never a wrong history.
class RestartTest(unittest.TestCase):
    def test_resume_across_a_restart(self):
        require_python_client()
        from kubernetes import watch
        from kubernetes.client.rest import ApiException
        w = World()
        self.addCleanup(w.close)
        w.set_ready(ALPACA[0], False)
        w.set_ready(ALPACA[0], True)
        before = w.get_json("/api/v1/namespaces/default/endpoints")["metadata"]["resourceVersion"]
        w.restart_agent()
        after = w.get_json("/api/v1/namespaces/default/endpoints")
        self.assertGreater(int(after["metadata"]["resourceVersion"]), int(before))
        for item in after["items"]:
            self.assertGreater(int(item["metadata"]["resourceVersion"]), int(before))
        core, _ = clients(w.url)
        with self.assertRaises(ApiException) as raised:
            for _ in watch.Watch().stream(core.list_namespaced_endpoints, "default",
                                          resource_version=before, timeout_seconds=2):
                pass
        self.assertEqual(raised.exception.status, 410)
        # The native dialect too.
        stream = WatchStream(w.url, "/vigil/v1/endpoints?watch=true&resourceVersion=%s" % before)
        self.addCleanup(stream.close)
        self.assertTrue(stream.ended.wait(5))
        self.assertEqual([(e["type"], e["object"]["code"]) for e in stream.events()],
                         [("ERROR", 410)])


if __name__ == "__main__":
    unittest.main()
