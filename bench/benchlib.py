"""What the benchmarks share: the target servers (nginx, a flippable one),
starting and stopping an agent, reading a process's CPU time and memory from
/proc, finding the API port an agent logged, its metrics (the probes counted
over a window) and watch streams, and the figures' arithmetic."""
import http.server
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A run that cannot give a figure: its targets are down, or its probes
    failed or fell behind. Its message says why."""


def refuse(message):
    """Ends the benchmark without a figure, saying why (exit status 1)."""
    sys.exit(f"benchmark refused: {message}; no figure is printed from such a run")


def start_nginx(workdir, port, cpu=None, addresses=(), timeout=10, access_log=None,
                listen="0.0.0.0", http="", locations="", servers=None):
    """nginx on `listen`:`port`, answering every path with a token of this run.
    Returns once nginx answers with that token on 127.0.0.1 and on each of
    `addresses`, so that a figure never comes from a run whose target is
    another process holding the port, or nothing at all; refuses otherwise.
    With `access_log` (a path), nginx logs each request there as
    "$msec $server_addr" (see probe_intervals). `http` adds directives to
    the http block, `locations` location blocks to the server, and
    `servers` (a function of the token) server blocks of their own."""
    token = secrets.token_hex(8)
    process = _spawn_nginx(workdir, port, cpu, token, access_log, listen, http, locations,
                           servers(token) if servers else "")
    deadline = time.time() + timeout
    targets = ["127.0.0.1", *addresses]
    problem = "nginx did not answer"
    while time.time() < deadline:
        if process.poll() is not None:
            with open(os.path.join(workdir, "nginx-error.log")) as f:
                refuse(f"nginx exited ({process.returncode}) instead of serving port {port}: "
                       + f.read().strip()[-500:])
        problem = next((p for p in (target_problem(a, port, token) for a in targets) if p), None)
        if problem is None:
            return process
        time.sleep(0.05)
    process.kill()
    refuse(f"the target on port {port}: {problem}")


def target_problem(address, port, token):
    """None when http://address:port/ready answers 200 with `token`, else what
    went wrong."""
    url = f"http://{address}:{port}/ready"
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            body = r.read().decode(errors="replace").strip()
            if r.status != 200 or body != token:
                return f"{url} answered {r.status} {body[:60]!r}, not this run's nginx"
    except urllib.error.HTTPError as e:
        return f"{url} answered {e.code}, not this run's nginx"
    except OSError as e:
        return f"{url}: {e}"
    return None


def check_probes_ran(who, ran_per_s, expected_per_s, failed, lateness_p99_ms=None,
                     max_lateness_ms=100):
    """Raises BenchError when a prober's run is no ground for a figure: a probe
    failed, fewer than 98% of the expected probes ran, or (when given) the
    schedule fell behind by more than `max_lateness_ms` at p99."""
    if failed:
        raise BenchError(f"{who}: {failed} probes failed")
    if ran_per_s < 0.98 * expected_per_s:
        raise BenchError(f"{who} ran {ran_per_s:.0f} probes/s of the {expected_per_s:.0f} expected: "
                         "it fell behind")
    if lateness_p99_ms is not None and lateness_p99_ms > max_lateness_ms:
        raise BenchError(f"{who}: schedule lateness p99 {lateness_p99_ms:.1f} ms: it fell behind")


def stop_nginx(process):
    """Stops an nginx of start_nginx gracefully (SIGQUIT) and waits for it."""
    process.send_signal(signal.SIGQUIT)
    process.wait(timeout=10)


def start_agent(vigil, config, log, pin=False):
    """`vigil agent` on `config` (on CPU 0 only with `pin`), its log in `log`.
    Returns (process, API URL, API host, API port) once it logged its API
    address; refuses when it did not."""
    command = [vigil, "agent", "--config", config, "--node", "bench"]
    if pin:
        command = ["taskset", "-c", "0"] + command
    agent = subprocess.Popen(command, stderr=open(log, "w"))
    api = api_address(agent, log)
    if api is None:
        stop_agent(agent)
        refuse("the agent did not come up")
    host, port = re.match(r"http://([\d.]+):(\d+)", api).groups()
    return agent, api, host, int(port)


def stop_agent(agent):
    """Stops an agent (SIGTERM), killing it when it takes more than 10 s."""
    agent.send_signal(signal.SIGTERM)
    try:
        agent.wait(timeout=10)
    except subprocess.TimeoutExpired:
        agent.kill()


def probe_counts(api, excluded=()):
    """(probes run, probes failed but those of the `excluded` endpoints
    ("address:port"), schedule lateness buckets) from the agent's /metrics."""
    text = urllib.request.urlopen(f"{api}/metrics", timeout=10).read().decode()
    ran = failed = 0.0
    buckets = {}
    for line in text.splitlines():
        if line.startswith("vigil_probe_total{"):
            value = float(line.rsplit(" ", 1)[1])
            ran += value
            endpoint = re.search(r'endpoint="([^"]*)"', line)
            if (re.search(r'result="(failure|timeout|error)"', line)
                    and (endpoint is None or endpoint.group(1) not in excluded)):
                failed += value
        elif line.startswith("vigil_probe_schedule_lateness_seconds_bucket{"):
            le = re.search(r'le="([^"]+)"', line).group(1)
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return ran, failed, buckets


