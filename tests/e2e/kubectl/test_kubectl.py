"""The real kubectl (/usr/bin/kubectl, Google's dispatcher, which runs the
kubectl.1.N matching the server's /version) against a live agent, one row of
KUBERNETES_API.md §14 per test class, in the order of §14. The Python client
and the raw HTTP checks are in ../kubernetes_python/."""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "kubernetes_python"))

from vigil_harness import (ALPACA, BANDICOOT, CACHE_ENDPOINT, NODE, Replicas, World,  # noqa: E402
                           WorldTest, require_kubectl, wait_until)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
AGE = r"\d+s"  # a world is seconds old
METHOD_NOT_ALLOWED = ("Error from server (MethodNotAllowed): the server does not allow this "
                      "method on the requested resource")


def lines(text):
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def columns(line):
    return re.split(r"\s{2,}", line.strip())


def row(text, name):
    """The columns of the row of `text` whose first column is `name`."""
    for line in lines(text):
        cells = columns(line)
        if cells and cells[0] == name:
            return cells
    raise AssertionError("no row %r in:\n%s" % (name, text))


class SharedWorld(unittest.TestCase):
    """One world for a class of read-only tests."""

    @classmethod
    def setUpClass(cls):
        require_kubectl()
        cls.w = World()
        cls.addClassCleanup(cls.w.close)


    def setUp(self):
        require_kubectl()


class KubectlWorldTest(WorldTest):
    def setUp(self):
        require_kubectl()
        super().setUp()


# §14: /version 1.x; … `kubectl api-resources`, `kubectl version`
class DiscoveryTest(SharedWorld):
    def test_version(self):
        out = self.w.kubectl_ok("version")
        self.assertRegex(out, r"(?m)^Server Version: v1\.\d+\.\d+")
        self.assertRegex(out, r"(?m)^Client Version: v1\.\d+\.\d+")

    def test_api_resources(self):
        out = self.w.kubectl_ok("api-resources")
        self.assertRegex(lines(out)[0], r"^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$")
        got = {columns(line)[0]: columns(line)[1:] for line in lines(out)[1:]}
        self.assertEqual(got, {
            "namespaces": ["ns", "v1", "false", "Namespace"],
            "services": ["svc", "v1", "true", "Service"],
            "endpoints": ["ep", "v1", "true", "Endpoints"],
            "events": ["ev", "v1", "true", "Event"],
            "endpointslices": ["discovery.k8s.io/v1", "true", "EndpointSlice"],
        }, out)

    def test_api_resources_verbs_are_read_only(self):
        out = self.w.kubectl_ok("api-resources", "-o", "wide")
        self.assertIn("VERBS", lines(out)[0])
        for line in lines(out)[1:]:
            self.assertRegex(line, r"\bget\b.*\blist\b.*\bwatch\b")
            self.assertNotRegex(line, r"\b(create|update|patch|delete|deletecollection)\b")

    def test_short_names_resolve(self):
        for short in ("ep", "svc", "ev", "ns", "endpointslice"):
            with self.subTest(short):
                self.kubectl_ok_names(short)

    def kubectl_ok_names(self, resource):
        out = self.w.kubectl_ok("get", resource, "-o", "name")
        self.assertTrue(out.strip(), "kubectl get %s printed nothing" % resource)


# §14: NAME ENDPOINTS AGE; 3 ready + ` + N more...`; AGE format; `--show-labels`,
# `-L`; a not-ready address leaves the cell; none ready → `<none>`/blank
class EndpointsTableTest(KubectlWorldTest):
    def test_columns_and_cells(self):
        w = self.w
        out = w.kubectl_ok("get", "endpoints")
        self.assertRegex(lines(out)[0], r"^NAME\s+ENDPOINTS\s+AGE$")
        self.assertEqual(len(lines(out)), 4, out)
        self.assertRegex(out, r"(?m)^alpaca-prod\s+%s,%s,%s \+ 2 more\.\.\.\s+%s$" % (
            re.escape(w.endpoint(ALPACA[0])), re.escape(w.endpoint(ALPACA[1])),
            re.escape(w.endpoint(ALPACA[2])), AGE))
        self.assertRegex(out, r"(?m)^bandicoot-prod\s+%s,%s\s+%s$" % (
            re.escape(w.endpoint(BANDICOOT[0])), re.escape(w.endpoint(BANDICOOT[1])), AGE))
        self.assertRegex(out, r"(?m)^cache-staging\s+%s\s+%s$" % (re.escape(CACHE_ENDPOINT), AGE))

    def test_labels(self):
        out = self.w.kubectl_ok("get", "ep", "--show-labels")
        self.assertRegex(lines(out)[0], r"^NAME\s+ENDPOINTS\s+AGE\s+LABELS$")
        self.assertEqual(row(out, "alpaca-prod")[-1], "app=alpaca,env=prod,ver=1")
        self.assertEqual(row(out, "cache-staging")[-1], "app=cache,env=staging")
        out = self.w.kubectl_ok("get", "ep", "-L", "app", "-L", "ver")
        self.assertRegex(lines(out)[0], r"^NAME\s+ENDPOINTS\s+AGE\s+APP\s+VER$")
        self.assertEqual(row(out, "alpaca-prod")[-2:], ["alpaca", "1"])
        self.assertEqual(row(out, "bandicoot-prod")[-2:], ["bandicoot", "2"])
        self.assertRegex(lines(out)[3], r"^cache-staging\s+\S+\s+%s\s+cache\s*$" % AGE)

    def test_a_not_ready_address_leaves_the_cell(self):
        w = self.w
        w.set_ready(ALPACA[0], False)
        out = w.kubectl_ok("get", "endpoints", "alpaca-prod")
        self.assertEqual(row(out, "alpaca-prod")[1], "%s,%s,%s + 1 more..." % tuple(
            w.endpoint(ip) for ip in ALPACA[1:4]))
        self.assertNotIn(w.endpoint(ALPACA[0]), out)

    def test_none_ready(self):
        w = self.w
        for ip in BANDICOOT:
            w.set_ready(ip, False, service="bandicoot-prod")
        out = w.kubectl_ok("get", "endpoints", "bandicoot-prod")
        # <none> (vigil's own CLI) or a blank cell (the apiserver's).
        self.assertRegex(lines(out)[1], r"^bandicoot-prod\s+(<none>\s+)?%s$" % AGE, out)


