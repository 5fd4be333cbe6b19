#!/usr/bin/env python3
"""A real gRPC server (Debian's python3-grpcio, gRPC's C core) serving
grpc.health.v1.Health/Check as gRPC's own health service does: each
service's status from a table ("" is the server as a whole), and NOT_FOUND
"unknown service" for a service not in it. Tests and benchmarks drive it:

  grpc_health_server.py [--address 127.0.0.1] [--port 0] [--cert F --key F] [--workers N]

It prints "port N" once it listens, then reads commands on stdin, one per
line, answering "ok" to each:

  set SERVICE STATUS   STATUS: UNKNOWN, SERVING, NOT_SERVING, SERVICE_UNKNOWN ("-" for "")
  forget SERVICE       the service becomes unknown
  hang on|off          Check waits (until off, or the client gives up) before answering

and stops when stdin ends. The protobuf messages are one field each, encoded
here, so that nothing needs generating.
"""
import argparse
import sys
import threading
from concurrent import futures

import grpc

STATUSES = {"UNKNOWN": 0, "SERVING": 1, "NOT_SERVING": 2, "SERVICE_UNKNOWN": 3}


def varint(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def service_of(request):
    """HealthCheckRequest.service (field 1), "" when absent."""
    at = 0
    while at < len(request):
        key, at = varint(request, at)
        if key & 7 == 2:
            length, at = varint(request, at)
            if key >> 3 == 1:
                return request[at:at + length].decode()
            at += length
        elif key & 7 == 0:
            _, at = varint(request, at)
        else:
            raise ValueError("unexpected wire type")
    return ""


def response(status):
    """HealthCheckResponse{status}; proto3 leaves out a 0."""
    return b"" if status == 0 else bytes([0x08, status])


class Health:
    def __init__(self):
        self.lock = threading.Condition()
        self.statuses = {"": STATUSES["SERVING"]}
        self.hanging = False

    def check(self, request, context):
        with self.lock:
            while self.hanging and context.is_active():
                self.lock.wait(0.05)
            status = self.statuses.get(service_of(request))
        if status is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return response(status)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--workers", type=int, default=8)
    args = p.parse_args()

    health = Health()
    handler = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": grpc.unary_unary_rpc_method_handler(health.check),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.workers),
                         options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((handler,))
    target = f"{args.address}:{args.port}"
    if args.cert:
        with open(args.key, "rb") as k, open(args.cert, "rb") as c:
            credentials = grpc.ssl_server_credentials([(k.read(), c.read())])
        port = server.add_secure_port(target, credentials)
    else:
        port = server.add_insecure_port(target)
    if port == 0:
        sys.exit(f"cannot listen on {target}")
    server.start()
    print(f"port {port}", flush=True)

    for line in sys.stdin:
        words = line.split()
        with health.lock:
            if len(words) == 3 and words[0] == "set":
                health.statuses["" if words[1] == "-" else words[1]] = STATUSES[words[2]]
            elif len(words) == 2 and words[0] == "forget":
                health.statuses.pop("" if words[1] == "-" else words[1], None)
            elif len(words) == 2 and words[0] == "hang":
                health.hanging = words[1] == "on"
            else:
                print(f"unknown command {line.strip()!r}", flush=True)
                continue
            health.lock.notify_all()
        print("ok", flush=True)
    server.stop(0)


if __name__ == "__main__":
    main()
