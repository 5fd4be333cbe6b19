#!/usr/bin/env bash
# Tests the Helm chart (charts/vigil) and the Dockerfile without a cluster or a
# Docker engine: the chart lints, renders the objects it should, every config
# it renders is one the agent accepts, the schema refuses bad values, and the
# image's runtime packages hold every shared library the binary links.
#
#   tests/chart/chart_test.sh VIGIL_BINARY REPOSITORY
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 VIGIL_BINARY REPOSITORY" >&2
  exit 2
fi
vigil=$(realpath "$1")
repo=$(realpath "$2")
chart=$repo/charts/vigil
helm=$repo/.tools/helm/node_modules/.bin/helm
# Debian's interpreter: python3-yaml is installed for it, whatever python3 is first on PATH.
python=/usr/bin/python3
manifests=(/usr/bin/python3 "$repo/tests/chart/manifests.py")

if [ ! -x "$helm" ]; then
  echo "helm is missing ($helm): run scripts/install-deps.sh --test" >&2
  exit 1
fi
if ! "$python" -c 'import yaml' 2>/dev/null; then
  echo "$python cannot import yaml (Debian's python3-yaml): run scripts/install-deps.sh --test" >&2
  exit 1
fi
[ -x "$vigil" ] || { echo "no vigil binary at $vigil" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() {  # fail NAME [DETAILS FILE]
  failed=$((failed + 1))
  echo "FAIL  $1"
  if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/      /' "$2"; fi
}

# render NAME [HELM TEMPLATE ARGS...]: renders into $work/NAME.yaml.
render() {
  local name=$1; shift
  "$helm" template vigil "$chart" --namespace monitoring "$@" >"$work/$name.yaml" 2>"$work/$name.err"
}

# ---- 1. helm lint --strict, with the default values and each ci/ values file
if "$helm" lint --strict "$chart" >"$work/lint.out" 2>&1; then
  pass "helm lint --strict (default values)"
else
  fail "helm lint --strict (default values)" "$work/lint.out"
fi
for values in "$chart"/ci/*.yaml; do
  if "$helm" lint --strict "$chart" -f "$values" >"$work/lint.out" 2>&1; then
    pass "helm lint --strict -f ci/${values##*/}"
  else
    fail "helm lint --strict -f ci/${values##*/}" "$work/lint.out"
  fi
done

# ---- 2. the objects rendered
# expect_kinds NAME WANT...: the rendering NAME holds exactly the kinds WANT.
expect_kinds() {
  local name=$1; shift
  local want got
  want=$(printf '%s\n' "$@" | sort | paste -sd' ')
  got=$("${manifests[@]}" kinds "$work/$name.yaml" | cut -d/ -f1 | sort | paste -sd' ')
  if [ "$got" = "$want" ]; then
    pass "$name renders $want"
  else
    echo "want: $want" >"$work/kinds.out"
    echo "got:  $got" >>"$work/kinds.out"
    fail "$name renders the expected objects" "$work/kinds.out"
  fi
}

renders=()
# try_render NAME ARGS...: renders, or fails the check NAME.
try_render() {
  local name=$1; shift
  if render "$name" "$@"; then
    pass "helm template $name"
    renders+=("$name")
    return 0
  fi
  fail "helm template $name" "$work/$name.err"
  return 1
}

core=(ConfigMap DaemonSet Service ServiceAccount)
try_render default && expect_kinds default "${core[@]}"
try_render etcd -f "$chart/ci/etcd-values.yaml" &&
  expect_kinds etcd "${core[@]}" ServiceMonitor
try_render servicemonitor --set serviceMonitor.enabled=true &&
  expect_kinds servicemonitor "${core[@]}" ServiceMonitor
try_render no-serviceaccount --set serviceAccount.create=false &&
  expect_kinds no-serviceaccount ConfigMap DaemonSet Service
try_render hostnetwork --set hostNetwork=true --set port=9500
try_render dns --set dns.listen=0.0.0.0:8600 --set dns.domain=cluster.local --set namespace=shop

