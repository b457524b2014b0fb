#!/usr/bin/env bash
# Builds one kind of release artifact into dist/, in the release profile. `make dist` calls it
# for every Linux artifact; .github/workflows/release.yml calls it on each platform's runner.
#
#   release/build.sh cli TARGET     dist/stsvault-TARGET[.exe]: the command line
#   release/build.sh wheel TARGET   dist/stsvault-VERSION-cp39-abi3-PLATFORM.whl
#   release/build.sh sdist          dist/stsvault-VERSION.tar.gz
#   release/build.sh node TARGET    bindings-node/npm/PLATFORM/stsvault.PLATFORM.node and its
#                                   package's tarball dist/stsvault-PLATFORM-VERSION.tgz
#   release/build.sh node-main      dist/stsvault-VERSION.tgz: JS, types, plugin, no addon
#   release/build.sh crates         dist/stsvault*-VERSION.crate (cargo package, verified)
#   release/build.sh sums           dist/SHA256SUMS over everything else in dist/
#
# On Linux every target is cross-built with cargo-zigbuild and Zig from PyPI (the .venv has
# them), so one machine makes them all: glibc targets against glibc 2.17 (manylinux2014),
# musl targets static (the CLI) or against musl's libc.so (Python and Node load their modules
# dynamically). The x86_64 musl CLI uses Debian's musl-gcc instead, which is also what
# `cargo install --target x86_64-unknown-linux-musl` uses, so that check reuses this build.
# On macOS and Windows the native toolchain builds the runner's own targets.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=${DIST_DIR:-$root/dist}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
if [ -d "$root/.venv/bin" ]; then
  export PATH="$PATH:$root/.venv/bin"
  # cargo-zigbuild and maturin --zig find PyPI's Zig through this when no `zig` is on PATH.
  if ! command -v zig >/dev/null && [ -x "$root/.venv/bin/python-zig" ]; then
    export CARGO_ZIGBUILD_ZIG_PATH="$root/.venv/bin/python-zig"
  fi
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
mkdir -p "$dist"

die() { echo "release/build.sh: $*" >&2; exit 2; }
say() { echo "==> $*" >&2; }

# The napi-rs platform name of a Rust target.
node_platform() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo linux-x64-gnu ;;
    aarch64-unknown-linux-gnu) echo linux-arm64-gnu ;;
    x86_64-unknown-linux-musl) echo linux-x64-musl ;;
    x86_64-apple-darwin) echo darwin-x64 ;;
    aarch64-apple-darwin) echo darwin-arm64 ;;
    x86_64-pc-windows-msvc) echo win32-x64-msvc ;;
    *) die "no Node platform package for $1" ;;
  esac
}

# The Rust standard library for TARGET, added with rustup when it is missing.
ensure_target() {
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$1"; then
    rustup target add "$1"
  fi
}

# Fails unless `cmd` succeeds and its output, whitespace folded, matches the extended regex `want`.
expect() {
  local want=$1 what=$2; shift 2
  local out
  out=$("$@" 2>&1 | tr -s '[:space:]' ' ') || die "$what: $* failed: $out"
  grep -Eq "$want" <<< "$out" || die "$what: expected /$want/ from $*, got: $out"
}

# Fails unless the shared object links musl's libc.so and nothing of glibc's.
check_links_musl_only() {
  local what=$1 lib=$2 needed
  needed=$(readelf -d "$lib" | grep NEEDED || true)
  grep -q '\[libc\.so\]' <<< "$needed" || die "$what does not link musl's libc.so: $needed"
  ! grep -Eq 'libc\.so\.6|ld-linux|libpthread|libgcc_s' <<< "$needed" || die "$what links glibc's libraries: $needed"
}

# cargo build --release for TARGET, cross-built with Zig where the host cannot build it alone.
# glibc targets get Zig's glibc 2.17 so the result loads on every manylinux2014 system.
cargo_release() {
  local target=$1; shift
  ensure_target "$target"
  case "$target" in
    *-linux-gnu) cargo zigbuild --release --locked --target "$target.2.17" "$@" ;;
    x86_64-unknown-linux-musl)
      if [ "$(uname -sm)" = "Linux x86_64" ] && command -v musl-gcc >/dev/null; then
        cargo build --release --locked --target "$target" "$@"
      else
        cargo zigbuild --release --locked --target "$target" "$@"
      fi ;;
    *-linux-musl) cargo zigbuild --release --locked --target "$target" "$@" ;;
    *) cargo build --release --locked --target "$target" "$@" ;;
  esac
}

build_cli() {
  local target=$1 exe=""
  [[ "$target" == *windows* ]] && exe=.exe
  say "stsvault $version for $target"
  cargo_release "$target" -p stsvault-cli
  install -m 0755 "$CARGO_TARGET_DIR/$target/release/stsvault$exe" "$dist/stsvault-$target$exe"
  if [[ "$target" == *-linux-musl ]] && command -v file >/dev/null; then
    expect "statically linked|static-pie linked" "stsvault-$target" file -b "$dist/stsvault-$target"
  fi
  # A foreign Linux binary runs under Debian's qemu-user-static where it is installed.
  local arch=${target%%-*}
  if [[ "$target" == *-linux-* ]] && [ "$arch" != "$(uname -m)" ] && command -v "qemu-$arch-static" >/dev/null; then
    expect "^ ?stsvault $version" "stsvault-$target under qemu" "qemu-$arch-static" "$dist/stsvault-$target" --version
  fi
}

