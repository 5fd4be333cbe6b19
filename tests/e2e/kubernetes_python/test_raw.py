"""Raw HTTP checks of the Kubernetes view that the clients depend on but do
not show: discovery documents, watch framing and parameters, server-side
Tables, Status errors and content negotiation (KUBERNETES_API.md §3–§11,
§14). Requests are sent as kubectl and the Python client send them."""

import re
import socket
import time
import unittest

from vigil_harness import (ALPACA, BANDICOOT, PROTOBUF_THEN_JSON, TABLE_ACCEPT, World,
                           WatchStream, request, wait_until)

READ_VERBS = {"get", "list", "watch"}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
AGGREGATED_V2 = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                 "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                 "application/json")
AGGREGATED_V2BETA1_ONLY = ("application/json;g=apidiscovery.k8s.io;v=v2beta1;"
                           "as=APIGroupDiscoveryList,application/json")
TABLE_V1 = "application/json;as=Table;v=v1;g=meta.k8s.io"

COLUMNS = {
    "endpoints": [("Name", 0), ("Endpoints", 0), ("Age", 0)],
    "services": [("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0),
                 ("Port(s)", 0), ("Age", 0), ("Selector", 1)],
    "endpointslices": [("Name", 0), ("AddressType", 0), ("Ports", 0), ("Endpoints", 0),
                       ("Age", 0)],
    "events": [("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Subobject", 1),
               ("Source", 1), ("Message", 0), ("First Seen", 1), ("Count", 1), ("Name", 1)],
    "namespaces": [("Name", 0), ("Status", 0), ("Age", 0)],
}
PATHS = {
    "endpoints": "/api/v1/namespaces/default/endpoints",
    "services": "/api/v1/namespaces/default/services",
    "endpointslices": "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
    "events": "/api/v1/namespaces/default/events",
    "namespaces": "/api/v1/namespaces",
}


class SharedWorld(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.w = World()
        cls.addClassCleanup(cls.w.close)
        # An event for the events Table; then the world stays as it is.
        cls.w.set_ready(ALPACA[0], False)
        cls.w.wait_event("Unhealthy", cls.w.unhealthy_message(ALPACA[0]))


    def watch(self, path, accept="application/json"):
        stream = WatchStream(self.w.url, path, accept)
        self.addCleanup(stream.close)
        return stream


# §14: /version 1.x; /api, /apis, /api/v1, /apis/discovery.k8s.io/v1 shapes,
# kinds, namespaced, verbs ⊇ get/list/watch and no writes, shortNames;
# aggregated doc well formed if offered
class DiscoveryTest(SharedWorld):
    def test_version(self):
        answer = self.w.get("/version?timeout=5s")
        self.assertEqual(answer.status, 200)
        v = answer.json()
        self.assertEqual(v["major"], "1")
        self.assertRegex(v["minor"], r"^\d+$")
        self.assertTrue(v["gitVersion"].startswith("v1.%s." % v["minor"]), v["gitVersion"])
        self.assertIn("platform", v)

    def test_plain(self):
        api = self.w.get_json("/api?timeout=32s")
        self.assertEqual(api["kind"], "APIVersions")
        self.assertEqual(api["versions"], ["v1"])
        apis = self.w.get_json("/apis?timeout=32s")
        self.assertEqual(apis["kind"], "APIGroupList")
        self.assertEqual(apis["apiVersion"], "v1")
        group, = [g for g in apis["groups"] if g["name"] == "discovery.k8s.io"]
        self.assertIn({"groupVersion": "discovery.k8s.io/v1", "version": "v1"}, group["versions"])
        self.assertEqual(group["preferredVersion"], {"groupVersion": "discovery.k8s.io/v1",
                                                     "version": "v1"})
        core = self.w.get_json("/api/v1?timeout=32s")
        self.assertEqual((core["kind"], core["groupVersion"]), ("APIResourceList", "v1"))
        self.check_resources(core["resources"], {
            "namespaces": ("Namespace", False, ["ns"]), "services": ("Service", True, ["svc"]),
            "endpoints": ("Endpoints", True, ["ep"]), "events": ("Event", True, ["ev"])})
        discovery = self.w.get_json("/apis/discovery.k8s.io/v1?timeout=32s")
        self.assertEqual((discovery["kind"], discovery["groupVersion"]),
                         ("APIResourceList", "discovery.k8s.io/v1"))
        self.check_resources(discovery["resources"],
                             {"endpointslices": ("EndpointSlice", True, None)})
        group = self.w.get_json("/apis/discovery.k8s.io")
        self.assertEqual((group["kind"], group["name"]), ("APIGroup", "discovery.k8s.io"))

    def check_resources(self, resources, want):
        self.assertEqual(sorted(r["name"] for r in resources), sorted(want))
        for r in resources:
            kind, namespaced, short = want[r["name"]]
            with self.subTest(r["name"]):
                self.assertEqual(r["kind"], kind)
                self.assertIs(r["namespaced"], namespaced)
                self.assertTrue(READ_VERBS <= set(r["verbs"]), r["verbs"])
                self.assertFalse(WRITE_VERBS & set(r["verbs"]), r["verbs"])
                self.assertEqual(r.get("shortNames"), short)
                self.assertIn("singularName", r)

    def test_aggregated(self):
        for path, want in (("/api", {"endpoints": "Endpoints", "services": "Service",
                                     "events": "Event", "namespaces": "Namespace"}),
                           ("/apis", {"endpointslices": "EndpointSlice"})):
            with self.subTest(path):
                answer = self.w.get(path, accept=AGGREGATED_V2)
                self.assertEqual(answer.status, 200)
                doc = answer.json()
                if "as=APIGroupDiscoveryList" not in answer.header("Content-Type"):
                    # Plain discovery is a valid answer: then it is plain.
                    self.assertIn(doc["kind"], ("APIVersions", "APIGroupList"))
                    continue
                self.assertIn("v=v2", answer.header("Content-Type"))
                self.assertEqual((doc["kind"], doc["apiVersion"]),
                                 ("APIGroupDiscoveryList", "apidiscovery.k8s.io/v2"))
                resources = {r["resource"]: r for item in doc["items"]
                             for version in item["versions"] for r in version["resources"]}
                self.assertEqual({k: r["responseKind"]["kind"] for k, r in resources.items()},
                                 want)
                for r in resources.values():
                    self.assertTrue(READ_VERBS <= set(r["verbs"]))
                    self.assertFalse(WRITE_VERBS & set(r["verbs"]))
                    self.assertIn(r["scope"], ("Namespaced", "Cluster"))
                    self.assertEqual(r["scope"] == "Cluster", r["resource"] == "namespaces")

    def test_aggregated_only_when_v2_is_asked(self):
        for path in ("/api", "/apis"):
            with self.subTest(path):
                answer = self.w.get(path, accept=AGGREGATED_V2BETA1_ONLY)
                self.assertEqual(answer.status, 200)
                self.assertNotIn("v=v2;", answer.header("Content-Type") + ";")
                self.assertIn(answer.json()["kind"], ("APIVersions", "APIGroupList"))
                answer = self.w.get(path, accept=None)
                self.assertIn(answer.json()["kind"], ("APIVersions", "APIGroupList"))


# §14: `watch=true`, `1` and `True`; Content-Type application/json, chunked,
# NDJSON, ends at timeoutSeconds, `watch=maybe` / bad RV → 400, fieldSelector
# watch, a change arrives < 5 s
class RawWatchTest(SharedWorld):
    def test_booleans(self):
        for value in ("true", "1", "True", "t", "TRUE"):
            with self.subTest(value):
                stream = self.watch("/api/v1/namespaces/default/endpoints?watch=%s&"
                                    "timeoutSeconds=1" % value)
                self.assertEqual(stream.status, 200)
                self.assertTrue(stream.ended.wait(5))
                self.assertEqual([(e["type"], e["object"]["metadata"]["name"])
                                  for e in stream.events()],
                                 [("ADDED", "alpaca-prod"), ("ADDED", "bandicoot-prod"),
                                  ("ADDED", "cache-staging")])
        # watch=false (and 0) is a list.
        for value in ("false", "0", "False"):
            answer = self.w.get("/api/v1/namespaces/default/endpoints?watch=%s" % value)
            self.assertEqual(answer.json()["kind"], "EndpointsList")

    def test_framing(self):
        stream = self.watch("/api/v1/namespaces/default/endpoints?watch=true&timeoutSeconds=2")
        self.assertEqual(stream.status, 200)
        self.assertEqual(stream.headers.get("content-type"), "application/json")
        self.assertEqual(stream.headers.get("transfer-encoding"), "chunked")
        self.assertNotIn("content-length", stream.headers)
        self.assertTrue(stream.ended.wait(6))
        elapsed = stream.ended_at - stream.started
        self.assertGreater(elapsed, 1.0)
        self.assertLess(elapsed, 3.5)
        self.assertIsNone(stream.error)
        for event in stream.events():
            self.assertIsInstance(event, dict, "not one JSON object per line: %r" % event)
            self.assertEqual(set(event), {"type", "object"})
            obj = event["object"]
            self.assertEqual((obj["kind"], obj["apiVersion"]), ("Endpoints", "v1"))
            self.assertRegex(obj["metadata"]["resourceVersion"], r"^\d+$")

    def test_bad_parameters(self):
        for query, fragment in (("watch=maybe", "watch"), ("watch=true&resourceVersion=abc",
                                                           "resourceVersion"),
                                ("watch=true&allowWatchBookmarks=sure", "allowWatchBookmarks"),
                                ("watch=true&labelSelector=a%20in%20(b", "unable to parse"),
                                ("watch=true&fieldSelector=spec.x%3Dy", "spec.x"),
                                ("watch=true&timeoutSeconds=soon", "timeoutSeconds")):
            with self.subTest(query):
                answer = self.w.get("/api/v1/namespaces/default/endpoints?" + query)
                self.assertEqual(answer.status, 400, answer.body)
                status = answer.json()
                self.assertEqual((status["kind"], status["code"], status["reason"]),
                                 ("Status", 400, "BadRequest"))
                self.assertIn(fragment, status["message"])

    def test_field_selector_watch(self):
        stream = self.watch("/api/v1/namespaces/default/endpoints?watch=true&timeoutSeconds=1&"
                            "fieldSelector=metadata.name%3Dbandicoot-prod")
        self.assertTrue(stream.ended.wait(5))
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in stream.events()],
                         [("ADDED", "bandicoot-prod")])
        # The deprecated form: watch on the object's path.
        stream = self.watch("/api/v1/namespaces/default/endpoints/cache-staging?watch=true&"
                            "timeoutSeconds=1")
        self.assertTrue(stream.ended.wait(5))
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in stream.events()],
                         [("ADDED", "cache-staging")])


