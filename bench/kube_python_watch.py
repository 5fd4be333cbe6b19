#!/usr/bin/python3
"""One watch of the official Kubernetes Python client (Debian's
python3-kubernetes, run with /usr/bin/python3), for bench/kube_load.py:

    kube_python_watch.py SERVER NAMESPACE INITIAL NAME

`watch.Watch().stream(CoreV1Api.list_namespaced_endpoints, NAMESPACE)`, as
an application would write it. Prints "ready" once the INITIAL objects'
ADDED events came, then, for every later event of the Endpoints NAME, one
line "TIME TYPE RESOURCE_VERSION READY GC_MS" (TIME: Unix seconds when the
stream yielded the decoded event; READY: its ready addresses; GC_MS: how
long the interpreter's garbage collector ran since the event before),
flushed at once.
"""
import gc
import sys
import time

from kubernetes import client, watch


collecting = []  # the time spent in the garbage collector, and when it started


def on_gc(phase, info):
    if phase == "start":
        collecting.append(time.perf_counter())
    elif collecting:
        collecting[-1] = time.perf_counter() - collecting[-1]


def main():
    gc.callbacks.append(on_gc)
    server, namespace, initial, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    configuration = client.Configuration()
    configuration.host = server
    core = client.CoreV1Api(client.ApiClient(configuration))
    added = 0
    for event in watch.Watch().stream(core.list_namespaced_endpoints, namespace):
        now = time.time()
        gc_ms = sum(collecting) * 1e3
        collecting.clear()
        if added < initial:
            added += 1
            if added == initial:
                print("ready", flush=True)
            continue
        endpoints = event["object"]
        if endpoints.metadata.name != name:
            continue
        ready = sum(len(s.addresses or []) for s in endpoints.subsets or [])
        print(f"{now:.6f} {event['type']} {endpoints.metadata.resource_version} {ready} "
              f"{gc_ms:.3f}", flush=True)


if __name__ == "__main__":
    main()
