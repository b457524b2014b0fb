#!/usr/bin/env python3
"""Whole-process benchmarks: stsvault side by side with what users would run instead.

    benches/run.py [--smoke] [--runs N] [--stsvault BIN] [--write-readme]

Against the local emulator, in a scratch HOME with a file vault, it measures (each variant run
N times, variants alternating so drift hits all alike; medians and ratios to stsvault):

- warm credentials in a fresh process: `stsvault export --format json P` with a cached session,
  vs botocore (`boto3.Session(profile_name=S).get_credentials()`) and the AWS CLI
  (`aws configure list`) reading the same session credentials from ~/.aws/credentials, vs
  awsume (`awsumepy`) when it is installed;
- a Python process: the `stsvault` binding vs `credential_process = stsvault export …` through
  botocore vs botocore's static-profile baseline;
- a Node process: the binding's `fromVault` vs `fromIni` on the static profile vs `fromProcess`
  with `stsvault export`;
- a role assumed with a cached MFA session (issue 19's `prod` on `sls-administrator`): a warm
  `stsvault exec` and `export` of the role profile (a cached role session, no STS call) vs
  stsvault renewing the role on every run (what it did before role sessions were cached, and
  what aws-vault does) vs botocore and the AWS CLI on an assume-role profile whose cache
  (~/.aws/cli/cache) is warm;
- N = 1, 8, 32 processes started at once on a cold cache: MFA prompts (an `mfa_process` that
  counts its runs), GetSessionToken calls (the emulator's log) and wall time until all have
  credentials;
- peak RSS of every variant, measured under GNU time in runs of their own (see `peak_rss_kib`).

Each run is timed from posix_spawn to wait4 (see `run`), and stsvault runs from a copy of the
binary in the scratch dir, as an install puts it (see `install`).

`--smoke` runs one iteration of everything (make test runs it so the script cannot rot);
`--only GROUP,...` runs some of warm, python, node, role, imports, concurrent; `--write-readme` puts
the table into benches/README.md and draws benches/results.png (with `--only`, the groups run
replace theirs in benches/results.json, the others keep their last results, and the table
says when each part was measured).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "test-support" / "emulator"))

from stsvault_emulator.mfa import code_at  # noqa: E402
from stsvault_emulator.testing import Emulator, child_env, sandbox_env  # noqa: E402

PASSPHRASE = "bench passphrase"
README = REPO / "benches" / "README.md"
PLOT = REPO / "benches" / "results.png"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, str]:
    """Runs `cmd` to completion: wall seconds and stdout. Fails on a non-zero exit.

    The clock covers posix_spawn to wait4 and nothing else the harness could do instead:
    subprocess.run's own Python-level work (its Popen object, the exec-status pipe,
    communicate) added about 0.3 ms to each run, a tenth of a warm `stsvault export`. The
    program is looked up in `env`'s PATH and the working directory changed before the clock
    starts; stdout goes through a pipe read to its end before the wait, stderr to a file."""
    exe = shutil.which(cmd[0], path=env.get("PATH")) or cmd[0]
    here = os.getcwd()
    read_end, write_end = os.pipe()
    try:
        with tempfile.TemporaryFile() as err, open(os.devnull, "rb") as devnull:
            actions = [
                (os.POSIX_SPAWN_DUP2, devnull.fileno(), 0),
                (os.POSIX_SPAWN_DUP2, write_end, 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
                (os.POSIX_SPAWN_CLOSE, read_end),
            ]
            if cwd is not None:
                os.chdir(cwd)
            try:
                start = time.perf_counter()
                pid = os.posix_spawn(exe, cmd, env, file_actions=actions)
            finally:
                os.close(write_end)
                os.chdir(here)
            chunks = []
            while chunk := os.read(read_end, 65536):
                chunks.append(chunk)
            _, status, _ = os.wait4(pid, 0)
            wall = time.perf_counter() - start
            code = os.waitstatus_to_exitcode(status)
            if code != 0:
                err.seek(0)
                raise RuntimeError(f"{cmd[0]} exited {code}: {err.read().decode(errors='replace')}")
    finally:
        os.close(read_end)
    return wall, b"".join(chunks).decode()


def peak_rss_kib(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
    """The peak resident set of one run of `cmd`, in KiB, as GNU time reports it.

    Not wait4's ru_maxrss of a child of this script: Linux carries the high-water mark of the
    address space a child replaces at exec into its own, and a child that Python starts through
    vfork replaces this Python's, so every variant would show at least this script's size."""
    with tempfile.NamedTemporaryFile(mode="r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *cmd], env=env, cwd=cwd,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return int(out.read().split()[-1])


def install(binary: str, bin_dir: Path) -> str:
    """A copy of `binary` in `bin_dir`, as `cargo install` or a package manager would put it.

    The runs use the copy, not the linker's output: the linker writes its file through mmap,
    and exec'ing that file took more page faults (358 against 311 a warm `export`) and about
    0.35 ms longer than exec'ing the same bytes written by a copy, by all signs because the
    page cache holds the mmap-written file in small pages and the copy in large folios."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    dest = bin_dir / Path(binary).name
    shutil.copy2(binary, dest)
    return str(dest)