# §14: the 6 columns, ClusterIP/None/<none>/`P/TCP`; `-o wide` adds SELECTOR
# `<none>`; Service JSON
class ServicesTest(SharedWorld):
    def test_columns(self):
        out = self.w.kubectl_ok("get", "services")
        self.assertRegex(lines(out)[0],
                         r"^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$")
        self.assertRegex(out, r"(?m)^alpaca-prod\s+ClusterIP\s+None\s+<none>\s+%d/TCP\s+%s$" %
                         (self.w.port, AGE))
        # Without configured ports: one per distinct endpoint port.
        self.assertRegex(out, r"(?m)^cache-staging\s+ClusterIP\s+None\s+<none>\s+1/TCP\s+%s$" %
                         AGE)

    def test_wide(self):
        out = self.w.kubectl_ok("get", "svc", "-o", "wide")
        self.assertRegex(lines(out)[0],
                         r"^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$")
        self.assertRegex(out, r"(?m)^bandicoot-prod\s+ClusterIP\s+None\s+<none>\s+%d/TCP\s+%s"
                         r"\s+<none>$" % (self.w.port, AGE))

    def test_json(self):
        svc = json.loads(self.w.kubectl_ok("get", "svc", "alpaca-prod", "-o", "json"))
        self.assertEqual(svc["kind"], "Service")
        self.assertEqual(svc["apiVersion"], "v1")
        self.assertEqual(svc["metadata"]["labels"], {"app": "alpaca", "env": "prod", "ver": "1"})
        spec = svc["spec"]
        self.assertEqual(spec["clusterIP"], "None")
        self.assertEqual(spec["clusterIPs"], ["None"])
        self.assertEqual(spec["type"], "ClusterIP")
        self.assertNotIn("selector", spec)
        self.assertEqual(spec["ports"], [{"name": "http", "protocol": "TCP", "port": self.w.port,
                                          "targetPort": self.w.port}])
        self.assertEqual(spec["ipFamilies"], ["IPv4"])


# §14: the 5 columns, IPv4, ports, `+ N more...`; `-l kubernetes.io/service-name=`;
# slice JSON (conditions, nodeName, ports, labels)
class EndpointSlicesTest(KubectlWorldTest):
    def test_columns_list_not_ready_endpoints_too(self):
        w = self.w
        w.set_ready(ALPACA[0], False)
        name = "alpaca-prod-ipv4-%d" % w.port
        wait_until(lambda: "%s,%s,%s + 2 more..." % tuple(ALPACA[:3]) in
                   w.kubectl_ok("get", "endpointslices"), 5, "the slice row")
        out = w.kubectl_ok("get", "endpointslices")
        self.assertRegex(lines(out)[0], r"^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$")
        self.assertEqual(row(out, name), [name, "IPv4", str(w.port), "%s,%s,%s + 2 more..." %
                                          tuple(ALPACA[:3]), row(out, name)[-1]])
        self.assertRegex(row(out, name)[-1], "^%s$" % AGE)
        self.assertEqual(row(out, "cache-staging-ipv4-1")[1:4], ["IPv4", "1", "127.0.0.31"])

    def test_service_name_selector(self):
        out = self.w.kubectl_ok("get", "endpointslices", "-l",
                                "kubernetes.io/service-name=bandicoot-prod", "-o", "name")
        self.assertEqual(out, "endpointslice.discovery.k8s.io/bandicoot-prod-ipv4-%d\n" %
                         self.w.port)

    def test_json(self):
        w = self.w
        w.set_ready(ALPACA[0], False)
        name = "alpaca-prod-ipv4-%d" % w.port
        s = json.loads(w.kubectl_ok("get", "endpointslice", name, "-o", "json"))
        self.assertEqual(s["kind"], "EndpointSlice")
        self.assertEqual(s["apiVersion"], "discovery.k8s.io/v1")
        self.assertEqual(s["addressType"], "IPv4")
        self.assertEqual(s["metadata"]["labels"], {
            "app": "alpaca", "env": "prod", "ver": "1",
            "kubernetes.io/service-name": "alpaca-prod",
            "endpointslice.kubernetes.io/managed-by": "vigil.dev/agent"})
        self.assertEqual(s["ports"], [{"name": "http", "protocol": "TCP", "port": w.port}])
        by_ip = {e["addresses"][0]: e for e in s["endpoints"]}
        self.assertEqual(sorted(by_ip), ALPACA)
        self.assertEqual(by_ip[ALPACA[0]]["conditions"],
                         {"ready": False, "serving": False, "terminating": False})
        for ip in ALPACA[1:]:
            self.assertEqual(by_ip[ip]["conditions"],
                             {"ready": True, "serving": True, "terminating": False})
        for e in s["endpoints"]:
            self.assertEqual(e["nodeName"], NODE)