build_wheel() {
  local target=$1 compat=()
  case "$target" in
    *-linux-gnu) compat=(--zig --compatibility manylinux2014) ;;
    *-linux-musl) compat=(--zig --compatibility musllinux_1_2) ;;
  esac
  say "Python wheel for $target"
  ensure_target "$target"
  local out
  out=$(mktemp -d)
  (cd bindings-python && maturin build --release --locked --target "$target" ${compat[@]+"${compat[@]}"} --out "$out")
  case "$target" in
    *-linux-gnu)
      if command -v auditwheel >/dev/null; then
        expect "consistent with the following platform tag: \"manylinux_2_17_${target%%-*}\"" "the $target wheel" \
          auditwheel show "$out"/stsvault-*.whl
      fi ;;
    # auditwheel judges a musllinux wheel only on a musl system (on glibc it reads glibc's
    # libc.so linker script as the library): check what the module links instead.
    *-linux-musl)
      (cd "$out" && python3 -m zipfile -e stsvault-*.whl unpacked)
      check_links_musl_only "the $target wheel" "$out"/unpacked/stsvault/*.so
      rm -rf "$out/unpacked" ;;
  esac
  mv "$out"/stsvault-*.whl "$dist/"
  rmdir "$out"
}

build_sdist() {
  say "Python sdist"
  (cd bindings-python && maturin sdist --out "$dist")
}

build_node() {
  local target=$1 platform lib pkg
  platform=$(node_platform "$target")
  pkg=bindings-node/npm/$platform
  [ -f "$pkg/package.json" ] || die "no package for $platform in $pkg"
  say "Node addon for $platform ($target)"
  # cargo-zigbuild's linker wrapper is not maturin's, and cargo rebuilds every crate when the
  # linker changes: the addons get a target dir of their own so the wheels' builds stay fresh.
  local target_dir=$CARGO_TARGET_DIR
  [[ "$target" == *-linux-* ]] && target_dir=$CARGO_TARGET_DIR/zigbuild
  case "$target" in
    # A .node file is loaded with dlopen: on musl it links musl's libc.so, not a static libc,
    # and only Zig links against musl's (the host cc would link glibc's).
    *-linux-musl)
      ensure_target "$target"
      CARGO_TARGET_DIR=$target_dir RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=-crt-static" \
        cargo zigbuild --release --locked --target "$target" -p stsvault-node ;;
    *) CARGO_TARGET_DIR=$target_dir cargo_release "$target" -p stsvault-node ;;
  esac
  case "$target" in
    *-apple-darwin) lib=libstsvault_node.dylib ;;
    *-windows-*) lib=stsvault_node.dll ;;
    *) lib=libstsvault_node.so ;;
  esac
  install -m 0755 "$target_dir/$target/release/$lib" "$pkg/stsvault.$platform.node"
  if [[ "$target" == *-linux-* ]] && command -v readelf >/dev/null; then
    case "$target" in
      *-musl) check_links_musl_only "the $platform addon" "$pkg/stsvault.$platform.node" ;;
      *-gnu)
        # Nothing newer than glibc 2.17 (manylinux2014), as napi-rs's own Linux builds promise.
        local newest
        newest=$(readelf -V "$pkg/stsvault.$platform.node" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n | tail -1)
        [ "${newest#GLIBC_2.}" -le 17 ] || die "the $platform addon needs $newest, newer than glibc 2.17" ;;
    esac
  fi
  cp LICENSE "$pkg/LICENSE"
  (cd "$pkg" && npm pack --silent --pack-destination "$dist" >/dev/null)
}

build_node_main() {
  say "npm package stsvault (JS, types, Serverless plugin)"
  cp LICENSE bindings-node/LICENSE
  (cd bindings-node && npm pack --silent --pack-destination "$dist" >/dev/null)
}

build_crates() {
  say "crates stsvault-keystores, stsvault, stsvault-cli (cargo package, verified)"
  cargo package --locked -p stsvault-keystores -p stsvault -p stsvault-cli
  for c in stsvault-keystores stsvault stsvault-cli; do
    cp "$CARGO_TARGET_DIR/package/$c-$version.crate" "$dist/"
  done
}

write_sums() {
  (cd "$dist" && find . -maxdepth 1 -type f ! -name 'SHA256SUMS*' -printf '%f\n' | LC_ALL=C sort \
     | xargs sha256sum > SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS)
  say "dist/SHA256SUMS: $(wc -l < "$dist/SHA256SUMS") files"
}

[ $# -ge 1 ] || die "usage: release/build.sh cli|wheel|node TARGET, or sdist|node-main|crates|sums"
what=$1; shift
case "$what" in
  cli|wheel|node) [ $# -eq 1 ] || die "$what needs a Rust target"; "build_$what" "$1" ;;
  sdist) build_sdist ;;
  node-main) build_node_main ;;
  crates) build_crates ;;
  sums) write_sums ;;
  *) die "unknown artifact $what" ;;
esac