class WatchLatencyTest(unittest.TestCase):
    def test_a_change_arrives_soon(self):
        w = World()
        self.addCleanup(w.close)
        rv = w.get_json("/api/v1/namespaces/default/endpoints")["metadata"]["resourceVersion"]
        stream = WatchStream(w.url, "/api/v1/namespaces/default/endpoints?watch=true&"
                             "resourceVersion=%s" % rv)
        self.addCleanup(stream.close)
        stream_slices = WatchStream(w.url, "/apis/discovery.k8s.io/v1/namespaces/default/"
                                    "endpointslices?watch=true&resourceVersion=%s" % rv)
        self.addCleanup(stream_slices.close)
        flipped = time.monotonic()
        w.replicas.set_ready(BANDICOOT[1], False)
        for s in (stream, stream_slices):
            wait_until(lambda: s.events(), 5, "the change in the watch")
            at, event = s.timed_events()[0]
            self.assertLess(at - flipped, 5.0)
            self.assertEqual(event["type"], "MODIFIED")
            self.assertTrue(event["object"]["metadata"]["name"].startswith("bandicoot-prod"))
        self.assertFalse(stream.ended.is_set(), "a watch without timeoutSeconds ended")


# §14: Table kind/apiVersion/metadata.resourceVersion, exact columns +
# priorities for the 4 resources, one cell per column, PartialObjectMetadata /
# Object / None, one-object Table, Table watch events (first with
# columnDefinitions), client Accept order
class TableTest(SharedWorld):
    def table(self, path, accept=TABLE_ACCEPT):
        answer = self.w.get(path, accept=accept)
        self.assertEqual(answer.status, 200, answer.body)
        self.assertTrue(answer.header("Content-Type").startswith("application/json"))
        t = answer.json()
        self.assertEqual((t["kind"], t["apiVersion"]), ("Table", "meta.k8s.io/v1"), t)
        self.assertRegex(t["metadata"]["resourceVersion"], r"^\d+$")
        return t

    def test_columns(self):
        for resource, want in COLUMNS.items():
            with self.subTest(resource):
                t = self.table(PATHS[resource] + "?limit=500")
                self.assertEqual([(c["name"], c["priority"]) for c in t["columnDefinitions"]],
                                 want)
                for c in t["columnDefinitions"]:
                    self.assertIn(c["type"], ("string", "integer", "date"))
                    self.assertIn("format", c)
                    self.assertIn("description", c)
                self.assertTrue(t["rows"])
                for r in t["rows"]:
                    self.assertEqual(len(r["cells"]), len(want), r["cells"])
                    obj = r["object"]
                    self.assertEqual((obj["kind"], obj["apiVersion"]),
                                     ("PartialObjectMetadata", "meta.k8s.io/v1"))
                    self.assertIn("name", obj["metadata"])
                    self.assertIn("creationTimestamp", obj["metadata"])
                    self.assertLessEqual(int(obj["metadata"]["resourceVersion"]),
                                         int(t["metadata"]["resourceVersion"]))
        t = self.table(PATHS["endpoints"])
        self.assertEqual(t["rows"][0]["object"]["metadata"]["labels"],
                         {"app": "alpaca", "env": "prod", "ver": "1"})

    def test_cells(self):
        w = self.w
        t = self.table(PATHS["endpoints"])
        cells = {r["cells"][0]: r["cells"] for r in t["rows"]}
        self.assertEqual(cells["alpaca-prod"][1], "%s,%s,%s + 1 more..." % tuple(
            w.endpoint(ip) for ip in ALPACA[1:4]))
        self.assertRegex(cells["alpaca-prod"][2], r"^\d+s$")
        t = self.table(PATHS["services"])
        self.assertEqual(t["rows"][0]["cells"][:5],
                         ["alpaca-prod", "ClusterIP", "None", "<none>", "%d/TCP" % w.port])
        self.assertEqual(t["rows"][0]["cells"][6], "<none>")
        t = self.table(PATHS["endpointslices"])
        self.assertEqual(t["rows"][0]["cells"][:4],
                         ["alpaca-prod-ipv4-%d" % w.port, "IPv4", str(w.port),
                          "%s,%s,%s + 2 more..." % tuple(ALPACA[:3])])
        t = self.table(PATHS["events"] + "?fieldSelector=reason%3DUnhealthy")
        row = t["rows"][0]["cells"]
        self.assertEqual(row[1:4], ["Warning", "Unhealthy", "endpoints/alpaca-prod"])
        self.assertEqual(row[5], "vigil, node-a")
        self.assertEqual(row[6], w.unhealthy_message(ALPACA[0]))
        self.assertIs(type(row[8]), int)
        self.assertEqual(row[8], 1)
        self.assertRegex(row[9], r"^alpaca-prod\.[0-9a-f]{16}$")
        t = self.table(PATHS["namespaces"])
        self.assertEqual(t["rows"][0]["cells"][:2], ["default", "Active"])

    def test_include_object(self):
        t = self.table(PATHS["endpoints"] + "?includeObject=Object")
        obj = t["rows"][0]["object"]
        self.assertEqual((obj["kind"], obj["apiVersion"]), ("Endpoints", "v1"))
        self.assertIn("subsets", obj)
        t = self.table(PATHS["endpoints"] + "?includeObject=None")
        self.assertNotIn("object", {k for r in t["rows"] for k, v in r.items() if v is not None})
        t = self.table(PATHS["endpoints"] + "?includeObject=Metadata")
        self.assertEqual(t["rows"][0]["object"]["kind"], "PartialObjectMetadata")
        answer = self.w.get(PATHS["endpoints"] + "?includeObject=Everything", accept=TABLE_ACCEPT)
        self.assertEqual(answer.status, 400)
        self.assertEqual(answer.json()["reason"], "BadRequest")

    def test_one_object(self):
        t = self.table(PATHS["endpoints"] + "/bandicoot-prod")
        self.assertEqual(len(t["rows"]), 1)
        self.assertEqual(t["rows"][0]["cells"][0], "bandicoot-prod")
        obj = self.w.endpoints("bandicoot-prod")
        self.assertEqual(t["metadata"]["resourceVersion"], obj["metadata"]["resourceVersion"])
        self.assertEqual([c["name"] for c in t["columnDefinitions"]], ["Name", "Endpoints", "Age"])

    def test_accept_order(self):
        w = self.w
        # The first acceptable type in the client's order wins.
        plain = w.get(PATHS["endpoints"], accept="application/json," + TABLE_V1).json()
        self.assertEqual(plain["kind"], "EndpointsList")
        t = self.table(PATHS["endpoints"], accept=TABLE_V1 + ",application/json")
        self.assertEqual(t["kind"], "Table")
        t = self.table(PATHS["endpoints"],
                       accept="application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
        self.assertEqual(t["apiVersion"], "meta.k8s.io/v1")
        # Another `as=` is not acceptable: the next one is taken.
        plain = w.get(PATHS["endpoints"], accept="application/json;as=PartialObjectMetadataList;"
                      "v=v1;g=meta.k8s.io,application/json").json()
        self.assertEqual(plain["kind"], "EndpointsList")

    def test_table_watch(self):
        stream = self.watch(PATHS["endpoints"] + "?watch=true&timeoutSeconds=1",
                            accept=TABLE_ACCEPT)
        self.assertEqual(stream.status, 200)
        self.assertEqual(stream.headers.get("content-type"), "application/json")
        self.assertTrue(stream.ended.wait(5))
        events = stream.events()
        self.assertEqual([e["type"] for e in events], ["ADDED"] * 3)
        for i, event in enumerate(events):
            t = event["object"]
            self.assertEqual((t["kind"], t["apiVersion"]), ("Table", "meta.k8s.io/v1"))
            self.assertEqual(len(t["rows"]), 1)
            self.assertRegex(t["metadata"]["resourceVersion"], r"^\d+$")
            if i == 0:
                self.assertEqual([c["name"] for c in t["columnDefinitions"]],
                                 ["Name", "Endpoints", "Age"])
            elif t.get("columnDefinitions"):
                self.assertEqual(len(t["columnDefinitions"]), 3)
            self.assertEqual(len(t["rows"][0]["cells"]), 3)
        self.assertEqual([e["object"]["rows"][0]["cells"][0] for e in events],
                         ["alpaca-prod", "bandicoot-prod", "cache-staging"])
        # Bookmarks stay plain in a Table watch.
        stream = self.watch(PATHS["endpoints"] + "?watch=true&timeoutSeconds=1&"
                            "allowWatchBookmarks=true&resourceVersion=%s" %
                            self.w.get_json(PATHS["endpoints"])["metadata"]["resourceVersion"],
                            accept=TABLE_ACCEPT)
        self.assertTrue(stream.ended.wait(5))
        marks = [e for e in stream.events() if e["type"] == "BOOKMARK"]
        self.assertTrue(marks)
        self.assertEqual(marks[0]["object"]["kind"], "Endpoints")


# §14: 404 object/unknown resource, 405 ×5 methods, 400 selectors, 406
# protobuf-only, JSON for protobuf-then-JSON and `*/*`
class ErrorsTest(SharedWorld):
    def status(self, answer, code, reason):
        self.assertEqual(answer.status, code, answer.body)
        self.assertTrue(answer.header("Content-Type").startswith("application/json"),
                        answer.header("Content-Type"))
        body = answer.json()
        self.assertEqual((body["kind"], body["apiVersion"], body["status"], body["code"],
                          body["reason"]), ("Status", "v1", "Failure", code, reason), body)
        return body

    def test_not_found(self):
        body = self.status(self.w.get(PATHS["endpoints"] + "/nope"), 404, "NotFound")
        self.assertEqual(body["message"], 'endpoints "nope" not found')
        self.assertEqual(body["details"], {"name": "nope", "kind": "endpoints"})
        body = self.status(self.w.get(PATHS["endpointslices"] + "/nope"), 404, "NotFound")
        self.assertEqual(body["message"], 'endpointslices.discovery.k8s.io "nope" not found'
                         if "discovery" in body["message"] else 'endpointslices "nope" not found')
        body = self.status(self.w.get("/api/v1/namespaces/other"), 404, "NotFound")
        self.assertEqual(body["message"], 'namespaces "other" not found')
        for path in ("/api/v1/pods", "/api/v1/namespaces/default/pods", "/api/v2",
                     "/apis/apps/v1", "/api/v1/endpoints/alpaca-prod",
                     "/api/v1/namespaces/default/endpoints/alpaca-prod/status"):
            with self.subTest(path):
                body = self.status(self.w.get(path), 404, "NotFound")
                self.assertEqual(body["message"], "the server could not find the requested resource")

    def test_method_not_allowed(self):
        for method, path in (("POST", PATHS["endpoints"]), ("PUT", PATHS["endpoints"] + "/alpaca-prod"),
                             ("PATCH", PATHS["services"] + "/alpaca-prod"),
                             ("DELETE", PATHS["endpoints"] + "/alpaca-prod"),
                             ("DELETE", PATHS["events"]),
                             ("POST", PATHS["endpointslices"]),
                             ("PATCH", "/api/v1/namespaces/default")):
            with self.subTest(method + " " + path):
                answer = request(self.w.url, method, path, body=b"{}",
                                 headers={"Content-Type": "application/merge-patch+json"})
                body = self.status(answer, 405, "MethodNotAllowed")
                self.assertEqual(body["message"],
                                 "the server does not allow this method on the requested resource")
        self.assertEqual(len(self.w.get_json(PATHS["endpoints"])["items"]), 3)

    def test_bad_selectors(self):
        for query in ("labelSelector=app%20in%20(x", "labelSelector=%3Dx", "labelSelector=a%3D%3D%3D",
                      "fieldSelector=spec.x%3Dy", "fieldSelector=metadata.name",
                      "limit=-1", "limit=x"):
            with self.subTest(query):
                self.status(self.w.get(PATHS["endpoints"] + "?" + query), 400, "BadRequest")

    def test_not_acceptable(self):
        for accept in ("application/vnd.kubernetes.protobuf", "application/yaml",
                       "application/cbor", "text/html"):
            with self.subTest(accept):
                body = self.status(self.w.get(PATHS["endpoints"], accept=accept), 406,
                                   "NotAcceptable")
                self.assertTrue(body["message"].startswith(
                    "only the following media types are accepted:"), body["message"])

    def test_json_chosen(self):
        for accept in (PROTOBUF_THEN_JSON, "*/*", "application/*", None,
                       "application/vnd.kubernetes.protobuf;q=1, application/json;q=0.5"):
            with self.subTest(accept):
                answer = self.w.get(PATHS["endpoints"] + "/alpaca-prod", accept=accept)
                self.assertEqual(answer.status, 200, answer.body)
                self.assertTrue(answer.header("Content-Type").startswith("application/json"))
                self.assertEqual(answer.json()["kind"], "Endpoints")
                self.assertEqual(answer.header("Content-Length"), str(len(answer.body.encode())))
        # The Python client's GETs carry a Content-Type and no body.
        answer = request(self.w.url, "GET", PATHS["endpoints"],
                         headers={"Content-Type": "application/json",
                                  "Accept": "application/json"})
        self.assertEqual(answer.status, 200)

    def test_unknown_parameters_ignored(self):
        answer = self.w.get(PATHS["endpoints"] + "?timeout=32s&pretty=true&resourceVersionMatch="
                            "NotOlderThan&whatever=1")
        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(len(answer.json()["items"]), 3)

    def test_paging(self):
        # limit/continue honoured, or ignored: together one unlimited list.
        names, token, pages = [], "", 0
        while True:
            answer = self.w.get_json(PATHS["endpoints"] + "?limit=1" +
                                     ("&continue=" + token if token else ""))
            names += [i["metadata"]["name"] for i in answer["items"]]
            pages += 1
            token = answer["metadata"].get("continue", "")
            if not token or pages > 10:
                break
        self.assertEqual(names, ["alpaca-prod", "bandicoot-prod", "cache-staging"])


class ServingTest(SharedWorld):
    def test_head(self):
        answer = request(self.w.url, "HEAD", PATHS["endpoints"])
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.body, "")

    def test_watches_that_nobody_reads_block_nothing(self):
        # Watches whose client never reads, over a world that changes: the
        # agent keeps answering everyone else.
        w = self.w
        for path in (PATHS["events"], PATHS["endpoints"], PATHS["endpointslices"]):
            stalled = socket.create_connection(("127.0.0.1", w.agent.port))
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            stalled.sendall(("GET %s?watch=true HTTP/1.1\r\nHost: x\r\nAccept: %s\r\n\r\n" %
                             (path, TABLE_ACCEPT)).encode())
            self.addCleanup(stalled.close)
        w.set_ready(ALPACA[1], False)
        w.set_ready(ALPACA[1], True)
        for path in PATHS.values():
            self.assertEqual(w.get(path, accept=TABLE_ACCEPT).status, 200)

    def test_metrics(self):
        w = self.w
        w.get(PATHS["endpoints"])
        w.get(PATHS["endpoints"] + "/nope")
        stream = self.watch(PATHS["endpoints"] + "?watch=true")

        def metrics():
            return w.get("/metrics", accept="text/plain").body

        wait_until(lambda: stream.events(), 5, "the watch to open")
        text = metrics()
        for code in ("200", "404"):
            self.assertRegex(text, r'(?m)^vigil_api_requests_total\{(code="%s",dialect="kubernetes"|'
                                   r'dialect="kubernetes",code="%s")\} [1-9]' % (code, code))
        self.assertRegex(text, r'(?m)^vigil_api_watches\{dialect="kubernetes"\} 1$')
        stream.close()
        wait_until(lambda: re.search(r'(?m)^vigil_api_watches\{dialect="kubernetes"\} 0$',
                                     metrics()), 10, "the watch gauge back to 0")


if __name__ == "__main__":
    unittest.main()