# §14: `=`, `!=`, `in`, `notin`, exists, `!`, AND, no match message, bad syntax rejected
class LabelSelectorTest(SharedWorld):
    def names(self, selector):
        out = self.w.kubectl_ok("get", "ep", "-l", selector, "-o", "name")
        return [line.split("/", 1)[1] for line in lines(out)]

    def test_operators(self):
        cases = [
            ("app=alpaca", ["alpaca-prod"]),
            ("app==bandicoot", ["bandicoot-prod"]),
            ("app!=alpaca", ["bandicoot-prod", "cache-staging"]),
            ("ver!=1", ["bandicoot-prod", "cache-staging"]),  # true when absent
            ("app in (alpaca,cache)", ["alpaca-prod", "cache-staging"]),
            ("app notin (alpaca)", ["bandicoot-prod", "cache-staging"]),
            ("ver", ["alpaca-prod", "bandicoot-prod"]),
            ("!ver", ["cache-staging"]),
            ("env=prod,ver=2", ["bandicoot-prod"]),
            ("env in (prod, staging), app notin (bandicoot)", ["alpaca-prod", "cache-staging"]),
        ]
        for selector, want in cases:
            with self.subTest(selector):
                self.assertEqual(self.names(selector), want)

    def test_no_match(self):
        done = self.w.kubectl("get", "ep", "-l", "app=nothing")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "")
        self.assertEqual(done.stderr.strip(), "No resources found in default namespace.")

    def test_bad_syntax(self):
        for selector in ("app in (alpaca", "app=a=b", "=x"):
            with self.subTest(selector):
                done = self.w.kubectl("get", "ep", "-l", selector)
                self.assertNotEqual(done.returncode, 0, done.stdout)
                self.assertIn("Error from server (BadRequest)", done.stderr)
                self.assertIn("unable to parse requirement", done.stderr)


# §14: one row; `endpoints "nope" not found`; `namespaces "other" not found`;
# empty other namespace; `get ns`
class GetOneAndNamespacesTest(SharedWorld):
    def test_one_row(self):
        out = self.w.kubectl_ok("get", "ep", "bandicoot-prod")
        self.assertEqual(len(lines(out)), 2, out)
        self.assertRegex(lines(out)[0], r"^NAME\s+ENDPOINTS\s+AGE$")
        self.assertEqual(row(out, "bandicoot-prod")[0], "bandicoot-prod")

    def test_not_found(self):
        done = self.w.kubectl("get", "ep", "nope")
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr.strip(),
                         'Error from server (NotFound): endpoints "nope" not found')
        done = self.w.kubectl("get", "svc", "nope")
        self.assertEqual(done.stderr.strip(),
                         'Error from server (NotFound): services "nope" not found')

    def test_other_namespace(self):
        done = self.w.kubectl("get", "ep", "alpaca-prod", "-n", "other")
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr.strip(),
                         'Error from server (NotFound): namespaces "other" not found')
        done = self.w.kubectl("get", "ep", "-n", "other")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "")
        self.assertEqual(done.stderr.strip(), "No resources found in other namespace.")

    def test_get_ns(self):
        out = self.w.kubectl_ok("get", "ns")
        self.assertRegex(lines(out)[0], r"^NAME\s+STATUS\s+AGE$")
        self.assertEqual(len(lines(out)), 2, out)
        self.assertRegex(lines(out)[1], r"^default\s+Active\s+%s$" % AGE)
        ns = json.loads(self.w.kubectl_ok("get", "ns", "default", "-o", "json"))
        self.assertEqual(ns["status"]["phase"], "Active")
        self.assertEqual(ns["metadata"]["labels"], {"kubernetes.io/metadata.name": "default"})
        done = self.w.kubectl("get", "ns", "other")
        self.assertEqual(done.stderr.strip(),
                         'Error from server (NotFound): namespaces "other" not found')


# §14: `-A` NAMESPACE column; services -A JSON
class AllNamespacesTest(SharedWorld):
    def test_endpoints(self):
        out = self.w.kubectl_ok("get", "ep", "-A")
        self.assertRegex(lines(out)[0], r"^NAMESPACE\s+NAME\s+ENDPOINTS\s+AGE$")
        self.assertEqual([columns(line)[:2] for line in lines(out)[1:]],
                         [["default", "alpaca-prod"], ["default", "bandicoot-prod"],
                          ["default", "cache-staging"]])

    def test_services_json(self):
        got = json.loads(self.w.kubectl_ok("get", "svc", "-A", "-o", "json"))
        self.assertEqual(got["kind"], "List")
        self.assertEqual([(i["metadata"]["namespace"], i["metadata"]["name"], i["kind"])
                          for i in got["items"]],
                         [("default", "alpaca-prod", "Service"),
                          ("default", "bandicoot-prod", "Service"),
                          ("default", "cache-staging", "Service")])

    def test_slices(self):
        out = self.w.kubectl_ok("get", "endpointslices", "-A")
        self.assertRegex(lines(out)[0], r"^NAMESPACE\s+NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$")
        self.assertEqual(len(lines(out)), 4, out)