# Each example config of the repository, given to the chart as values.
for example in "$repo"/config/examples/*.yaml; do
  name=example-$(basename "$example" .yaml)
  "${manifests[@]}" example-values "$example" "$work/$name.values.yaml"
  try_render "$name" -f "$work/$name.values.yaml" || true
done

# ---- 3. every rendered config is one the agent accepts
for name in "${renders[@]}"; do
  config=$work/$name.vigil.yaml
  if ! "${manifests[@]}" config "$work/$name.yaml" "$config" >"$work/config.out" 2>&1; then
    fail "$name: extract the ConfigMap's vigil.yaml" "$work/config.out"
  elif "$vigil" check-config "$config" >"$work/check.out" 2>&1; then
    pass "$name: vigil check-config accepts the rendered vigil.yaml"
  else
    cat "$config" >>"$work/check.out"
    fail "$name: vigil check-config refuses the rendered vigil.yaml" "$work/check.out"
  fi
done
for example in "$repo"/config/examples/*.yaml; do
  name=example-$(basename "$example" .yaml)
  [ -f "$work/$name.vigil.yaml" ] || continue
  if "${manifests[@]}" same-config "$example" "$work/$name.vigil.yaml" >"$work/same.out" 2>&1; then
    pass "$name: the rendered config says what config/examples/${example##*/} says"
  else
    fail "$name: the rendered config differs from config/examples/${example##*/}" "$work/same.out"
  fi
done

# The dns and namespace values reach the config as given, and the DNS port
# is the container's, over UDP and TCP (none without dns.listen).
if [ -f "$work/dns.vigil.yaml" ]; then
  if "$python" - "$work/dns.vigil.yaml" "$work/dns.yaml" "$work/default.yaml" \
    >"$work/dns.out" 2>&1 <<'EOF'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
want = {"listen": "0.0.0.0:8600", "domain": "cluster.local", "ttlSeconds": 5}
assert config.get("dns") == want, f"dns: got {config.get('dns')!r}, want {want!r}"
assert config.get("namespace") == "shop", f"namespace: got {config.get('namespace')!r}"
def ports(manifests):
    for o in yaml.safe_load_all(open(manifests)):
        if o and o.get("kind") == "DaemonSet":
            c = o["spec"]["template"]["spec"]["containers"][0]
            return {p["name"]: (p["containerPort"], p["protocol"]) for p in c.get("ports", [])}
got = ports(sys.argv[2])
assert got.get("dns-udp") == (8600, "UDP") and got.get("dns-tcp") == (8600, "TCP"), got
default = ports(sys.argv[3])
assert "dns-udp" not in default and "dns-tcp" not in default, default
EOF
  then
    pass "dns: the rendered config carries dns and namespace; the pod declares the DNS port"
  else
    fail "dns: the rendered config carries dns and namespace; the pod declares the DNS port" \
      "$work/dns.out"
  fi
fi

# ---- 4. the DaemonSet
for name in default etcd hostnetwork; do
  [ -f "$work/$name.vigil.yaml" ] || continue
  mode=
  [ "$name" = hostnetwork ] && mode=hostnetwork
  if "${manifests[@]}" daemonset "$work/$name.yaml" $mode >"$work/ds.out" 2>&1; then
    pass "$name: DaemonSet (security context, probes, NODE_NAME, config volume, checksum) and Service"
  else
    fail "$name: DaemonSet and Service" "$work/ds.out"
  fi
done

# The checksum follows the config, and only the config.
checksum() { "${manifests[@]}" annotation "$work/$1.yaml" checksum/config; }
if render checksum-a -f "$chart/ci/etcd-values.yaml" &&
  render checksum-b -f "$chart/ci/etcd-values.yaml" --set 'services[0].name=web' &&
  render checksum-c -f "$chart/ci/etcd-values.yaml" --set resources.limits.memory=512Mi; then
  a=$(checksum checksum-a) b=$(checksum checksum-b) c=$(checksum checksum-c)
  if [ "$a" != "$b" ] && [ "$a" = "$c" ]; then
    pass "checksum/config changes with a service, not with resources"
  else
    printf 'etcd values:           %s\nservices[0].name=web:  %s\nlimits.memory=512Mi:   %s\n' \
      "$a" "$b" "$c" >"$work/checksum.out"
    fail "checksum/config changes with the config only" "$work/checksum.out"
  fi
else
  cat "$work"/checksum-*.err >"$work/checksum.out"
  fail "render for the checksum" "$work/checksum.out"
fi

