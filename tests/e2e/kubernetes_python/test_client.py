"""The official Python client (Debian's python3-kubernetes, 22.6) against a
live agent: typed lists and reads of every kind, selectors, errors, object
metadata and Events (KUBERNETES_API.md §14, the Python rows)."""

import datetime
import json
import re
import unittest

from vigil_harness import (ALPACA, BANDICOOT, NODE, World, require_python_client,
                           wait_until)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def clients(url):
    require_python_client()
    from kubernetes import client
    configuration = client.Configuration()
    configuration.host = url
    api = client.ApiClient(configuration)
    return client.CoreV1Api(api), client.DiscoveryV1Api(api)


class ClientTest(unittest.TestCase):
    def setUp(self):
        require_python_client()
        self.w = World()
        self.addCleanup(self.w.close)
        self.core, self.discovery = clients(self.w.url)

    def assertAware(self, stamp):  # noqa: N802
        self.assertIsInstance(stamp, datetime.datetime)
        self.assertIsNotNone(stamp.tzinfo, "a naive timestamp")
        self.assertEqual(stamp.utcoffset(), datetime.timedelta(0))

    # §14: typed lists/read for all kinds, tz-aware timestamps, label/field
    # selectors (`=`, `!=`), `items == []`, 404 and 400 ApiException with
    # Status bodies
    def test_typed_lists_and_reads(self):
        from kubernetes import client
        core, discovery, w = self.core, self.discovery, self.w
        w.set_ready(ALPACA[0], False)

        services = core.list_namespaced_service("default")
        self.assertIsInstance(services, client.V1ServiceList)
        self.assertEqual([s.metadata.name for s in services.items],
                         ["alpaca-prod", "bandicoot-prod", "cache-staging"])
        self.assertRegex(services.metadata.resource_version, r"^\d+$")
        svc = core.read_namespaced_service("alpaca-prod", "default")
        self.assertIsInstance(svc, client.V1Service)
        self.assertEqual(svc.spec.cluster_ip, "None")
        self.assertEqual(svc.spec.cluster_i_ps, ["None"])
        self.assertIsNone(svc.spec.selector)
        self.assertEqual([(p.name, p.port, p.protocol, p.target_port) for p in svc.spec.ports],
                         [("http", w.port, "TCP", w.port)])
        self.assertAware(svc.metadata.creation_timestamp)

        endpoints = core.list_namespaced_endpoints("default")
        self.assertIsInstance(endpoints, client.V1EndpointsList)
        self.assertEqual(len(endpoints.items), 3)
        ep = core.read_namespaced_endpoints("alpaca-prod", "default")
        self.assertIsInstance(ep, client.V1Endpoints)
        self.assertEqual([a.ip for a in ep.subsets[0].addresses], ALPACA[1:])
        self.assertEqual([a.ip for a in ep.subsets[0].not_ready_addresses], ALPACA[:1])
        self.assertEqual({a.node_name for a in ep.subsets[0].addresses}, {NODE})
        self.assertEqual([(p.name, p.port, p.protocol) for p in ep.subsets[0].ports],
                         [("http", w.port, "TCP")])
        self.assertAware(ep.metadata.creation_timestamp)

        slices = discovery.list_namespaced_endpoint_slice("default")
        self.assertIsInstance(slices, client.V1EndpointSliceList)
        self.assertEqual([s.metadata.name for s in slices.items],
                         ["alpaca-prod-ipv4-%d" % w.port, "bandicoot-prod-ipv4-%d" % w.port,
                          "cache-staging-ipv4-1"])
        one = discovery.read_namespaced_endpoint_slice("alpaca-prod-ipv4-%d" % w.port, "default")
        self.assertIsInstance(one, client.V1EndpointSlice)
        self.assertEqual(one.address_type, "IPv4")
        self.assertAware(one.metadata.creation_timestamp)

        namespaces = core.list_namespace()
        self.assertEqual([n.metadata.name for n in namespaces.items], ["default"])
        ns = core.read_namespace("default")
        self.assertEqual(ns.status.phase, "Active")
        self.assertAware(ns.metadata.creation_timestamp)

        event = w.wait_event("Unhealthy", w.unhealthy_message(ALPACA[0]))
        events = core.list_namespaced_event("default")
        self.assertIsInstance(events, client.CoreV1EventList)
        self.assertIn(event["metadata"]["name"], [e.metadata.name for e in events.items])
        typed = core.read_namespaced_event(event["metadata"]["name"], "default")
        self.assertIsInstance(typed, client.CoreV1Event)
        self.assertAware(typed.first_timestamp)
        self.assertAware(typed.last_timestamp)

        everywhere = [
            core.list_service_for_all_namespaces(), core.list_endpoints_for_all_namespaces(),
            discovery.list_endpoint_slice_for_all_namespaces(),
        ]
        for found in everywhere:
            self.assertEqual(len(found.items), 3)
            self.assertEqual({i.metadata.namespace for i in found.items}, {"default"})
        self.assertGreaterEqual(len(core.list_event_for_all_namespaces().items), 1)

    def test_selectors(self):
        core, discovery = self.core, self.discovery
        names = lambda found: [i.metadata.name for i in found.items]  # noqa: E731
        self.assertEqual(names(core.list_namespaced_endpoints("default", label_selector="app=alpaca")),
                         ["alpaca-prod"])
        self.assertEqual(names(core.list_namespaced_service("default", label_selector="app!=alpaca")),
                         ["bandicoot-prod", "cache-staging"])
        self.assertEqual(names(core.list_namespaced_endpoints(
            "default", field_selector="metadata.name=bandicoot-prod")), ["bandicoot-prod"])
        self.assertEqual(names(core.list_namespaced_endpoints(
            "default", field_selector="metadata.name!=bandicoot-prod")),
            ["alpaca-prod", "cache-staging"])
        self.assertEqual(names(discovery.list_namespaced_endpoint_slice(
            "default", label_selector="kubernetes.io/service-name=cache-staging")),
            ["cache-staging-ipv4-1"])
        self.assertEqual(names(core.list_namespaced_endpoints(
            "default", label_selector="app=alpaca", field_selector="metadata.name=alpaca-prod")),
            ["alpaca-prod"])
        # Nothing matches, another namespace: `items` is [], never None.
        self.assertEqual(core.list_namespaced_endpoints("default", label_selector="app=x").items, [])
        self.assertEqual(core.list_namespaced_endpoints("other").items, [])
        self.assertEqual(core.list_namespaced_service("other").items, [])
        self.assertEqual(discovery.list_namespaced_endpoint_slice("other").items, [])
        self.assertEqual(core.list_namespaced_event("other").items, [])

    def test_errors(self):
        from kubernetes.client.rest import ApiException
        core = self.core
        cases = [
            (lambda: core.read_namespaced_endpoints("nope", "default"), 404, "NotFound",
             'endpoints "nope" not found'),
            (lambda: core.read_namespaced_service("nope", "default"), 404, "NotFound",
             'services "nope" not found'),
            (lambda: core.read_namespace("other"), 404, "NotFound",
             'namespaces "other" not found'),
            (lambda: core.read_namespaced_endpoints("alpaca-prod", "other"), 404, "NotFound",
             'endpoints "alpaca-prod" not found'),
            (lambda: core.list_namespaced_endpoints("default", label_selector="app in (x"), 400,
             "BadRequest", "unable to parse requirement"),
            (lambda: core.list_namespaced_endpoints("default", field_selector="spec.x=y"), 400,
             "BadRequest", "field label not supported: spec.x"),
        ]
        for call, code, reason, message in cases:
            with self.subTest(message):
                with self.assertRaises(ApiException) as raised:
                    call()
                self.assertEqual(raised.exception.status, code)
                body = json.loads(raised.exception.body)
                self.assertEqual(body["kind"], "Status")
                self.assertEqual(body["apiVersion"], "v1")
                self.assertEqual(body["status"], "Failure")
                self.assertEqual(body["code"], code)
                self.assertEqual(body["reason"], reason)
                self.assertTrue(body["message"].startswith(message), body["message"])
                self.assertIn("application/json", raised.exception.headers["Content-Type"])

    # §14: namespace, uid and creationTimestamp stable, RV grows on
    # Endpoints/slice but not Service on a flip, ownerReferences, list RV ≥ items
    def test_metadata(self):
        core, discovery, w = self.core, self.discovery, self.w
        slice_name = "alpaca-prod-ipv4-%d" % w.port
        before = (core.read_namespaced_service("alpaca-prod", "default"),
                  core.read_namespaced_endpoints("alpaca-prod", "default"),
                  discovery.read_namespaced_endpoint_slice(slice_name, "default"))
        w.set_ready(ALPACA[0], False)
        wait_until(lambda: not discovery.read_namespaced_endpoint_slice(
            slice_name, "default").endpoints[0].conditions.ready, 5, "the slice to follow")
        after = (core.read_namespaced_service("alpaca-prod", "default"),
                 core.read_namespaced_endpoints("alpaca-prod", "default"),
                 discovery.read_namespaced_endpoint_slice(slice_name, "default"))
        for b, a in zip(before, after):
            self.assertEqual(a.metadata.namespace, "default")
            self.assertRegex(a.metadata.uid, UUID)
            self.assertEqual(a.metadata.uid, b.metadata.uid)
            self.assertEqual(a.metadata.creation_timestamp, b.metadata.creation_timestamp)
        self.assertEqual(after[0].metadata.resource_version, before[0].metadata.resource_version,
                         "a readiness flip changed the Service")
        self.assertGreater(int(after[1].metadata.resource_version),
                           int(before[1].metadata.resource_version))
        self.assertGreater(int(after[2].metadata.resource_version),
                           int(before[2].metadata.resource_version))
        # Objects of different services have different uids; kinds too.
        uids = {o.metadata.uid for o in after}
        uids.add(core.read_namespaced_endpoints("bandicoot-prod", "default").metadata.uid)
        self.assertEqual(len(uids), 4)
        owner, = after[2].metadata.owner_references
        self.assertEqual((owner.api_version, owner.kind, owner.name, owner.uid, owner.controller,
                          owner.block_owner_deletion),
                         ("v1", "Service", "alpaca-prod", after[0].metadata.uid, True, True))
        for found in (core.list_namespaced_endpoints("default"),
                      core.list_namespaced_service("default"),
                      discovery.list_namespaced_endpoint_slice("default"),
                      core.list_namespaced_event("default"), core.list_namespace()):
            list_rv = int(found.metadata.resource_version)
            for item in found.items:
                self.assertLessEqual(int(item.metadata.resource_version), list_rv)
        # The raw creationTimestamp is metav1.Time: seconds, Z.
        raw = w.endpoints("alpaca-prod")
        self.assertRegex(raw["metadata"]["creationTimestamp"], RFC3339)

    # §14: Warning/Unhealthy with the exact message, involvedObject incl. uid,
    # source/reporting, timestamps; Normal/Ready on recovery; repeat
    # aggregated (same name, count + 1); typed list with field selector
    def test_events(self):
        core, w = self.core, self.w
        uid = core.read_namespaced_endpoints("alpaca-prod", "default").metadata.uid
        message = w.unhealthy_message(ALPACA[0])
        w.set_ready(ALPACA[0], False)
        raw = w.wait_event("Unhealthy", message)
        self.assertEqual(raw["kind"], "Event")
        self.assertEqual(raw["apiVersion"], "v1")
        self.assertRegex(raw["metadata"]["name"], r"^alpaca-prod\.[0-9a-f]{16}$")
        self.assertEqual(raw["metadata"]["namespace"], "default")
        self.assertRegex(raw["metadata"]["uid"], UUID)
        self.assertRegex(raw["firstTimestamp"], RFC3339)
        self.assertRegex(raw["lastTimestamp"], RFC3339)
        self.assertRegex(raw["metadata"]["creationTimestamp"], RFC3339)
        self.assertEqual(raw["type"], "Warning")
        self.assertEqual(raw["count"], 1)
        self.assertEqual(raw["source"], {"component": "vigil", "host": NODE})
        self.assertEqual(raw["reportingComponent"], "vigil")
        self.assertEqual(raw["reportingInstance"], NODE)
        involved = raw["involvedObject"]
        self.assertEqual({k: involved[k] for k in ("kind", "apiVersion", "name", "namespace", "uid")},
                         {"kind": "Endpoints", "apiVersion": "v1", "name": "alpaca-prod",
                          "namespace": "default", "uid": uid})

        w.set_ready(ALPACA[0], True)
        ready = w.wait_event("Ready", "%s: Readiness probe succeeded" % w.endpoint(ALPACA[0]))
        self.assertEqual(ready["type"], "Normal")
        self.assertEqual(ready["involvedObject"]["uid"], uid)

        w.set_ready(ALPACA[0], False)
        again = wait_until(lambda: [e for e in w.events() if e["message"] == message and
                                    e["count"] == 2], 10, "the repeated event counted")
        self.assertEqual(len(again), 1)
        self.assertEqual(again[0]["metadata"]["name"], raw["metadata"]["name"])
        self.assertEqual(again[0]["firstTimestamp"], raw["firstTimestamp"])
        self.assertGreater(int(again[0]["metadata"]["resourceVersion"]),
                           int(raw["metadata"]["resourceVersion"]))
        self.assertGreaterEqual(again[0]["lastTimestamp"], raw["lastTimestamp"])
        self.assertEqual(len([e for e in w.events() if e["message"] == message]), 1)

        w.set_ready(BANDICOOT[0], False, service="bandicoot-prod")
        w.wait_event("Unhealthy", w.unhealthy_message(BANDICOOT[0]))
        found = core.list_namespaced_event(
            "default", field_selector="involvedObject.name=alpaca-prod,reason=Unhealthy")
        self.assertEqual([e.message for e in found.items], [message])
        self.assertEqual(found.items[0].count, 2)
        self.assertEqual(found.items[0].involved_object.uid, uid)
        found = core.list_namespaced_event(
            "default", field_selector="involvedObject.uid=%s,type=Normal" % uid)
        self.assertTrue(found.items)
        self.assertEqual({e.reason for e in found.items}, {"Ready"})
        found = core.list_namespaced_event("default", field_selector="type!=Normal")
        self.assertEqual({e.involved_object.name for e in found.items},
                         {"alpaca-prod", "bandicoot-prod"})



class NeverReadyTest(unittest.TestCase):
    """A new endpoint that never was ready explains itself: when its failure
    run reaches failureThreshold, one Warning Unhealthy event (§2.4 (b))."""

    def test_event(self):
        require_python_client()
        w = World(extra_services="""  - name: closed-prod
    labels: {app: closed}
    endpoints: [127.0.0.51:1]
    readinessProbe:
      tcpSocket: {port: 1}
      periodSeconds: 0.1
      failureThreshold: 2
""")
        self.addCleanup(w.close)
        message = ("127.0.0.51:1: Readiness probe failed: dial tcp 127.0.0.51:1: connect: "
                   "connection refused")
        event = w.wait_event("Unhealthy", message)
        self.assertEqual(event["type"], "Warning")
        self.assertEqual(event["involvedObject"]["name"], "closed-prod")
        self.assertEqual(event["count"], 1)
        core, _ = clients(w.url)
        # cache-staging has no probe: ready at once, no event about it.
        self.assertEqual(core.list_namespaced_event(
            "default", field_selector="involvedObject.name=cache-staging").items, [])


if __name__ == "__main__":
    unittest.main()