class NamespacesFromConfigTest(unittest.TestCase):
    """A top-level `namespace` and a per-service override (DESIGN.md, Config);
    the same name in two namespaces is SameNameInTwoNamespacesTest."""

    def setUp(self):
        require_kubectl()
        self.w = World(top="namespace: shop\n", namespace="shop", extra_services="""  - name: alpaca-default
    namespace: default
    labels: {app: alpaca}
    endpoints: [127.0.0.41:1]
""")
        self.addCleanup(self.w.close)

    def test_namespaces(self):
        w = self.w
        out = w.kubectl_ok("get", "ns", "-o", "name")
        self.assertEqual(out, "namespace/default\nnamespace/shop\n")
        out = w.kubectl_ok("get", "ep", "-A")
        self.assertEqual([columns(line)[:2] for line in lines(out)[1:]],
                         [["default", "alpaca-default"], ["shop", "alpaca-prod"],
                          ["shop", "bandicoot-prod"], ["shop", "cache-staging"]])
        out = w.kubectl_ok("get", "ep", "-n", "shop", "alpaca-prod")
        self.assertIn(w.endpoint(ALPACA[0]), out)
        out = w.kubectl_ok("get", "ep", "alpaca-default")  # namespace default
        self.assertRegex(lines(out)[1], r"^alpaca-default\s+127\.0\.0\.41:1\s+%s$" % AGE)
        self.assertEqual(w.kubectl("get", "ep", "alpaca-prod").returncode, 1)  # not in default
        svc = json.loads(w.kubectl_ok("get", "svc", "-n", "shop", "bandicoot-prod", "-o", "json"))
        self.assertEqual(svc["metadata"]["namespace"], "shop")


SHOP = ["127.0.0.51", "127.0.0.52"]


class SameNameInTwoNamespacesTest(unittest.TestCase):
    """alpaca-prod in default (the world's) and in shop (two replicas of its
    own): a service is known by its namespace and name, so each namespace
    shows its own endpoints, slices, Service and Events, and a watch of one
    sees only its namespace's changes."""

    def setUp(self):
        require_kubectl()
        self.shop = Replicas(SHOP)
        self.addCleanup(self.shop.close)
        self.w = World(extra_services="""  - name: alpaca-prod
    namespace: shop
    labels: {app: alpaca, env: shop}
    ports: [{name: http, port: %d}]
    endpoints: [%s]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      timeoutSeconds: 1
      failureThreshold: 1
""" % (self.shop.port, ", ".join(SHOP)))
        self.addCleanup(self.w.close)
        wait_until(lambda: self.shop_ready("addresses") == set(SHOP), 10, "shop's replicas ready")

    def shop_endpoint(self, ip):
        return "%s:%d" % (ip, self.shop.port)

    def shop_ready(self, key):
        obj = self.w.endpoints("alpaca-prod", namespace="shop")
        return {a["ip"] for s in obj.get("subsets", []) for a in s.get(key, [])}

    def set_shop_ready(self, ip, ready):
        self.shop.set_ready(ip, ready)
        key = "addresses" if ready else "notReadyAddresses"
        wait_until(lambda: ip in self.shop_ready(key), 10, "%s in shop's %s" % (ip, key))

    def test_each_namespace_gets_its_own(self):
        w = self.w
        out = w.kubectl_ok("get", "ep", "alpaca-prod", "-n", "default")
        self.assertIn(w.endpoint(ALPACA[0]), row(out, "alpaca-prod")[1])
        self.assertNotIn("127.0.0.5", out)
        out = w.kubectl_ok("-n", "shop", "get", "ep", "alpaca-prod")
        self.assertEqual(row(out, "alpaca-prod")[1],
                         ",".join(self.shop_endpoint(ip) for ip in SHOP))
        out = w.kubectl_ok("get", "ep", "-A")
        self.assertRegex(lines(out)[0], r"^NAMESPACE\s+NAME\s+ENDPOINTS\s+AGE$")
        rows = [columns(line) for line in lines(out)[1:]]
        self.assertEqual([r[:2] for r in rows],
                         [["default", "alpaca-prod"], ["default", "bandicoot-prod"],
                          ["default", "cache-staging"], ["shop", "alpaca-prod"]], out)
        self.assertIn(w.endpoint(ALPACA[0]), rows[0][2])
        self.assertEqual(rows[3][2], ",".join(self.shop_endpoint(ip) for ip in SHOP))
        svc = json.loads(w.kubectl_ok("get", "svc", "-n", "shop", "alpaca-prod", "-o", "json"))
        self.assertEqual(svc["metadata"]["namespace"], "shop")
        self.assertEqual(svc["metadata"]["labels"], {"app": "alpaca", "env": "shop"})
        self.assertEqual(svc["spec"]["ports"][0]["port"], self.shop.port)
        other = json.loads(w.kubectl_ok("get", "svc", "alpaca-prod", "-o", "json"))
        self.assertEqual(other["metadata"]["namespace"], "default")
        self.assertNotEqual(other["metadata"]["uid"], svc["metadata"]["uid"])
        slices = json.loads(w.kubectl_ok("get", "endpointslices", "-n", "shop", "-o", "json"))
        self.assertEqual(sorted(a for s in slices["items"] for e in s["endpoints"]
                                for a in e["addresses"]), SHOP)
        out = w.kubectl_ok("get", "endpointslices", "-A",
                           "-l", "kubernetes.io/service-name=alpaca-prod")
        self.assertEqual(sorted(columns(line)[0] for line in lines(out)[1:]), ["default", "shop"])

    def test_describe_shows_each_namespaces_events(self):
        w = self.w
        self.set_shop_ready(SHOP[0], False)
        w.set_ready(ALPACA[1], False)
        shop_message = "%s: Readiness probe failed: HTTP probe failed with statuscode: 503" % (
            self.shop_endpoint(SHOP[0]))
        default_message = w.unhealthy_message(ALPACA[1])
        w.wait_event("Unhealthy", default_message)
        wait_until(lambda: shop_message in w.kubectl_ok("describe", "ep", "alpaca-prod", "-n",
                                                        "shop"), 10, "shop's event")
        shop = w.kubectl_ok("describe", "ep", "alpaca-prod", "-n", "shop")
        self.assertRegex(shop, r"(?m)^Namespace:\s+shop$")
        self.assertRegex(shop, r"(?m)^  NotReadyAddresses:\s+%s$" % re.escape(SHOP[0]))
        events = shop.split("Events:")[1]
        self.assertRegex(events, r"(?m)^  Warning\s+Unhealthy\s+\S+\s+vigil\s+%s$" %
                         re.escape(shop_message))
        self.assertNotIn("127.0.0.1", events)  # default's alpaca-prod's own events
        default = w.kubectl_ok("describe", "ep", "alpaca-prod")
        self.assertRegex(default, r"(?m)^Namespace:\s+default$")
        events = default.split("Events:")[1]
        self.assertIn(default_message, events)
        self.assertNotIn("127.0.0.5", events)
        out = w.kubectl_ok("get", "events", "-n", "shop")
        self.assertIn(shop_message, out)
        self.assertNotIn(default_message, out)

    def test_a_watch_of_one_namespace_sees_its_changes_only(self):
        w = self.w
        shop_all = ",".join(self.shop_endpoint(ip) for ip in SHOP)
        shop_one = self.shop_endpoint(SHOP[1])
        default_all = "%s,%s,%s + 2 more..." % tuple(w.endpoint(ip) for ip in ALPACA[:3])
        default_one = "%s,%s,%s + 1 more..." % tuple(w.endpoint(ip) for ip in ALPACA[1:4])
        in_default = w.kubectl_background("get", "ep", "alpaca-prod", "-w", "-n", "default")
        self.addCleanup(in_default.stop)
        in_shop = w.kubectl_background("get", "ep", "alpaca-prod", "-w", "-n", "shop")
        self.addCleanup(in_shop.stop)
        in_default.wait_output(lambda out: default_all in out, 10, "default's first row")
        in_shop.wait_output(lambda out: shop_all in out, 10, "shop's first row")
        # shop's flip, then default's: each watch sees its own.
        self.set_shop_ready(SHOP[0], False)
        in_shop.wait_output(lambda out: re.search(r"(?m)^alpaca-prod\s+%s\s" %
                                                  re.escape(shop_one), out), 10, "shop's change")
        w.set_ready(ALPACA[0], False)
        in_default.wait_output(lambda out: default_one in out, 10, "default's change")
        self.assertNotIn("127.0.0.5", in_default.stdout())
        self.assertNotIn("127.0.0.1", in_shop.stdout())
        self.assertEqual([columns(line)[1] for line in lines(in_default.stdout())[1:]],
                         [default_all, default_one], in_default.stdout())
        self.assertEqual([columns(line)[1] for line in lines(in_shop.stdout())[1:]],
                         [shop_all, shop_one], in_shop.stdout())


