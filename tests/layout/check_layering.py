#!/usr/bin/env python3
"""Checks the code map's dependency rule (README.md, "Code map"): a source
file may include the project's headers only from its own folder and the
folders its folder may depend on. Prints every include that breaks the rule
and exits 1; exits 0 when there is none."""
import os
import re
import sys

# Folder -> the folders its files may include from (besides its own).
ALLOWED = {
    "common": [],
    "config": ["common"],
    "probes": ["common"],
    "exporters/metrics": ["common", "probes"],
    "exporters/registry": ["common", "config", "probes"],
    "exporters/dns": ["common", "config", "probes", "exporters/registry"],
    "agent/api/kubernetes": ["common", "config", "probes", "exporters/registry",
                             "exporters/metrics"],
    "agent/api": ["common", "config", "probes", "exporters/registry", "exporters/metrics",
                  "agent/api/kubernetes"],
    "agent": ["common", "config", "probes", "exporters/registry", "exporters/metrics",
              "exporters/dns", "agent/api/kubernetes", "agent/api"],
    "agent/cli": ["common", "config", "probes", "exporters/registry", "exporters/metrics",
                  "exporters/dns", "agent/api/kubernetes", "agent/api", "agent"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(path):
    """The longest folder of ALLOWED that holds `path`."""
    best = None
    for folder in ALLOWED:
        if path.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            best = folder
    return best


def main(root):
    problems = []
    for folder in ALLOWED:
        top = os.path.join(root, folder)
        for dirpath, _, files in os.walk(top):
            for name in files:
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), root)
                own = folder_of(path)
                if own != folder:
                    continue  # in a sub-folder: checked as that folder
                with open(os.path.join(root, path)) as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m or "/" not in m.group(1):
                            continue
                        target = folder_of(m.group(1))
                        if target is None or target == own or target in ALLOWED[own]:
                            continue
                        problems.append(f"{path}:{number}: {own}/ may not include "
                                        f"{m.group(1)} ({target}/)")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
