"""Check MFA one-time codes the way STS does, which moto does not.

The seed of a virtual MFA device is read from moto's IAM backend in this very process. A code
is accepted within one 30-second step either side (pyotp's ``valid_window=1``) and only once per
device: a code that already opened a session is refused, as AWS refuses it.
"""

from __future__ import annotations

import threading
import time

import pyotp

from .moto_state import find_device

# STS's own messages (AccessDenied, HTTP 403), spelled as AWS spells them.
MSG_INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
MSG_UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)
MSG_MISSING = (
    "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."
)


class MfaRejected(Exception):
    """The call must fail with STS AccessDenied and this message."""


class MfaChecker:
    """Validates (serial, code) pairs and remembers which time steps each device has used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[str, set[int]] = {}

    def check(self, serial: str | None, code: str | None, caller_user: str | None) -> None:
        """Return if the code is good (and mark it used); raise MfaRejected otherwise.

        ``caller_user`` is the IAM user name behind the signing key, when the emulator knows it;
        a device that belongs to somebody else is refused like an unknown one.
        """
        if not serial or not code:
            raise MfaRejected(MSG_MISSING)
        device = find_device(serial)
        if device is None or device.user_name is None:
            raise MfaRejected(MSG_UNKNOWN_DEVICE)
        if caller_user is not None and caller_user != device.user_name:
            raise MfaRejected(MSG_UNKNOWN_DEVICE)
        step = matching_step(device.seed, code)
        with self._lock:
            used = self._used.setdefault(serial, set())
            if step is None or step in used:
                raise MfaRejected(MSG_INVALID_CODE)
            used.add(step)


def matching_step(seed: str, code: str, now: float | None = None) -> int | None:
    """The 30-second time step whose code is ``code`` (now, or one step either side)."""
    totp = pyotp.TOTP(seed)
    now = time.time() if now is None else now
    current = totp.timecode(now)
    for delta in (0, -1, 1):
        if pyotp.utils.strings_equal(totp.generate_otp(current + delta), code.strip()):
            return current + delta
    return None


def code_at(seed: str, when: float) -> str:
    return pyotp.TOTP(seed).at(int(when))


def current_code(seed: str) -> str:
    """The current code, taken early enough in its 30-second step that it stays valid while a
    test sends it (waits for the next step when fewer than 3 seconds are left)."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.1)
    return code_at(seed, time.time())
