#!/usr/bin/env python3
"""bench/run dns: vigil's DNS server against NSD, side by side in one run.

Both serve the same records: vigil from a config of N services (3 ready
endpoints each, no probe), NSD from the zone file written from the same
list. Each server gets one core (taskset), dnsperf another, shared with
this script. The query mix is the A and the SRV of every service, in
turn. For each server: the queries per second dnsperf reaches with 100
queries outstanding, then the latency percentiles at a fixed rate both can
serve (a fraction of the slower one's maximum, from dnsperf -v).

Before and after the load every query of the mix is asked of both servers
and the answers checked record for record (names, types, TTLs, data)
against the service list: a server that answers wrong, or a run with a lost
query or an rcode other than NOERROR, prints no figure. NSD runs with
minimal-responses (no additional section), the lighter of the two answers.

Last, vigil alone runs the same load again with --flips endpoints more
(services of 10) that flip at every probe, once a second, while a client
checks every answer about them for consistency (flip_services, Checker).
"""
import argparse
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import api_address, print_figures, refuse  # noqa: E402

DOMAIN = "vigil"
TTL = 5


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def services(n):
    """(name, [(address, port)]) of each service: 3 endpoints on port 8080."""
    out = []
    for i in range(n):
        addrs = [f"10.{1 + i // 250}.{i % 250}.{k}" for k in (1, 2, 3)]
        out.append((f"svc-{i:04d}", [(a, 8080) for a in addrs]))
    return out


def flip_services(n, per_service, port):
    """(name, [(address, port)]) of the services whose endpoints flip."""
    out = []
    for s in range(n):
        eps = []
        for k in range(per_service):
            i = s * per_service + k
            eps.append((f"127.200.{i // 250}.{i % 250 + 1}", port))
        out.append((f"flip-{s:03d}", eps))
    return out


def write_vigil_config(path, svcs, dns_port, flips=()):
    lines = ["listen: 127.0.0.1:0", f'dns: {{listen: "127.0.0.1:{dns_port}", ttlSeconds: {TTL}}}',
             "services:"]
    for name, eps in svcs:
        lines += [f"  - name: {name}", "    ports: [{name: http, port: 8080}]",
                  "    endpoints: [" + ", ".join(f"{a}:{p}" for a, p in eps) + "]"]
    for name, eps in flips:
        # Probed every second against a target that changes its answer every
        # second: each probe flips its endpoint.
        lines += [f"  - name: {name}", f"    ports: [{{name: http, port: {eps[0][1]}}}]",
                  "    endpoints: [" + ", ".join(f"{a}:{p}" for a, p in eps) + "]",
                  "    readinessProbe:", "      httpGet: {path: /ready, port: http}",
                  "      periodSeconds: 1", "      failureThreshold: 1"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def start_flip_target(workdir, port, cpu):
    """nginx answering /ready 200 in even seconds and 503 in odd ones."""
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
worker_cpu_affinity {1 << cpu:b};
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  map $msec $odd {{ "~[13579]\\.[0-9]+$" 1; default 0; }}
  server {{
    listen 0.0.0.0:{port};
    location / {{ if ($odd) {{ return 503; }} return 200; }}
  }}
}}
""")
    return subprocess.Popen(["nginx", "-c", conf, "-p", workdir], stderr=subprocess.DEVNULL)


def transitions_total(api):
    text = urllib.request.urlopen(f"{api}/metrics", timeout=10).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("vigil_endpoint_transitions_total{"))


def consistency_problem(name, eps, answer):
    """None when an answer for a flipping service is one the zone could give
    at some instant: only its endpoints, each once; SRV weights 100 / n; the
    additional section exactly the SRV targets' addresses."""
    rcode, tc, records = answer
    owner = f"{name}.default.svc.{DOMAIN}."
    addresses = {a for a, _ in eps}
    if rcode != 0 or tc:
        return f"rcode {rcode}, tc {tc}"
    an = [r.split(" ", 4) for r in records if r.startswith("an ")]
    ar = sorted(r for r in records if r.startswith("ar "))
    if an and an[0][3] == "1":
        got = [r[4] for r in an]
        if len(set(got)) != len(got) or not set(got) <= addresses or ar:
            return f"A {records}"
        return None
    srv = [r[4].split() for r in an]
    n = len(srv)
    want_ar = sorted(f"ar {t} {TTL} 1 {t.split('.')[0].replace('-', '.')}" for *_, t in srv)
    for prio, weight, port, target in srv:
        if (prio != "0" or int(weight) != 100 // n or int(port) != eps[0][1]
                or not target.endswith("." + owner)
                or target.split(".")[0].replace("-", ".") not in addresses):
            return f"SRV {records}"
    if ar != want_ar:
        return f"SRV additional {records}"
    return None


