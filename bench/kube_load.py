#!/usr/bin/env python3
"""The Kubernetes view at 10,000 endpoints in 100 services: list latency
(kubectl's Table and the JSON list, beside nginx serving the same JSON
bytes as a static file), transition → watch event latency for the real
kubectl and the official Python client, and what 50 open Kubernetes
watches add to the agent's CPU.

One agent probes --services services of --per-service endpoints
127.x.y.z:18080 (nginx, httpGet every --period s); svc-000 has
failureThreshold 1. nginx answers every address with a token of this run,
except that the first --flip-endpoints addresses of svc-000 answer 503 while
a file named after them exists: that is how the benchmark makes a target
fail and recover (the same nginx, the same port, the same probe).

Lists: first one Table, the first answer of the Kubernetes view (every
object encoded for it: the cache is cold); then --list-requests times
each, interleaved, on a fresh connection per request, the whole answer
read: GET /api/v1/endpoints?limit=500 with
kubectl's Table Accept header (what `kubectl get endpoints -A` asks), the
same with Accept: application/json (`-o json`), and the peer, a second
nginx (one worker, sendfile) serving the JSON answer's bytes as a file to
the same client. Then the wall time of the real `kubectl get endpoints -A`
(its discovery cache warm), which includes kubectl's own start-up (the
/usr/bin/kubectl dispatcher, then kubectl.1.N).

Watches: `kubectl get endpoints svc-000 -w` (its stdout read line by line
on a pipe, each line stamped when it arrives), the Python client's
`watch.Watch().stream(list_namespaced_endpoints, "default")`
(bench/kube_python_watch.py, each event stamped when the stream yields
it, decoded) and, for the server's part, a raw JSON watch of svc-000 read
from its socket (stamped when the bytes arrive), while the benchmark flips
the flip endpoints one at a time: an endpoint goes down (or up), the
benchmark waits until the agent logged the transition and every client
got it (kubectl's row and the Python event checked: the ready count they
show is the one expected), then flips the next. The latency of a flip is
from the agent's own transition time, the timestamp of the log line the
probe loop writes when the probe that flipped the endpoint returned (the
instant it sets as the endpoint's lastTransitionTime; the log has
milliseconds, truncated, so the figure is up to 1 ms high), to that
arrival. It includes the prober's commit delay (5 ms, which batches a
burst of transitions into one change) and the probe loop's wake quantum
(the commit runs at the next 4 ms boundary): 5-9 ms before the board
holds the change; then the server, the client's decoding and, for
kubectl, its printing. The Python watcher also tells how long the
interpreter's garbage collector ran while it decoded each event: the
Python figure is given again without the events a collection of more than
5 ms delayed.

CPU: --rounds rounds of two --cpu-seconds windows, the first with no
watch open, the second with --watches Kubernetes watches held by
bench/kube_watchers.py (mixed: all namespaces' endpoints, svc-000's
endpoints by fieldSelector, events, all endpointslices; half as Tables,
half JSON; opened before the window, their initial ADDED events in
before it starts), while the flip endpoints go down and up every
--flip-interval s in both. The agent's CPU time (/proc/PID/stat, and by
thread: the probe loop `vigil-probes`, the rest) in each. The added CPU
is the 50-watch window's less the other's, in % of the other's, per round
and the median, read on the whole agent (which carries the probe loop's
own drift between windows, a few %) and on the threads but the probe
loop's (where the watches' work runs).

Before measuring, the targets must answer: nginx its token on the first
and last endpoint address and the peer its token, the agent every
endpoint ready, its lists every service with every endpoint. A run whose
probes failed (but the flip endpoints') or fell behind, whose requests
failed, whose clients missed or misprinted a flip, or whose watches ended
or saw no event in a window prints no figure (exit 1, saying why).
"""
import argparse
import json
import os
import random
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

from benchlib import (endpoint_address, figures_of, measure_probing, print_figures, refuse,
                      start_agent, start_nginx, stop_agent, stop_nginx)

