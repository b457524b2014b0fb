"""The console federation endpoint (``signin.aws.amazon.com/federation``) for ``login`` tests.

``GET /federation?Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}``
answers ``{"SigninToken": …}`` for a role or federated session, and 400 — as AWS does — for an
IAM user's own keys or a GetSessionToken session. ``Action=login`` with a token it issued
answers 200, like the console page a browser lands on.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any, Callable
from urllib.parse import parse_qs

PATH = "/federation"


class SigninEndpoint:
    def __init__(self, is_get_session_token_key: Callable[[str], bool]) -> None:
        self._is_gst = is_get_session_token_key
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def handle(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
        """(HTTP status, logged params, body)."""
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        action = query.get("Action")
        if action == "getSigninToken":
            try:
                session = json.loads(query.get("Session", ""))
            except json.JSONDecodeError:
                return 400, {}, "malformed Session\n"
            key_id = str(session.get("sessionId", ""))
            params = {"Action": action, "sessionId": key_id}
            usable = key_id.startswith("ASIA") and session.get("sessionToken") and not self._is_gst(key_id)
            if not usable:
                return 400, params, "invalid session\n"
            token = secrets.token_urlsafe(32)
            with self._lock:
                self._tokens.add(token)
            return 200, params, json.dumps({"SigninToken": token})
        if action == "login":
            with self._lock:
                known = query.get("SigninToken") in self._tokens
            params = {"Action": action, "Destination": query.get("Destination")}
            return (200, params, "signed in\n") if known else (400, params, "bad token\n")
        return 400, {"Action": action}, "unknown action\n"
