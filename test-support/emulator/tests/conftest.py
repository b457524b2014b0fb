"""Fixtures: one emulator per test module, a fresh IAM user (own MFA device) per test."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stsvault_emulator.testing import Emulator  # noqa: E402

_user_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    emu = Emulator.start(tmp_path_factory.mktemp("emulator"))
    yield emu
    assert emu.stop() == 0


@pytest.fixture
def user(emulator):
    return emulator.setup_user(f"user{next(_user_numbers)}", role=f"role{next(_user_numbers)}")