# §14: -o json/yaml/name/jsonpath/custom-columns, list `kind: List`, `--sort-by`
# (includeObject=Object), RFC 3339, uid, numeric RV, notReadyAddresses, nodeName, ports
class OutputFormatsTest(SharedWorld):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.w.set_ready(ALPACA[0], False)

    def test_json(self):
        w = self.w
        got = json.loads(w.kubectl_ok("get", "endpoints", "-o", "json"))
        self.assertEqual(got["kind"], "List")
        self.assertEqual(got["apiVersion"], "v1")
        self.assertEqual([i["metadata"]["name"] for i in got["items"]],
                         ["alpaca-prod", "bandicoot-prod", "cache-staging"])
        alpaca = got["items"][0]
        self.assertEqual(alpaca["kind"], "Endpoints")
        meta = alpaca["metadata"]
        self.assertEqual(meta["namespace"], "default")
        self.assertRegex(meta["uid"], UUID)
        self.assertRegex(meta["creationTimestamp"], RFC3339)
        self.assertRegex(meta["resourceVersion"], r"^[1-9][0-9]*$")
        self.assertEqual(meta["labels"], {"app": "alpaca", "env": "prod", "ver": "1"})
        self.assertEqual(alpaca["subsets"], [{
            "addresses": [{"ip": ip, "nodeName": NODE} for ip in ALPACA[1:]],
            "notReadyAddresses": [{"ip": ALPACA[0], "nodeName": NODE}],
            "ports": [{"name": "http", "port": w.port, "protocol": "TCP"}]}])
        self.assertEqual(got["items"][2]["subsets"], [{
            "addresses": [{"ip": "127.0.0.31", "nodeName": NODE}],
            "ports": [{"port": 1, "protocol": "TCP"}]}])

    def test_yaml(self):
        out = self.w.kubectl_ok("get", "ep", "-o", "yaml")
        self.assertRegex(out, r"(?m)^kind: List$")
        self.assertRegex(out, r"(?m)^  kind: Endpoints$")
        self.assertRegex(out, r"(?m)^    notReadyAddresses:\n    - ip: 127\.0\.0\.11\n"
                              r"      nodeName: node-a$")
        self.assertRegex(out, r"(?m)^    creationTimestamp: \"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\"$")

    def test_name(self):
        self.assertEqual(self.w.kubectl_ok("get", "ep", "-o", "name"),
                         "endpoints/alpaca-prod\nendpoints/bandicoot-prod\nendpoints/cache-staging\n")
        self.assertEqual(self.w.kubectl_ok("get", "svc", "-o", "name"),
                         "service/alpaca-prod\nservice/bandicoot-prod\nservice/cache-staging\n")

    def test_jsonpath(self):
        out = self.w.kubectl_ok("get", "ep", "-o", "jsonpath={.items[*].metadata.name}")
        self.assertEqual(out, "alpaca-prod bandicoot-prod cache-staging")
        out = self.w.kubectl_ok("get", "ep", "alpaca-prod", "-o",
                                "jsonpath={.subsets[0].notReadyAddresses[*].ip}")
        self.assertEqual(out, ALPACA[0])

    def test_custom_columns(self):
        out = self.w.kubectl_ok(
            "get", "ep", "-o",
            "custom-columns=NAME:.metadata.name,NODE:.subsets[0].addresses[0].nodeName,"
            "PORT:.subsets[0].ports[0].port")
        self.assertEqual([columns(line) for line in lines(out)],
                         [["NAME", "NODE", "PORT"], ["alpaca-prod", NODE, str(self.w.port)],
                          ["bandicoot-prod", NODE, str(self.w.port)],
                          ["cache-staging", NODE, "1"]])

    def test_sort_by(self):
        # alpaca-prod changed last: the highest resourceVersion.
        done = self.w.kubectl("get", "ep", "--sort-by=.metadata.resourceVersion", "-v=6")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(row(done.stdout, "alpaca-prod"), columns(lines(done.stdout)[-1]))
        self.assertIn("includeObject=Object", done.stderr)
        done = self.w.kubectl("get", "ep", "--sort-by={.subsets[0].addresses[0].ip}")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual([columns(line)[0] for line in lines(done.stdout)[1:]],
                         ["alpaca-prod", "bandicoot-prod", "cache-staging"])


