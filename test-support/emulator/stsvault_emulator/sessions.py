"""Session credentials minted by the guard, and the IAM user key each one stands for.

moto answers every GetSessionToken (and GetFederationToken) with the same fixed AccessKeyId, so the guard swaps in a fresh
``ASIA…`` key id, secret and token per session and remembers which user key asked for it. A
request later signed with that session key is passed to moto as if signed by the user's key, so
moto answers as that user (it never verifies signatures, it only reads the key id).

It also remembers which temporary keys were obtained with MFA, so that a role whose trust policy
asks for ``aws:MultiFactorAuthPresent`` can be assumed with them and not without.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import threading
from dataclasses import dataclass

_KEY_CHARS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Session:
    access_key_id: str
    secret_access_key: str
    session_token: str
    user_access_key_id: str | None  # the IAM user key that signed GetSessionToken
    kind: str = "session"  # "session" (GetSessionToken) or "federation" (GetFederationToken)


def new_session(user_access_key_id: str | None, kind: str = "session") -> Session:
    return Session(
        kind=kind,
        access_key_id="ASIA" + "".join(secrets.choice(_KEY_CHARS) for _ in range(16)),
        secret_access_key=base64.b64encode(secrets.token_bytes(30)).decode(),
        session_token="FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(180)).decode(),
        user_access_key_id=user_access_key_id,
    )


class SessionRegistry:
    """Minted sessions, and every temporary key id that was obtained with MFA."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._mfa_keys: set[str] = set()

    def mint(self, user_access_key_id: str | None, with_mfa: bool, kind: str = "session") -> Session:
        session = new_session(user_access_key_id, kind)
        with self._lock:
            self._sessions[session.access_key_id] = session
            if with_mfa:
                self._mfa_keys.add(session.access_key_id)
        return session

    def note_mfa(self, access_key_id: str) -> None:
        """Credentials issued with MFA (say, by AssumeRole) carry MFA on, as in AWS."""
        with self._lock:
            self._mfa_keys.add(access_key_id)

    def has_mfa(self, access_key_id: str | None) -> bool:
        with self._lock:
            return access_key_id in self._mfa_keys

    def get(self, access_key_id: str | None) -> Session | None:
        if access_key_id is None:
            return None
        with self._lock:
            return self._sessions.get(access_key_id)


def rewrite_credentials(xml: bytes, session: Session) -> bytes:
    """Put ``session``'s key id, secret and token into a GetSessionToken XML response."""
    text = xml.decode("utf-8")
    for tag, value in (
        ("AccessKeyId", session.access_key_id),
        ("SecretAccessKey", session.secret_access_key),
        ("SessionToken", session.session_token),
    ):
        text = re.sub(rf"<{tag}>[^<]*</{tag}>", f"<{tag}>{value}</{tag}>", text, count=1)
    return text.encode("utf-8")