class Checker(threading.Thread):
    """Asks the flipping services' A and SRV in turn until stopped, and keeps
    the first inconsistent answer."""

    def __init__(self, port, flips):
        super().__init__(daemon=True)
        self.port, self.flips = port, flips
        self.checked, self.problem, self.stopping = 0, None, False

    def run(self):
        i = 0
        while not self.stopping and self.problem is None:
            name, eps = self.flips[i % len(self.flips)]
            qtype, t = ("A", 1) if i % 2 == 0 else ("SRV", 33)
            qname = f"{name}.default.svc.{DOMAIN}." if t == 1 else f"_http._tcp.{name}.default.svc.{DOMAIN}."
            try:
                # EDNS0 (1232 bytes): 10 SRV records and their addresses fit.
                answer = ask(self.port, qname, t, i & 0xFFFF, edns_size=1232)
                problem = consistency_problem(name, eps, answer)
            except (OSError, ValueError) as e:
                problem = f"no answer: {e}"
            if problem:
                self.problem = f"{qname} {qtype}: {problem}"
            self.checked += 1
            i += 1


def write_nsd(dirname, svcs, port):
    """NSD's config and the zone file holding what vigil answers."""
    zone = [f"$ORIGIN {DOMAIN}.", f"$TTL {TTL}",
            f"@ IN SOA ns.dns.{DOMAIN}. hostmaster.{DOMAIN}. 1 7200 1800 86400 {TTL}",
            f"@ IN NS ns.dns.{DOMAIN}.", "ns.dns IN A 127.0.0.1"]
    for name, eps in svcs:
        owner = f"{name}.default.svc"
        weight = 100 // len(eps)
        for a, p in eps:
            target = f"{a.replace('.', '-')}.{owner}"
            zone += [f"{owner} IN A {a}", f"_http._tcp.{owner} IN SRV 0 {weight} {p} {target}.{DOMAIN}.",
                     f"{target} IN A {a}"]
    with open(os.path.join(dirname, "vigil.zone"), "w") as f:
        f.write("\n".join(zone) + "\n")
    conf = os.path.join(dirname, "nsd.conf")
    with open(conf, "w") as f:
        f.write(f"""server:
  ip-address: 127.0.0.1@{port}
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "{dirname}"
  database: ""
  zonelistfile: "{dirname}/zone.list"
  xfrdfile: "{dirname}/xfrd.state"
  pidfile: "{dirname}/nsd.pid"
  logfile: "{dirname}/nsd.log"
  verbosity: 0
  hide-version: yes
  # Only the records asked for: the lighter answer (vigil adds the SRV
  # targets' addresses, NSD by default adds the NS and its address instead).
  minimal-responses: yes
remote-control:
  control-enable: no
zone:
  name: {DOMAIN}
  zonefile: vigil.zone
""")
    return conf


# ---- a minimal DNS client, to compare answers record for record ----

def encode_query(qid, name, qtype, edns_size=0):
    wire = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1 if edns_size else 0)
    for label in name.rstrip(".").split("."):
        wire += bytes([len(label)]) + label.encode()
    wire += b"\0" + struct.pack(">HH", qtype, 1)
    if edns_size:
        wire += b"\0" + struct.pack(">HHIH", 41, edns_size, 0, 0)
    return wire


def read_name(msg, at):
    labels, jumped, end, hops = [], False, at, 0
    while True:
        n = msg[at]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = at + 2
            at, jumped, hops = ((n & 0x3F) << 8) | msg[at + 1], True, hops + 1
            if hops > 64:
                raise ValueError("compression loop")
            continue
        if n == 0:
            return ".".join(labels).lower() + ".", (end if jumped else at + 1)
        labels.append(msg[at + 1:at + 1 + n].decode())
        at += 1 + n


def decode_answer(msg):
    """(rcode, tc, sorted records of every section as text)."""
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    at = 12
    for _ in range(qd):
        _, at = read_name(msg, at)
        at += 4
    records = []
    for section, count in (("an", an), ("ns", ns), ("ar", ar)):
        for _ in range(count):
            name, at = read_name(msg, at)
            rtype, rclass, ttl, size = struct.unpack(">HHIH", msg[at:at + 10])
            at += 10
            rdata = msg[at:at + size]
            if rtype == 1:
                data = socket.inet_ntop(socket.AF_INET, rdata)
            elif rtype == 28:
                data = socket.inet_ntop(socket.AF_INET6, rdata)
            elif rtype == 33:
                prio, weight, port = struct.unpack(">HHH", rdata[:6])
                data = f"{prio} {weight} {port} {read_name(msg, at + 6)[0]}"
            elif rtype == 41:
                at += size
                continue
            else:
                data = rdata.hex()
            records.append(f"{section} {name} {ttl} {rtype} {data}")
            at += size
    return flags & 0xF, bool(flags & 0x0200), sorted(records)


