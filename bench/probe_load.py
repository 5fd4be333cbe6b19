#!/usr/bin/env python3
"""Probe load: one vigil agent probing N HTTP endpoints on loopback.

nginx listens on 0.0.0.0:PORT, so every 127.x.y.z address reaches it; the
agent probes N distinct endpoints 127.x.y.z:PORT at the given period. After a
warm-up (first probes are spread over a period by jitter), it measures for
--duration seconds: probes actually run, the agent's CPU time per probe,
schedule lateness (p50, p99, from vigil_probe_schedule_lateness_seconds),
RSS, and TIME_WAIT sockets left on the node.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import api_address, cpu_seconds, print_figures, rss_mib, start_nginx


def endpoint_address(i):
    # 127.1.0.1, 127.1.0.2, ... 250 per /24, skipping .0 and .255.
    return f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"


def write_config(path, n, period, port, per_service=100):
    lines = ["listen: 127.0.0.1:0", "services:"]
    for s in range(0, n, per_service):
        lines.append(f"  - name: svc-{s // per_service}")
        lines.append(f"    ports: [{{name: http, port: {port}}}]")
        lines.append("    endpoints:")
        for i in range(s, min(n, s + per_service)):
            lines.append(f"      - {endpoint_address(i)}")
        lines.append("    readinessProbe:")
        lines.append("      httpGet: {path: /ready, port: http}")
        lines.append(f"      periodSeconds: {period}")
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


def time_wait_count():
    out = subprocess.run(["ss", "-tan", "state", "time-wait"], capture_output=True, text=True).stdout
    return max(0, len(out.strip().splitlines()) - 1)


def fail(workdir, message):
    log = os.path.join(workdir, "agent.log")
    if os.path.exists(log):
        with open(log) as f:
            sys.stderr.write(f.read()[-4000:])
    sys.exit(message)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", required=True)
    p.add_argument("--endpoints", type=int, default=10000)
    p.add_argument("--period", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--port", type=int, default=18080)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--pin", action="store_true",
                   help="run the agent on CPU 0 only and nginx on CPU 1 (needs 2 CPUs)")
    args = p.parse_args()

    workdir = tempfile.mkdtemp(prefix="vigil-bench-")
    nginx = start_nginx(workdir, args.port, cpu=1 if args.pin else None)
    agent = None
    try:
        config = os.path.join(workdir, "vigil.yaml")
        write_config(config, args.endpoints, args.period, args.port)
        log = os.path.join(workdir, "agent.log")
        command = [args.vigil, "agent", "--config", config, "--node", "bench"]
        if args.pin:
            command = ["taskset", "-c", "0"] + command
        agent = subprocess.Popen(command,
                                 stderr=open(log, "w"))
        api = api_address(agent, log)
        if api is None:
            fail(workdir, "the agent did not come up")
        time.sleep(args.warmup)
        if agent.poll() is not None:
            fail(workdir, "the agent exited")
        listed = json.load(urllib.request.urlopen(f"{api}/api/v1/services", timeout=10))
        if sum(item["ready"] + item["notReady"] for item in listed["items"]) != args.endpoints:
            fail(workdir, "the agent does not hold the expected endpoints")

        probes0, lateness0 = scrape(api)
        cpu0, t0 = cpu_seconds(agent.pid), time.monotonic()
        time.sleep(args.duration)
        cpu1, t1 = cpu_seconds(agent.pid), time.monotonic()
        probes1, lateness1 = scrape(api)

        probes = sum(probes1.values()) - sum(probes0.values())
        failed = sum(probes1.get(r, 0) - probes0.get(r, 0) for r in ("failure", "timeout", "error"))
        services = json.load(urllib.request.urlopen(f"{api}/api/v1/services", timeout=10))
        ready = sum(item["ready"] for item in services["items"])
        wall = t1 - t0
        figures = {
            "endpoints": args.endpoints,
            "pinned": args.pin,
            "period_s": args.period,
            "measured_s": round(wall, 1),
            "probes_per_s": round(probes / wall, 1),
            "expected_probes_per_s": round(args.endpoints / args.period, 1),
            "failed_probes": int(failed),
            "cpu_us_per_probe": round((cpu1 - cpu0) / probes * 1e6, 1) if probes else None,
            "cpu_cores": round((cpu1 - cpu0) / wall, 3),
            "lateness_p50_ms": round(quantile(0.50, lateness0, lateness1) * 1e3, 3),
            "lateness_p99_ms": round(quantile(0.99, lateness0, lateness1) * 1e3, 3),
            "rss_mib": round(rss_mib(agent.pid), 1),
            "ready_endpoints": ready,
            "time_wait_sockets": time_wait_count(),
        }
        print_figures(figures, args.json)
    finally:
        if agent is not None:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=10)
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