class Bench:
    """The scratch HOME, its environment, the emulator and the commands compared."""

    def __init__(self, workdir: Path, emulator: Emulator, stsvault: str, python: str) -> None:
        self.workdir, self.emulator, self.python = workdir, emulator, python
        self.stsvault = install(stsvault, workdir / "bin")
        self.home = workdir / "home"
        (self.home / ".aws").mkdir(parents=True)
        self.env = {k: v for k, v in child_env().items() if not k.startswith("AWS_")}
        self.env.update(sandbox_env(self.home, emulator.endpoint, PASSPHRASE))
        self.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"
        self.config: list[str] = []

    def add_profile(self, name: str, body: str) -> None:
        self.config.append(f"[profile {name}]\n{body}")
        (self.home / ".aws" / "config").write_text("\n".join(self.config))

    def add_keys(self, profile: str, user: dict) -> None:
        env = dict(self.env, AWS_ACCESS_KEY_ID=user["access_key_id"], AWS_SECRET_ACCESS_KEY=user["secret_access_key"])
        run([self.stsvault, "add", "--env", profile], env)

    def setup(self) -> None:
        """Profile `bench` (keys in the vault, MFA, a warm cached session), `static` (the same
        session in ~/.aws/credentials) and `proc` (credential_process = stsvault export)."""
        user = self.emulator.setup_user("bench")
        self.add_profile("bench", f"mfa_serial = {user['mfa_serial']}\nregion = us-east-1\n")
        self.add_keys("bench", user)
        code = code_at(user["seed"], time.time())
        _, out = run([self.stsvault, "export", "--format", "json", "--mfa-token", code, "bench"], self.env)
        session = json.loads(out)
        (self.home / ".aws" / "credentials").write_text(
            "[static]\n"
            f"aws_access_key_id = {session['AccessKeyId']}\n"
            f"aws_secret_access_key = {session['SecretAccessKey']}\n"
            f"aws_session_token = {session['SessionToken']}\n"
        )
        self.add_profile("static", "region = us-east-1\n")
        self.add_profile("proc", f"credential_process = {self.stsvault} export --format json bench\nregion = us-east-1\n")
        self.session_key_id = session["AccessKeyId"]

    def py(self, code: str) -> list[str]:
        return [self.python, "-c", code]

    def node(self, code: str) -> list[str]:
        return ["node", "-e", code]


