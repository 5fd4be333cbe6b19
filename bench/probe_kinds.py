#!/usr/bin/env python3
"""Probe kinds beyond HTTP and TCP: vigil probing gRPC and exec endpoints.

- grpc: a real gRPC server (tests/support/grpc_health_server.py, Debian's
  python3-grpcio, gRPC's C core) listens on 0.0.0.0:PORT, so every
  127.x.y.z reaches it; vigil probes N endpoints 127.x.y.z:PORT with
  `grpc: {}` every second (one HTTP/2 connection and one Health/Check call
  each, through libcurl on the probe loop).
- exec: vigil probes M HTTP endpoints (nginx, the engine's own sockets)
  every second, first alone, then together with N exec endpoints running
  `/bin/true` every second (a child process each: a clone on a spawner thread, a pidfd and a
  pipe on the probe loop). The exec probes' CPU is the difference between
  the two runs, per exec probe; the HTTP probes' lateness is read from
  outside, from nginx's log of every request: the interval between an
  endpoint's consecutive probes less the period (vigil's own lateness
  histogram has every probe in it, exec ones too).

Each run measures, after a warm-up: probes run by kind (vigil_probe_total),
the agent's CPU time (user + system, /proc/PID/stat) per probe, the CPU of
its children (the commands themselves), schedule lateness p50/p99
(vigil_probe_schedule_lateness_seconds), RSS. With --pin (the default on 2
CPUs) vigil runs on CPU 0 and the targets on CPU 1. A run whose probes
failed, fell behind or started late (p99 over 100 ms) prints no figure.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import (BenchError, CLK_TCK, api_address, check_probes_ran, cpu_seconds,
                      endpoint_address, percentile, print_figures, probe_intervals, quantile,
                      refuse, rss_mib, start_nginx)

GRPC_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support",
                           "grpc_health_server.py")


def children_cpu_seconds(pid):
    """cutime + cstime: the CPU of the process's reaped children."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / CLK_TCK


def scrape_by_type(api):
    """{type: {result: count}} from vigil_probe_total, and the lateness buckets."""
    text = urllib.request.urlopen(f"{api}/metrics", timeout=10).read().decode()
    probes, buckets = {}, {}
    for line in text.splitlines():
        if line.startswith("vigil_probe_total{"):
            kind = re.search(r'type="(\w+)"', line).group(1)
            result = re.search(r'result="(\w+)"', line).group(1)
            counts = probes.setdefault(kind, {})
            counts[result] = counts.get(result, 0) + float(line.rsplit(" ", 1)[1])
        elif line.startswith("vigil_probe_schedule_lateness_seconds_bucket{"):
            le = re.search(r'le="([^"]+)"', line).group(1)
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return probes, buckets


