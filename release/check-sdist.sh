#!/usr/bin/env bash
# Builds dist/'s sdist the way pip does where no wheel fits: a fresh venv, maturin fetched from
# PyPI into pip's isolated build environment, the crates from crates.io, nothing from this
# checkout; then imports the module it built. Like any sdist of a Rust extension it needs a Rust
# toolchain (cargo on PATH). Part of `make dist`.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${DIST_DIR:-$PWD/dist}
sdists=("$dist"/stsvault-*.tar.gz)
if [ "${#sdists[@]}" -ne 1 ] || [ ! -f "${sdists[0]}" ]; then
  echo "check-sdist.sh: expected one sdist in $dist" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
(cd "$work" && "$work/venv/bin/pip" install -q --disable-pip-version-check --no-binary stsvault "${sdists[0]}")
(cd "$work" && "$work/venv/bin/python" -c '
import stsvault, sys
assert stsvault.__file__.startswith(sys.prefix), stsvault.__file__
print("sdist built and imported:", stsvault.__file__)')
