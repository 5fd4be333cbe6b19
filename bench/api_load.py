#!/usr/bin/env python3
"""The API under load: one vigil agent probing N HTTP endpoints (nginx)
while its API is held by slow clients, then by open watches; and nginx, the
reference event-driven server, under the same slow clients.

Slow clients (a process of their own, one thread, from 127.0.2.1-50):
--slowloris connections send a request head one byte every 3 s; --keepalive
connections send a request, read the answer, and send the next 4 s later on
the same connection, idle in between. A client the server cuts comes back
at once, so that about as many are held all the time. While they are held, a
client on 127.0.0.1 asks, each on a fresh connection, /healthz every 20 ms, a
list (/vigil/v1/endpoints, every endpoint) every 100 ms and /metrics every
500 ms: their latencies, p50 and p99. Then the same slow clients are held on
a second nginx (one worker, Debian's defaults for timeouts), and the same
client asks it for its static answer every 20 ms.

Watches: --watches streams of /vigil/v1/endpoints/flip?watch=true (from
127.0.3.1-50, held by bench/api_watchers.cc on one epoll thread) are open
while the benchmark turns the flip endpoint's /ready on and off --flips
times; from each transition, as the agent logs it, to its arrival on each
stream (when the client's epoll saw the bytes, before parsing): p50 and p99
over every stream and flip. The transition is logged before the prober's
commit delay (5 ms, which batches a burst into one change) and the loop's
wake quantum (4 ms): those are in the figure too.

In each phase of the agent: the probe loop's schedule lateness p50 and p99
(from vigil_probe_schedule_lateness_seconds), the agent's CPU and RSS.

Before measuring, the targets must answer: nginx its token on the first and
last endpoint address, the agent every endpoint ready and /healthz, the list
and /metrics 200. A run whose probes failed or fell behind, whose requests
failed, whose slow clients were not held or whose watches missed a flip
prints no figure (exit 1, saying why).
"""
import argparse
import multiprocessing
import os
import random
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import (FlipTarget, append_flip_service, endpoint_address, figures_of, log_times,
                      measure_probing, print_figures, refuse, start_agent, start_nginx,
                      stop_agent, stop_nginx, write_vigil_config)

# The targets: (figure, bound in ms).
TARGETS = {"healthz_p99_ms": 100, "list_p99_ms": 100, "metrics_p99_ms": 100,
           "transition_to_watch_event_p99_ms": 50, "lateness_p99_ms": 10}


def source_address(block, i):
    """127.0.{block}.1-50: many client addresses, under the per-address cap."""
    return f"127.0.{block}.{i % 50 + 1}"


def timed_get(host, port, path, timeout=5):
    """Milliseconds for a whole GET on a fresh connection, or None when it
    failed or did not answer 200."""
    start = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    if not data.startswith(b"HTTP/1.1 200"):
        return None
    return (time.perf_counter() - start) * 1e3


# ---------------------------------------------------------------------------
# Slow clients, in a process of their own so that their bookkeeping does not
# delay the measuring client.

SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 64
KEEPALIVE_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def hold_slow_clients(host, port, slowloris, keepalive, pace, keepalive_pace, held, cut, answered,
                      stop):
    """Holds `slowloris` + `keepalive` connections until `stop` is set;
    `held` (connected now, or connecting for less than a second), `cut`
    (closed by the server) and `answered` (keep-alive answers read) are
    shared counters. The connections are opened over the first 5 s (the
    agent's head deadline), so that the agent's cuts, and the reconnections,
    are spread out too."""
    selector = selectors.DefaultSelector()
    conns = {}  # socket -> state

    def open_one(index, kind):
        s = socket.socket()
        s.bind((source_address(2, index), 0))
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        first = time.monotonic() + (random.uniform(0, pace) if kind == "slow" else 0)
        conns[s] = {"index": index, "kind": kind, "sent": 0, "due": first, "connected": False,
                    "opened": time.monotonic()}
        selector.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)

    def drop(s):
        state = conns.pop(s)
        selector.unregister(s)
        s.close()
        return state

    start = time.monotonic()
    unopened = [(start + 5.0 * i / max(slowloris + keepalive, 1), i,
                 "slow" if i < slowloris else "keepalive") for i in range(slowloris + keepalive)]
    unopened.sort(reverse=True)
    while not stop.is_set():
        while unopened and unopened[-1][0] <= time.monotonic():
            _, i, kind = unopened.pop()
            open_one(i, kind)
        for key, events in selector.select(timeout=0.05):
            s = key.fileobj
            state = conns[s]
            if events & selectors.EVENT_WRITE and not state["connected"]:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    drop(s)
                    open_one(state["index"], state["kind"])
                    continue
                state["connected"] = True
                selector.modify(s, selectors.EVENT_READ)
            if events & selectors.EVENT_READ:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:  # cut by the server: come back at once
                    drop(s)
                    with cut.get_lock():
                        cut.value += 1
                    open_one(state["index"], state["kind"])
                    continue
                if state["kind"] == "keepalive" and b"HTTP/1.1 200" in data:
                    with answered.get_lock():
                        answered.value += 1
        now = time.monotonic()
        connected = 0
        for s, state in list(conns.items()):
            if not state["connected"]:
                connected += now - state["opened"] < 1.0
                continue
            connected += 1
            if now < state["due"]:
                continue
            try:
                if state["kind"] == "slow":
                    if state["sent"] < len(SLOW_HEAD):
                        s.send(SLOW_HEAD[state["sent"]:state["sent"] + 1])
                        state["sent"] += 1
                    state["due"] = now + pace
                else:
                    s.send(KEEPALIVE_REQUEST)
                    state["due"] = now + keepalive_pace
            except OSError:
                pass
        held.value = connected
    for s in list(conns):
        s.close()


class SlowClients:
    def __init__(self, host, port, args):
        self.held = multiprocessing.Value("i", 0)
        self.cut = multiprocessing.Value("i", 0)
        self.answered = multiprocessing.Value("i", 0)
        self.stop = multiprocessing.Event()
        self.count = args.slowloris + args.keepalive
        self.process = multiprocessing.Process(
            target=hold_slow_clients,
            args=(host, port, args.slowloris, args.keepalive, 3.0, 4.0, self.held, self.cut,
                  self.answered, self.stop),
            daemon=True)

    def start(self, timeout=30):
        """Starts them; refuses unless all are connected within `timeout`."""
        self.process.start()
        deadline = time.monotonic() + timeout
        while self.held.value < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.held.value < self.count:
            self.close()
            refuse(f"only {self.held.value} of {self.count} slow clients could connect")

    def close(self):
        self.stop.set()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()


def ask_under_slow_clients(host, port, slow, duration, paths):
    """Asks each of `paths` ((name, path, interval s)) in turn for `duration`
    seconds while `slow` holds its clients. Returns the samples (ms) by
    name, the failed requests and the least slow clients held."""
    samples = {name: [] for name, _, _ in paths}
    due = {name: 0.0 for name, _, _ in paths}
    failures = []
    least_held = slow.held.value
    start = time.monotonic()
    while time.monotonic() - start < duration:
        for name, path, interval in paths:
            now = time.monotonic()
            if now < due[name]:
                continue
            due[name] = now + interval
            ms = timed_get(host, port, path)
            if ms is None:
                failures.append(name)
            else:
                samples[name].append(ms)
        least_held = min(least_held, slow.held.value)
        time.sleep(0.02)
    return samples, failures, least_held


# ---------------------------------------------------------------------------
# The agent's own figures.

