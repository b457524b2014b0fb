# stsvault — the two commands of the README, and the pieces they are made of.
#   make demo   runs the seed's story end to end against the local AWS emulator
#   make test   runs every suite (Rust unit + end-to-end, emulator, Python, Node, bench and fuzz smoke)

SHELL := /bin/bash
# One shared target dir that survives fresh clones on this machine (CI runs on the same machine).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/stsvault/target
export CARGO_TERM_COLOR ?= never
PY := $(CURDIR)/.venv/bin/python
export STSVAULT_PYTHON := $(PY)
STSVAULT := $(CARGO_TARGET_DIR)/debug/stsvault

.PHONY: all deps build dist dist-x86_64 dist-wheel-x86_64 dist-node-x86_64 dist-check test test-rust test-emulator test-python python-wheel test-node node-addon node-release-addon bench bench-smoke lint cross-check demo clean fuzz-deps fuzz fuzz-smoke

all: build

deps:
	@bash test-support/install-deps.sh

build: deps
	cargo build --workspace --all-targets

lint: build
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	command -v shellcheck >/dev/null  # actionlint checks run: blocks only when shellcheck is there
	$(CURDIR)/.venv/bin/actionlint .github/workflows/release.yml
	shellcheck release/*.sh test-support/*.sh test-support/sls/*.sh

# The macOS Keychain and Windows Credential Manager stores, type-checked and linted for their
# targets (core builds C for TLS and JOSE, which cannot be cross-compiled for macOS here); and
# for Windows, whose C builds with Debian's mingw-w64, the CLI and its test suite as well (the
# release workflow runs that suite on a Windows runner).
CROSS_TARGETS := x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin
cross-check:
	rustup target add $(CROSS_TARGETS)
	for t in $(CROSS_TARGETS); do \
	  cargo clippy -p stsvault-keystores --all-targets --target $$t -- -D warnings || exit 1; \
	done
	cargo clippy -p stsvault-test-support -p stsvault-cli --all-targets --target x86_64-pc-windows-gnu -- -D warnings

test: build
	$(MAKE) --no-print-directory test-rust test-emulator test-python test-node bench-smoke fuzz-smoke dist-check FUZZ_SMOKE_SECONDS=15

test-rust:
	@if command -v cargo-nextest >/dev/null 2>&1; then \
	  cargo nextest run --workspace --no-fail-fast; \
	else \
	  cargo test --workspace --no-fail-fast; \
	fi

test-emulator:
	$(PY) -m pytest -q test-support/emulator/tests

# The Python binding: the release manylinux2014 wheel that `make dist` ships (built once, also
# installed by dist-check), installed into the venv; the suite imports it, never the source tree.
python-wheel: dist-wheel-x86_64
	$(PY) -m pip install -q --disable-pip-version-check --force-reinstall --no-deps $(DIST)/stsvault-*-manylinux*_x86_64*.whl

test-python: python-wheel
	cd bindings-python && $(PY) -m pytest -q tests

# The Node binding: the release linux-x64-gnu addon that `make dist` ships (built once, also
# packed and installed by dist-check), put next to its JavaScript layer, where the loader
# (native.js) takes it first; node's test runner drives the package as a program requires it.
# `make node-addon` is the quicker dev-profile build (@napi-rs/cli) for working on the binding;
# `make test` does not use it: napi passes --target, so it would compile every crate again.
export STSVAULT_BIN := $(STSVAULT)
NODE_ADDON := stsvault.linux-x64-gnu.node
node-addon: deps
	cd bindings-node && npx --no-install napi build --platform --no-js --dts native.d.ts

dist-node-x86_64: deps
	$(RELEASE) node x86_64-unknown-linux-gnu

node-release-addon: dist-node-x86_64
	install -m 0755 bindings-node/npm/linux-x64-gnu/$(NODE_ADDON) bindings-node/$(NODE_ADDON)

test-node: node-release-addon
	cd bindings-node && node --test --test-concurrency=1 test/

# Benchmarks (benches/README.md): criterion on core's hot paths, then whole processes side by
# side (release build) with the table and plot written into benches/. Never part of `make test`,
# which runs bench-smoke instead: each criterion bench once, the process benchmarks once.
bench: deps python-wheel node-release-addon
	$(PY) -m pip install -q --disable-pip-version-check -r benches/requirements.txt
	cargo build --release -p stsvault-cli
	cargo bench -p stsvault --bench hot_paths
	$(PY) benches/run.py --stsvault $(CARGO_TARGET_DIR)/release/stsvault --write-readme

bench-smoke: build
	cargo test -p stsvault --bench hot_paths
	$(PY) benches/run.py --smoke --stsvault $(STSVAULT)

# Release artifacts (release/build.sh): every Linux one into dist/ with SHA256SUMS, in the release
# profile; macOS and Windows ones come from .github/workflows/release.yml. `make dist-check`
# (part of `make test`) builds the x86_64 Linux ones, installs them the way a user would (the
# static binary into a bin dir and an empty root, the wheel with pip, the npm tarballs with npm,
# the CLI with cargo install) with no Rust toolchain on PATH and the build dirs hidden, and drives
# the seed's story through each against the emulator.
RELEASE := bash release/build.sh
DIST := $(CURDIR)/dist
export DIST_DIR := $(DIST)
CHECK_ROOT := $(CURDIR)/.tmp/dist-check
# The x86_64 manylinux2014 wheel: one target, so that `make test` builds it once for both the
# Python suite and dist-check.
dist-wheel-x86_64: deps
	$(RELEASE) wheel x86_64-unknown-linux-gnu

dist-x86_64: deps dist-wheel-x86_64 dist-node-x86_64
	$(RELEASE) cli x86_64-unknown-linux-musl
	$(RELEASE) node-main
	$(RELEASE) sums

dist: deps
	rm -rf $(DIST)
	$(MAKE) --no-print-directory dist-x86_64
	$(RELEASE) cli aarch64-unknown-linux-musl
	$(RELEASE) cli x86_64-pc-windows-gnu
	$(RELEASE) wheel aarch64-unknown-linux-gnu
	$(RELEASE) wheel x86_64-unknown-linux-musl
	$(RELEASE) sdist
	bash release/check-sdist.sh
	$(RELEASE) node aarch64-unknown-linux-gnu
	$(RELEASE) node x86_64-unknown-linux-musl
	$(RELEASE) crates
	$(RELEASE) sums
	$(PY) release/sizes.py $(DIST)

dist-check: dist-x86_64
	rm -rf $(CHECK_ROOT)
	cargo install --locked --quiet --path cli --root $(CHECK_ROOT)/cargo --target x86_64-unknown-linux-musl
	STSVAULT_CARGO_ROOT=$(CHECK_ROOT)/cargo bash release/check.sh

demo: build
	@bash test-support/demo.sh "$(STSVAULT)"

clean:
	cargo clean
	rm -rf .venv examples/serverless-service/node_modules examples/serverless-plugin-service/node_modules bindings-node/node_modules

# Fuzzing (fuzz/README.md): cargo-fuzz targets over what reads hostile input — the config
# parser, the file vault's JWE and item decoders, credential_process output, the credential
# servers' request handling. Stable Rust builds them through RUSTC_BOOTSTRAP=1, into their own
# target dir (their RUSTFLAGS would otherwise rebuild the shared one). Each run reads the
# checked-in seeds (fuzz/corpus/T) and crash regressions (fuzz/regressions/T) and writes what
# it finds to a corpus outside the repo; a crash lands in fuzz/artifacts/T and fails the run.
#   make fuzz         each target FUZZ_SECONDS (600) long, the grown corpus kept in FUZZ_WORK
#   make fuzz-smoke   each target FUZZ_SMOKE_SECONDS (20), from the seeds only (for make test)
FUZZ_TARGETS ?= config vault_file vault_item credential_process server
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_SANITIZER ?= none
FUZZ_WORK ?= $(HOME)/.cache/stsvault/fuzz-corpus
FUZZ_CARGO := RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$(HOME)/.cache/stsvault/fuzz-target cargo fuzz
FUZZ_FLAGS := -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

fuzz-deps:
	@bash test-support/install-fuzz.sh

fuzz: fuzz-deps
	$(FUZZ_CARGO) build --fuzz-dir fuzz --sanitizer $(FUZZ_SANITIZER)
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_WORK)/$$t fuzz/regressions/$$t && \
	  $(FUZZ_CARGO) run --fuzz-dir fuzz --sanitizer $(FUZZ_SANITIZER) $$t $(FUZZ_WORK)/$$t fuzz/corpus/$$t fuzz/regressions/$$t -- \
	      $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

fuzz-smoke: fuzz-deps
	$(FUZZ_CARGO) build --fuzz-dir fuzz --sanitizer $(FUZZ_SANITIZER)
	for t in $(FUZZ_TARGETS); do \
	  work=$$(mktemp -d) && mkdir -p $$work/corpus $$work/tmp fuzz/regressions/$$t && \
	  TMPDIR=$$work/tmp $(FUZZ_CARGO) run --fuzz-dir fuzz --sanitizer $(FUZZ_SANITIZER) $$t $$work/corpus fuzz/corpus/$$t fuzz/regressions/$$t -- \
	      $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SMOKE_SECONDS); rc=$$?; rm -rf $$work; \
	  [ $$rc -eq 0 ] || exit $$rc; \
	done