def compare(bench: Bench, variants: dict[str, tuple], runs: int, expect: str | dict[str, str]) -> dict:
    """Runs every variant `runs` times, alternating their order; each output must name `expect`
    (or `expect[label]`). A variant is `(cmd, cwd)` or `(cmd, cwd, more_env)`."""
    times: dict[str, list[float]] = {k: [] for k in variants}
    rss: dict[str, int] = {k: 0 for k in variants}
    labels = list(variants)

    def unpack(label: str) -> tuple[list[str], Path | None, dict[str, str]]:
        cmd, cwd, *more = variants[label]
        return cmd, cwd, dict(bench.env, **(more[0] if more else {}))

    for i in range(runs):
        order = labels[i % len(labels):] + labels[: i % len(labels)]
        for label in order:
            cmd, cwd, env = unpack(label)
            wall, out = run(cmd, env, cwd)
            wanted = expect[label] if isinstance(expect, dict) else expect
            if wanted not in out:
                raise RuntimeError(f"{label} did not print the session's key id: {out[:200]!r}")
            times[label].append(wall)
    for label in labels:
        cmd, cwd, env = unpack(label)
        rss[label] = max(peak_rss_kib(cmd, env, cwd) for _ in range(min(runs, 3)))
    base = statistics.median(times[labels[0]])
    return {
        label: {
            "median_ms": statistics.median(times[label]) * 1000,
            "ratio_to_first": statistics.median(times[label]) / base,
            "peak_rss_kib": rss[label],
            "runs": len(times[label]),
        }
        for label in labels
    }


def awsume_command(bench: Bench) -> list[str] | None:
    """awsume's Python half, `awsumepy P`: what the `awsume` shell function runs and then reads
    the credentials from (it prints them on one line). None when awsume is not installed."""
    exe = Path(bench.python).with_name("awsumepy")
    return [str(exe), "static"] if exe.exists() else None


def warm_process(bench: Bench, runs: int) -> dict:
    key = bench.session_key_id
    variants = {
        "stsvault export": ([bench.stsvault, "export", "--format", "json", "bench"], None),
        "botocore (boto3.Session)": (bench.py(
            "import boto3; c = boto3.Session(profile_name='static').get_credentials().get_frozen_credentials();"
            " print(c.access_key)"), None),
        "AWS CLI (aws configure list)": ([str(Path(bench.python).with_name("aws")), "configure", "list", "--profile", "static"], None),
    }
    awsume = awsume_command(bench)
    if awsume:
        variants["awsume (awsumepy)"] = (awsume, None)
    # The AWS CLI prints the key id masked (****************ABCD): match its last four characters.
    return compare(bench, variants, runs, key[-4:])


def python_process(bench: Bench, runs: int) -> dict:
    variants = {
        "Python: stsvault binding": (bench.py(
            "import stsvault; print(stsvault.credentials('bench').access_key_id)"), None),
        "Python: credential_process": (bench.py(
            "import boto3; print(boto3.Session(profile_name='proc').get_credentials().get_frozen_credentials().access_key)"), None),
        "Python: static profile": (bench.py(
            "import boto3; print(boto3.Session(profile_name='static').get_credentials().get_frozen_credentials().access_key)"), None),
    }
    return compare(bench, variants, runs, bench.session_key_id)


def node_process(bench: Bench, runs: int) -> dict:
    cwd = REPO / "bindings-node"
    providers = "require('@aws-sdk/credential-providers')"
    variants = {
        "Node: fromVault": (bench.node(
            "require('./index.js').fromVault({ profile: 'bench' })().then((c) => console.log(c.accessKeyId))"), cwd),
        "Node: fromIni (static)": (bench.node(
            f"{providers}.fromIni({{ profile: 'static' }})().then((c) => console.log(c.accessKeyId))"), cwd),
        "Node: fromProcess": (bench.node(
            f"{providers}.fromProcess({{ profile: 'proc' }})().then((c) => console.log(c.accessKeyId))"), cwd),
    }
    return compare(bench, variants, runs, bench.session_key_id)


