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
  until each other agent's watch stream (GET /vigil/v1/endpoints/flip?watch=true)
  delivers it;
- resync after etcd restarts: etcd is killed (SIGKILL) and started again on
  the same data; time until every agent is ready again (its state rewritten on
  a new lease, its view listing etcd again), and how long each full write took;
- resync into an empty etcd (its data lost): the same, from nothing.
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import (FlipTarget, Watch, api_address, append_flip_service, cpu_seconds,
                      endpoint_address,
                      flip_latencies, latency_figures, print_figures, refuse, rss_mib, start_nginx,
                      write_vigil_config)


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


def write_config(path, agent, endpoints, period, probe, port, etcd, ttl, flip_port):
    registry = ["registry:",
                "  backend: etcd",
                f"  etcd: {{endpoints: [\"{etcd}\"], prefix: /vigil, leaseTTLSeconds: {ttl}}}"]
    # Agent i probes 127.(10 + i).y.z.
    addresses = [endpoint_address(i, base=10 + agent) for i in range(endpoints)]
    write_vigil_config(path, addresses, period, port, probe, extra=registry)
    if flip_port:
        append_flip_service(path, flip_port)


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


def write_ms(log):
    """How long the agent's last full write took, from its log."""
    found = re.findall(r"wrote (\d+) keys in (\d+) ms", open(log).read())
    return (int(found[-1][0]), int(found[-1][1])) if found else (0, 0)


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
    nginx = start_nginx(workdir, args.port,
                        addresses=[endpoint_address(0, base=10),
                                   endpoint_address(args.endpoints - 1, base=10 + args.agents - 1)])
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
            status, body = get(f"{apis[-1]}/vigil/v1/services")
            if status != 200:
                return False
            return sum(item["ready"] for item in json.loads(body)["items"]) == total
        ready = wait(all_ready, 120, step=0.1)
        if not published or not ready:
            refuse("not every endpoint reached etcd and became ready in another node's view "
                   "within 120 s (a target down, or probes failing)")
        figures["all_ready_in_remote_view_s"] = round(ready - started, 2)
        figures["first_full_write_ms"] = [write_ms(log)[1] for log in logs]

        # Transition -> remote watch event.
        watches = [Watch(api) for api in apis[1:]]
        cpu0 = [cpu_seconds(agent.pid) for agent in agents]
        t_cpu = time.monotonic()
        latencies = flip_latencies(flip, watches, logs[0], args.flips)
        cpu1 = [cpu_seconds(agent.pid) for agent in agents]
        wall = time.monotonic() - t_cpu
        figures["transition_to_remote_watch_ms"] = latency_figures(latencies)
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
        if not back:
            refuse("the agents did not all come back within 120 s after etcd restarted")
        figures["resync_after_restart_s"] = round(back - up, 2)
        figures["resync_write_ms"] = [write_ms(log)[1] for log in logs]

        # Resync into an etcd that lost its data.
        etcd.kill()
        etcd.wipe()
        up = etcd.start()
        back = wait(lambda: every_agent(200) and etcd.count("/vigil/endpoints/") == total, 120)
        if not back:
            refuse("the agents did not all write their state again within 120 s into an empty etcd")
        figures["resync_after_data_loss_s"] = round(back - up, 2)
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
