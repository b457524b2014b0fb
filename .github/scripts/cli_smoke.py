"""Smoke test of a released `stsvault` binary on the machine it was built for.

    python .github/scripts/cli_smoke.py PATH/TO/stsvault[.exe]

Run with a Python that has test-support/requirements.txt installed. It starts the repository's
AWS emulator (moto behind the TOTP-checking guard, test-support/emulator) on 127.0.0.1, creates
an IAM user with a virtual MFA device there, and drives the binary through aws-vault's story
with the encrypted-file backend, in a throwaway home:

  add (keys from the environment), list, export with an MFA code (one GetSessionToken),
  export again from the cached session (no STS call), exec (the command signs with the
  session, never the master key), a wrong passphrase refused, clear, remove --force.

It checks the vault files never hold the master secret in clear. It is written in Python, not in
the Rust test-support crate, because it runs against the release build itself, with no Rust
toolchain on the runner. Exits non-zero, saying why, on the first failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "test-support" / "emulator"
PROFILE = "smoke"
PASSPHRASE = "release smoke passphrase"


def fail(message: str) -> None:
    sys.exit(f"cli_smoke: FAILED: {message}")


def check(ok: bool, message: str) -> None:
    if not ok:
        fail(message)


def emulator_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(EMULATOR)
    return env


def emulator_tool(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "stsvault_emulator", *args],
        env=emulator_env(), capture_output=True, text=True, check=False,
    )
    check(out.returncode == 0, f"emulator {args[0]}: {out.stderr.strip()}")
    return out.stdout


class World:
    """The emulator, a user in it, and a home with a config and a file vault."""

    def __init__(self, work: Path, binary: Path) -> None:
        self.binary = binary
        self.log = work / "calls.jsonl"
        ready = work / "ready.json"
        # Stopped in close(); --parent-pid makes it go by itself too, should this script die
        # first or terminate() end only a Windows venv's python.exe launcher, not its child.
        self.server = subprocess.Popen(
            [sys.executable, "-m", "stsvault_emulator", "serve", "--port", "0",
             "--log", str(self.log), "--ready-file", str(ready), "--parent-pid", str(os.getpid())],
            env=emulator_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while not ready.exists():
            check(self.server.poll() is None, "the emulator exited before it was ready")
            check(time.monotonic() < deadline, "the emulator did not start within 120 s")
            time.sleep(0.2)
        self.endpoint = json.loads(ready.read_text())["endpoint"]
        self.user = json.loads(emulator_tool("setup-user", "--endpoint", self.endpoint,
                                             "--user", PROFILE))

        home = work / "home"
        (home / ".aws").mkdir(parents=True)
        self.config = home / ".aws" / "config"
        self.config.write_text(
            f"[profile {PROFILE}]\nmfa_serial = {self.user['mfa_serial']}\nregion = eu-west-1\n"
        )
        self.vault = home / ".awsvault" / "keys"
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STSVAULT_"))
        }
        self.env.update({
            "HOME": str(home),
            "USERPROFILE": str(home),
            "AWS_CONFIG_FILE": str(self.config),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
            "AWS_VAULT_BACKEND": "file",
            "AWS_VAULT_FILE_DIR": str(self.vault),
            "AWS_VAULT_FILE_PASSPHRASE": PASSPHRASE,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "STSVAULT_LOCK_DIR": str(work / "locks"),
        })

    def close(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()

    def run(self, *args: str, ok: bool = True, **extra_env: str) -> subprocess.CompletedProcess:
        env = dict(self.env, **extra_env)
        out = subprocess.run(
            [str(self.binary), *args], env=env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120, check=False,
        )
        shown = f"stsvault {' '.join(args)}: exit {out.returncode}\nstdout: {out.stdout}\nstderr: {out.stderr}"
        if ok:
            check(out.returncode == 0, shown)
        else:
            check(out.returncode != 0, "should have failed: " + shown)
            check("panicked" not in out.stderr, "a panic: " + shown)
        return out

    def calls(self, action: str) -> list[dict]:
        lines = self.log.read_text(encoding="utf-8").splitlines()
        calls = [json.loads(line) for line in lines if line.strip()]
        return [c for c in calls if c.get("service") == "sts" and c.get("action") == action]


def story(w: World) -> None:
    version = w.run("--version").stdout.strip()
    check(version.startswith("stsvault "), f"--version printed {version!r}")
    print(f"cli_smoke: {version} at {w.endpoint}")

    master_key = w.user["access_key_id"]
    master_secret = w.user["secret_access_key"]
    w.run("add", PROFILE, "--env",
          AWS_ACCESS_KEY_ID=master_key, AWS_SECRET_ACCESS_KEY=master_secret)
    check(w.run("list", "--credentials").stdout.split() == [PROFILE], "list --credentials")
    vault_files = [p for p in w.vault.rglob("*") if p.is_file()]
    check(bool(vault_files), f"no vault file under {w.vault}")
    for path in vault_files:
        check(master_secret.encode() not in path.read_bytes(), f"{path} holds the secret in clear")

    code = emulator_tool("totp", "--seed", w.user["seed"]).strip()
    first = json.loads(w.run("export", "--format", "json", "--mfa-token", code, PROFILE).stdout)
    check(first.get("Version") == 1, f"credential_process JSON: {first}")
    check(first["AccessKeyId"] != master_key, "export printed the master key, not a session")
    check(bool(first.get("SessionToken")), "no session token")
    expires = datetime.fromisoformat(first["Expiration"].replace("Z", "+00:00"))
    check(expires > datetime.now(timezone.utc), f"expired session: {first['Expiration']}")
    gst = w.calls("GetSessionToken")
    check(len(gst) == 1, f"{len(gst)} GetSessionToken calls, expected 1")
    check(gst[0]["params"].get("SerialNumber") == w.user["mfa_serial"], "MFA serial not sent")
    check(gst[0]["issued_access_key_id"] == first["AccessKeyId"], "not the issued session")

    again = json.loads(w.run("export", "--format", "json", PROFILE).stdout)
    check(again["AccessKeyId"] == first["AccessKeyId"], "the cached session was not reused")
    check(len(w.calls("GetSessionToken")) == 1, "a second GetSessionToken for a cached session")
    check(w.run("list", "--sessions").stdout.strip() != "", "list --sessions shows no session")

    whoami = ("import boto3, json, os; "
              "print(json.dumps([os.environ['AWS_ACCESS_KEY_ID'], "
              "boto3.client('sts').get_caller_identity()['Arn']]))")
    out = w.run("exec", PROFILE, "--", sys.executable, "-c", whoami).stdout
    key, arn = json.loads(out.strip().splitlines()[-1])
    check(key == first["AccessKeyId"], f"exec gave the command {key}, not the session")
    check(arn.endswith(f":user/{PROFILE}"), f"caller identity {arn}")
    ident = w.calls("GetCallerIdentity")
    check(len(ident) == 1 and ident[0]["access_key_id"] == key,
          "GetCallerIdentity was not signed by the session")

    w.run("clear", PROFILE)
    check(w.run("list", "--sessions").stdout.strip() == "", "clear left a session")
    wrong = w.run("export", "--format", "json", "--mfa-token", code, PROFILE, ok=False,
                  AWS_VAULT_FILE_PASSPHRASE="not the passphrase")
    check(master_secret not in wrong.stdout + wrong.stderr, "an error message shows the secret")
    check(len(w.calls("GetSessionToken")) == 1, "STS was called with a wrong passphrase")

    w.run("remove", "--force", PROFILE)
    check(w.run("list", "--credentials").stdout.strip() == "", "remove left the keys")


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = Path(sys.argv[1]).resolve()
    check(binary.is_file(), f"no binary at {binary}")
    with tempfile.TemporaryDirectory(prefix="stsvault-smoke-", ignore_cleanup_errors=True) as tmp:
        world = World(Path(tmp), binary)
        try:
            story(world)
        finally:
            world.close()
    print("cli_smoke: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
