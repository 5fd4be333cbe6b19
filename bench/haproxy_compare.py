#!/usr/bin/env python3
"""vigil against HAProxy's health checks, side by side, in one run.

nginx (one worker) listens on 0.0.0.0:PORT, so every 127.x.y.z reaches it.
For each N and each check kind (HTTP GET /ready, TCP connect), HAProxy 2.6
(one thread) health-checks N servers 127.x.y.z:PORT every second
(`option httpchk GET /ready`, `check inter 1000`), then vigil probes the
same N endpoints every second. Each runs alone, for the same window after
the same warm-up, and the benchmark reads:

- checks_per_s: TCP connections the host opened during the window
  (/proc/net/snmp ActiveOpens): one per check, the same count for both,
  against N expected;
- cpu_us_per_check: the prober's user + system CPU time (/proc/PID/stat) per
  check. On loopback the kernel's work of delivering each connection to
  nginx runs on the prober's CPU and is counted, for both alike;
- rss_mib at the end; for vigil, schedule lateness p99 and failed probes
  (vigil_probe_total), and the ratio of its CPU per check to HAProxy's.

With --pin (the default on 2 CPUs or more) the prober runs on CPU 0 and nginx
on CPU 1: each prober has exactly one core and does not compete with the
target for it.

HAProxy and vigil take turns (--rounds, 3 by default) and each figure is the
median of its rounds: the machine's noise moves single runs by 10-20%.
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import (BenchError, api_address, check_probes_ran, cpu_seconds, endpoint_address,
                      print_figures, quantile, refuse, rss_mib, scrape, start_nginx,
                      tcp_active_opens, write_vigil_config)


def write_haproxy_config(path, workdir, addresses, port, kind, per_backend=100):
    lines = ["global",
             "  nbthread 1",
             "  maxconn 4000",
             f"  stats socket {workdir}/haproxy.sock mode 600 level admin",
             "defaults",
             "  mode http",
             "  timeout connect 1s",
             "  timeout check 1s",
             "  timeout client 10s",
             "  timeout server 10s"]
    for b in range(0, len(addresses), per_backend):
        lines.append(f"backend b{b // per_backend:03d}")
        if kind == "http":
            lines.append("  option httpchk GET /ready")
        lines.append("  default-server check inter 1000 fall 3 rise 1")
        lines += [f"  server s{i} {a}:{port}" for i, a in enumerate(addresses[b:b + per_backend], b)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def haproxy_failing(workdir):
    """How many servers HAProxy counts as DOWN, from its stats socket."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(f"{workdir}/haproxy.sock")
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    rows = data.decode().splitlines()
    header = rows[0].lstrip("# ").split(",")
    status = header.index("status")
    return sum(1 for row in rows[1:] if row and row.split(",")[status] == "DOWN")


def measure(process, warmup, duration, api=None):
    """The prober's figures over `duration` seconds after `warmup`."""
    time.sleep(warmup)
    if process.poll() is not None:
        sys.exit("the prober exited")
    before = scrape(api) if api else None
    opens0, cpu0, t0 = tcp_active_opens(), cpu_seconds(process.pid), time.monotonic()
    time.sleep(duration)
    opens1, cpu1, t1 = tcp_active_opens(), cpu_seconds(process.pid), time.monotonic()
    after = scrape(api) if api else None
    checks = opens1 - opens0
    figures = {"checks_per_s": round(checks / (t1 - t0), 1),
               "cpu_us_per_check": round((cpu1 - cpu0) / checks * 1e6, 1) if checks > 0 else None,
               "cpu_cores": round((cpu1 - cpu0) / (t1 - t0), 3),
               "rss_mib": round(rss_mib(process.pid), 1)}
    if api:
        (probes0, lateness0), (probes1, lateness1) = before, after
        figures["lateness_p99_ms"] = round(quantile(0.99, lateness0, lateness1) * 1e3, 2)
        figures["failed"] = int(sum(probes1.get(r, 0) - probes0.get(r, 0)
                                    for r in ("failure", "timeout", "error")))
    return figures


