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

Two more kinds, each one row at its own N:

- grpc (--grpc-endpoints, 2,000): vigil probing a real gRPC health server
  (tests/support/grpc_health_server.py on 0.0.0.0:--grpc-port) with
  `grpc: {}`, alone: HAProxy 2.6 has no check that can send a gRPC request
  (its http-check body is text; a HealthCheckRequest frame starts with NUL
  bytes) nor read grpc-status from the trailers.
- exec (--exec-endpoints, 1,000): HAProxy's `external-check command
  /bin/true` against vigil's `exec: {command: [/bin/true]}`, each beside
  --exec-http-endpoints HTTP checks of a second nginx that logs every
  request ("$msec $server_addr"). Each prober runs its HTTP checks alone,
  then with the exec checks: exec checks are counted by the processes the
  host created (/proc/stat), the CPU per exec check is the mixed run's less
  the HTTP checks' (at their cost alone), the commands' CPU is the prober's
  reaped children's. The other checks' lateness is read from outside: for
  each HTTP endpoint, the interval between consecutive requests in nginx's
  log less the period (1 s), p50 and p99, in the mixed run and alone. A
  peer that cannot keep up with the exec checks is shown by the shares of
  its checks that ran (exec_run_share, http_run_share); a failed check
  refuses the run, as does vigil running fewer than 98% of its probes.
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
                      percentile, print_figures, probe_intervals, quantile, refuse, rss_mib, scrape,
                      start_nginx, tcp_active_opens, write_vigil_config)
from probe_kinds import children_cpu_seconds, scrape_by_type, start_grpc, write_config


def write_haproxy_config(path, workdir, addresses, port, kind, per_backend=100, execs=()):
    """HTTP (`option httpchk GET /ready`) or TCP checks of `addresses`, and
    with `execs` external checks (`/bin/true`) of those addresses too."""
    lines = ["global",
             "  nbthread 1",
             "  maxconn 4000",
             f"  stats socket {workdir}/haproxy.sock mode 600 level admin"]
    if execs:
        lines += ["  external-check", "  insecure-fork-wanted"]
    lines += ["defaults",
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
    for b in range(0, len(execs), per_backend):
        lines += [f"backend x{b // per_backend:03d}",
                  "  option external-check",
                  "  external-check command /bin/true",
                  "  default-server check inter 1000 fall 3 rise 1"]
        lines += [f"  server x{i} {a}:80" for i, a in enumerate(execs[b:b + per_backend], b)]
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


def processes_created():
    """Processes the host has created so far (/proc/stat "processes"): every
    exec check creates one, whoever runs it."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("processes "):
                return int(line.split()[1])
    return 0


def measure_mixed(process, args, api=None):
    """Like measure(), for a run of HTTP and exec checks: HTTP checks by the
    connections opened, exec checks by the processes created, the prober's
    CPU and its reaped children's (the commands). Returns the figures and the
    window in epoch seconds, for the targets' log."""
    time.sleep(args.warmup)
    if process.poll() is not None:
        sys.exit("the prober exited")
    before = scrape_by_type(api)[0] if api else None
    w0 = time.time()
    opens0, forks0, t0 = tcp_active_opens(), processes_created(), time.monotonic()
    cpu0, child0 = cpu_seconds(process.pid), children_cpu_seconds(process.pid)
    time.sleep(args.duration)
    opens1, forks1, t1 = tcp_active_opens(), processes_created(), time.monotonic()
    cpu1, child1 = cpu_seconds(process.pid), children_cpu_seconds(process.pid)
    w1 = time.time()
    wall = t1 - t0
    figures = {"http_checks": opens1 - opens0, "exec_checks": forks1 - forks0,
               "cpu_s": cpu1 - cpu0, "children_cpu_s": child1 - child0, "wall_s": wall,
               "rss_mib": round(rss_mib(process.pid), 1)}
    if api:
        after = scrape_by_type(api)[0]
        figures["ran"] = {kind: sum(counts.values()) - sum(before.get(kind, {}).values())
                          for kind, counts in after.items()}
        figures["failed"] = sum(counts.get(r, 0) - before.get(kind, {}).get(r, 0)
                                for kind, counts in after.items()
                                for r in ("failure", "timeout", "error"))
    return figures, (w0, w1)


def write_exec_config(path, http_addresses, http_port, exec_addresses):
    """vigil's side of the exec row: httpGet /ready of the HTTP endpoints and
    `exec: [/bin/true]` of the others, every second."""
    services = [("web", http_addresses, http_port, "httpGet: {path: /ready}")]
    if exec_addresses:
        services.append(("check", exec_addresses, 80, "exec: {command: [/bin/true]}"))
    write_config(path, services)


def run_exec_pair(workdir, args, prefix, who, http_addresses, exec_addresses, access_log):
    """One prober's exec round: its HTTP checks alone, then with the exec
    checks beside them. Returns the figures of both runs."""
    out = {}
    for phase, execs in (("alone", []), ("mixed", exec_addresses)):
        if who == "haproxy":
            config = os.path.join(workdir, "haproxy.cfg")
            write_haproxy_config(config, workdir, http_addresses, args.port + 1, "http", execs=execs)
            process = subprocess.Popen(prefix + ["haproxy", "-db", "-f", config],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            api = None
        else:
            config = os.path.join(workdir, "vigil.yaml")
            write_exec_config(config, http_addresses, args.port + 1, execs)
            log = os.path.join(workdir, "vigil.log")
            process = subprocess.Popen(prefix + [args.vigil, "agent", "--config", config,
                                                 "--node", "bench"], stderr=open(log, "w"))
            api = api_address(process, log)
            if api is None:
                stop(process)
                sys.exit("vigil did not come up:\n" + open(log).read()[-3000:])
        try:
            figures, window = measure_mixed(process, args, api)
            down = haproxy_failing(workdir) if who == "haproxy" else figures["failed"]
        finally:
            stop(process)
        time.sleep(1.5)  # nginx writes its log every second
        figures["intervals_ms"] = probe_intervals(access_log, *window, period=1.0)
        wall = figures["wall_s"]
        label = f"{who} ({len(http_addresses)} http{' + %d exec' % len(execs) if execs else ''})"
        figures["http_run_share"] = round(figures["http_checks"] / wall / len(http_addresses), 3)
        figures["exec_run_share"] = round(figures["exec_checks"] / wall / len(execs), 3) if execs else 0
        if who == "haproxy" and execs:
            # The peer falling behind with the exec checks is a figure (the
            # shares it ran), not a broken run; a check that failed is.
            check_probes_ran(label, len(http_addresses), len(http_addresses), down)
        else:
            check_probes_ran(label, figures["http_checks"] / wall, len(http_addresses), down)
        if execs and who == "vigil":
            check_probes_ran(label, figures["exec_checks"] / wall, len(execs), down)
        if who == "vigil":
            for kind, n in (("http", len(http_addresses)), ("exec", len(execs))):
                if n:
                    check_probes_ran(label, figures["ran"].get(kind, 0) / wall, n, down)
        out[phase] = figures
    return out


def exec_figures(pair):
    """The exec row's figures of one prober's round (run_exec_pair)."""
    alone, mixed = pair["alone"], pair["mixed"]
    per_http = alone["cpu_s"] / alone["http_checks"]
    execs = mixed["exec_checks"]
    late = mixed["intervals_ms"]
    return {"exec_checks_per_s": round(execs / mixed["wall_s"], 1),
            "http_checks_per_s": round(mixed["http_checks"] / mixed["wall_s"], 1),
            "exec_run_share": mixed["exec_run_share"],
            "http_run_share": mixed["http_run_share"],
            "cpu_us_per_exec_check": round((mixed["cpu_s"] - per_http * mixed["http_checks"])
                                           / execs * 1e6, 1),
            "command_cpu_us_per_check": round(mixed["children_cpu_s"] / execs * 1e6, 1),
            "cpu_us_per_http_check_alone": round(per_http * 1e6, 1),
            "http_late_p50_ms": round(percentile(late, 0.50), 1),
            "http_late_p99_ms": round(percentile(late, 0.99), 1),
            "http_late_p99_ms_alone": round(percentile(alone["intervals_ms"], 0.99), 1),
            "rss_mib": mixed["rss_mib"]}


def exec_row(workdir, args, prefix, pin):
    """HAProxy's external checks against vigil's exec probes, each beside
    HTTP checks whose lateness nginx's log shows."""
    access_log = os.path.join(workdir, "exec-nginx-access.log")
    http_addresses = [endpoint_address(i, base=30) for i in range(args.exec_http_endpoints)]
    exec_addresses = [endpoint_address(i, base=40) for i in range(args.exec_endpoints)]
    nginx = start_nginx(workdir, args.port + 1, cpu=1 if pin else None,
                        addresses=[http_addresses[0], http_addresses[-1]], access_log=access_log)
    rounds = {"haproxy": [], "vigil": []}
    try:
        for _ in range(args.rounds):
            for who in ("haproxy", "vigil"):
                pair = run_exec_pair(workdir, args, prefix, who, http_addresses, exec_addresses,
                                     access_log)
                rounds[who].append(exec_figures(pair))
    except BenchError as e:
        refuse(str(e))
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
    row = {"kind": "exec", "endpoints": args.exec_endpoints,
           "http_endpoints": args.exec_http_endpoints, "pinned": pin, "rounds": args.rounds,
           "haproxy": median_figures(rounds["haproxy"]), "vigil": median_figures(rounds["vigil"])}
    h, v = row["haproxy"]["cpu_us_per_exec_check"], row["vigil"]["cpu_us_per_exec_check"]
    row["cpu_ratio_vigil_haproxy"] = round(v / h, 2) if h > 0 and v > 0 else None
    row["ratios_by_round"] = [round(vr["cpu_us_per_exec_check"] / hr["cpu_us_per_exec_check"], 2)
                              for hr, vr in zip(rounds["haproxy"], rounds["vigil"])]
    return row


def grpc_row(workdir, args, prefix, pin):
    """vigil alone probing gRPC health servers: HAProxy 2.6 has no check that
    sends a gRPC request (see bench/README.md)."""
    n = args.grpc_endpoints
    server = start_grpc(workdir, args.grpc_port, 1 if pin else None)
    runs = []
    try:
        addresses = [endpoint_address(i) for i in range(n)]
        for _ in range(args.rounds):
            config = os.path.join(workdir, "vigil.yaml")
            write_config(config, [("grpc", addresses, args.grpc_port, "grpc: {}")])
            log = os.path.join(workdir, "vigil.log")
            vigil = subprocess.Popen(prefix + [args.vigil, "agent", "--config", config,
                                               "--node", "bench"], stderr=open(log, "w"))
            try:
                api = api_address(vigil, log)
                if api is None:
                    sys.exit("vigil did not come up:\n" + open(log).read()[-3000:])
                figures = measure(vigil, args.warmup, args.duration, api)
                check_probes_ran(f"vigil ({n} grpc)", figures["checks_per_s"], n,
                                 figures["failed"], figures["lateness_p99_ms"])
                runs.append(figures)
            finally:
                stop(vigil)
    except BenchError as e:
        refuse(str(e))
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    return {"kind": "grpc", "endpoints": n, "pinned": pin, "rounds": args.rounds,
            "vigil": median_figures(runs),
            "cpu_us_by_round": [r["cpu_us_per_check"] for r in runs]}


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
    p.add_argument("--kinds", default="http,tcp", help="comma-separated: http, tcp, grpc, exec")
    p.add_argument("--grpc-endpoints", type=int, default=2000, help="the grpc row's endpoints")
    p.add_argument("--grpc-port", type=int, default=18090)
    p.add_argument("--exec-endpoints", type=int, default=1000, help="the exec row's endpoints")
    p.add_argument("--exec-http-endpoints", type=int, default=1000,
                   help="the HTTP endpoints checked beside the exec row's")
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
    kinds = args.kinds.split(",")
    unknown = set(kinds) - {"http", "tcp", "grpc", "exec"}
    if unknown:
        sys.exit(f"unknown kinds: {', '.join(sorted(unknown))}")
    try:
        for n in ns:
            addresses = [endpoint_address(i) for i in range(n)]
            for kind in (k for k in kinds if k in ("http", "tcp")):
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
        if "grpc" in kinds:
            row = grpc_row(workdir, args, prefix, pin)
            if args.json:
                print_figures(row, True)
            else:
                print(f"N={row['endpoints']} grpc (vigil alone; medians of {args.rounds} rounds):")
                print("  vigil    " + "  ".join(f"{k}={v}" for k, v in row["vigil"].items()))
                print(f"  cpu_us_per_check by round: {row['cpu_us_by_round']}")
            sys.stdout.flush()
        if "exec" in kinds:
            row = exec_row(workdir, args, prefix, pin)
            if args.json:
                print_figures(row, True)
            else:
                print(f"N={row['endpoints']} exec beside {row['http_endpoints']} http "
                      f"(medians of {args.rounds} rounds):")
                for who in ("haproxy", "vigil"):
                    print(f"  {who:8} " + "  ".join(f"{k}={v}" for k, v in row[who].items()))
                print(f"  cpu ratio vigil/haproxy per exec check = {row['cpu_ratio_vigil_haproxy']} "
                      f"(by round: {row['ratios_by_round']})")
            sys.stdout.flush()
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
