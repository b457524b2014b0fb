"""Fixtures for the binding's suite: the shared emulator and user fixtures of
test-support/emulator, and a sandbox — an empty HOME with an AWS
config file and a file vault, the environment pointing only at them and at the emulator."""

from __future__ import annotations

import itertools
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "test-support" / "emulator"))

from stsvault_emulator.mfa import code_at, current_code, matching_step  # noqa: E402
from stsvault_emulator.testing import Emulator, child_env, sandbox_env  # noqa: E402

import stsvault  # noqa: E402

pytest_plugins = ["stsvault_emulator.pytest_plugin"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # The suite tests the installed wheel, never the source tree.
    assert "site-packages" in stsvault.__file__, f"stsvault imported from {stsvault.__file__}"


def wrong_code(seed: str) -> str:
    """A six-digit code that matches no step the emulator accepts now."""
    for n in itertools.count(1):
        candidate = f"{(int(code_at(seed, time.time())) + n * 7919) % 1_000_000:06d}"
        if matching_step(seed, candidate) is None:
            return candidate
    raise AssertionError("unreachable")


@dataclass
class Sandbox:
    home: Path
    emulator: Emulator
    passphrase: str = "correct horse battery staple"

    @property
    def config_path(self) -> Path:
        return self.home / ".aws" / "config"

    def write_config(self, text: str) -> None:
        self.config_path.write_text(text)

    def env(self) -> dict[str, str]:
        """The environment a child process of the test gets."""
        return child_env()


@pytest.fixture
def sandbox(tmp_path, monkeypatch, emulator) -> Sandbox:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("")
    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    box = Sandbox(home, emulator)
    for name, value in sandbox_env(home, emulator.endpoint, box.passphrase).items():
        monkeypatch.setenv(name, value)
    box.write_config("")
    return box


@pytest.fixture
def mfa_profile(sandbox, user) -> str:
    """Profile ``deployer``: the user's keys in the vault, its MFA device, no mfa_process."""
    sandbox.write_config(
        f"[profile deployer]\nmfa_serial = {user['mfa_serial']}\nregion = eu-west-1\n"
    )
    stsvault.Vault().add("deployer", user["access_key_id"], user["secret_access_key"])
    return "deployer"


class CountingPrompt:
    """An ``mfa_prompt`` that answers with the current code and counts how often it is asked."""

    def __init__(self, seed: str, delay: float = 0.0) -> None:
        self.seed, self.delay, self.asked = seed, delay, []

    def __call__(self, serial: str, profile: str) -> str:
        self.asked.append((serial, profile))
        time.sleep(self.delay)
        return current_code(self.seed)