def write_config(path, services):
    """services: (name, addresses, port, handler yaml) in services of 100."""
    lines = ["listen: 127.0.0.1:0", "services:"]
    for name, addresses, port, handler in services:
        for s in range(0, len(addresses), 100):
            lines += [f"  - name: {name}-{s // 100:03d}",
                      f"    ports: [{{name: p, port: {port}}}]",
                      "    endpoints:"]
            lines += [f"      - {a}" for a in addresses[s:s + 100]]
            lines += ["    readinessProbe:", f"      {handler}", "      periodSeconds: 1",
                      "      timeoutSeconds: 1"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_agent(args, workdir, services, prefix, expected):
    """Runs vigil on `services`; returns its figures over the window."""
    config = os.path.join(workdir, "vigil.yaml")
    write_config(config, services)
    log = os.path.join(workdir, "vigil.log")
    agent = subprocess.Popen(prefix + [args.vigil, "agent", "--config", config, "--node", "bench"],
                             stderr=open(log, "w"))
    try:
        api = api_address(agent, log)
        if api is None:
            refuse("vigil did not come up: " + open(log).read()[-2000:])
        time.sleep(args.warmup)
        if agent.poll() is not None:
            refuse("vigil exited: " + open(log).read()[-2000:])
        probes0, lateness0 = scrape_by_type(api)
        w0 = time.time()
        cpu0, child0, t0 = cpu_seconds(agent.pid), children_cpu_seconds(agent.pid), time.monotonic()
        time.sleep(args.duration)
        cpu1, child1, t1 = cpu_seconds(agent.pid), children_cpu_seconds(agent.pid), time.monotonic()
        w1 = time.time()
        probes1, lateness1 = scrape_by_type(api)
        wall = t1 - t0
        by_kind = {}
        for kind, counts in probes1.items():
            before = probes0.get(kind, {})
            delta = {r: counts[r] - before.get(r, 0) for r in counts}
            by_kind[kind] = {"per_s": round(sum(delta.values()) / wall, 1),
                             "failed": int(sum(delta.get(r, 0) for r in ("failure", "timeout", "error")))}
        total = sum(k["per_s"] for k in by_kind.values()) * wall
        figures = {"probes": by_kind,
                   "cpu_cores": round((cpu1 - cpu0) / wall, 3),
                   "cpu_s": cpu1 - cpu0,
                   "probes_total": total,
                   "cpu_us_per_probe": round((cpu1 - cpu0) / total * 1e6, 1) if total else None,
                   "children_cpu_cores": round((child1 - child0) / wall, 3),
                   "lateness_p50_ms": round(quantile(0.50, lateness0, lateness1) * 1e3, 2),
                   "lateness_p99_ms": round(quantile(0.99, lateness0, lateness1) * 1e3, 2),
                   "rss_mib": round(rss_mib(agent.pid), 1),
                   "measured_s": round(wall, 1),
                   "window": (w0, w1)}
        for kind, n in expected.items():
            got = by_kind.get(kind, {"per_s": 0, "failed": 0})
            check_probes_ran(f"vigil ({n} {kind})", got["per_s"], n, got["failed"],
                             figures["lateness_p99_ms"])
        return figures
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()


def start_grpc(workdir, port, cpu):
    """The gRPC health server on 0.0.0.0:`port`, or a refusal."""
    prefix = ["taskset", "-c", str(cpu)] if cpu is not None else []
    server = subprocess.Popen(prefix + ["/usr/bin/python3", GRPC_SERVER, "--address", "0.0.0.0",
                                        "--port", str(port), "--workers", "16"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=open(os.path.join(workdir, "grpc.log"), "w"), text=True)
    line = server.stdout.readline().strip()
    if line != f"port {port}":
        server.kill()
        refuse(f"the gRPC server did not listen on port {port} ({line or 'no answer'}): "
               + open(os.path.join(workdir, "grpc.log")).read()[-500:])
    return server


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", required=True)
    p.add_argument("--kinds", default="grpc,exec", help="comma-separated: grpc, exec")
    p.add_argument("--grpc-endpoints", type=int, default=2000)
    p.add_argument("--exec-endpoints", type=int, default=1000)
    p.add_argument("--http-endpoints", type=int, default=1000,
                   help="the other probes of the exec run")
    p.add_argument("--warmup", type=float, default=8)
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--port", type=int, default=18090)
    p.add_argument("--no-pin", action="store_true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    pin = not args.no_pin and os.cpu_count() >= 2
    prefix = ["taskset", "-c", "0"] if pin else []
    workdir = tempfile.mkdtemp(prefix="vigil-kinds-")
    kinds = args.kinds.split(",")
    try:
        if "grpc" in kinds:
            server = start_grpc(workdir, args.port, 1 if pin else None)
            try:
                n = args.grpc_endpoints
                figures = run_agent(args, workdir,
                                    [("grpc", [endpoint_address(i) for i in range(n)], args.port,
                                      "grpc: {}")], prefix, {"grpc": n})
                figures["endpoints"] = n
                del figures["cpu_s"], figures["probes_total"], figures["window"]
                if args.json:
                    print_figures({"grpc": figures}, True)
                else:
                    print(f"grpc, {n} endpoints at 1 s:")
                    print_figures(figures, False)
                sys.stdout.flush()
            except BenchError as e:
                refuse(str(e))
            finally:
                server.stdin.close()
                server.wait(timeout=10)
        if "exec" in kinds:
            access_log = os.path.join(workdir, "nginx-access.log")
            nginx = start_nginx(workdir, args.port + 1, cpu=1 if pin else None,
                                addresses=[endpoint_address(0, base=30),
                                           endpoint_address(args.http_endpoints - 1, base=30)],
                                access_log=access_log)
            try:
                http = ("web", [endpoint_address(i, base=30) for i in range(args.http_endpoints)],
                        args.port + 1, "httpGet: {path: /ready}")
                alone = run_agent(args, workdir, [http], prefix, {"http": args.http_endpoints})
                n = args.exec_endpoints
                both = run_agent(args, workdir,
                                 [http, ("check", [endpoint_address(i, base=40) for i in range(n)],
                                         80, "exec: {command: [/bin/true]}")],
                                 prefix, {"http": args.http_endpoints, "exec": n})
                time.sleep(1.5)  # nginx writes its log every second
                # The HTTP probes' lateness, from nginx's log: each request's
                # interval since the endpoint's previous one, less the period.
                late_alone = probe_intervals(access_log, *alone["window"], period=1.0)
                late_both = probe_intervals(access_log, *both["window"], period=1.0)
                exec_probes = both["probes"]["exec"]["per_s"] * both["measured_s"]
                # The HTTP probes' CPU as measured alone, at the rate they ran together.
                http_cpu = alone["cpu_s"] / alone["probes_total"] * (
                    both["probes"]["http"]["per_s"] * both["measured_s"])
                figures = {"exec_endpoints": n, "http_endpoints": args.http_endpoints,
                           "exec_per_s": both["probes"]["exec"]["per_s"],
                           "http_per_s": both["probes"]["http"]["per_s"],
                           "cpu_us_per_exec_probe": round((both["cpu_s"] - http_cpu) / exec_probes * 1e6, 1),
                           "command_cpu_us_per_probe": round(both["children_cpu_cores"] * both["measured_s"]
                                                             / exec_probes * 1e6, 1),
                           "cpu_us_per_http_probe_alone": alone["cpu_us_per_probe"],
                           "http_late_p99_ms_alone": round(percentile(late_alone, 0.99), 1),
                           "http_late_p50_ms_with_exec": round(percentile(late_both, 0.50), 1),
                           "http_late_p99_ms_with_exec": round(percentile(late_both, 0.99), 1),
                           "lateness_p99_ms_every_probe_with_exec": both["lateness_p99_ms"],
                           "rss_mib": both["rss_mib"]}
                if args.json:
                    print_figures({"exec": figures}, True)
                else:
                    print(f"exec, {n} endpoints at 1 s beside {args.http_endpoints} HTTP:")
                    print_figures(figures, False)
            except BenchError as e:
                refuse(str(e))
            finally:
                nginx.send_signal(signal.SIGQUIT)
                nginx.wait(timeout=10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