HERE = os.path.dirname(os.path.abspath(__file__))
KUBECTL = "/usr/bin/kubectl"
PYTHON = "/usr/bin/python3"  # Debian's, with python3-kubernetes
TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
FLIP_SERVICE = "svc-000"

# The goals: (figure, bound).
TARGETS = {"list_table_p99_ms": 100, "list_json_p99_ms": 100, "kubectl_watch_p99_ms": 20,
           "python_watch_p99_ms": 20, "watches_added_cpu_pct": 5}

# The watches of the CPU windows, taken in turn: (Accept, path).
WATCH_KINDS = [
    ("table", "/api/v1/endpoints?watch=true"),
    ("json", "/api/v1/endpoints?watch=true"),
    ("table", f"/api/v1/namespaces/default/endpoints?fieldSelector=metadata.name%3D{FLIP_SERVICE}"
              "&watch=true"),
    ("json", f"/api/v1/namespaces/default/endpoints?fieldSelector=metadata.name%3D{FLIP_SERVICE}"
             "&watch=true"),
    ("table", "/api/v1/namespaces/default/events?watch=true"),
    ("json", "/api/v1/namespaces/default/events?watch=true"),
    ("table", "/apis/discovery.k8s.io/v1/endpointslices?watch=true"),
    ("json", "/apis/discovery.k8s.io/v1/endpointslices?watch=true"),
]


# ---------------------------------------------------------------------------
# The targets: nginx with flippable addresses, and the peer.

def start_targets(workdir, port, flip_addresses, last_address, cpu):
    """nginx on 0.0.0.0:`port` answering /ready with a token of this run; each
    of `flip_addresses` answers 503 while the file down/ADDRESS exists
    (nginx binds the wildcard only and picks the server by local address)."""
    down = os.path.join(workdir, "down")
    os.makedirs(down, exist_ok=True)

    def flip_servers(token):
        return "\n".join(f"""  server {{
    listen {a}:{port};
    location / {{
      if (-f {down}/{a}) {{ return 503; }}
      return 200 "{token}\\n";
    }}
  }}""" for a in flip_addresses)

    process = start_nginx(workdir, port, cpu,
                          addresses=[endpoint_address(0), flip_addresses[-1], last_address],
                          servers=flip_servers)
    return process, down


def start_peer(workdir, port, files, cpu):
    """The peer: nginx serving `files` (name → bytes) as static files, and
    its token at /ready."""
    root = os.path.join(workdir, "www")
    os.makedirs(root, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    # nginx's workers run as an unprivileged user: they must reach the files.
    path = root
    while path.startswith(tempfile.gettempdir() + "/"):
        os.chmod(path, 0o755)
        path = os.path.dirname(path)
    return start_nginx(workdir, port, cpu, listen="127.0.0.1",
                       http="  sendfile on;\n  tcp_nopush on;",
                       locations="\n".join(
                           f"    location = /{name} {{ root {root}; default_type application/json; }}"
                           for name in files))


class Flipper:
    """Turns the flip endpoints down one after the other, then up again in
    the same order, one step a call."""

    def __init__(self, down_dir, addresses):
        self.down_dir = down_dir
        self.addresses = addresses
        self.down = set()
        self.step_index = 0
        self.lock = threading.Lock()

    def step(self):
        """Flips the next endpoint: (its address, whether it is now down)."""
        with self.lock:
            address = self.addresses[self.step_index % len(self.addresses)]
            self.step_index += 1
            path = os.path.join(self.down_dir, address)
            if address in self.down:
                os.remove(path)
                self.down.discard(address)
                return address, False
            open(path, "w").close()
            self.down.add(address)
            return address, True

    def all_up(self):
        with self.lock:
            for address in list(self.down):
                os.remove(os.path.join(self.down_dir, address))
            self.down.clear()
            self.step_index = 0


# ---------------------------------------------------------------------------
# The agent.

def write_config(path, services, per_service, period, port):
    lines = ["listen: 127.0.0.1:0", "services:"]
    for s in range(services):
        lines += [f"  - name: svc-{s:03d}",
                  f"    ports: [{{name: http, port: {port}}}]",
                  "    endpoints:"]
        lines += [f"      - {endpoint_address(s * per_service + i)}" for i in range(per_service)]
        lines += ["    readinessProbe:", "      httpGet: {path: /ready, port: http}",
                  f"      periodSeconds: {period}"]
        if s == 0:
            lines += ["      failureThreshold: 1"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class LogTail:
    """The agent's log, read as it grows: the times of the flip endpoints'
    transitions, (epoch seconds, address, ready)."""

    PATTERN = re.compile(r"^(\S+) info\s+" + FLIP_SERVICE + r" ([\d.]+):\d+ (not )?ready after")

    def __init__(self, path):
        self.file = open(path)
        self.partial = ""
        self.transitions = []

    def poll(self):
        self.partial += self.file.read()
        *lines, self.partial = self.partial.split("\n")
        for line in lines:
            m = self.PATTERN.match(line)
            if m:
                t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=timezone.utc).timestamp()
                self.transitions.append((t, m.group(2), m.group(3) is None))
        return self.transitions


class Lines:
    """A child's stdout read line by line on a thread, each line stamped
    (time.time()) when it arrives."""

    def __init__(self, argv, err_path, env=None, cpu=None):
        self.lines = []
        self.err_path = err_path
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=open(err_path, "wb"),
            env=env,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None)
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        for line in iter(self.process.stdout.readline, b""):
            self.lines.append((time.time(), line.decode(errors="replace").rstrip("\n")))

    def wait_lines(self, count, timeout):
        deadline = time.monotonic() + timeout
        while len(self.lines) < count:
            if time.monotonic() > deadline or self.process.poll() is not None and \
                    len(self.lines) < count and not self.thread.is_alive():
                return False
            time.sleep(0.002)
        return True

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")[-1000:]


