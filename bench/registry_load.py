#!/usr/bin/env python3
"""Registry load: several vigil agents sharing one etcd.

Each agent (a node of its own) probes N endpoints on loopback (nginx on
0.0.0.0:PORT answers them all), in services of 100 that every node has, and
publishes them to one etcd (single member, on a free port, data in a temporary
directory). The benchmark measures:

- publication: from the agents' start until etcd holds every endpoint, and
  until another node's API shows every endpoint ready;
- transition -> remote watch event: the first agent also probes one "flip"
  endpoint (period 0.05 s, failureThreshold 1) whose /ready the benchmark
  turns on and off; the time from the transition, as the first agent logs it,
  until each other agent's watch stream (GET /api/v1/endpoints/flip?watch=true)
  delivers it;
- resync after etcd restarts: etcd is killed (SIGKILL) and started again on
  the same data; time until every agent is ready again (its state rewritten on
  a new lease, its view listing etcd again), and how long each full write took;
- resync into an empty etcd (its data lost): the same, from nothing.
"""
import argparse
import base64
import http.server
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone

from benchlib import api_address, cpu_seconds, print_figures, rss_mib, start_nginx


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Etcd:
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "etcd")
        self.client = free_port()
        self.peer = free_port()
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.client}"

    def start(self, timeout=30):
        peer = f"http://127.0.0.1:{self.peer}"
        self.process = subprocess.Popen(
            ["etcd", "--name=bench", f"--data-dir={self.dir}", f"--listen-client-urls={self.url}",
             f"--advertise-client-urls={self.url}", f"--listen-peer-urls={peer}",
             f"--initial-advertise-peer-urls={peer}", f"--initial-cluster=bench={peer}",
             "--log-level=error", "--logger=zap"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count("/") is not None:
                return time.monotonic()
            time.sleep(0.02)
        sys.exit("etcd did not come up")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def wipe(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def count(self, prefix):
        """How many keys start with `prefix`, or None when etcd does not answer."""
        key = prefix.encode()
        end = key[:-1] + bytes([key[-1] + 1])
        body = json.dumps({"key": base64.b64encode(key).decode(),
                           "range_end": base64.b64encode(end).decode(),
                           "count_only": True}).encode()
        try:
            request = urllib.request.Request(f"{self.url}/v3/kv/range", body,
                                             {"Content-Type": "application/json"})
            answer = json.load(urllib.request.urlopen(request, timeout=2))
            return int(answer.get("count", 0))
        except OSError:
            return None


class FlipTarget:
    """An HTTP server whose /ready answers 200 or 503 as told."""

    def __init__(self):
        self.ready = True
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status = 200 if target.ready else 503
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Watch:
    """A watch stream read on a thread: (arrival time, ready) of each change of
    the flip endpoint."""

    def __init__(self, api):
        self.changes = []
        self.lock = threading.Condition()
        self.response = urllib.request.urlopen(f"{api}/api/v1/endpoints/flip?watch=true", timeout=600)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        last = None
        try:
            for line in self.response:
                now = time.time()
                event = json.loads(line)
                endpoints = event.get("object", {}).get("endpoints", [])
                if not endpoints:
                    continue
                ready = endpoints[0]["conditions"]["ready"]
                if ready != last:
                    with self.lock:
                        self.changes.append((now, ready))
                        self.lock.notify_all()
                    last = ready
        except (OSError, ValueError):
            pass

    def wait_for(self, count, timeout):
        with self.lock:
            return self.lock.wait_for(lambda: len(self.changes) >= count, timeout)


def endpoint_address(agent, i):
    # 127.(10 + agent).y.z, 250 per /24, skipping .0 and .255.
    return f"127.{10 + agent}.{i // 250}.{i % 250 + 1}"


def write_config(path, agent, endpoints, period, probe, port, etcd, ttl, flip_port):
    lines = ["listen: 127.0.0.1:0",
             "registry:",
             "  backend: etcd",
             f"  etcd: {{endpoints: [\"{etcd}\"], prefix: /vigil, leaseTTLSeconds: {ttl}}}",
             "services:"]
    for s in range(0, endpoints, 100):
        lines += [f"  - name: svc-{s // 100:02d}",
                  f"    ports: [{{name: http, port: {port}}}]",
                  "    endpoints:"]
        lines += [f"      - {endpoint_address(agent, i)}" for i in range(s, min(endpoints, s + 100))]
        handler = "httpGet: {path: /ready, port: http}" if probe == "http" else "tcpSocket: {}"
        lines += ["    readinessProbe:", f"      {handler}", f"      periodSeconds: {period}"]
    if flip_port:
        lines += ["  - name: flip",
                  f"    endpoints: [127.0.0.1:{flip_port}]",
                  "    readinessProbe:",
                  "      httpGet: {path: /ready}",
                  "      periodSeconds: 0.05",
                  "      failureThreshold: 1"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 0, b""


def wait(condition, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(step)
    return None


def log_times(log, pattern):
    """The times (epoch seconds) of the log lines matching `pattern`."""
    out = []
    with open(log) as f:
        for line in f:
            if re.search(pattern, line):
                stamp = line.split(" ", 1)[0]
                out.append(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
                           .replace(tzinfo=timezone.utc).timestamp())
    return out


def write_ms(log):
    """How long the agent's last full write took, from its log."""
    found = re.findall(r"wrote (\d+) keys in (\d+) ms", open(log).read())
    return (int(found[-1][0]), int(found[-1][1])) if found else (0, 0)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", required=True)
    p.add_argument("--agents", type=int, default=3)
    p.add_argument("--endpoints", type=int, default=3000, help="per agent")
    p.add_argument("--period", type=float, default=5.0)
    p.add_argument("--probe", choices=["tcp", "http"], default="tcp")
    p.add_argument("--ttl", type=int, default=10)
    p.add_argument("--flips", type=int, default=40)
    p.add_argument("--port", type=int, default=18080)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args()

    workdir = tempfile.mkdtemp(prefix="vigil-registry-bench-")
    nginx = start_nginx(workdir, args.port)
    etcd = Etcd(workdir)
    agents, logs, apis = [], [], []
    figures = {"agents": args.agents, "endpoints_per_agent": args.endpoints,
               "probe": args.probe, "period_s": args.period}
    total = args.agents * args.endpoints + 1  # and the flip endpoint
    try:
        etcd.start()
        flip = FlipTarget()
        started = time.monotonic()
        for a in range(args.agents):
            config = os.path.join(workdir, f"node-{a}.yaml")
            write_config(config, a, args.endpoints, args.period, args.probe, args.port, etcd.url,
                         args.ttl, flip.port if a == 0 else None)
            logs.append(os.path.join(workdir, f"node-{a}.log"))
            agents.append(subprocess.Popen([args.vigil, "agent", "--config", config, "--node", f"node-{a}"],
                                           stderr=open(logs[-1], "w")))
        for a, agent in enumerate(agents):
            api = api_address(agent, logs[a])
            if api is None:
                sys.exit(f"agent {a} did not come up:\n" + open(logs[a]).read()[-3000:])
            apis.append(api)

        # Publication.
        published = wait(lambda: etcd.count("/vigil/endpoints/") == total, 120)
        figures["publish_all_s"] = round(published - started, 2) if published else None

        def all_ready():
            status, body = get(f"{apis[-1]}/api/v1/services")
            if status != 200:
                return False
            return sum(item["ready"] for item in json.loads(body)["items"]) == total
        ready = wait(all_ready, 120, step=0.1)
        figures["all_ready_in_remote_view_s"] = round(ready - started, 2) if ready else None
        figures["first_full_write_ms"] = [write_ms(log)[1] for log in logs]

        # Transition -> remote watch event.
        watches = [Watch(api) for api in apis[1:]]
        for w in watches:
            w.wait_for(1, 10)  # the initial ADDED
        cpu0 = [cpu_seconds(agent.pid) for agent in agents]
        t_cpu = time.monotonic()
        for k in range(args.flips):
            flip.ready = not flip.ready
            for w in watches:
                if not w.wait_for(k + 2, 10):
                    sys.exit(f"flip {k}: no watch event on a remote agent")
            time.sleep(0.2)
        cpu1 = [cpu_seconds(agent.pid) for agent in agents]
        wall = time.monotonic() - t_cpu
        transitions = log_times(logs[0], r"info\s+flip \S+ (not )?ready after")
        latencies = []
        for w in watches:
            arrivals = [t for t, _ in w.changes[1:]]
            latencies += [(arrival - t) * 1e3 for arrival, t in zip(arrivals, transitions[-len(arrivals):])]
        figures["transition_to_remote_watch_ms"] = {
            "n": len(latencies), "p50": round(statistics.median(latencies), 1),
            "p99": round(percentile(latencies, 0.99), 1), "max": round(max(latencies), 1)}
        figures["agent_cpu_cores"] = [round((b - a) / wall, 3) for a, b in zip(cpu0, cpu1)]
        figures["agent_rss_mib"] = [round(rss_mib(agent.pid), 1) for agent in agents]

        def every_agent(status):
            return all(get(f"{api}/readyz")[0] == status for api in apis)

        # Resync after etcd restarts on its data.
        etcd.kill()
        if not wait(lambda: every_agent(503), 30):
            sys.exit("the agents did not notice that etcd is gone")
        up = etcd.start()
        back = wait(lambda: every_agent(200) and etcd.count("/vigil/endpoints/") == total, 120)
        figures["resync_after_restart_s"] = round(back - up, 2) if back else None
        figures["resync_write_ms"] = [write_ms(log)[1] for log in logs]

        # Resync into an etcd that lost its data.
        etcd.kill()
        etcd.wipe()
        up = etcd.start()
        back = wait(lambda: every_agent(200) and etcd.count("/vigil/endpoints/") == total, 120)
        figures["resync_after_data_loss_s"] = round(back - up, 2) if back else None
        figures["resync_after_data_loss_write_ms"] = [write_ms(log)[1] for log in logs]

        print_figures(figures, args.json)
    finally:
        for agent in agents:
            agent.send_signal(signal.SIGTERM)
        for agent in agents:
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
        if etcd.process and etcd.process.poll() is None:
            etcd.kill()
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