def ready_endpoints(api):
    """Endpoints the agent lists as ready, and all it lists."""
    text = urllib.request.urlopen(f"{api}/vigil/v1/endpoints", timeout=10).read().decode()
    return text.count('"ready":true'), text.count('"ready":')


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", required=True)
    p.add_argument("--watchers", required=True, help="the api_watchers_bench program")
    p.add_argument("--endpoints", type=int, default=1000)
    p.add_argument("--period", type=float, default=1.0)
    p.add_argument("--slowloris", type=int, default=500, help="slow clients sending a head byte by byte")
    p.add_argument("--keepalive", type=int, default=500, help="slow clients idle on keep-alive")
    p.add_argument("--watches", type=int, default=1000)
    p.add_argument("--duration", type=float, default=20, help="seconds measured under slow clients")
    p.add_argument("--flips", type=int, default=20)
    p.add_argument("--warmup", type=float, default=6)
    p.add_argument("--port", type=int, default=18080, help="the targets' nginx; the peer's is the next")
    p.add_argument("--pin", action="store_true",
                   help="the agent (and the peer nginx) on CPU 0, the targets and the clients on CPU 1")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    slow_count = args.slowloris + args.keepalive

    workdir = tempfile.mkdtemp(prefix="vigil-bench-api-")
    os.makedirs(os.path.join(workdir, "peer"))
    nginx = start_nginx(workdir, args.port, cpu=1 if args.pin else None,
                        addresses=[endpoint_address(0), endpoint_address(max(args.endpoints, 1) - 1)])
    peer = start_nginx(os.path.join(workdir, "peer"), args.port + 1, cpu=0 if args.pin else None)
    if args.pin:
        os.sched_setaffinity(0, {1})
    flip = FlipTarget()
    agent = watchers = None
    log = os.path.join(workdir, "agent.log")
    try:
        config = os.path.join(workdir, "vigil.yaml")
        write_vigil_config(config, [endpoint_address(i) for i in range(args.endpoints)],
                           args.period, args.port)
        append_flip_service(config, flip.port)
        agent, api, host, port = start_agent(args.vigil, config, log, args.pin)

        # The targets answer: every endpoint ready in the agent's view, and
        # its API serves what is measured.
        deadline = time.monotonic() + args.warmup + 30
        time.sleep(args.warmup)
        ready, listed = ready_endpoints(api)
        while ready < args.endpoints + 1 and time.monotonic() < deadline:
            time.sleep(0.5)
            ready, listed = ready_endpoints(api)
        if ready < args.endpoints + 1:
            refuse(f"{ready} of {args.endpoints + 1} endpoints ready ({listed} listed): "
                   "the targets do not answer")
        paths = [("healthz", "/healthz", 0.02), ("list", "/vigil/v1/endpoints", 0.1),
                 ("metrics", "/metrics", 0.5)]
        for name, path, _ in paths:
            if timed_get(host, port, path) is None:
                refuse(f"the agent's {path} did not answer 200")
        expected = args.endpoints / args.period + 20  # and the flip endpoint every 50 ms

        def measured_phase(body):
            # The flip endpoint fails on purpose: its failures do not count.
            result, window = measure_probing(agent, api, "vigil", expected, body,
                                             excluded={f"127.0.0.1:{flip.port}"})
            return result, {"probes_per_s": round(window["probes_per_s"], 1),
                            "lateness_p50_ms": round(window["lateness_p50_ms"], 2),
                            "lateness_p99_ms": round(window["lateness_p99_ms"], 2),
                            "agent_cpu_cores": round(window["cpu_cores"], 3),
                            "agent_rss_mib": round(window["rss_mib"], 1)}

        def under_slow_clients(target_host, target_port, target_paths, who):
            slow = SlowClients(target_host, target_port, args)
            slow.start()
            try:
                samples, failures, least_held = ask_under_slow_clients(
                    target_host, target_port, slow, args.duration, target_paths)
            finally:
                slow.close()
            if failures:
                refuse(f"{who}: {len(failures)} requests failed while slow clients were held "
                       f"({', '.join(sorted(set(failures)))})")
            if least_held < 0.95 * slow_count:
                refuse(f"{who}: only {least_held} of {slow_count} slow clients were held at times")
            return {"samples": samples, "held_min": least_held, "cut_and_back": slow.cut.value,
                    "keepalive_answers": slow.answered.value}

        # The agent under slow clients, then the peer under the same.
        vigil_slow, slow_phase = measured_phase(lambda: under_slow_clients(host, port, paths, "vigil"))
        peer_slow = under_slow_clients("127.0.0.1", args.port + 1, [("static", "/", 0.02)],
                                       "nginx")

        # Watches, and flips of the flip endpoint.
        watchers = subprocess.Popen(
            [args.watchers, host, str(port), str(args.watches), "/vigil/v1/endpoints/flip?watch=true",
             str(args.flips + 1), "120", "127.0.3"],
            stdout=subprocess.PIPE, text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {1})) if args.pin else None)
        if watchers.stdout.readline().strip() != "ready":
            refuse("the watch client did not start")

        def flips():
            samples = []
            for _ in range(args.flips):
                flip.ready = not flip.ready
                # /healthz meanwhile, for 0.4 s.
                until = time.monotonic() + 0.4
                while time.monotonic() < until:
                    ms = timed_get(host, port, "/healthz")
                    if ms is None:
                        refuse("/healthz failed while the watches were open")
                    samples.append(ms)
                    time.sleep(0.02)
            return samples

        healthz_during_watches, watch_phase = measured_phase(flips)
        try:
            out = watchers.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            watchers.kill()
            refuse("the watch client did not see every flip")
        if watchers.returncode != 0:
            refuse(f"the watch client failed ({watchers.returncode})")
        arrivals = [[float(t) for t in line.split()] for line in out.splitlines()]
        transitions = log_times(log, r"info\s+flip \S+ (not )?ready after")[-args.flips:]
        if len(transitions) < args.flips:
            refuse(f"the agent logged {len(transitions)} of {args.flips} transitions")
        missed = sum(1 for a in arrivals if len(a) < args.flips + 1) + args.watches - len(arrivals)
        if missed:
            seen = sorted(len(a) - 1 for a in arrivals)
            refuse(f"{missed} of {args.watches} watches missed a flip (flips seen: least "
                   f"{seen[0] if seen else 0}, median {seen[len(seen) // 2] if seen else 0}, "
                   f"of {args.flips})")
        latencies = [(a[k + 1] - transitions[k]) * 1e3 for a in arrivals for k in range(args.flips)]

        s = vigil_slow["samples"]
        result = {
            "endpoints": args.endpoints,
            "pinned": args.pin,
            "slow_clients": f"{args.slowloris} slowloris + {args.keepalive} keep-alive",
            "vigil_slow_clients_held_min": vigil_slow["held_min"],
            "vigil_slow_clients_cut_and_back": vigil_slow["cut_and_back"],
            "vigil_keepalive_answers": vigil_slow["keepalive_answers"],
            "vigil_healthz_ms": figures_of(s["healthz"]),
            "vigil_list_ms": figures_of(s["list"]),
            "vigil_metrics_ms": figures_of(s["metrics"]),
            "vigil_during_slow_clients": slow_phase,
            "nginx_slow_clients_held_min": peer_slow["held_min"],
            "nginx_slow_clients_cut_and_back": peer_slow["cut_and_back"],
            "nginx_keepalive_answers": peer_slow["keepalive_answers"],
            "nginx_static_ms": figures_of(peer_slow["samples"]["static"]),
            "watches": args.watches,
            "transition_to_watch_event_ms": figures_of(latencies),
            "healthz_during_watches_ms": figures_of(healthz_during_watches),
            "vigil_during_watches": watch_phase,
        }
        measured = {
            "healthz_p99_ms": result["vigil_healthz_ms"]["p99"],
            "list_p99_ms": result["vigil_list_ms"]["p99"],
            "metrics_p99_ms": result["vigil_metrics_ms"]["p99"],
            "transition_to_watch_event_p99_ms": result["transition_to_watch_event_ms"]["p99"],
            "lateness_p99_ms": max(slow_phase["lateness_p99_ms"], watch_phase["lateness_p99_ms"]),
        }
        result["targets"] = {k: f"{measured[k]} {'<' if measured[k] < bound else '>='} {bound}"
                             for k, bound in TARGETS.items()}
        result["targets_met"] = all(measured[k] < bound for k, bound in TARGETS.items())
        print_figures(result, args.json)
    finally:
        if watchers is not None and watchers.poll() is None:
            watchers.kill()
            watchers.wait()
        if agent is not None:
            stop_agent(agent)
        for server in (nginx, peer):
            stop_nginx(server)
        shutil.rmtree(workdir, ignore_errors=True)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