class RawWatch:
    """A watch read on a thread from its socket, each event stamped when its
    bytes arrive (before any decoding): the server's part of a latency."""

    def __init__(self, host, port, path):
        self.arrivals = []
        self.socket = socket.create_connection((host, port), timeout=600)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n"
                            "User-Agent: vigil-bench\r\n\r\n".encode())
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        tail = b""
        try:
            while True:
                data = self.socket.recv(1 << 20)
                now = time.time()
                if not data:
                    return
                joined = tail + data
                self.arrivals += [now] * joined.count(b'{"type":')
                tail = joined[-7:]
        except OSError:
            pass

    def wait_events(self, count, timeout):
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def close(self):
        self.socket.close()


# ---------------------------------------------------------------------------
# Requests.

def get(host, port, path, accept, timeout=10):
    """(milliseconds, body) of a whole GET on a fresh connection, or None when
    it failed or did not answer 200 with its whole Content-Length."""
    start = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\n"
                      "User-Agent: vigil-bench\r\nConnection: close\r\n\r\n".encode())
            chunks = []
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return None
    ms = (time.perf_counter() - start) * 1e3
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        return None
    length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
    if length is None or int(length.group(1)) != len(body):
        return None
    return ms, body


def kubectl_ready_count(row):
    """The ready addresses an ENDPOINTS cell of `kubectl get endpoints` shows."""
    cells = row.split()
    if len(cells) < 3:
        return None
    more = re.search(r"\+ (\d+) more\.\.\.", row)
    if more:
        return 3 + int(more.group(1))
    cell = cells[1]
    return 0 if cell == "<none>" else len(cell.split(","))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", required=True)
    p.add_argument("--services", type=int, default=100)
    p.add_argument("--per-service", type=int, default=100)
    p.add_argument("--period", type=float, default=1.0)
    p.add_argument("--list-requests", type=int, default=100, help="timed requests of each list")
    p.add_argument("--kubectl-runs", type=int, default=10)
    p.add_argument("--flips", type=int, default=200, help="flips timed on the watches")
    p.add_argument("--flip-endpoints", type=int, default=8)
    p.add_argument("--watches", type=int, default=50)
    p.add_argument("--cpu-seconds", type=float, default=15)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--flip-interval", type=float, default=0.5,
                   help="seconds between flips during the CPU windows")
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--port", type=int, default=18080,
                   help="the targets' nginx; the peer's is the next")
    p.add_argument("--pin", action="store_true",
                   help="the agent (and the peer nginx) on CPU 0, the targets and every client "
                   "on CPU 1")
    p.add_argument("--json", action="store_true")
    p.add_argument("--samples", help="also write every sample (JSON) to this file")
    args = p.parse_args()
    total = args.services * args.per_service
    if args.services < 1 or args.per_service < args.flip_endpoints + 4:
        p.error("need at least one service of --flip-endpoints + 4 endpoints")
    if not (os.path.isfile(KUBECTL) and os.access(KUBECTL, os.X_OK)):
        refuse(f"no kubectl at {KUBECTL}")
    try:
        subprocess.run([PYTHON, "-c", "import kubernetes"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        refuse(f"{PYTHON} cannot import kubernetes (Debian's python3-kubernetes)")

    workdir = tempfile.mkdtemp(prefix="vigil-bench-kube-")
    client_cpu = 1 if args.pin else None
    flip_addresses = [endpoint_address(i) for i in range(args.flip_endpoints)]
    os.makedirs(os.path.join(workdir, "peer"))
    nginx, down_dir = start_targets(workdir, args.port, flip_addresses,
                                    endpoint_address(total - 1), client_cpu)
    flipper = Flipper(down_dir, flip_addresses)
    excluded = {f"{a}:{args.port}" for a in flip_addresses}
    if args.pin:
        os.sched_setaffinity(0, {1})
    agent = peer = holder = kubectl_watch = python_watch = None
    log = os.path.join(workdir, "agent.log")
    try:
        config = os.path.join(workdir, "vigil.yaml")
        write_config(config, args.services, args.per_service, args.period, args.port)
        agent, api, host, port = start_agent(args.vigil, config, log, args.pin)

        # The targets answer: every endpoint ready in the agent's view (its
        # own API, which the Kubernetes view's encodings are no part of).
        time.sleep(args.warmup)
        deadline = time.monotonic() + 30
        while True:
            native = urllib.request.urlopen(f"{api}/vigil/v1/endpoints", timeout=10).read()
            ready = native.count(b'"ready":true')
            if ready == total:
                break
            if time.monotonic() > deadline:
                refuse(f"{ready} of {total} endpoints ready: the targets do not answer")
            time.sleep(0.5)
        # The first Table encodes every Endpoints object (the cache is cold),
        # the JSON list after it reuses them.
        table = get(host, port, "/api/v1/endpoints?limit=500", TABLE_ACCEPT)
        if table is None or len(json.loads(table[1]).get("rows", [])) != args.services:
            refuse("the agent's Table does not have a row per service")
        first_table_ms = table[0]
        answer = get(host, port, "/api/v1/endpoints?limit=500", "application/json")
        items = json.loads(answer[1])["items"] if answer else []
        listed = sum(len(s.get("addresses", [])) for i in items for s in i.get("subsets", []))
        if len(items) != args.services or listed != total:
            refuse(f"the JSON list has {listed} ready addresses in {len(items)} Endpoints, "
                   f"not {total} in {args.services}")
        json_body = answer[1]
        peer = start_peer(os.path.join(workdir, "peer"), args.port + 1,
                          {"list.json": json_body}, 0 if args.pin else None)
        peer_answer = get("127.0.0.1", args.port + 1, "/list.json", "application/json")
        if peer_answer is None or peer_answer[1] != json_body:
            refuse("the peer does not serve the list's bytes")
        expected = total / args.period

        def measured(what, body, least=5.0):
            """Runs `body` (`what` the agent does meanwhile) for at least
            `least` seconds; its result and the probe loop's figures over the
            whole window."""
            result, window = measure_probing(agent, api, f"vigil ({what})", expected, body,
                                             excluded, least)
            probes = window["threads_cores"].get("vigil-probes", 0.0)
            return result, {"probes_per_s": round(window["probes_per_s"], 1),
                            "lateness_p99_ms": round(window["lateness_p99_ms"], 2),
                            "cpu_cores": window["cpu_cores"],
                            "probe_loop_cores": probes,
                            "other_threads_cores": window["cpu_cores"] - probes,
                            "rss_mib": round(window["rss_mib"], 1)}

        # --- Lists. ---------------------------------------------------------
        requests = [("table", host, port, "/api/v1/endpoints?limit=500", TABLE_ACCEPT),
                    ("json", host, port, "/api/v1/endpoints?limit=500", "application/json"),
                    ("nginx", "127.0.0.1", args.port + 1, "/list.json", "application/json")]

        def lists():
            samples = {name: [] for name, *_ in requests}
            sizes = {}
            for _ in range(args.list_requests):
                for name, h, pt, path, accept in requests:
                    answer = get(h, pt, path, accept)
                    if answer is None:
                        refuse(f"a {name} list request failed")
                    samples[name].append(answer[0])
                    sizes[name] = len(answer[1])
                    time.sleep(0.01)
            return samples, sizes

        (list_samples, sizes), list_phase = measured("lists", lists)

        # --- kubectl get endpoints -A. --------------------------------------
        kubectl_home = os.path.join(workdir, "kubectl")
        os.makedirs(kubectl_home)
        kubeconfig = os.path.join(kubectl_home, "kubeconfig")
        with open(kubeconfig, "w") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
        kubectl_env = dict(os.environ, HOME=kubectl_home)
        kubectl_env.pop("KUBECONFIG", None)
        kubectl_base = [KUBECTL, "--kubeconfig", kubeconfig, "--server", api,
                        "--cache-dir", os.path.join(kubectl_home, "cache")]

        def kubectl_get():
            start = time.perf_counter()
            done = subprocess.run(kubectl_base + ["get", "endpoints", "-A"], capture_output=True,
                                  text=True, env=kubectl_env, timeout=60,
                                  preexec_fn=(lambda: os.sched_setaffinity(0, {1}))
                                  if args.pin else None)
            ms = (time.perf_counter() - start) * 1e3
            rows = done.stdout.strip().splitlines()
            if done.returncode != 0 or len(rows) != args.services + 1:
                refuse(f"kubectl get endpoints -A exited {done.returncode} with {len(rows)} lines: "
                       + done.stderr[-300:])
            return ms

        kubectl_get()  # fills the discovery cache
        kubectl_samples, _ = measured("kubectl get",
                                      lambda: [kubectl_get() for _ in range(args.kubectl_runs)])

        # --- Transition → watch event. ---------------------------------------
        tail = LogTail(log)
        kubectl_watch = Lines(kubectl_base + ["get", "endpoints", FLIP_SERVICE, "-w"],
                              os.path.join(workdir, "kubectl-watch.err"), env=kubectl_env,
                              cpu=client_cpu)
        python_watch = Lines([PYTHON, os.path.join(HERE, "kube_python_watch.py"), api, "default",
                              str(args.services), FLIP_SERVICE],
                             os.path.join(workdir, "python-watch.err"), cpu=client_cpu)
        if not kubectl_watch.wait_lines(2, 30):
            refuse("kubectl get -w printed no row: " + kubectl_watch.stderr())
        if not python_watch.wait_lines(1, 60) or python_watch.lines[0][1] != "ready":
            refuse("the Python watch did not start: " + python_watch.stderr())
        raw_watch = RawWatch(host, port, "/api/v1/namespaces/default/endpoints?fieldSelector="
                             f"metadata.name%3D{FLIP_SERVICE}&watch=true")
        if not raw_watch.wait_events(1, 10):
            refuse("the raw watch got no ADDED event")

        def watch_flips():
            kubectl_ms, python_ms, raw_ms, python_gc_ms = [], [], [], []
            for k in range(args.flips):
                seen = len(tail.poll())
                address, down = flipper.step()
                ready_expected = args.per_service - len(flipper.down)
                deadline = time.monotonic() + 5 * args.period + 5
                while len(tail.poll()) == seen:
                    if time.monotonic() > deadline:
                        refuse(f"flip {k}: the agent logged no transition of {address}")
                    time.sleep(0.002)
                t, logged, ready = tail.transitions[seen]
                if logged != address or ready == down or len(tail.transitions) > seen + 1:
                    refuse(f"flip {k}: the agent logged {tail.transitions[seen:]}, "
                           f"not {address} {'down' if down else 'up'} alone")
                if not kubectl_watch.wait_lines(k + 3, 10):
                    refuse(f"flip {k}: kubectl printed no row: " + kubectl_watch.stderr())
                if not python_watch.wait_lines(k + 2, 10):
                    refuse(f"flip {k}: the Python watch yielded no event: " + python_watch.stderr())
                if not raw_watch.wait_events(k + 2, 10):
                    refuse(f"flip {k}: the raw watch got no event")
                arrival, row = kubectl_watch.lines[k + 2]
                if kubectl_ready_count(row) != ready_expected:
                    refuse(f"flip {k}: kubectl printed {row!r}, not {ready_expected} ready")
                fields = python_watch.lines[k + 1][1].split()
                if fields[1] != "MODIFIED" or int(fields[3]) != ready_expected:
                    refuse(f"flip {k}: the Python watch yielded {fields}, "
                           f"not MODIFIED with {ready_expected} ready")
                kubectl_ms.append((arrival - t) * 1e3)
                python_ms.append((float(fields[0]) - t) * 1e3)
                python_gc_ms.append(float(fields[4]))
                raw_ms.append((raw_watch.arrivals[k + 1] - t) * 1e3)
                time.sleep(random.uniform(0, 0.02))
            return kubectl_ms, python_ms, raw_ms, python_gc_ms

        (kubectl_ms, python_ms, raw_ms, python_gc_ms), watch_phase = measured("watched flips",
                                                                               watch_flips)
        kubectl_watch.stop()
        python_watch.stop()
        raw_watch.close()
        flipper.all_up()

        # --- CPU with and without watches, flips in both. ----------------------
        stop_flips = threading.Event()

        def keep_flipping():
            while not stop_flips.wait(args.flip_interval):
                flipper.step()

        time.sleep(2 * args.period)  # every flip endpoint ready again
        flipper_thread = threading.Thread(target=keep_flipping, daemon=True)
        flipper_thread.start()
        specs = [f"{a}:{path}" for a, path in
                 (WATCH_KINDS[i % len(WATCH_KINDS)] for i in range(args.watches))]
        rounds = []
        try:
            for _ in range(args.rounds):
                window = {}
                for watches in (0, args.watches):
                    if watches:
                        holder = subprocess.Popen(
                            [sys.executable, os.path.join(HERE, "kube_watchers.py"), host,
                             str(port), *specs],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: os.sched_setaffinity(0, {1})) if args.pin else None)
                        if holder.stdout.readline().strip() != "ready":
                            refuse("the watches did not start")
                        holder.stdin.write("mark\n")
                        holder.stdin.flush()
                        holder.stdout.readline()
                    start = time.time()
                    _, figures = measured(f"{watches} watches", lambda: None, args.cpu_seconds)
                    end = time.time()
                    figures["transitions"] = sum(1 for t, _, _ in tail.poll() if start <= t < end)
                    if watches:
                        holder.stdin.write("stop\n")
                        holder.stdin.flush()
                        counts = json.loads(holder.stdout.readline())
                        holder.wait(timeout=10)
                        holder = None
                        if counts["ended"] or counts["least_since_mark"] < 1:
                            refuse(f"of the {watches} watches, {counts['ended']} ended and the "
                                   f"least saw {counts['least_since_mark']} events in the window")
                        figures["watch_events"] = sum(counts["since_mark"].values())
                    window[watches] = figures
                rounds.append(window)
        finally:
            stop_flips.set()
            flipper_thread.join()
        flipper.all_up()
        # The watches' cost, in % of the agent's CPU without them (nearly all of
        # it the probe loop's): read on the whole agent, and on its threads
        # but the probe loop's, where the watches' work runs.
        added = [(r[args.watches]["cpu_cores"] - r[0]["cpu_cores"]) / r[0]["cpu_cores"] * 100
                 for r in rounds]
        added_api = [(r[args.watches]["other_threads_cores"] - r[0]["other_threads_cores"])
                     / r[0]["cpu_cores"] * 100 for r in rounds]

        def window_figures(key):
            cores = [r[key]["cpu_cores"] for r in rounds]
            return {"agent_cpu_cores_by_round": [round(c, 3) for c in cores],
                    "probe_loop_cores_by_round": [round(r[key]["probe_loop_cores"], 3)
                                                  for r in rounds],
                    "other_threads_cores_by_round": [round(r[key]["other_threads_cores"], 3)
                                                     for r in rounds],
                    "transitions_by_round": [r[key]["transitions"] for r in rounds],
                    "lateness_p99_ms_max": max(r[key]["lateness_p99_ms"] for r in rounds),
                    "rss_mib": rounds[-1][key]["rss_mib"]}

        result = {
            "endpoints": total,
            "services": args.services,
            "pinned": args.pin,
            "list_bytes": sizes,
            "list_table_first_ms": round(first_table_ms, 2),
            "list_table_ms": figures_of(list_samples["table"]),
            "list_json_ms": figures_of(list_samples["json"]),
            "nginx_same_json_ms": figures_of(list_samples["nginx"]),
            "during_lists": {k: round(v, 3) if isinstance(v, float) else v
                             for k, v in list_phase.items()},
            "kubectl_get_endpoints_all_ms": figures_of(kubectl_samples, 1),
            "flips": args.flips,
            "kubectl_watch_ms": figures_of(kubectl_ms, 1),
            "python_watch_ms": figures_of(python_ms, 1),
            "python_events_after_a_gc_over_5ms": sum(1 for g in python_gc_ms if g > 5),
            "python_watch_ms_without_those": figures_of(
                [m for m, g in zip(python_ms, python_gc_ms) if g <= 5], 1),
            "raw_socket_watch_ms": figures_of(raw_ms, 1),
            "during_watch_flips": {k: round(v, 3) if isinstance(v, float) else v
                                   for k, v in watch_phase.items()},
            "cpu_no_watches": window_figures(0),
            f"cpu_{args.watches}_watches": window_figures(args.watches),
            "watch_events_by_round": [r[args.watches]["watch_events"] for r in rounds],
            "watches_added_cpu_pct_by_round": [round(a, 1) for a in added],
            "watches_added_cpu_pct": round(statistics.median(added), 1),
            "watches_added_cores": round(statistics.median(
                [r[args.watches]["cpu_cores"] - r[0]["cpu_cores"] for r in rounds]), 4),
            "watches_added_outside_probe_loop_pct_by_round": [round(a, 2) for a in added_api],
            "watches_added_outside_probe_loop_pct": round(statistics.median(added_api), 2),
        }
        measured_figures = {
            "list_table_p99_ms": result["list_table_ms"]["p99"],
            "list_json_p99_ms": result["list_json_ms"]["p99"],
            "kubectl_watch_p99_ms": result["kubectl_watch_ms"]["p99"],
            "python_watch_p99_ms": result["python_watch_ms"]["p99"],
            "watches_added_cpu_pct": result["watches_added_cpu_pct"],
        }
        result["targets"] = {
            k: f"{measured_figures[k]} {'<' if measured_figures[k] < bound else '>='} {bound}"
            for k, bound in TARGETS.items()}
        result["targets_met"] = all(measured_figures[k] < b for k, b in TARGETS.items())
        print_figures(result, args.json)
        if args.samples:
            with open(args.samples, "w") as f:
                json.dump({"lists": list_samples, "kubectl_get": kubectl_samples,
                           "kubectl_watch": kubectl_ms, "python_watch": python_ms,
                           "raw_watch": raw_ms, "python_gc": python_gc_ms, "rounds": rounds}, f)
    finally:
        for watcher in (kubectl_watch, python_watch):
            if watcher is not None:
                watcher.stop()
        if holder is not None and holder.poll() is None:
            holder.kill()
            holder.wait()
        if agent is not None:
            stop_agent(agent)
        for server in (nginx, peer):
            if server is not None:
                stop_nginx(server)
        shutil.rmtree(workdir, ignore_errors=True)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
