#!/usr/bin/env python3
"""Probe load: one vigil agent probing N HTTP endpoints on loopback.

nginx listens on 0.0.0.0:PORT, so every 127.x.y.z address reaches it; the
agent probes N distinct endpoints 127.x.y.z:PORT at the given period. After a
warm-up (first probes are spread over a period by jitter), it measures for
--duration seconds: probes actually run, the agent's CPU time per probe,
schedule lateness (p50, p99, from vigil_probe_schedule_lateness_seconds),
RSS, and TIME_WAIT sockets left on the node. Then, still under that load:

- transition -> watch event (the embedded registry): the agent also probes a
  "flip" endpoint every 50 ms whose /ready the benchmark turns on and off;
  the time from each transition, as the agent logs it, until a watch stream
  of the agent's own API (GET /vigil/v1/endpoints/flip?watch=true) delivers it;
- GET /metrics: its time (20 requests) and size;
- memory per endpoint: the agent's RSS, less that of an agent probing the
  flip endpoint alone, divided by N.
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

from benchlib import (BenchError, FlipTarget, Watch, api_address, append_flip_service,
                      check_probes_ran, cpu_seconds, endpoint_address, flip_latencies,
                      latency_figures, print_figures, quantile, refuse, rss_mib, scrape,
                      start_nginx, write_vigil_config)


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
    p.add_argument("--flips", type=int, default=40)
    args = p.parse_args()

    workdir = tempfile.mkdtemp(prefix="vigil-bench-")
    nginx = start_nginx(workdir, args.port, cpu=1 if args.pin else None,
                        addresses=[endpoint_address(0), endpoint_address(max(args.endpoints, 1) - 1)])
    flip = FlipTarget()
    agent = None
    try:
        log = os.path.join(workdir, "agent.log")

        def start(endpoints):
            config = os.path.join(workdir, "vigil.yaml")
            write_vigil_config(config, [endpoint_address(i) for i in range(endpoints)],
                               args.period, args.port)
            append_flip_service(config, flip.port)
            command = [args.vigil, "agent", "--config", config, "--node", "bench"]
            if args.pin:
                command = ["taskset", "-c", "0"] + command
            process = subprocess.Popen(command, stderr=open(log, "w"))
            api = api_address(process, log)
            if api is None:
                fail(workdir, "the agent did not come up")
            return process, api

        # What an agent takes with no endpoint but the flip one.
        agent, api = start(0)
        time.sleep(3)
        baseline_rss = rss_mib(agent.pid)
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=10)

        agent, api = start(args.endpoints)
        time.sleep(args.warmup)
        if agent.poll() is not None:
            fail(workdir, "the agent exited")
        listed = json.load(urllib.request.urlopen(f"{api}/vigil/v1/services", timeout=10))
        if sum(item["ready"] + item["notReady"] for item in listed["items"]) != args.endpoints + 1:
            fail(workdir, "the agent does not hold the expected endpoints")

        probes0, lateness0 = scrape(api)
        cpu0, t0 = cpu_seconds(agent.pid), time.monotonic()
        time.sleep(args.duration)
        cpu1, t1 = cpu_seconds(agent.pid), time.monotonic()
        probes1, lateness1 = scrape(api)

        probes = sum(probes1.values()) - sum(probes0.values())
        failed = sum(probes1.get(r, 0) - probes0.get(r, 0) for r in ("failure", "timeout", "error"))
        services = json.load(urllib.request.urlopen(f"{api}/vigil/v1/services", timeout=10))
        ready = sum(item["ready"] for item in services["items"])
        wall = t1 - t0
        rss = rss_mib(agent.pid)

        # The flip endpoint is probed every 50 ms besides the N.
        expected = args.endpoints / args.period + 20
        try:
            check_probes_ran("vigil", probes / wall, expected, int(failed),
                             quantile(0.99, lateness0, lateness1) * 1e3)
        except BenchError as e:
            fail(workdir, f"benchmark refused: {e}; no figure is printed from such a run")
        if ready != args.endpoints + 1:
            fail(workdir, f"benchmark refused: {ready} of {args.endpoints + 1} endpoints are ready")

        latencies = flip_latencies(flip, [Watch(api)], log, args.flips)
        metrics_ms = []
        for _ in range(20):
            t = time.monotonic()
            metrics_bytes = len(urllib.request.urlopen(f"{api}/metrics", timeout=10).read())
            metrics_ms.append((time.monotonic() - t) * 1e3)
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
            "rss_mib": round(rss, 1),
            "memory_per_endpoint_kib": round((rss - baseline_rss) * 1024 / max(args.endpoints, 1), 2),
            "ready_endpoints": ready,
            "time_wait_sockets": time_wait_count(),
            "transition_to_watch_ms": latency_figures(latencies),
            "metrics_ms": {"median": round(sorted(metrics_ms)[len(metrics_ms) // 2], 1),
                           "max": round(max(metrics_ms), 1), "bytes": metrics_bytes},
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
