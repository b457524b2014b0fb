"""IAM Identity Center for tests: the SSO OIDC device flow and the SSO portal's role credentials.

moto has neither API, so the emulator answers them itself, in their restJson1 shapes:

- ``POST /client/register``           RegisterClient
- ``POST /device_authorization``      StartDeviceAuthorization
- ``POST /token``                     CreateToken (device-code grant; ``AuthorizationPendingException``
                                      until the user approves)
- ``GET  /federation/credentials``    GetRoleCredentials (bearer token in ``x-amz-sso_bearer_token``)

The user's side of the flow is ``GET /_stsvault/sso/device?user_code=…`` — the page a browser
opens. Requesting it approves the device (``&action=deny`` denies it), exactly as clicking "Allow"
would. Role credentials are real moto role sessions (the role must exist in IAM), so
GetCallerIdentity with them answers as ``assumed-role/ROLE/…``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from . import moto_state

DEVICE_PATH = "/_stsvault/sso/device"
TOKEN_LIFETIME = 8 * 3600
DEVICE_CODE_LIFETIME = 600
ROLE_CREDENTIALS_LIFETIME = 3600
POLL_INTERVAL = 1  # seconds; the real service says 1 too

# (method, path) -> (service, action) for the API calls this module answers.
ROUTES = {
    ("POST", "/client/register"): ("sso-oidc", "RegisterClient"),
    ("POST", "/device_authorization"): ("sso-oidc", "StartDeviceAuthorization"),
    ("POST", "/token"): ("sso-oidc", "CreateToken"),
    ("GET", "/federation/credentials"): ("sso", "GetRoleCredentials"),
}


class SsoError(Exception):
    """An error answer: HTTP status, error type (``x-amzn-ErrorType``) and message."""

    def __init__(self, status: int, error_type: str, message: str, oauth_error: str | None = None):
        super().__init__(message)
        self.status, self.error_type, self.message, self.oauth_error = status, error_type, message, oauth_error


@dataclass
class Device:
    client_id: str
    start_url: str
    user_code: str
    expires_at: float
    state: str = "pending"  # pending | approved | denied | used


@dataclass
class Portal:
    """The state of the fake Identity Center: clients, device codes, access tokens."""

    endpoint: str = ""
    clients: dict[str, str] = field(default_factory=dict)  # client id -> secret
    devices: dict[str, Device] = field(default_factory=dict)  # device code -> device
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (start url, expiry)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, method: str, path: str) -> tuple[str, str] | None:
        return ROUTES.get((method, path))

    def handle(self, action: str, environ: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """Answers one API call: (HTTP status, JSON body, parameters worth logging)."""
        if action == "GetRoleCredentials":
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            token = environ.get("HTTP_X_AMZ_SSO_BEARER_TOKEN", "")
            params = {"account_id": query.get("account_id"), "role_name": query.get("role_name")}
            return 200, self.role_credentials(token, params["account_id"], params["role_name"]), params
        body = read_json(environ)
        params = {k: v for k, v in body.items() if k not in ("clientSecret", "deviceCode", "refreshToken")}
        handler = {
            "RegisterClient": self.register_client,
            "StartDeviceAuthorization": self.start_device_authorization,
            "CreateToken": self.create_token,
        }[action]
        return 200, handler(body), params

    def register_client(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("clientName") or not body.get("clientType"):
            raise SsoError(400, "InvalidRequestException", "clientName and clientType are required")
        client_id, secret = "client-" + secrets.token_hex(8), secrets.token_urlsafe(24)
        with self.lock:
            self.clients[client_id] = secret
        now = int(time.time())
        return {
            "clientId": client_id,
            "clientSecret": secret,
            "clientIdIssuedAt": now,
            "clientSecretExpiresAt": now + 90 * 86400,
        }

    def _check_client(self, body: dict[str, Any]) -> None:
        if self.clients.get(body.get("clientId", "")) != body.get("clientSecret"):
            raise SsoError(401, "InvalidClientException", "unknown client or wrong client secret", "invalid_client")

    def start_device_authorization(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._check_client(body)
            if not body.get("startUrl"):
                raise SsoError(400, "InvalidRequestException", "startUrl is required", "invalid_request")
            device_code = secrets.token_urlsafe(32)
            user_code = f"{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}"
            self.devices[device_code] = Device(
                body["clientId"], body["startUrl"], user_code, time.time() + DEVICE_CODE_LIFETIME
            )
        uri = f"{self.endpoint}{DEVICE_PATH}"
        return {
            "deviceCode": device_code,
            "userCode": user_code,
            "verificationUri": uri,
            "verificationUriComplete": f"{uri}?user_code={user_code}",
            "expiresIn": DEVICE_CODE_LIFETIME,
            "interval": POLL_INTERVAL,
        }

    def create_token(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._check_client(body)
            if body.get("grantType") != "urn:ietf:params:oauth:grant-type:device_code":
                raise SsoError(400, "UnsupportedGrantTypeException", "only the device code grant", "unsupported_grant_type")
            device = self.devices.get(body.get("deviceCode", ""))
            if device is None or device.client_id != body["clientId"]:
                raise SsoError(400, "InvalidGrantException", "unknown device code", "invalid_grant")
            if time.time() > device.expires_at:
                raise SsoError(400, "ExpiredTokenException", "the device code has expired", "expired_token")
            if device.state == "pending":
                raise SsoError(400, "AuthorizationPendingException", "authorization pending", "authorization_pending")
            if device.state == "denied":
                raise SsoError(400, "AccessDeniedException", "the user denied the request", "access_denied")
            if device.state == "used":
                raise SsoError(400, "InvalidGrantException", "the device code was already used", "invalid_grant")
            device.state = "used"
            token = secrets.token_urlsafe(48)
            self.tokens[token] = (device.start_url, time.time() + TOKEN_LIFETIME)
        return {"accessToken": token, "tokenType": "Bearer", "expiresIn": TOKEN_LIFETIME}

    def role_credentials(self, token: str, account_id: str | None, role_name: str | None) -> dict[str, Any]:
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None or time.time() > entry[1]:
            raise SsoError(401, "UnauthorizedException", "Session token not found or invalid")
        if not account_id or not role_name:
            raise SsoError(400, "InvalidRequestException", "account_id and role_name are required")
        role_arn = f"arn:aws:iam::{account_id}:role/{role_name}"
        if not moto_state.role_exists(role_arn):
            raise SsoError(403, "ForbiddenException", "No access")
        role = moto_state.assume_role(role_arn, "stsvault-sso-user", ROLE_CREDENTIALS_LIFETIME)
        return {
            "roleCredentials": {
                "accessKeyId": role.access_key_id,
                "secretAccessKey": role.secret_access_key,
                "sessionToken": role.session_token,
                "expiration": int(role.expiration.timestamp() * 1000),
            }
        }

    def device_page(self, environ: dict[str, Any]) -> tuple[int, str]:
        """The verification page: approves (or with ``action=deny`` denies) the device."""
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        user_code = query.get("user_code", "")
        with self.lock:
            device = next((d for d in self.devices.values() if d.user_code == user_code), None)
            if device is None or device.state != "pending":
                return 404, f"no pending request with code {user_code}\n"
            device.state = "denied" if query.get("action") == "deny" else "approved"
            return 200, f"request {user_code} {device.state}\n"


def read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError as e:
        raise SsoError(400, "InvalidRequestException", f"body is not JSON: {e}") from e
    if not isinstance(body, dict):
        raise SsoError(400, "InvalidRequestException", "body must be a JSON object")
    return body


def json_response(status: int, body: dict[str, Any], error_type: str | None = None) -> tuple[str, list, bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests"}
    return f"{status} {reason.get(status, 'Error')}", headers, data


def error_response(err: SsoError) -> tuple[str, list, bytes]:
    body: dict[str, Any] = {"message": err.message}
    if err.oauth_error:  # the OIDC service's OAuth-style body
        body = {"error": err.oauth_error, "error_description": err.message}
    return json_response(err.status, body, err.error_type)
