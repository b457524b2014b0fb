#!/usr/bin/env bash
# Installs what the demo and the test suites need on a fresh Debian machine, and nothing twice:
# Debian packages (one `apt-get update` first, only when something is missing), the Python venv
# in .venv from test-support/requirements.txt and release/requirements.txt, and the npm packages of the sample service and the Node binding.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config ca-certificates time python3-venv dbus dbus-x11 gnome-keyring keyutils libsecret-tools pass gnupg libkf5wallet-bin zsh fish python3-dev
  musl-tools file shellcheck gcc-mingw-w64-x86-64)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
command -v cc >/dev/null 2>&1 || packages+=(build-essential)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
reqs=(test-support/requirements.txt release/requirements.txt)
stamp=.venv/.requirements.sha256
want=$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> creating the Python venv in .venv"
  "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r "${reqs[0]}" -r "${reqs[1]}"
  echo "$want" > "$stamp"
fi

for dir in examples/serverless-service bindings-node examples/serverless-plugin-service; do
  if [ -f "$dir/package-lock.json" ] && { [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; }; then
    echo "==> npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