def role_process(bench: Bench, runs: int) -> dict:
    """A role assumed with a cached MFA session, in a fresh process each run.

    `roleprod` assumes a role with `rolebase`'s MFA session (issue 19's `prod` on
    `sls-administrator`); `rolerenew` is the same role with AWS_MIN_TTL=2h, so each run renews
    the one-hour role session with the (eight-hour, chained) MFA session: one AssumeRole per
    run, as stsvault did before it cached role sessions and as aws-vault does. `botorole`
    assumes the same role with the same MFA session (`rolestatic` in ~/.aws/credentials)
    through botocore's assume-role provider: in boto3 with a JSONFileCache, and in the AWS CLI,
    both on ~/.aws/cli/cache. Every cache is warmed first; the only AssumeRole calls during the
    timed runs must be the renewing variant's."""
    user = bench.emulator.setup_user("rolebench", role="rolebench-admin")
    serial, role = user["mfa_serial"], user["role_arn"]
    bench.add_profile("rolebase", f"mfa_serial = {serial}\nregion = us-east-1\n")
    for name in ("roleprod", "rolerenew"):
        bench.add_profile(name, f"source_profile = rolebase\nrole_arn = {role}\nmfa_serial = {serial}\nregion = us-east-1\n")
    bench.add_keys("rolebase", user)
    code = code_at(user["seed"], time.time())
    # The role first: its chained MFA session (8 h) is cached under rolebase's key.
    _, out = run([bench.stsvault, "export", "--format", "json", "--mfa-token", code, "roleprod"], bench.env)
    role_key = json.loads(out)["AccessKeyId"]
    _, out = run([bench.stsvault, "export", "--format", "json", "rolebase"], bench.env)
    session = json.loads(out)
    with open(bench.home / ".aws" / "credentials", "a") as f:
        f.write(
            "[rolestatic]\n"
            f"aws_access_key_id = {session['AccessKeyId']}\n"
            f"aws_secret_access_key = {session['SecretAccessKey']}\n"
            f"aws_session_token = {session['SessionToken']}\n"
        )
    bench.add_profile("botorole", f"source_profile = rolestatic\nrole_arn = {role}\nregion = us-east-1\n")
    boto = bench.py(
        "import os, boto3; from botocore.credentials import JSONFileCache; s = boto3.Session(profile_name='botorole');"
        " s._session.get_component('credential_provider').get_provider('assume-role').cache ="
        " JSONFileCache(os.path.expanduser('~/.aws/cli/cache'));"
        " print(s.get_credentials().get_frozen_credentials().access_key)")
    _, out = run(boto, bench.env)
    boto_key = out.strip()
    cli = [str(Path(bench.python).with_name("aws")), "configure", "list", "--profile", "botorole"]
    if boto_key[-4:] not in run(cli, bench.env)[1]:
        raise RuntimeError("the AWS CLI did not use the role session boto3 cached in ~/.aws/cli/cache")
    run([bench.stsvault, "export", "--format", "json", "rolerenew"], bench.env)
    before = len(bench.emulator.calls(service="sts", action="AssumeRole"))
    variants = {
        "stsvault exec (warm role)": ([bench.stsvault, "exec", "roleprod", "--", "printenv", "AWS_ACCESS_KEY_ID"], None),
        "stsvault export (warm role)": ([bench.stsvault, "export", "--format", "json", "roleprod"], None),
        "stsvault exec, AssumeRole every run (as before)": (
            [bench.stsvault, "exec", "rolerenew", "--", "printenv", "AWS_ACCESS_KEY_ID"], None, {"AWS_MIN_TTL": "2h"}),
        "botocore (assume-role, warm JSONFileCache)": (boto, None),
        "AWS CLI (assume-role, warm cli/cache)": (cli, None),
    }
    expect = {label: role_key for label in variants}
    expect["stsvault exec, AssumeRole every run (as before)"] = "ASIA"
    expect["botocore (assume-role, warm JSONFileCache)"] = boto_key
    expect["AWS CLI (assume-role, warm cli/cache)"] = boto_key[-4:]
    results = compare(bench, variants, runs, expect)
    assumed = len(bench.emulator.calls(service="sts", action="AssumeRole")) - before
    renewing = runs + min(runs, 3)
    if assumed != renewing:
        raise RuntimeError(f"{assumed} AssumeRole calls during the role comparison; only the {renewing} renewing runs should call it")
    return results