def measure_probing(agent, api, who, expected_per_s, body, excluded=(), least=0.0):
    """Runs `body` while counting the agent's probes, then waits until `least`
    seconds passed, so that they are counted over enough time. Refuses when
    the agent exited, or its probes (but the `excluded` endpoints') failed
    or fell behind (check_probes_ran, as `who`). Returns body's result and
    the window's figures: probes_per_s, lateness_p50_ms, lateness_p99_ms,
    cpu_cores, threads_cores (by thread name) and rss_mib."""
    s0 = time.monotonic()
    ran0, failed0, lateness0 = probe_counts(api, excluded)
    s0 = (s0 + time.monotonic()) / 2  # when the counts were read, about
    cpu0, threads0, t0 = cpu_seconds(agent.pid), thread_cpu(agent.pid), time.monotonic()
    result = body()
    time.sleep(max(0.0, t0 + least - time.monotonic()))
    cpu1, threads1, t1 = cpu_seconds(agent.pid), thread_cpu(agent.pid), time.monotonic()
    ran1, failed1, lateness1 = probe_counts(api, excluded)
    s1 = (t1 + time.monotonic()) / 2
    if agent.poll() is not None:
        refuse(f"the agent exited ({agent.returncode})")
    ran = (ran1 - ran0) / (s1 - s0)
    lateness_p99 = quantile(0.99, lateness0, lateness1) * 1e3
    try:
        check_probes_ran(who, ran, expected_per_s, int(failed1 - failed0), lateness_p99)
    except BenchError as e:
        refuse(str(e))
    seconds = t1 - t0
    return result, {"probes_per_s": ran,
                    "lateness_p50_ms": quantile(0.5, lateness0, lateness1) * 1e3,
                    "lateness_p99_ms": lateness_p99,
                    "cpu_cores": (cpu1 - cpu0) / seconds,
                    "threads_cores": {name: (cpu - threads0.get(name, 0.0)) / seconds
                                      for name, cpu in threads1.items()},
                    "rss_mib": rss_mib(agent.pid)}


def _spawn_nginx(workdir, port, cpu, token, access_log, listen, http, locations, servers):
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
{f"worker_cpu_affinity {1 << cpu:b};" if cpu is not None else ""}
worker_rlimit_nofile 20000;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 16384; multi_accept on; }}
http {{
  {f"log_format probes '$msec $server_addr'; access_log {access_log} probes buffer=256k flush=1s;"
   if access_log else "access_log off;"}
{http}
  server {{
    listen {listen}:{port} backlog=16384;
{locations}
    location / {{ return 200 "{token}\\n"; }}
  }}
{servers}
}}
""")
    # No reuseport: another process holding the port makes nginx fail to bind
    # (and the run is refused) instead of silently sharing the connections.
    return subprocess.Popen(["nginx", "-c", conf, "-p", workdir], stderr=subprocess.DEVNULL)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def thread_cpu(pid):
    """CPU seconds by thread name."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def api_address(agent, log, timeout=30):
    """The API address the agent logged ("serving the API on URL"), or None
    when it exits or does not log one within `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline and agent.poll() is None:
        with open(log) as f:
            m = re.search(r"serving the API on (http://\S+)", f.read())
        if m:
            return m.group(1)
        time.sleep(0.05)
    return None


def print_figures(figures, as_json):
    """The figures as one JSON object, or one "name value" line each."""
    if as_json:
        print(json.dumps(figures))
        return
    width = max(len(k) for k in figures) + 2
    for k, v in figures.items():
        print(f"{k:{width}} {v}")


def tcp_active_opens():
    """TCP connections this host has opened so far (/proc/net/snmp,
    Tcp ActiveOpens): every check, HTTP or TCP, opens one, whoever runs it,
    whether or not the target gets to accept it."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Tcp:")]
    return int(rows[1][rows[0].index("ActiveOpens")])


def endpoint_address(i, base=1):
    """127.{base}.0.1, 127.{base}.0.2, ...: 250 per /24, skipping .0 and .255."""
    return f"127.{base + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


