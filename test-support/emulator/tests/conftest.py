"""Fixtures: the shared ones (an emulator per module, a fresh IAM user per test)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

pytest_plugins = ["stsvault_emulator.pytest_plugin"]