# §14: `--chunk-size=1` lists everything (continue correct or limit ignored)
class ChunkSizeTest(SharedWorld):
    def test_chunks(self):
        for resource, count in (("ep", 3), ("svc", 3), ("endpointslices", 3), ("ns", 1)):
            with self.subTest(resource):
                done = self.w.kubectl("get", resource, "--chunk-size=1", "-v=6")
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(len(lines(done.stdout)), count + 1, done.stdout)
                self.assertEqual(done.stdout.count("NAME"), 1, done.stdout)
                self.assertIn("limit=1", done.stderr)
                names = [columns(line)[0] for line in lines(done.stdout)[1:]]
                self.assertEqual(names, sorted(set(names)))
        out = self.w.kubectl_ok("get", "ep", "--chunk-size=1", "-o", "name")
        self.assertEqual(out, "endpoints/alpaca-prod\nendpoints/bandicoot-prod\n"
                              "endpoints/cache-staging\n")


# §14: delete/label/annotate → MethodNotAllowed, object unchanged
class WritesRefusedTest(SharedWorld):
    def test_refused(self):
        before = json.loads(self.w.kubectl_ok("get", "ep", "alpaca-prod", "-o", "json"))
        for args in (("delete", "ep", "alpaca-prod", "--wait=false"),
                     ("delete", "svc", "bandicoot-prod", "--wait=false"),
                     ("label", "ep", "alpaca-prod", "team=x"),
                     ("annotate", "ep", "alpaca-prod", "note=x"),
                     ("label", "svc", "alpaca-prod", "team=x")):
            with self.subTest(" ".join(args)):
                done = self.w.kubectl(*args)
                self.assertNotEqual(done.returncode, 0, done.stdout)
                self.assertEqual(done.stderr.strip(), METHOD_NOT_ALLOWED)
        after = json.loads(self.w.kubectl_ok("get", "ep", "alpaca-prod", "-o", "json"))
        self.assertEqual(after, before)
        self.w.kubectl_ok("get", "svc", "bandicoot-prod")


# §14: `get ep NAME -w` prints a row for the first change and for the recovery
class WatchOneTest(KubectlWorldTest):
    def test_leave_and_come_back(self):
        w = self.w
        all_ready = "%s,%s,%s + 2 more..." % tuple(w.endpoint(ip) for ip in ALPACA[:3])
        one_gone = "%s,%s,%s + 1 more..." % tuple(w.endpoint(ip) for ip in ALPACA[1:4])
        watch = w.kubectl_background("get", "ep", "alpaca-prod", "-w")
        self.addCleanup(watch.stop)
        watch.wait_output(lambda out: all_ready in out, 10, "the first row")
        w.set_ready(ALPACA[0], False, wait=False)
        watch.wait_output(lambda out: one_gone in out, 10, "a row without the failed replica")
        w.set_ready(ALPACA[0], True, wait=False)
        watch.wait_output(lambda out: all_ready in out.split(one_gone, 1)[-1], 10,
                          "a row with the replica back")
        out = watch.stdout()
        self.assertRegex(lines(out)[0], r"^NAME\s+ENDPOINTS\s+AGE$")
        cells = [columns(line)[1] for line in lines(out)[1:]]
        self.assertTrue(all(line.startswith("alpaca-prod ") for line in lines(out)[1:]), out)
        # The listed row, the change, the recovery; never the header again.
        self.assertEqual(cells[0], all_ready)
        self.assertIn(one_gone, cells)
        self.assertEqual(cells[-1], all_ready)
        self.assertEqual(out.count("NAME"), 1)
        # Other services' changes are not this watch's.
        w.set_ready(BANDICOOT[0], False, service="bandicoot-prod")
        w.set_ready(ALPACA[1], False)
        watch.wait_output(lambda out: "%s,%s,%s + 1 more..." % (
            w.endpoint(ALPACA[0]), w.endpoint(ALPACA[2]), w.endpoint(ALPACA[3])) in out, 10,
            "the next alpaca change")
        self.assertNotIn("bandicoot", watch.stdout())
        self.assertIsNone(watch.process.poll(), "kubectl get -w ended: %s" % watch.stderr())


