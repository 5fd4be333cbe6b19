"""What the benchmarks share: a target server, reading a process's CPU time and
memory from /proc, and finding the API port an agent logged."""
import json
import os
import re
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def start_nginx(workdir, port, cpu=None):
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
  access_log off;
  server {{
    listen 0.0.0.0:{port} backlog=16384 reuseport;
    location / {{ return 200 "ok\\n"; }}
  }}
}}
""")
    return subprocess.Popen(["nginx", "-c", conf, "-p", workdir], stderr=subprocess.DEVNULL)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


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
