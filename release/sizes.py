#!/usr/bin/env python3
"""Prints the size of every artifact in dist/ as a Markdown table (benches/README.md keeps the
measured one), with the size of the native module inside each wheel and npm tarball and the
target it must stay under (release/README.md). Exits non-zero when one is over its target.

    python3 release/sizes.py [DIST_DIR]
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

MB = 1000 * 1000
#: Size targets in MB: a static CLI binary, a wheel file, an addon (.node) inside its npm package.
LIMITS = {"cli": 12 * MB, "wheel": 6 * MB, "node": 10 * MB}


def inner_module(path: Path) -> tuple[str, int] | None:
    """The native module inside a wheel or an npm tarball: its name and unpacked size."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.filename.endswith((".so", ".pyd", ".dylib")):
                    return info.filename, info.file_size
    if path.suffix == ".tgz":
        with tarfile.open(path) as t:
            for member in t.getmembers():
                if member.name.endswith(".node"):
                    return member.name.removeprefix("package/"), member.size
    return None


def kind(path: Path) -> str | None:
    if path.name.startswith("stsvault-") and path.suffix in ("", ".exe"):
        return "cli"
    if path.suffix == ".whl":
        return "wheel"
    if path.suffix == ".tgz" and inner_module(path):
        return "node"
    return None


def main() -> int:
    dist = Path(sys.argv[1] if len(sys.argv) > 1 else "dist")
    over = []
    print("| artifact | size | native module inside | target |")
    print("| --- | ---: | ---: | ---: |")
    for path in sorted(p for p in dist.iterdir() if p.is_file() and p.name != "SHA256SUMS"):
        size = path.stat().st_size
        inner = inner_module(path)
        what = kind(path)
        measured = inner[1] if what == "node" and inner else size
        limit = LIMITS.get(what or "")
        if limit and measured >= limit:
            over.append(path.name)
        inside = f"{inner[1] / MB:.1f} MB" if inner else ""
        target = f"< {limit // MB} MB" if limit else ""
        print(f"| `{path.name}` | {size / MB:.2f} MB | {inside} | {target} |")
    for name in over:
        print(f"sizes.py: {name} is over its target", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