# §14: `get ep -w --output-watch-events`: after the list only MODIFIED rows
# (resume from the Table RV)
class WatchListTest(KubectlWorldTest):
    def test_modified_only_after_the_list(self):
        w = self.w
        watch = w.kubectl_background("get", "ep", "-w", "--output-watch-events")
        self.addCleanup(watch.stop)
        watch.wait_output(lambda out: "cache-staging" in out, 10, "the listed rows")
        w.set_ready(ALPACA[0], False, wait=False)
        watch.wait_output(lambda out: "MODIFIED" in out, 10, "a MODIFIED row")
        w.set_ready(BANDICOOT[1], False, service="bandicoot-prod", wait=False)
        watch.wait_output(lambda out: re.search(r"(?m)^MODIFIED\s+bandicoot-prod\s+%s\s" %
                                                re.escape(w.endpoint(BANDICOOT[0])), out), 10,
                          "bandicoot's MODIFIED row")
        out = watch.stdout()
        self.assertRegex(lines(out)[0], r"^EVENT\s+NAME\s+ENDPOINTS\s+AGE$")
        events = [columns(line)[:2] for line in lines(out)[1:]]
        self.assertEqual(events[:3], [["ADDED", "alpaca-prod"], ["ADDED", "bandicoot-prod"],
                                      ["ADDED", "cache-staging"]])
        self.assertEqual(events[3:], [["MODIFIED", "alpaca-prod"], ["MODIFIED", "bandicoot-prod"]],
                         out)
        modified = [columns(line) for line in lines(out) if line.startswith("MODIFIED")]
        self.assertEqual(modified[0][2], "%s,%s,%s + 1 more..." % tuple(
            w.endpoint(ip) for ip in ALPACA[1:4]))


# §14: `get events -w` prints the new Unhealthy event
class WatchEventsTest(KubectlWorldTest):
    def test_new_unhealthy_event(self):
        w = self.w
        w.set_ready(ALPACA[1], False)
        listed = w.unhealthy_message(ALPACA[1])
        w.wait_event("Unhealthy", listed)
        watch = w.kubectl_background("get", "events", "-w")
        self.addCleanup(watch.stop)
        # Once the list is printed, the watch resumes from its resourceVersion:
        # what happens from now on comes through the watch.
        watch.wait_output(lambda out: listed in out, 10, "the listed event")
        w.set_ready(ALPACA[2], False, wait=False)
        message = w.unhealthy_message(ALPACA[2])
        watch.wait_output(lambda out: message in out, 10, "the Unhealthy event's row")
        self.assertRegex(watch.stdout(), r"(?m)^%s\s+Warning\s+Unhealthy\s+endpoints/alpaca-prod\s+"
                                         r"%s$" % (AGE, re.escape(message)))


# §14: Name/Namespace/Labels/Addresses/NotReadyAddresses/Ports/Events with
# `Warning Unhealthy … vigil <ip:port>: Readiness probe failed: HTTP probe
# failed with statuscode: 503`; no other object's events; `describe service`
# Endpoints line from slices
class DescribeTest(KubectlWorldTest):
    def test_describe_endpoints(self):
        w = self.w
        w.set_ready(ALPACA[0], False)
        w.set_ready(BANDICOOT[0], False, service="bandicoot-prod")
        message = w.unhealthy_message(ALPACA[0])
        w.wait_event("Unhealthy", message)
        w.wait_event("Unhealthy", w.unhealthy_message(BANDICOOT[0]))
        out = w.kubectl_ok("describe", "endpoints", "alpaca-prod")
        self.assertRegex(out, r"(?m)^Name:\s+alpaca-prod$")
        self.assertRegex(out, r"(?m)^Namespace:\s+default$")
        self.assertRegex(out, r"(?m)^Labels:\s+app=alpaca\n\s+env=prod\n\s+ver=1$")
        self.assertRegex(out, r"(?m)^Annotations:\s+<none>$")
        self.assertRegex(out, r"(?m)^  Addresses:\s+%s$" % re.escape(",".join(ALPACA[1:])))
        self.assertRegex(out, r"(?m)^  NotReadyAddresses:\s+%s$" % re.escape(ALPACA[0]))
        self.assertRegex(out, r"(?m)^    Name\s+Port\s+Protocol\n    ----\s+----\s+--------\n"
                              r"    http\s+%d\s+TCP$" % w.port)
        self.assertRegex(out, r"(?m)^Events:\n  Type\s+Reason\s+Age\s+From\s+Message\n")
        self.assertRegex(out, r"(?m)^  Warning\s+Unhealthy\s+\S+\s+vigil\s+%s$" %
                         re.escape(message))
        self.assertNotIn("127.0.0.2", out.split("Events:")[1])  # bandicoot's own events

    def test_repeated_event_is_counted(self):
        w = self.w
        w.set_ready(ALPACA[0], False)
        w.set_ready(ALPACA[0], True)
        w.set_ready(ALPACA[0], False)
        message = w.unhealthy_message(ALPACA[0])
        wait_until(lambda: w.wait_event("Unhealthy", message)["count"] == 2, 10, "count 2")
        out = w.kubectl_ok("describe", "ep", "alpaca-prod")
        self.assertRegex(out, r"(?m)^  Warning\s+Unhealthy\s+\S+ \(x2 over \S+\)\s+vigil\s+%s$" %
                         re.escape(message))
        self.assertRegex(out, r"(?m)^  Normal\s+Ready\s+\S+( \(x\d+ over \S+\))?\s+vigil\s+%s: "
                              r"Readiness probe "
                              r"succeeded$" % re.escape(w.endpoint(ALPACA[0])))

    def test_describe_service(self):
        w = self.w
        w.set_ready(ALPACA[0], False)
        wait_until(lambda: w.endpoint(ALPACA[0]) not in
                   w.kubectl_ok("describe", "service", "alpaca-prod"), 5, "the slices to follow")
        out = w.kubectl_ok("describe", "service", "alpaca-prod")
        self.assertRegex(out, r"(?m)^Name:\s+alpaca-prod$")
        self.assertRegex(out, r"(?m)^Selector:\s+<none>$")
        self.assertRegex(out, r"(?m)^Type:\s+ClusterIP$")
        self.assertRegex(out, r"(?m)^IP:\s+None$")
        self.assertRegex(out, r"(?m)^Port:\s+http\s+%d/TCP$" % w.port)
        self.assertRegex(out, r"(?m)^Endpoints:\s+%s,%s,%s \+ 1 more\.\.\.$" % tuple(
            re.escape(w.endpoint(ip)) for ip in ALPACA[1:4]))


