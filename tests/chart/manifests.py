"""Reads what `helm template` renders, and the Dockerfile, for chart_test.sh.

Each command prints one problem per line and exits 1 when it finds any, so that
the shell script can report every problem of a check at once.

  manifests.py kinds MANIFESTS                 Kind/name of each object
  manifests.py config MANIFESTS OUT            writes the ConfigMap's vigil.yaml to OUT
  manifests.py annotation MANIFESTS KEY        the DaemonSet's pod annotation KEY
  manifests.py daemonset MANIFESTS [hostnetwork]   checks the DaemonSet and its Service
  manifests.py example-values EXAMPLE OUT      a values file holding EXAMPLE's config keys
  manifests.py same-config EXAMPLE RENDERED    RENDERED says what EXAMPLE says
  manifests.py docker-libs DOCKERFILE BINARY   the runtime stage installs every library BINARY links
"""

import os
import re
import shlex
import subprocess
import sys

import yaml

CONFIG_PATH = "/etc/vigil/vigil.yaml"
CONFIG_KEY = "vigil.yaml"
# In debian:bookworm-slim already: the C and C++ runtimes.
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}
# A sanitizer build links its runtime; the image is built without one.
SANITIZER_PACKAGE = re.compile(r"^lib(asan|ubsan|lsan|tsan|hwasan)\d*$")


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def one(objects, kind):
    found = [o for o in objects if o.get("kind") == kind]
    if len(found) != 1:
        sys.exit(f"expected one {kind}, found {len(found)}")
    return found[0]


def get(obj, *path, default=None):
    for key in path:
        if isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif isinstance(obj, list) and isinstance(key, int) and key < len(obj):
            obj = obj[key]
        else:
            return default
    return obj


def cmd_kinds(manifests):
    for o in load(manifests):
        print(f"{o['kind']}/{o['metadata']['name']}")


def cmd_config(manifests, out):
    data = get(one(load(manifests), "ConfigMap"), "data", CONFIG_KEY)
    if not isinstance(data, str):
        sys.exit(f"the ConfigMap has no data.{CONFIG_KEY}")
    with open(out, "w") as f:
        f.write(data)


def cmd_annotation(manifests, key):
    value = get(one(load(manifests), "DaemonSet"), "spec", "template", "metadata", "annotations", key)
    if value is None:
        sys.exit(f"the DaemonSet's pods have no annotation {key}")
    print(value)


