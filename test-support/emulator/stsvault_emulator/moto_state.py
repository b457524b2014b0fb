"""Read moto's IAM state in this very process: MFA devices, key owners, role trust policies.

moto runs in the emulator's own process, so the guard asks its backends directly instead of
calling IAM over HTTP. Every lookup walks all accounts, as keys and serials are unique anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import unquote


@dataclass
class Device:
    serial: str
    seed: str  # base32, as moto keeps it (IAM's XML carries it base64-encoded)
    user_name: str | None  # None while the device is not enabled for a user


def _backends() -> Iterator[Any]:
    from moto.iam.models import iam_backends  # moto is heavy: import when first needed

    for _account, partitions in list(iam_backends.items()):
        yield from list(partitions.values())


def find_device(serial: str) -> Device | None:
    for backend in _backends():
        device = backend.virtual_mfa_devices.get(serial)
        if device is not None:
            user = getattr(device, "user", None)
            return Device(serial, device.base32_string_seed, getattr(user, "name", None))
    return None


def user_for_key(access_key_id: str | None) -> tuple[str, str] | None:
    """(user name, user ARN) owning ``access_key_id``, or None (role key, unknown key)."""
    if not access_key_id:
        return None
    for backend in _backends():
        user = backend.get_user_from_access_key_id(access_key_id)
        if user is not None:
            return user.name, user.arn
    return None


def role_requires_mfa(role_arn: str | None) -> bool:
    """True if the role's trust policy has a condition on ``aws:MultiFactorAuthPresent``."""
    if not role_arn:
        return False
    for backend in _backends():
        for role in list(backend.roles.values()):
            if role.arn == role_arn:
                doc = role.assume_role_policy_document
                text = doc if isinstance(doc, str) else json.dumps(doc)
                return "multifactorauthpresent" in unquote(text).lower()
    return False


def role_exists(role_arn: str) -> bool:
    return any(role.arn == role_arn for backend in _backends() for role in list(backend.roles.values()))


def assume_role(role_arn: str, session_name: str, duration: int) -> Any:
    """Assume ``role_arn`` inside moto (as IAM Identity Center does for a permission set), so
    GetCallerIdentity with the returned keys answers as the role's session."""
    from moto.sts.models import sts_backends

    account_id = role_arn.split(":")[4]
    backend = sts_backends[account_id]["global"]
    return backend.assume_role(
        region_name="us-east-1",
        role_session_name=session_name,
        role_arn=role_arn,
        policy=None,
        duration=duration,
        external_id=None,
    )
