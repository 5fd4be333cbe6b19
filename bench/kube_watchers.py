#!/usr/bin/env python3
"""Holds Kubernetes watch streams on an agent's API, for bench/kube_load.py:
reads each as fast as it comes (so that the agent keeps sending) and counts
its watch events. One thread, one selector, a process of its own.

    kube_watchers.py HOST PORT ACCEPT:PATH...

ACCEPT is "json" (Accept: application/json) or "table" (kubectl's Table
Accept header). Prints "ready" once every stream has its first event and
none has received more than 64 KiB in the last half second (the initial
ADDED events are in). Then reads commands on stdin: "mark" (answered
"marked") starts counting again; "stop" prints one JSON object, the
streams' events since the mark and in all, and exits. A stream the server
ends is counted in "ended".
"""
import json
import os
import selectors
import socket
import sys
import time

TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
EVENT = b'{"type":'


class Stream:
    def __init__(self, host, port, accept, path):
        self.path = f"{accept}:{path}"
        self.socket = socket.create_connection((host, port), timeout=10)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        header = TABLE_ACCEPT if accept == "table" else "application/json"
        self.socket.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {header}\r\n"
                            "User-Agent: vigil-bench\r\n\r\n".encode())
        self.socket.setblocking(False)
        self.tail = b""
        self.events = 0
        self.marked = 0
        self.bytes = 0
        self.recent = 0  # bytes since the last settle check
        self.ended = False

    def read(self):
        try:
            data = self.socket.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.ended = True
            return
        self.bytes += len(data)
        self.recent += len(data)
        # The token may straddle two reads: keep what could begin it.
        joined = self.tail + data
        self.events += joined.count(EVENT)
        self.tail = joined[-(len(EVENT) - 1):]


def main():
    host, port, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    streams = [Stream(host, port, *spec.split(":", 1)) for spec in specs]
    selector = selectors.DefaultSelector()
    for s in streams:
        selector.register(s.socket, selectors.EVENT_READ, s)
    selector.register(sys.stdin, selectors.EVENT_READ, None)
    announced = False
    settle = time.monotonic() + 0.5
    while True:
        for key, _ in selector.select(timeout=0.1):
            if key.data is None:
                command = sys.stdin.readline().strip()
                if command == "mark":
                    for s in streams:
                        s.marked = s.events
                    print("marked", flush=True)
                elif command in ("stop", ""):
                    print(json.dumps({
                        "since_mark": {s.path: s.events - s.marked for s in streams},
                        "events": sum(s.events for s in streams),
                        "bytes": sum(s.bytes for s in streams),
                        "ended": sum(s.ended for s in streams),
                        "least_since_mark": min(s.events - s.marked for s in streams)}),
                        flush=True)
                    os._exit(0)
                continue
            stream = key.data
            stream.read()
            if stream.ended:
                selector.unregister(stream.socket)
        if not announced and time.monotonic() >= settle:
            if all(s.events > 0 for s in streams) and all(s.recent < 65536 for s in streams):
                print("ready", flush=True)
                announced = True
            for s in streams:
                s.recent = 0
            settle = time.monotonic() + 0.5


if __name__ == "__main__":
    main()
