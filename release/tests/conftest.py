"""Fixtures for `make dist-check`: the release artifacts in dist/, installed the way a user
installs them, driven through the seed's story against the local AWS emulator.

The suite runs with no Rust toolchain or maturin on PATH and with the checkout's build
directories hidden (the Makefile runs it in a mount namespace with empty tmpfs mounts over them,
and names them in STSVAULT_HIDDEN_DIRS); the session start checks both. Every network call goes
to the emulator on 127.0.0.1, except the package installs (boto3 for the wheel's venv, the AWS
SDK and osls for the npm project), which come from the package registries as a user's would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "test-support" / "emulator"))
sys.path.insert(0, str(REPO / "release"))  # sizes.py: the size targets, one copy for make dist and these tests

from stsvault_emulator.testing import Emulator, sandbox_env  # noqa: E402

pytest_plugins = ["stsvault_emulator.pytest_plugin"]

DIST = Path(os.environ.get("DIST_DIR", REPO / "dist"))
PTY_ANSWER = REPO / "test-support" / "pty_answer.py"
#: The interpreter of the test venv: runs pty_answer.py, boto3 (for credential_process) and the
#: AWS CLI. The artifacts under test never come from it.
PY = Path(sys.executable)
VENV_BIN = PY.parent


def pytest_sessionstart(session: pytest.Session) -> None:
    for tool in ("cargo", "rustc", "maturin", "cargo-zigbuild"):
        found = shutil.which(tool)
        assert found is None, f"{tool} is on PATH ({found}): the artifacts must install without it"
    for hidden in filter(None, os.environ.get("STSVAULT_HIDDEN_DIRS", "").split(os.pathsep)):
        assert not any(Path(hidden).iterdir()), f"{hidden} is reachable: the build dirs must be hidden"
    assert os.environ.get("STSVAULT_HIDDEN_DIRS"), "run through `make dist-check`, which hides the build dirs"


def artifact(pattern: str) -> Path:
    """The one file in dist/ matching ``pattern``."""
    found = sorted(DIST.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {DIST}, found {[p.name for p in found]}"
    return found[0]


@dataclass
class Sandbox:
    """A user's scratch HOME: its own ~/.aws/config, a file vault, and the environment that
    points stsvault and every AWS SDK at it and at the emulator."""

    home: Path
    emulator: Emulator
    user: dict
    passphrase: str = "release check passphrase"
    extra_env: dict = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        path = self.home / "bin"
        path.mkdir(exist_ok=True)
        return path

    def write_config(self, text: str) -> None:
        (self.home / ".aws").mkdir(exist_ok=True)
        (self.home / ".aws" / "config").write_text(text)

    def profile(self, name: str = "sls-administrator", extra: str = "") -> None:
        """The seed's profile: an IAM user's keys with its MFA device."""
        self.write_config(f"[profile {name}]\nmfa_serial = {self.user['mfa_serial']}\nregion = us-east-1\n{extra}")

    def env(self, **more: str) -> dict[str, str]:
        keep = ("LANG", "LC_ALL", "TERM", "TMPDIR", "USER", "LOGNAME", "SHELL")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env["PATH"] = os.pathsep.join([str(self.bin), os.environ["PATH"]])
        env.update(sandbox_env(self.home, self.emulator.endpoint, self.passphrase))
        env.update(self.extra_env)
        env.update(more)
        return env

    def run(self, *args: str | Path, env: dict | None = None, check: bool = True, **kw) -> subprocess.CompletedProcess:
        out = subprocess.run(
            [str(a) for a in args], env=env or self.env(), capture_output=True, text=True, timeout=600, **kw
        )
        if check:
            assert out.returncode == 0, f"{args} exited {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out

    def in_terminal(self, *args: str | Path, answers: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
        """Runs a command in a pseudo-terminal, typing each answer (pty_answer.py's REGEX=SOURCE)
        at its prompt, with the MFA seed and the secrets reaching it through the environment."""
        env = dict(env or self.env())
        env.update(
            CHECK_KEY_ID=self.user["access_key_id"],
            CHECK_SECRET=self.user["secret_access_key"],
            CHECK_SEED=self.user["seed"],
            CHECK_PASSPHRASE=self.passphrase,
        )
        cmd = [str(PY), str(PTY_ANSWER), "--timeout", "300"]
        for answer in answers:
            cmd += ["--answer", answer]
        return self.run(*cmd, "--", *args, env=env)

    def add_keys_with_cli(self, profile: str = "sls-administrator") -> None:
        """Stores the user's keys with the released static binary (`stsvault add --env`), as a
        Node user who has no vault API in the binding does."""
        cli = self.bin / "stsvault"
        if not cli.exists():
            shutil.copy(artifact("stsvault-x86_64-unknown-linux-musl"), cli)
            cli.chmod(0o755)
        env = self.env(AWS_ACCESS_KEY_ID=self.user["access_key_id"], AWS_SECRET_ACCESS_KEY=self.user["secret_access_key"])
        self.run(cli, "add", "--env", profile, env=env, stdin=subprocess.DEVNULL)

    def signers(self, since: int, action: str) -> list[dict]:
        """The emulator's logged calls of ``action`` after the first ``since`` calls."""
        return [c for c in self.emulator.calls()[since:] if c.get("action") == action]


ADD_ANSWERS = [
    "Access Key ID: =env:CHECK_KEY_ID",
    "Secret Access Key: =hidden-env:CHECK_SECRET",
    "passphrase to unlock[^\\n]*: =hidden-env:CHECK_PASSPHRASE",
]
MFA_ANSWER = "Enter MFA code for[^\\n]*: =totp:CHECK_SEED"


@pytest.fixture
def sandbox(tmp_path: Path, emulator: Emulator, user: dict) -> Sandbox:
    home = tmp_path / "home"
    home.mkdir()
    return Sandbox(home=home, emulator=emulator, user=user)
