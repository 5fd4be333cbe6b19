"""The Kubernetes view with the etcd backend: two agents (node-a, node-b)
share alpaca-prod through a real etcd, and either agent's API serves the
cluster-wide Endpoints, each address with the node that probes it; a change
seen by one node reaches a watch on the other agent (issue: "With the etcd
backend it serves the cluster-wide view (nodeName per address; the
resourceVersion is etcd's revision)")."""

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from vigil_harness import (ALPACA, Agent, Replicas, WatchStream, _tie_to_parent, request,
                           require_python_client, wait_until)

ETCD = "/usr/bin/etcd"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(node, port, ips, client_url):
    return """node: %s
listen: 127.0.0.1:0
registry:
  backend: etcd
  etcd: {endpoints: ["%s"], prefix: /vigil, leaseTTLSeconds: 5}
services:
  - name: alpaca-prod
    labels: {app: alpaca}
    ports: [{name: http, port: %d}]
    endpoints: [%s]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      failureThreshold: 1
""" % (node, client_url, port, ", ".join(ips))


class ClusterViewTest(unittest.TestCase):
    def setUp(self):
        if not os.access(ETCD, os.X_OK):
            self.fail("etcd is missing at %s (Debian's etcd-server; scripts/install-deps.sh "
                      "installs it)" % ETCD)
        self.directory = tempfile.mkdtemp(prefix="vigil-kube-etcd-")
        self.addCleanup(shutil.rmtree, self.directory, True)
        client_url = "http://127.0.0.1:%d" % free_port()
        peer_url = "http://127.0.0.1:%d" % free_port()
        log = open(os.path.join(self.directory, "etcd.log"), "wb")
        self.addCleanup(log.close)
        etcd = subprocess.Popen(
            [ETCD, "--name=kube-e2e", "--data-dir=" + os.path.join(self.directory, "data"),
             "--listen-client-urls=" + client_url, "--advertise-client-urls=" + client_url,
             "--listen-peer-urls=" + peer_url, "--initial-advertise-peer-urls=" + peer_url,
             "--initial-cluster=kube-e2e=" + peer_url, "--log-level=warn", "--logger=zap"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=_tie_to_parent)
        self.addCleanup(lambda: (etcd.kill(), etcd.wait()))
        wait_until(lambda: '"health":"true"' in request(client_url, "GET", "/health").body, 20,
                   "etcd to be healthy")
        self.replicas = Replicas(ALPACA[:4])
        self.addCleanup(self.replicas.close)
        port = self.replicas.port
        self.port = port
        dirs = [os.path.join(self.directory, n) for n in ("a", "b")]
        for d in dirs:
            os.mkdir(d)
        self.a = Agent(config("node-a", port, ALPACA[:2], client_url), dirs[0], node="node-a")
        self.addCleanup(self.stopped, self.a)
        self.b = Agent(config("node-b", port, ALPACA[2:4], client_url), dirs[1], node="node-b")
        self.addCleanup(self.stopped, self.b)

    def stopped(self, agent):
        code = agent.stop()
        self.assertEqual(code, 0, "the agent exited %s on SIGTERM:\n%s" % (code, agent.log()[-4000:]))

    def endpoints(self, agent):
        answer = request(agent.url, "GET", "/api/v1/namespaces/default/endpoints/alpaca-prod",
                         headers={"Accept": "application/json"})
        return answer.json() if answer.status == 200 else None

    def addresses(self, agent, key="addresses"):
        obj = self.endpoints(agent)
        if not obj:
            return {}
        return {a["ip"]: a["nodeName"] for s in obj.get("subsets", []) for a in s.get(key, [])}

    def test_cluster_wide_endpoints(self):
        want = {ALPACA[0]: "node-a", ALPACA[1]: "node-a", ALPACA[2]: "node-b",
                ALPACA[3]: "node-b"}
        for agent in (self.a, self.b):
            wait_until(lambda: self.addresses(agent) == want, 20,
                       "both nodes' endpoints ready in %s's view" % agent.url)
        obj = self.endpoints(self.a)
        self.assertRegex(obj["metadata"]["resourceVersion"], r"^[1-9]\d*$")
        rv = obj["metadata"]["resourceVersion"]

        stream = WatchStream(self.a.url, "/api/v1/namespaces/default/endpoints?watch=true&"
                             "resourceVersion=%s" % rv)
        self.addCleanup(stream.close)
        self.replicas.set_ready(ALPACA[3], False)  # probed by node-b
        wait_until(lambda: any(
            {a["ip"]: a["nodeName"] for s in e["object"].get("subsets", [])
             for a in s.get("notReadyAddresses", [])} == {ALPACA[3]: "node-b"}
            for e in stream.events()), 20, "node-b's change in a watch of node-a's agent")
        for e in stream.events():
            self.assertEqual(e["type"], "MODIFIED")
            self.assertGreater(int(e["object"]["metadata"]["resourceVersion"]), int(rv))

        slices = request(self.a.url, "GET", "/apis/discovery.k8s.io/v1/namespaces/default/"
                         "endpointslices", headers={"Accept": "application/json"}).json()
        endpoints = {e["addresses"][0]: (e["nodeName"], e["conditions"]["ready"])
                     for s in slices["items"] for e in s["endpoints"]}
        self.assertEqual(endpoints, {ALPACA[0]: ("node-a", True), ALPACA[1]: ("node-a", True),
                                     ALPACA[2]: ("node-b", True), ALPACA[3]: ("node-b", False)})

        # The Python client reads the same cluster-wide view from node-b's agent.
        require_python_client()
        from kubernetes import client
        configuration = client.Configuration()
        configuration.host = self.b.url
        core = client.CoreV1Api(client.ApiClient(configuration))
        ep = core.read_namespaced_endpoints("alpaca-prod", "default")
        self.assertEqual(sorted((a.ip, a.node_name) for a in ep.subsets[0].addresses),
                         [(ALPACA[0], "node-a"), (ALPACA[1], "node-a"), (ALPACA[2], "node-b")])


if __name__ == "__main__":
    unittest.main()
