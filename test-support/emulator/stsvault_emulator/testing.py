"""Start and stop the emulator from Python test suites (pytest fixtures wrap this).

    with Emulator.start(tmp_path) as emu:
        user = emu.setup_user("sls-administrator")
        ... boto3 clients with endpoint_url=emu.endpoint ...
        assert emu.calls(service="sts", action="GetSessionToken") == [...]

The emulator runs as a child process (``python -m stsvault_emulator serve``) watching this
process's pid, so it goes away even if the test run is killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from . import processes

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the folder holding stsvault_emulator/


def child_env() -> dict[str, str]:
    """os.environ plus PYTHONPATH pointing at this package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    return env


def sandbox_env(home: Path, endpoint: str, passphrase: str) -> dict[str, str]:
    """The variables that point stsvault, botocore and the AWS SDKs at a scratch HOME (its AWS
    files and a file vault) and at the emulator, and nowhere else."""
    return {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_VAULT_BACKEND": "file",
        "AWS_VAULT_FILE_DIR": str(home / ".awsvault" / "keys"),
        "AWS_VAULT_FILE_PASSPHRASE": passphrase,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "stsvault_emulator", *args]


def wait_for_ready_file(path: Path, proc: subprocess.Popen | None, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"emulator exited with {proc.returncode} before it was ready")
        time.sleep(0.05)
    raise TimeoutError(f"emulator not ready after {timeout}s")


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs (on Unix a zombie counts as gone)."""
    return processes.alive(pid)


class Emulator:
    def __init__(self, proc: subprocess.Popen, endpoint: str, log_path: Path, ready_file: Path):
        self.proc = proc
        self.endpoint = endpoint
        self.log_path = log_path
        self.ready_file = ready_file

    @classmethod
    def start(cls, workdir: Path, parent_pid: int | None = None) -> "Emulator":
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        log_path, ready_file = workdir / "emulator-calls.jsonl", workdir / "emulator-ready.json"
        args = ["serve", "--port", "0", "--log", str(log_path), "--ready-file", str(ready_file)]
        args += ["--parent-pid", str(parent_pid or os.getpid())]
        stderr = open(workdir / "emulator-stderr.log", "ab")
        proc = subprocess.Popen(command(*args), env=child_env(), stderr=stderr, stdin=subprocess.DEVNULL)
        stderr.close()
        try:
            ready = wait_for_ready_file(ready_file, proc)
        except Exception:
            proc.kill()
            proc.wait()
            raise
        return cls(proc, ready["endpoint"], log_path, ready_file)

    def setup_user(self, user: str, role: str | None = None, account_id: str | None = None) -> dict[str, Any]:
        args = ["setup-user", "--endpoint", self.endpoint, "--user", user]
        if role:
            args += ["--role", role]
        if account_id:
            args += ["--account-id", account_id]
        out = subprocess.run(command(*args), env=child_env(), check=True, capture_output=True, text=True)
        return json.loads(out.stdout)

    def inject_fault(self, action: str, code: str, message: str = "", status: int = 400, count: int = 1) -> None:
        """The next ``count`` calls of ``action`` fail with STS error ``code``."""
        body = json.dumps(
            {"action": action, "code": code, "message": message or code, "status": status, "count": count}
        ).encode()
        req = urllib.request.Request(self.endpoint + "/_stsvault/faults", data=body, method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 204

    def calls(self, **match: Any) -> list[dict[str, Any]]:
        """Logged calls whose fields equal every ``match`` item (all of them when none)."""
        if not self.log_path.exists():
            return []
        with open(self.log_path, encoding="utf-8") as f:
            entries = [json.loads(line) for line in f if line.strip()]
        return [e for e in entries if all(e.get(k) == v for k, v in match.items())]

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