def write_vigil_config(path, addresses, period, port, probe="http", per_service=100, extra=()):
    """A config probing `addresses` (on `port`) in services of `per_service`,
    with httpGet /ready or tcpSocket every `period` seconds."""
    lines = ["listen: 127.0.0.1:0", *extra, "services:"]
    handler = "httpGet: {path: /ready, port: http}" if probe == "http" else "tcpSocket: {}"
    for s in range(0, len(addresses), per_service):
        lines += [f"  - name: svc-{s // per_service:03d}",
                  f"    ports: [{{name: http, port: {port}}}]",
                  "    endpoints:"]
        lines += [f"      - {a}" for a in addresses[s:s + per_service]]
        lines += ["    readinessProbe:", f"      {handler}", f"      periodSeconds: {period}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def scrape(api):
    text = urllib.request.urlopen(f"{api}/metrics", timeout=10).read().decode()
    probes = {}
    buckets = {}
    for line in text.splitlines():
        if line.startswith("vigil_probe_total{"):
            result = re.search(r'result="(\w+)"', line).group(1)
            probes[result] = probes.get(result, 0) + float(line.rsplit(" ", 1)[1])
        elif line.startswith("vigil_probe_schedule_lateness_seconds_bucket{"):
            le = re.search(r'le="([^"]+)"', line).group(1)
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return probes, buckets


def quantile(q, before, after):
    """histogram_quantile over the bucket deltas: linear within the bucket."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0) for b in bounds]
    total = counts[-1]
    if total <= 0:
        return float("nan")
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for bound, count in zip(bounds, counts):
        if count >= rank:
            if bound == float("inf"):
                return prev_bound
            return prev_bound + (bound - prev_bound) * (rank - prev_count) / max(count - prev_count, 1e-9)
        prev_bound, prev_count = bound, count
    return bounds[-2]


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
    """A watch stream of the "flip" service read on a thread: (arrival time,
    ready) of each change of its first endpoint."""

    def __init__(self, api):
        self.changes = []
        self.lock = threading.Condition()
        self.response = urllib.request.urlopen(f"{api}/vigil/v1/endpoints/flip?watch=true", timeout=600)
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


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def flip_latencies(flip, watches, log, flips, pause=0.2):
    """Turns the flip target's /ready on and off `flips` times and returns the
    milliseconds from each transition, as the agent logging to `log` logged
    it, to its arrival on each watch stream."""
    for w in watches:
        w.wait_for(1, 10)  # the initial ADDED
    for k in range(flips):
        flip.ready = not flip.ready
        for w in watches:
            if not w.wait_for(k + 2, 10):
                raise RuntimeError(f"flip {k}: no watch event")
        time.sleep(pause)
    transitions = log_times(log, r"info\s+flip \S+ (not )?ready after")
    latencies = []
    for w in watches:
        arrivals = [t for t, _ in w.changes[1:]]
        latencies += [(arrival - t) * 1e3 for arrival, t in zip(arrivals, transitions[-len(arrivals):])]
    return latencies


def figures_of(samples, digits=2):
    """n, p50, p99 and max of `samples`, rounded to `digits`; None for none."""
    if not samples:
        return None
    return {"n": len(samples), "p50": round(statistics.median(samples), digits),
            "p99": round(percentile(samples, 0.99), digits), "max": round(max(samples), digits)}


def latency_figures(latencies):
    return {"n": len(latencies), "p50": round(statistics.median(latencies), 1),
            "p99": round(percentile(latencies, 0.99), 1), "max": round(max(latencies), 1)}


def append_flip_service(path, flip_port):
    """Adds to a config the service "flip": one endpoint on the FlipTarget,
    probed every 50 ms and not ready after one failure."""
    with open(path, "a") as f:
        f.write("\n".join(["  - name: flip",
                           f"    endpoints: [127.0.0.1:{flip_port}]",
                           "    readinessProbe:",
                           "      httpGet: {path: /ready}",
                           "      periodSeconds: 0.05",
                           "      failureThreshold: 1"]) + "\n")


def probe_intervals(access_log, t0, t1, period):
    """From an nginx access log of "$msec $server_addr" lines: for every
    request in [t0, t1] (epoch seconds) after the first to the same address,
    the time since that previous one less `period`, in milliseconds. A probe
    that starts late makes its interval longer by as much; nginx stamps
    requests to the millisecond."""
    last, out = {}, []
    with open(access_log) as f:
        for line in f:
            stamp, address = line.split()
            t = float(stamp)
            if t < t0 or t > t1:
                continue
            if address in last:
                out.append((t - last[address] - period) * 1e3)
            last[address] = t
    return out