def cmd_daemonset(manifests, mode=""):
    objects = load(manifests)
    ds = one(objects, "DaemonSet")
    cm = one(objects, "ConfigMap")
    svc = one(objects, "Service")
    problems = []

    def expect(what, actual, wanted):
        if actual != wanted:
            problems.append(f"{what}: got {actual!r}, want {wanted!r}")

    pod = get(ds, "spec", "template")
    spec = get(pod, "spec")
    containers = get(spec, "containers", default=[])
    if len(containers) != 1:
        sys.exit(f"expected one container in the DaemonSet, found {len(containers)}")
    c = containers[0]

    sc = get(c, "securityContext", default={})
    expect("securityContext.runAsNonRoot", sc.get("runAsNonRoot"), True)
    expect("securityContext.runAsUser", sc.get("runAsUser"), 65532)
    expect("securityContext.readOnlyRootFilesystem", sc.get("readOnlyRootFilesystem"), True)
    expect("securityContext.allowPrivilegeEscalation", sc.get("allowPrivilegeEscalation"), False)
    expect("securityContext.capabilities.drop", get(sc, "capabilities", "drop"), ["ALL"])
    seccomp = get(sc, "seccompProfile", "type") or get(spec, "securityContext", "seccompProfile",
                                                       "type")
    expect("seccompProfile.type", seccomp, "RuntimeDefault")

    ports = {p.get("name"): p for p in get(c, "ports", default=[])}
    if "http" not in ports:
        problems.append("no container port named http")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        expect(f"{probe}.httpGet.path", get(c, probe, "httpGet", "path"), path)
        expect(f"{probe}.httpGet.port", get(c, probe, "httpGet", "port"), "http")

    env = {e.get("name"): e for e in get(c, "env", default=[])}
    expect("env NODE_NAME fieldPath", get(env, "NODE_NAME", "valueFrom", "fieldRef", "fieldPath"),
           "spec.nodeName")
    argv = get(c, "command", default=[]) + get(c, "args", default=[])
    expect("command and args", argv,
           ["vigil", "agent", "--config", CONFIG_PATH, "--node", "$(NODE_NAME)"])

    mounts = [m for m in get(c, "volumeMounts", default=[])
              if m.get("mountPath") == os.path.dirname(CONFIG_PATH)]
    if len(mounts) != 1:
        problems.append(f"no volume mounted at {os.path.dirname(CONFIG_PATH)}")
    else:
        volumes = {v.get("name"): v for v in get(spec, "volumes", default=[])}
        expect("config volume's ConfigMap", get(volumes, mounts[0]["name"], "configMap", "name"),
               cm["metadata"]["name"])

    checksum = get(pod, "metadata", "annotations", "checksum/config")
    if not isinstance(checksum, str) or not re.fullmatch(r"[0-9a-f]{64}", checksum):
        problems.append(f"annotation checksum/config: got {checksum!r}, want a sha256")

    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if get(c, "resources", kind, resource) is None:
                problems.append(f"resources.{kind}.{resource} is not set")

    expect("automountServiceAccountToken", spec.get("automountServiceAccountToken"), False)
    expect("updateStrategy.type", get(ds, "spec", "updateStrategy", "type"), "RollingUpdate")
    grace = spec.get("terminationGracePeriodSeconds")
    if not isinstance(grace, int) or grace <= 5:
        problems.append(f"terminationGracePeriodSeconds: got {grace!r}, want more than the "
                        "agent's 5 s stop")

    selector = get(ds, "spec", "selector", "matchLabels", default={})
    labels = get(pod, "metadata", "labels", default={})
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problems.append(f"pod labels {labels} do not match the selector {selector}")
    expect("Service selector", get(svc, "spec", "selector"), selector)
    expect("Service type", get(svc, "spec", "type"), "ClusterIP")
    svc_ports = get(svc, "spec", "ports", default=[])
    expect("Service ports' names and targets",
           [(p.get("name"), p.get("targetPort")) for p in svc_ports], [("http", "http")])

    config = yaml.safe_load(cm["data"][CONFIG_KEY])
    if "http" in ports:
        port = ports["http"].get("containerPort")
        expect("config listen", config.get("listen"), f"0.0.0.0:{port}")
        expect("env VIGIL_SERVER", get(env, "VIGIL_SERVER", "value"), f"http://127.0.0.1:{port}")

    if mode == "hostnetwork":
        expect("hostNetwork", spec.get("hostNetwork"), True)
        expect("dnsPolicy", spec.get("dnsPolicy"), "ClusterFirstWithHostNet")
    else:
        expect("hostNetwork", spec.get("hostNetwork", False), False)

    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


# The keys of a config that the chart takes as values; node and listen it sets itself.
VALUE_KEYS = ("namespace", "dns", "logging", "registry", "probeDefaults", "services")


def cmd_example_values(example, out):
    with open(example) as f:
        config = yaml.safe_load(f)
    values = {k: config[k] for k in VALUE_KEYS if k in config}
    with open(out, "w") as f:
        yaml.safe_dump(values, f)


def cmd_same_config(example, rendered):
    with open(example) as f:
        want = yaml.safe_load(f)
    with open(rendered) as f:
        got = yaml.safe_load(f)
    problems = []
    for key in ("namespace", "dns", "logging", "probeDefaults", "services"):
        if key in want and got.get(key) != want[key]:
            problems.append(f"{key} differs:\n  example:  {want[key]!r}\n  rendered: {got.get(key)!r}")
    registry = want.get("registry")
    if registry:
        # The etcd section only matters with the etcd backend, and only then is rendered.
        if registry.get("backend") != "etcd":
            registry = {k: v for k, v in registry.items() if k != "etcd"}
        if got.get("registry") != registry:
            problems.append(f"registry differs:\n  example:  {registry!r}\n  rendered: "
                            f"{got.get('registry')!r}")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


def dockerfile_instructions(path):
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    with open(path) as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith("#") or not stripped:
                continue
            current += " " + stripped
            if current.endswith("\\"):
                current = current[:-1]
                continue
            word, _, rest = current.strip().partition(" ")
            instructions.append((word.upper(), rest.strip()))
            current = ""
    return instructions


def runtime_stage(instructions):
    starts = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    if not starts:
        sys.exit("the Dockerfile has no FROM")
    return instructions[starts[-1]:]


