#!/usr/bin/env bash
# Installs what `make fuzz` and `make fuzz-smoke` need (fuzz/README.md): cargo-fuzz, from
# crates.io, unless a `cargo fuzz` is already on the PATH. The fuzz targets build with the
# stable toolchain through RUSTC_BOOTSTRAP=1 (set by the Makefile), so no nightly is needed.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2

if cargo fuzz --version >/dev/null 2>&1; then
  exit 0
fi
echo "install-fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