# §14: LAST SEEN TYPE REASON OBJECT MESSAGE; `-o wide` SOURCE `vigil, node`,
# COUNT; `--field-selector` by name and by type/reason; `kubectl events --for`
class EventsTest(SharedWorld):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.w
        w.set_ready(ALPACA[0], False)
        w.set_ready(BANDICOOT[1], False, service="bandicoot-prod")
        cls.alpaca = w.wait_event("Unhealthy", w.unhealthy_message(ALPACA[0]))
        cls.bandicoot = w.wait_event("Unhealthy", w.unhealthy_message(BANDICOOT[1]))

    def test_table(self):
        w = self.w
        out = w.kubectl_ok("get", "events")
        self.assertRegex(lines(out)[0], r"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$")
        self.assertRegex(out, r"(?m)^%s\s+Warning\s+Unhealthy\s+endpoints/alpaca-prod\s+%s$" %
                         (AGE, re.escape(w.unhealthy_message(ALPACA[0]))))
        self.assertRegex(out, r"(?m)^%s\s+Warning\s+Unhealthy\s+endpoints/bandicoot-prod\s+%s$" %
                         (AGE, re.escape(w.unhealthy_message(BANDICOOT[1]))))

    def test_wide(self):
        w = self.w
        out = w.kubectl_ok("get", "ev", "-o", "wide")
        self.assertRegex(lines(out)[0], r"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+SUBOBJECT\s+SOURCE"
                                        r"\s+MESSAGE\s+FIRST SEEN\s+COUNT\s+NAME$")
        self.assertRegex(out, r"(?m)^%s\s+Warning\s+Unhealthy\s+endpoints/alpaca-prod\s+vigil, "
                              r"%s\s+%s\s+%s\s+1\s+%s$" %
                         (AGE, NODE, re.escape(w.unhealthy_message(ALPACA[0])), AGE,
                          re.escape(self.alpaca["metadata"]["name"])))

    def test_field_selectors(self):
        w = self.w
        out = w.kubectl_ok("get", "events", "--field-selector",
                           "involvedObject.name=bandicoot-prod,reason=Unhealthy", "-o", "name")
        self.assertEqual(out, "event/%s\n" % self.bandicoot["metadata"]["name"])
        out = w.kubectl_ok("get", "events", "--field-selector", "type=Warning", "-o",
                           "jsonpath={.items[*].reason}")
        self.assertEqual(set(out.split()), {"Unhealthy"})
        out = w.kubectl_ok("get", "events", "--field-selector", "type!=Warning", "-o",
                           "jsonpath={.items[*].type}")
        self.assertNotIn("Warning", out)
        out = w.kubectl_ok("get", "events", "--field-selector",
                           "metadata.name=%s" % self.alpaca["metadata"]["name"], "-o", "name")
        self.assertEqual(out, "event/%s\n" % self.alpaca["metadata"]["name"])
        done = w.kubectl("get", "events", "--field-selector", "spec.nothing=x")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("field label not supported: spec.nothing", done.stderr)

    def test_kubectl_events_for(self):
        w = self.w
        out = w.kubectl_ok("events", "--for", "endpoints/alpaca-prod")
        self.assertRegex(lines(out)[0], r"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$")
        self.assertRegex(out, r"(?m)^%s\s+Warning\s+Unhealthy\s+[Ee]ndpoints/alpaca-prod\s+%s$" %
                         (AGE, re.escape(w.unhealthy_message(ALPACA[0]))))
        self.assertNotIn("bandicoot", out)


# The issue's `kubectl --kubeconfig <(vigil kubeconfig) get endpoints -w`:
# kubectl needs nothing else than what `vigil kubeconfig` prints.
class KubeconfigTest(SharedWorld):
    def test_kubectl_with_vigils_kubeconfig(self):
        import subprocess
        from vigil_harness import VIGIL
        w = self.w
        made = subprocess.run([VIGIL, "kubeconfig", "--server", w.url], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(made.returncode, 0, made.stderr)
        path = os.path.join(w.directory, "vigil.kubeconfig")
        with open(path, "w") as f:
            f.write(made.stdout)
        env = dict(os.environ, HOME=w.directory)
        env.pop("KUBECONFIG", None)
        done = subprocess.run([require_kubectl(), "--kubeconfig", path, "--cache-dir",
                               os.path.join(w.directory, "kubeconfig-cache"), "get", "endpoints"],
                              capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r"^NAME\s+ENDPOINTS\s+AGE\nalpaca-prod\s")
        done = subprocess.run([require_kubectl(), "--kubeconfig", path, "config",
                               "current-context"], capture_output=True, text=True, timeout=30,
                              env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(done.stdout.strip())


if __name__ == "__main__":
    unittest.main()
