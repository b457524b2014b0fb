"""Pytest fixtures every Python suite shares (``pytest_plugins = ["stsvault_emulator.pytest_plugin"]``):
one emulator per test module, stopped cleanly after it, and a fresh IAM user with its own
virtual MFA device and an MFA-guarded role per test."""

from __future__ import annotations

import itertools

import pytest

from .testing import Emulator

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    emu = Emulator.start(tmp_path_factory.mktemp("emulator"))
    yield emu
    assert emu.stop() == 0


@pytest.fixture
def user(emulator):
    n = next(_numbers)
    return emulator.setup_user(f"user{n}", role=f"role{n}")