def import_times(bench: Bench, runs: int) -> dict:
    """What `import M` costs a fresh interpreter, from `python -X importtime` (the module's own
    cumulative line, so the interpreter's start-up is left out): stsvault, which a boto3 script
    pays before anything else, next to boto3 itself."""
    results = {}
    for module in ("stsvault", "boto3"):
        times = []
        for _ in range(max(runs, 5)):
            out = subprocess.run([bench.python, "-X", "importtime", "-c", f"import {module}"],
                                 env=bench.env, capture_output=True, text=True, check=True)
            # "import time: self [us] | cumulative | name"; the top-level line has no indent.
            lines = [l for l in out.stderr.splitlines() if l.rstrip().endswith(f"| {module}")]
            if not lines:
                raise RuntimeError(f"python -X importtime printed no line for {module}: {out.stderr[-300:]!r}")
            times.append(int(lines[-1].split("|")[1]) / 1000)
        results[f"import {module}"] = {"median_ms": statistics.median(times), "runs": len(times)}
    return results


def concurrent_cold(bench: Bench, sizes: list[int]) -> dict:
    """N processes at once, each needing the same not-yet-cached MFA session."""
    results = {}
    for n in sizes:
        user = bench.emulator.setup_user(f"cold{n}")
        profile = f"cold{n}"
        counter = bench.workdir / f"prompts-{n}.log"
        script = bench.workdir / f"mfa-{n}.sh"
        script.write_text(
            "#!/bin/sh\n"
            f"echo asked >> '{counter}'\n"
            f"exec '{bench.python}' -m stsvault_emulator totp --seed '{user['seed']}'\n"
        )
        script.chmod(0o700)
        bench.add_profile(profile, f"mfa_serial = {user['mfa_serial']}\nmfa_process = {script}\nregion = us-east-1\n")
        bench.add_keys(profile, user)
        start = time.perf_counter()
        procs = [
            subprocess.Popen([bench.stsvault, "export", "--format", "json", profile], env=bench.env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            for _ in range(n)
        ]
        outs = [json.loads(p.communicate()[0]) for p in procs]
        wall = time.perf_counter() - start
        if any(p.returncode != 0 for p in procs) or len({o["AccessKeyId"] for o in outs}) != 1:
            raise RuntimeError(f"N={n}: not every process got the one session")
        sts_calls = bench.emulator.calls(service="sts", action="GetSessionToken", access_key_id=user["access_key_id"])
        results[str(n)] = {
            "wall_ms": wall * 1000,
            "mfa_prompts": len(counter.read_text().splitlines()),
            "sts_calls": len(sts_calls),
        }
    return results


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}"


GROUPS = ("warm", "python", "node", "role")