def ask(port, name, qtype, qid, edns_size=0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(encode_query(qid, name, qtype, edns_size), ("127.0.0.1", port))
        return decode_answer(s.recv(65535))


def expected_records(svcs):
    """What each query of the mix must answer: {(name, type): (answer, additional)}."""
    out = {}
    for name, eps in svcs:
        owner = f"{name}.default.svc.{DOMAIN}."
        srv = f"_http._tcp.{owner}"
        weight = 100 // len(eps)
        targets = [(f"{a.replace('.', '-')}.{owner}", a, p) for a, p in eps]
        out[(owner, "A")] = (sorted(f"an {owner} {TTL} 1 {a}" for a, _ in eps), [])
        out[(srv, "SRV")] = (sorted(f"an {srv} {TTL} 33 0 {weight} {p} {t}" for t, _, p in targets),
                             sorted(f"ar {t} {TTL} 1 {a}" for t, a, _ in targets))
    return out


def check_answers(queries, expected, vigil_port, nsd_port):
    """The first query a server answers wrong, with what it answered, or None.
    vigil must answer exactly the records and the additional ones (the SRV
    targets' addresses); NSD, configured with minimal-responses, the records."""
    for i, (name, qtype) in enumerate(queries):
        t = 1 if qtype == "A" else 33
        answer, additional = expected[(name, qtype)]
        for who, port, want in (("vigil", vigil_port, sorted(answer + additional)),
                                ("nsd", nsd_port, answer)):
            rcode, tc, got = ask(port, name, t, i & 0xFFFF)
            if who == "nsd":
                got = [r for r in got if r.startswith("an ")]
            if rcode != 0 or tc or got != want:
                return f"{who}, {name} {qtype}: rcode {rcode}, tc {tc}\n  got:  {got}\n  want: {want}"
    return None


# ---- dnsperf ----

def dnsperf(port, query_file, seconds, cpu, extra=()):
    cmd = ["taskset", "-c", str(cpu), "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d",
           query_file, "-l", str(seconds), "-q", "100", "-t", "2", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def parse_dnsperf(out, who):
    sent = int(re.search(r"Queries sent:\s+(\d+)", out).group(1))
    completed = int(re.search(r"Queries completed:\s+(\d+)", out).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    codes = re.search(r"Response codes:\s+(.*)", out).group(1)
    # UDP on a loaded machine may drop a few (a socket buffer full): more
    # than one in a thousand says the server did not keep up.
    if lost > sent / 1000 or completed + lost != sent:
        refuse(f"{who}: {lost} of {sent} queries lost")
    if not re.fullmatch(r"NOERROR \d+ \(100\.00%\)", codes.strip()):
        refuse(f"{who}: response codes {codes}")
    return qps, lost


def latencies_ms(out):
    """Each answer's latency from dnsperf -v ("> NOERROR name type 0.000123")."""
    return sorted(float(m.group(1)) * 1e3 for m in re.finditer(r"^> \S+ .* ([\d.]+)$", out, re.M))


def pct(values, q):
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def wait_answering(port, proc, who, log, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            with open(log, errors="replace") as f:
                refuse(f"{who} exited ({proc.returncode}): {f.read().strip()[-500:]}")
        try:
            if ask(port, f"{DOMAIN}.", 6, 1)[0] == 0:
                return
        except (OSError, ValueError):
            time.sleep(0.1)
    refuse(f"{who} does not answer on 127.0.0.1:{port}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vigil", required=True)
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--latency-rate", type=float, default=0.5,
                   help="the fixed rate of the latency run, as a fraction of the slower maximum")
    p.add_argument("--flips", type=int, default=1000,
                   help="endpoints flipping once a second during the last run (0: none)")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    for tool in ("nsd", "dnsperf", "taskset") + (("nginx",) if args.flips else ()):
        if shutil.which(tool) is None:
            refuse(f"{tool} is not installed")
    # This script (reading dnsperf's output, checking answers) runs beside
    # the client: the server's core is the server's alone.
    os.sched_setaffinity(0, {args.client_cpu})

    work = tempfile.mkdtemp(prefix="vigil-dns-bench-")
    svcs = services(args.services)
    queries = []
    for name, _ in svcs:
        queries += [(f"{name}.default.svc.{DOMAIN}.", "A"),
                    (f"_http._tcp.{name}.default.svc.{DOMAIN}.", "SRV")]
    query_file = os.path.join(work, "queries.txt")
    with open(query_file, "w") as f:
        f.write("".join(f"{n} {t}\n" for n, t in queries))

    vigil_port, nsd_port, flip_port = free_port(), free_port(), free_port()
    flips = flip_services(-(-args.flips // 10), 10, flip_port)[:args.flips] if args.flips else []
    write_vigil_config(os.path.join(work, "vigil.yaml"), svcs, vigil_port)
    write_vigil_config(os.path.join(work, "vigil-flips.yaml"), svcs, vigil_port, flips)
    nsd_conf = write_nsd(work, svcs, nsd_port)
    check = subprocess.run(["nsd-checkzone", DOMAIN, os.path.join(work, "vigil.zone")],
                           capture_output=True, text=True)
    if check.returncode != 0:
        refuse(f"nsd-checkzone: {check.stdout}{check.stderr}")

    cpu = str(args.server_cpu)
    procs = []

    def start_vigil(config):
        log = os.path.join(work, config + ".log")
        with open(log, "w") as out:
            proc = subprocess.Popen(["taskset", "-c", cpu, args.vigil, "agent", "--config",
                                     os.path.join(work, config)],
                                    stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc, log

    try:
        vigil, vigil_log = start_vigil("vigil.yaml")
        with open(os.path.join(work, "nsd.log"), "w") as out:
            nsd = subprocess.Popen(["taskset", "-c", cpu, "nsd", "-d", "-c", nsd_conf],
                                   stdout=out, stderr=subprocess.STDOUT)
        procs.append(nsd)
        wait_answering(vigil_port, vigil, "vigil", vigil_log)
        wait_answering(nsd_port, nsd, "nsd", os.path.join(work, "nsd.log"))

        expected = expected_records(svcs)
        if (wrong := check_answers(queries, expected, vigil_port, nsd_port)) is not None:
            refuse(f"a wrong answer before the load: {wrong}")

        results, lost = {}, {}
        for who, port in (("vigil", vigil_port), ("nsd", nsd_port)):
            results[who], lost[who] = parse_dnsperf(
                dnsperf(port, query_file, args.seconds, args.client_cpu), who)
        rate = int(min(results.values()) * args.latency_rate)
        lat = {}
        for who, port in (("vigil", vigil_port), ("nsd", nsd_port)):
            out = dnsperf(port, query_file, max(5, args.seconds // 2), args.client_cpu,
                          ("-Q", str(rate), "-v"))
            parse_dnsperf(out, who)
            lat[who] = latencies_ms(out)
            if not lat[who]:
                refuse(f"{who}: dnsperf -v printed no latencies")
        if (wrong := check_answers(queries, expected, vigil_port, nsd_port)) is not None:
            refuse(f"a wrong answer after the load: {wrong}")

        flipping = {}
        if flips:
            # vigil alone (NSD cannot flip), again with the same load, now
            # with the flipping services too: each of their endpoints changes
            # every second, and every answer about them is checked.
            vigil.terminate()
            vigil.wait(10)
            procs.append(start_flip_target(work, flip_port, args.client_cpu))
            vigil, vlog_path = start_vigil("vigil-flips.yaml")
            wait_answering(vigil_port, vigil, "vigil", vlog_path)
            api = api_address(vigil, vlog_path)
            if api is None:
                refuse("vigil logged no API address")
            checker = Checker(vigil_port, flips)
            before, started = transitions_total(api), time.time()
            checker.start()
            qps, _ = parse_dnsperf(
                dnsperf(vigil_port, query_file, args.seconds, args.client_cpu), "vigil while flipping")
            checker.stopping = True
            checker.join()
            per_s = (transitions_total(api) - before) / (time.time() - started)
            if checker.problem:
                refuse(f"an inconsistent answer while flipping: {checker.problem}")
            if per_s < 0.8 * len(flips):
                refuse(f"{per_s:.0f} flips/s of the {len(flips)} wanted: the target or the "
                       "probes fell behind")
            flipping = {"vigil_qps_while_flipping": round(qps), "flips_per_second": round(per_s),
                        "flipping_answers_checked": checker.checked}
        for proc, who in ((vigil, "vigil"), (nsd, "nsd")):
            if proc.poll() is not None:
                refuse(f"{who} exited during the run")

        figures = {
            "services": args.services,
            "queries_in_mix": len(queries),
            "vigil_qps": round(results["vigil"]),
            "nsd_qps": round(results["nsd"]),
            "qps_ratio_vigil_to_nsd": round(results["vigil"] / results["nsd"], 2),
            "vigil_lost": lost["vigil"],
            "nsd_lost": lost["nsd"],
            "latency_run_qps": rate,
        }
        for who in ("vigil", "nsd"):
            figures[f"{who}_latency_p50_ms"] = round(pct(lat[who], 0.5), 3)
            figures[f"{who}_latency_p99_ms"] = round(pct(lat[who], 0.99), 3)
        figures.update(flipping)
        print_figures(figures, args.json)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
