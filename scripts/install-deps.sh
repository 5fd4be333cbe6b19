#!/usr/bin/env bash
# Installs what vigil needs to build and test, from Debian bookworm's packages
# only. Idempotent: installs nothing when everything is already there.
#
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   also what the tests use
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config
  libcpp-httplib-dev prometheus-cpp-dev libyaml-cpp-dev libspdlog-dev
  libcurl4-openssl-dev nlohmann-json3-dev
)
test_packages=(libgtest-dev libgmock-dev libssl-dev)

case "${1:-}" in
  --test) packages+=("${test_packages[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

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