# ---- 5. the schema refuses bad values
# refused NAME KEY HELM ARGS...: helm template fails, blaming the schema and KEY.
refused() {
  local name=$1 key=$2; shift 2
  if render bad "$@"; then
    echo "helm template $* succeeded" >"$work/bad.err"
    fail "schema refuses $name" "$work/bad.err"
  elif grep -q "values don't meet the specifications of the schema" "$work/bad.err" &&
    grep -qF -- "$key" "$work/bad.err"; then
    pass "schema refuses $name ($(grep -F -- "$key" "$work/bad.err" | head -1 | sed 's/^- //'))"
  else
    echo "want a schema error naming $key:" | cat - "$work/bad.err" >"$work/bad.out"
    fail "schema refuses $name" "$work/bad.out"
  fi
}

# values FILE: writes its standard input into $work/FILE.
values() { cat >"$work/$1"; }

refused "registry.backend=zookeeper" registry.backend --set registry.backend=zookeeper
refused "leaseTTLSeconds=1" registry.etcd.leaseTTLSeconds --set registry.etcd.leaseTTLSeconds=1
refused "leaseTTLSeconds=86401" registry.etcd.leaseTTLSeconds \
  --set registry.etcd.leaseTTLSeconds=86401
values fractional-ttl.yaml <<'EOF'
registry: {etcd: {leaseTTLSeconds: 2.5}}
EOF
refused "a fractional leaseTTLSeconds" registry.etcd.leaseTTLSeconds -f "$work/fractional-ttl.yaml"
refused "an etcd endpoint without http://" registry.etcd.endpoints.0 \
  --set 'registry.etcd.endpoints={etcd-0.etcd:2379}'
values no-endpoints.yaml <<'EOF'
registry: {backend: etcd, etcd: {endpoints: []}}
EOF
refused "no etcd endpoint" registry.etcd.endpoints -f "$work/no-endpoints.yaml"
refused "port=70000" port --set port=70000
refused "port=0" port --set port=0
refused "service.port=70000" service.port --set service.port=70000
refused "a port given as a string" port --set-string port=9476
refused "logging.level=warning" logging.level --set logging.level=warning
refused "logging.format=xml" logging.format --set logging.format=xml
refused "an unknown top-level key" "Additional property listen" --set listen=0.0.0.0:1
refused "an unknown key under registry" "Additional property backends" --set registry.backends=etcd
values no-name.yaml <<'EOF'
services:
  - ports: [{port: 8080}]
    endpoints: [10.0.0.1]
EOF
refused "a service without a name" "name is required" -f "$work/no-name.yaml"
values bad-name.yaml <<'EOF'
services:
  - name: Alpaca
EOF
refused "a service name that is no DNS-1035 label" services.0.name -f "$work/bad-name.yaml"
values typo.yaml <<'EOF'
probeDefaults: {periodSecond: 2}
EOF
refused "a misspelt probeDefaults key" "Additional property periodSecond" -f "$work/typo.yaml"
values two-handlers.yaml <<'EOF'
services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe: {exec: {command: [true]}, grpc: {port: 9000}}
EOF
refused "dns.ttlSeconds=3601" dns.ttlSeconds --set dns.ttlSeconds=3601
refused "a dns.domain that is no DNS-1123 subdomain" dns.domain --set dns.domain=Cluster.Local
refused "a dns.listen that is a host name" dns.listen --set dns.listen=localhost:53
refused "a namespace that is no DNS-1123 label" namespace --set namespace=a.b
refused "an unknown key under dns" "Additional property port" --set dns.port=53
refused "a probe with two handlers" services.0.readinessProbe -f "$work/two-handlers.yaml"
values bad-expect.yaml <<'EOF'
services:
  - name: web
    endpoints: [10.0.0.1:80]
    readinessProbe: {httpGet: {expect: {status: [2xx]}}}
EOF
refused "an expect.status that is no code or range" services.0.readinessProbe.httpGet.expect.status.0 \
  -f "$work/bad-expect.yaml"
refused "serviceMonitor.interval=often" serviceMonitor.interval --set serviceMonitor.interval=often

# ---- 6. the image's runtime packages hold every library the binary links
if "${manifests[@]}" docker-libs "$repo/Dockerfile" "$vigil" >"$work/docker.out" 2>&1; then
  pass "Dockerfile: the runtime stage installs every shared library of vigil"
  sed 's/^/      /' "$work/docker.out"
else
  fail "Dockerfile: runtime packages and vigil's shared libraries" "$work/docker.out"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