def table(results: dict) -> str:
    partial = results.get("partial", {})
    note = "".join(f" The {g} rows: measured {p['date']}, {p['runs']} runs per variant." for g, p in partial.items())
    lines = [
        f"Measured {results['date']} on {results['machine']}; {results['runs']} runs per variant, "
        f"alternating; wall time of a whole process, median.{note}",
        "",
        "| comparison | variant | median | ratio | peak RSS |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for group in (g for g in GROUPS if g in results):
        first = next(iter(results[group]))
        for label, r in results[group].items():
            ratio = "1×" if label == first else f"{r['ratio_to_first']:.1f}×"
            lines.append(f"| {group} | {label} | {r['median_ms']:.1f} ms | {ratio} | {r['peak_rss_kib'] / 1024:.1f} MiB |")
    if "imports" in results:
        lines += ["", "| Python import (`-X importtime`, cumulative) | median |", "| --- | ---: |"]
        for label, r in results["imports"].items():
            lines.append(f"| `{label}` | {r['median_ms']:.1f} ms |")
    if "concurrent" in results:
        lines += ["", "| N cold processes at once | MFA prompts | GetSessionToken calls | wall time |", "| ---: | ---: | ---: | ---: |"]
    for n, r in results.get("concurrent", {}).items():
        lines.append(f"| {n} | {r['mfa_prompts']} | {r['sts_calls']} | {r['wall_ms']:.0f} ms |")
    return "\n".join(lines)


def write_readme(results: dict) -> None:
    text = README.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{START}\n{table(results)}\n{END}{tail}")


def plot(results: dict) -> None:
    """benches/results.png: every variant's median, and stsvault's cold runs (no cached session:
    a GetSessionToken with MFA) for N = 1, 8, 32 processes at once. The other tools keep no
    session between processes, so each of their runs is the same as their first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    colours = {"ours": "#2a7", "cold": "#e83", "theirs": "#999"}

    def kind(label: str) -> str:
        if "every run" in label:
            return "cold"
        return "ours" if "stsvault" in label or "fromVault" in label else "theirs"

    rows = [(label, r["median_ms"], kind(label)) for g in GROUPS if g in results for label, r in results[g].items()]
    cold = [(f"stsvault export, cold, {n} at once", r["wall_ms"], "cold") for n, r in results.get("concurrent", {}).items()]
    rows = rows[:1] + cold + rows[1:]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.8))
    ax.barh([label for label, _, _ in rows][::-1], [ms for _, ms, _ in rows][::-1],
            color=[colours[kind] for _, _, kind in rows][::-1])
    ax.set_xscale("log")
    ax.set_xlabel("median wall time of a fresh process (ms, log scale); cold: until all N have credentials")
    later = "".join(f", {g} rows {p['date']}" for g, p in results.get("partial", {}).items())
    ax.set_title(f"Credentials in a fresh process — {results['date']}{later}")
    ax.legend(handles=[Patch(color=colours["ours"], label="stsvault, warm (cached session)"),
                       Patch(color=colours["cold"], label="stsvault, cold (an STS call)"),
                       Patch(color=colours["theirs"], label="other tools")],
              loc="upper center", bbox_to_anchor=(0.4, -0.09), ncol=3, fontsize="small", frameon=False)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="one iteration of everything")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--stsvault", default=str(Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "stsvault"))
    parser.add_argument("--python", default=sys.executable, help="the Python with boto3, awscli and the stsvault wheel")
    parser.add_argument("--only", default=",".join((*GROUPS, "imports", "concurrent")),
                        help="comma-separated groups to run: warm, python, node, role, imports, concurrent")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs
    groups = [g for g in args.only.split(",") if g]
    benches = {
        "warm": warm_process, "python": python_process, "node": node_process, "role": role_process,
        "imports": import_times,
        "concurrent": lambda bench, _: concurrent_cold(bench, [1, 8, 32]),
    }
    if unknown := [g for g in groups if g not in benches]:
        parser.error(f"unknown group(s): {', '.join(unknown)}")
    today = datetime.date.today().isoformat()
    with tempfile.TemporaryDirectory(prefix="stsvault-bench-") as tmp:
        workdir = Path(tmp)
        emulator = Emulator.start(workdir / "emulator")
        try:
            bench = Bench(workdir, emulator, args.stsvault, args.python)
            bench.setup()
            measured = {g: benches[g](bench, runs) for g in groups}
        finally:
            emulator.stop()
    results_file = REPO / "benches" / "results.json"
    if set(groups) >= {*GROUPS, "imports", "concurrent"} or not results_file.exists():
        results = {"date": today, "machine": machine(), "runs": runs, "stsvault": args.stsvault, **measured}
    else:
        # Some groups only: they replace theirs among the last full run's results.
        results = json.loads(results_file.read_text())
        results.update(measured)
        results.setdefault("partial", {}).update({g: {"date": today, "runs": runs} for g in groups})
    print(table(results))
    for n, r in results.get("concurrent", {}).items():
        if r["mfa_prompts"] != 1 or r["sts_calls"] != 1:
            print(f"FAIL: {n} cold processes made {r['mfa_prompts']} prompts and {r['sts_calls']} STS calls", file=sys.stderr)
            return 1
    if args.write_readme:
        results_file.write_text(json.dumps(results, indent=2) + "\n")
        write_readme(results)
        plot(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