def run_haproxy(workdir, addresses, args, prefix, kind):
    config = os.path.join(workdir, "haproxy.cfg")
    write_haproxy_config(config, workdir, addresses, args.port, kind)
    haproxy = subprocess.Popen(prefix + ["haproxy", "-db", "-f", config],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        figures = measure(haproxy, args.warmup, args.duration)
        figures["down"] = haproxy_failing(workdir)
        check_probes_ran(f"HAProxy ({len(addresses)} {kind})", figures["checks_per_s"],
                         len(addresses), figures["down"])
        return figures
    finally:
        stop(haproxy)


def run_vigil(workdir, addresses, args, prefix, kind):
    config = os.path.join(workdir, "vigil.yaml")
    write_vigil_config(config, addresses, 1, args.port, kind)
    log = os.path.join(workdir, "vigil.log")
    vigil = subprocess.Popen(prefix + [args.vigil, "agent", "--config", config, "--node", "bench"],
                             stderr=open(log, "w"))
    try:
        api = api_address(vigil, log)
        if api is None:
            sys.exit("vigil did not come up:\n" + open(log).read()[-3000:])
        figures = measure(vigil, args.warmup, args.duration, api)
        check_probes_ran(f"vigil ({len(addresses)} {kind})", figures["checks_per_s"],
                         len(addresses), figures["failed"], figures["lateness_p99_ms"])
        return figures
    finally:
        stop(vigil)


def median_figures(runs):
    """Each figure's median over the rounds."""
    return {k: statistics.median(run[k] for run in runs) for k in runs[0]}


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", required=True)
    p.add_argument("--endpoints", default="2000,10000", help="comma-separated Ns")
    p.add_argument("--kinds", default="http,tcp", help="comma-separated: http, tcp")
    p.add_argument("--warmup", type=float, default=10)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--rounds", type=int, default=3,
                   help="alternate HAProxy and vigil this many times; the medians are reported")
    p.add_argument("--port", type=int, default=18080)
    p.add_argument("--no-pin", action="store_true", help="let the scheduler place every process")
    p.add_argument("--json", action="store_true", help="print the figures as JSON lines")
    args = p.parse_args()
    pin = not args.no_pin and os.cpu_count() >= 2
    prefix = ["taskset", "-c", "0"] if pin else []

    workdir = tempfile.mkdtemp(prefix="vigil-compare-")
    ns = [int(x) for x in args.endpoints.split(",")]
    nginx = start_nginx(workdir, args.port, cpu=1 if pin else None,
                        addresses=[endpoint_address(0), endpoint_address(max(ns) - 1)])
    results = []
    try:
        for n in ns:
            addresses = [endpoint_address(i) for i in range(n)]
            for kind in args.kinds.split(","):
                rounds = {"haproxy": [], "vigil": []}
                try:
                    for _ in range(args.rounds):
                        rounds["haproxy"].append(run_haproxy(workdir, addresses, args, prefix, kind))
                        rounds["vigil"].append(run_vigil(workdir, addresses, args, prefix, kind))
                except BenchError as e:
                    refuse(str(e))
                row = {"endpoints": n, "kind": kind, "pinned": pin, "rounds": args.rounds,
                       "haproxy": median_figures(rounds["haproxy"]),
                       "vigil": median_figures(rounds["vigil"])}
                h, v = row["haproxy"]["cpu_us_per_check"], row["vigil"]["cpu_us_per_check"]
                row["cpu_ratio_vigil_haproxy"] = round(v / h, 2) if h and v else None
                row["ratios_by_round"] = [
                    round(vr["cpu_us_per_check"] / hr["cpu_us_per_check"], 2)
                    for hr, vr in zip(rounds["haproxy"], rounds["vigil"])]
                row["vigil_run_share"] = round(row["vigil"]["checks_per_s"] / n, 4)
                results.append(row)
                if args.json:
                    print_figures(row, True)
                else:
                    print(f"N={n} {kind} (medians of {args.rounds} rounds):")
                    for who in ("haproxy", "vigil"):
                        print(f"  {who:8} " + "  ".join(f"{k}={v}" for k, v in row[who].items()))
                    print(f"  cpu ratio vigil/haproxy = {row['cpu_ratio_vigil_haproxy']} "
                          f"(by round: {row['ratios_by_round']}), "
                          f"vigil ran {row['vigil_run_share'] * 100:.1f}% of its probes")
                sys.stdout.flush()
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
