#!/usr/bin/python3
"""Feeds what the Kubernetes view sends through the official Kubernetes Python
client (Debian's python3-kubernetes, run with /usr/bin/python3), as the
client decodes an answer: every document must deserialize into its model
with the client's validation on (required fields present, arrays never
null), and come back the same when the client serializes it again (so every
field sent is one the model knows); watch lines must decode as the client's
Watch does. Usage: python_client_test.py KUBE_SAMPLES_BINARY. Exits 0 when
all pass, 1 with each failure printed otherwise."""
import json
import subprocess
import sys
from types import SimpleNamespace

import dateutil.parser
from kubernetes import client, watch


def same(sent, back, path="$"):
    """Differences between a document and the client's serialization of the
    model decoded from it: None as absent, times compared as instants."""
    problems = []
    if isinstance(sent, dict) and isinstance(back, dict):
        for key in sorted(set(sent) | set(back)):
            a, b = sent.get(key), back.get(key)
            if a is None and b is None:
                continue
            problems += same(a, b, f"{path}.{key}")
    elif isinstance(sent, list) and isinstance(back, list):
        if len(sent) != len(back):
            problems.append(f"{path}: {len(sent)} items sent, {len(back)} decoded")
        for i, (a, b) in enumerate(zip(sent, back)):
            problems += same(a, b, f"{path}[{i}]")
    elif sent != back:
        if isinstance(sent, str) and isinstance(back, str):
            try:
                if dateutil.parser.isoparse(sent) == dateutil.parser.isoparse(back):
                    return problems
            except ValueError:
                pass
        problems.append(f"{path}: sent {sent!r}, decoded {back!r}")
    return problems


def main(samples_binary):
    lines = subprocess.run([samples_binary], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    api = client.ApiClient()
    failures = []
    counts = {"models": 0, "watch": 0, "invalid": 0}
    for line in lines:
        sample = json.loads(line)
        if "model" in sample:
            counts["models"] += 1
            model = sample["model"]
            try:
                obj = api.deserialize(SimpleNamespace(data=json.dumps(sample["json"])), model)
            except Exception as e:  # noqa: BLE001 — any refusal is a failure to report
                failures.append(f"{model}: refused: {e!r}\n  {line}")
                continue
            if type(obj).__name__ != model:
                failures.append(f"{model}: decoded as {type(obj).__name__}")
                continue
            for problem in same(sample["json"], api.sanitize_for_serialization(obj)):
                failures.append(f"{model}: {problem}")
            # Timestamps must come back time-zone aware.
            metadata = getattr(obj, "metadata", None)
            created = getattr(metadata, "creation_timestamp", None)
            if created is not None and created.tzinfo is None:
                failures.append(f"{model}: creationTimestamp without a time zone")
        elif "watch" in sample:
            counts["watch"] += 1
            w = watch.Watch()
            event = w.unmarshal_event(sample["line"], sample["watch"])
            raw = json.loads(sample["line"])["object"]
            if event["type"] in ("ERROR", "BOOKMARK"):
                # What Watch.stream reads of them.
                if event["type"] == "ERROR":
                    for key in ("code", "reason", "message"):
                        if key not in event["raw_object"]:
                            failures.append(f"ERROR event without {key}: {sample['line']}")
                elif set(raw) != {"kind", "apiVersion", "metadata"} or \
                        set(raw["metadata"]) != {"resourceVersion"}:
                    failures.append(f"BOOKMARK with more than its version: {sample['line']}")
                continue
            if type(event["object"]).__name__ != sample["watch"]:
                failures.append(f"watch: decoded {type(event['object']).__name__}")
            if w.resource_version != raw["metadata"]["resourceVersion"]:
                failures.append(f"watch: resource_version {w.resource_version!r} not taken "
                                f"from {sample['line']}")
        elif "invalid" in sample:
            counts["invalid"] += 1
            try:
                api.deserialize(SimpleNamespace(data=json.dumps(sample["json"])),
                                sample["invalid"])
                failures.append(f"{sample['invalid']}: accepted what it must refuse: {line}")
            except ValueError:
                pass
    if counts["models"] < 20 or counts["watch"] < 5 or counts["invalid"] < 1:
        failures.append(f"too few samples: {counts}")
    for f in failures:
        print(f)
    print(f"{counts['models']} documents, {counts['watch']} watch lines, "
          f"{counts['invalid']} refusals checked; {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
