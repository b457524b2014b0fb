#!/usr/bin/env bash
# `make dist-check`: runs release/tests against the artifacts in dist/ as a user installs them.
# It re-executes itself in a private mount namespace (root, or unprivileged through a user
# namespace) and mounts empty tmpfs over the checkout's build directories, the bindings' sources
# and the Rust toolchain, and takes every directory holding cargo, rustc or maturin off PATH,
# so nothing can quietly come from the workspace. The Makefile runs `cargo install` (the one
# step that needs cargo) before this.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

hide=("${CARGO_TARGET_DIR:-$root/target}" "$root/target" "$HOME/.cache/stsvault/target"
      "$root/bindings-python" "$root/bindings-node"
      "${CARGO_HOME:-$HOME/.cargo}" "${RUSTUP_HOME:-$HOME/.rustup}")

if [ "${STSVAULT_CHECK_NAMESPACE:-}" != 1 ]; then
  # The AWS SDK version the binding is tested with, read before its directory is hidden.
  STSVAULT_CHECK_CLIENT_STS=$(node -p "require('./bindings-node/package.json').devDependencies['@aws-sdk/client-sts']")
  export STSVAULT_CHECK_CLIENT_STS
  ns=(unshare --mount --propagation private)
  [ "$(id -u)" -eq 0 ] || ns=(unshare --map-root-user --mount --propagation private)
  exec "${ns[@]}" env STSVAULT_CHECK_NAMESPACE=1 bash "$root/release/check.sh" "$@"
fi

hidden=()
for dir in "${hide[@]}"; do
  if [ -d "$dir" ] && ! mountpoint -q "$dir"; then
    mount -t tmpfs -o size=64k,mode=0755 stsvault-hidden "$dir"
    hidden+=("$dir")
  fi
done
export STSVAULT_HIDDEN_DIRS
STSVAULT_HIDDEN_DIRS=$(IFS=:; echo "${hidden[*]}")

path=()
IFS=: read -r -a entries <<< "$PATH"
for dir in "${entries[@]}"; do
  [ -n "$dir" ] || continue
  [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ] || [ -e "$dir/maturin" ] || [ -e "$dir/cargo-zigbuild" ] || path+=("$dir")
done
PATH=$(IFS=:; echo "${path[*]}")
export PATH

exec "$root/.venv/bin/python" -m pytest -q -p no:cacheprovider release/tests "$@"