def apt_packages(run_args):
    """The packages that `apt-get install` commands in a RUN instruction name."""
    packages = []
    for command in re.split(r"&&|;|\|\|", run_args):
        words = shlex.split(command)
        if len(words) >= 2 and words[0] == "apt-get" and "install" in words:
            after = words[words.index("install") + 1:]
            packages += [w for w in after if not w.startswith("-")]
    return packages


def owner(library):
    """The Debian package that installed a library file, by any of its paths."""
    real = os.path.realpath(library)
    candidates = []
    for path in (library, real):
        candidates.append(path)
        # usrmerge: /lib is /usr/lib, and dpkg knows each file by one of the two.
        candidates.append(path[4:] if path.startswith("/usr/") else "/usr" + path)
    for path in dict.fromkeys(candidates):
        result = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].strip().split(",")[0].strip()
    return None


def installed_dependencies():
    """Each installed package's Depends and Pre-Depends, and what provides each virtual name."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Status}\t${Depends}, ${Pre-Depends}\t${Provides}\n"],
        capture_output=True, text=True, check=True).stdout
    depends, provides = {}, {}
    for line in out.splitlines():
        name, status, deps, provided = (line.split("\t") + ["", "", ""])[:4]
        if not status.endswith(" installed"):
            continue
        alternatives = []
        for dep in deps.split(","):
            names = [re.sub(r"[\s(].*|:any$", "", a.strip()) for a in dep.split("|")]
            alternatives.append([n for n in names if n])
        depends[name] = [a for a in alternatives if a]
        for p in provided.split(","):
            p = re.sub(r"\s*\(.*", "", p.strip())
            if p:
                provides.setdefault(p, set()).add(name)
    return depends, provides


def closure(roots):
    depends, provides = installed_dependencies()
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for alternatives in depends.get(name, []):
            for a in alternatives:
                todo += [a] + sorted(provides.get(a, ()))
    return seen


def cmd_docker_libs(dockerfile, binary):
    problems = []
    stage = runtime_stage(dockerfile_instructions(dockerfile))
    base = stage[0][1].split()[0]
    if base != "debian:bookworm-slim":
        problems.append(f"runtime stage: FROM {base}, want debian:bookworm-slim")
    packages = []
    for word, args in stage:
        if word == "RUN":
            packages += apt_packages(args)
    if not packages:
        sys.exit("the runtime stage installs no package with apt-get install")
    print(f"runtime packages: {' '.join(packages)}")

    for word, want in (("USER", "65532:65532"), ("EXPOSE", "9476"), ("ENTRYPOINT", '["vigil"]'),
                       ("CMD", f'["agent", "--config", "{CONFIG_PATH}"]')):
        got = [args for w, args in stage if w == word]
        if got[-1:] != [want]:
            problems.append(f"runtime stage: {word} {got[-1] if got else '(none)'}, want {want}")
    copies = [args for w, args in stage if w == "COPY" and args.endswith(" /usr/local/bin/vigil")]
    if not copies:
        problems.append("runtime stage: nothing is copied to /usr/local/bin/vigil")

    for p in packages:
        known = subprocess.run(["dpkg-query", "-W", p], capture_output=True).returncode == 0 or \
            subprocess.run(["apt-cache", "show", p], capture_output=True).returncode == 0
        if not known:
            problems.append(f"package {p} is neither installed here nor known to apt")

    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    resolved = {}
    for line in ldd.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            if m.group(2) == "not":
                problems.append(f"{m.group(1)} is not found on this machine")
            else:
                resolved[m.group(1)] = m.group(2)
    readelf = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                             check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", readelf)

    allowed = set(packages) | BASE_PACKAGES
    everything = closure(allowed)
    for soname, path in sorted(resolved.items()):
        package = owner(path)
        if package is None:
            problems.append(f"{soname} ({path}) belongs to no Debian package")
        elif SANITIZER_PACKAGE.match(package):
            print(f"{soname}: {package}, a sanitizer runtime, not in a release build")
        elif soname in needed and package not in allowed:
            problems.append(f"vigil links {soname} directly, from {package}, which the runtime "
                            "stage does not install")
        elif package not in everything:
            problems.append(f"{soname} comes from {package}, which no runtime package depends on")
    print(f"{len(resolved)} shared libraries, {len(needed)} linked directly")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


COMMANDS = {
    "kinds": cmd_kinds,
    "config": cmd_config,
    "annotation": cmd_annotation,
    "daemonset": cmd_daemonset,
    "example-values": cmd_example_values,
    "same-config": cmd_same_config,
    "docker-libs": cmd_docker_libs,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
