"""The guard: WSGI middleware in front of moto that makes its STS behave like the real one.

For every request it

1. maps a session key it minted back to the user key that asked for it (moto then answers
   GetCallerIdentity & co. as that user, not as its default user);
2. checks MFA: an STS call carrying ``SerialNumber`` or ``TokenCode`` (any other call carrying
   both) needs a valid, unused code of an enabled virtual MFA device of the caller — else STS's
   AccessDenied, HTTP 403, and moto never sees the call;
3. refuses GetSessionToken signed with session credentials, as STS does;
4. refuses AssumeRole of a role whose trust policy asks for ``aws:MultiFactorAuthPresent`` unless
   the call carries a good code or is signed by credentials that were obtained with one;
5. gives each GetSessionToken (and GetFederationToken) its own ``ASIA…`` key id, secret and token;
6. writes one line to the call log;
7. answers with an injected fault when a test asked for one (``POST /_stsvault/faults`` with
   ``{"action", "code", "message", "status", "count", "skip"}``; ``skip`` calls pass first): STS's ExpiredToken, Throttling… that
   moto never produces.

IAM Identity Center's OIDC and portal APIs, which moto lacks, are answered by ``sso.Portal``
(logged and open to injected faults like the rest); the console federation endpoint by
``signin.SigninEndpoint``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any, Callable, Iterable

from . import awsrequest, calllog, mfa, moto_state, signin, sso
from .sessions import SessionRegistry, rewrite_credentials

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
MSG_SESSION_CREDENTIALS = "Cannot call GetSessionToken with session credentials"
FAULTS_PATH = "/_stsvault/faults"

# Calls whose response hands out an access key id worth logging.
ISSUING_ACTIONS = {
    "GetSessionToken",
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetFederationToken",
    "CreateAccessKey",
}


class Guard:
    def __init__(self, app: Callable, log: calllog.CallLog) -> None:
        self.app = app
        self.log = log
        self.mfa = mfa.MfaChecker()
        self.sessions = SessionRegistry()
        self._faults: list[dict[str, Any]] = []
        self._faults_lock = threading.Lock()
        self.sso = sso.Portal()
        self.signin = signin.SigninEndpoint(
            lambda key: getattr(self.sessions.get(key), "kind", None) == "session"
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FAULTS_PATH:
            return self._add_fault(environ, start_response)
        if environ.get("PATH_INFO") == sso.DEVICE_PATH:
            status_code, text = self.sso.device_page(environ)
            body = text.encode()
            start_response(f"{status_code} OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("PATH_INFO") == signin.PATH:
            return self._signin_call(environ, start_response)
        route = self.sso.route(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        if route is not None:
            return self._sso_call(route, environ, start_response)
        started = time.monotonic()
        req = awsrequest.parse(environ)
        entry = calllog.new_entry(
            service=req.service,
            region=req.region,
            protocol=req.protocol,
            action=req.action,
            params=awsrequest.loggable(req.params),
            access_key_id=req.access_key_id,
        )
        try:
            session = self.sessions.get(req.access_key_id)
            caller_key = req.access_key_id
            if session is not None and session.user_access_key_id:
                awsrequest.replace_signer(environ, req.access_key_id, session.user_access_key_id)
                caller_key = entry["acting_as"] = session.user_access_key_id

            fault = self._take_fault(req.action)
            refusal, mfa_present = (None, False) if fault else self._refusal(req, caller_key)
            if fault is not None:
                status, headers, body = error_response(
                    req.service, fault["status"], fault["code"], fault["message"]
                )
                entry["error_message"] = fault["message"]
            elif refusal is not None:
                status, headers, body = error_response(req.service, 403, "AccessDenied", refusal)
                entry["error_message"] = refusal
            else:
                status, headers, body = self._forward(environ)
                if status.startswith("200") and req.action in ISSUING_ACTIONS:
                    if req.service == "sts" and req.action in ("GetSessionToken", "GetFederationToken"):
                        kind = "session" if req.action == "GetSessionToken" else "federation"
                        minted = self.sessions.mint(caller_key, with_mfa=mfa_present, kind=kind)
                        body = rewrite_credentials(body, minted)
                        headers = with_content_length(headers, len(body))
                    m = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", body)
                    issued = entry["issued_access_key_id"] = m.group(1).decode() if m else None
                    if issued and mfa_present and req.service == "sts":
                        self.sessions.note_mfa(issued)
        except Exception:
            entry["status"] = 500
            entry["error_code"] = "InternalFailure"
            entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
            self.log.write(entry)
            raise

        code = int(status.split(" ", 1)[0])
        entry["status"] = code
        entry["error_code"] = awsrequest.error_code_of(code, headers, body)
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        self.log.write(entry)
        start_response(status, headers)
        return [body]

    def _signin_call(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """The console federation endpoint; logged as service ``signin``."""
        status, params, text = self.signin.handle(environ)
        body = text.encode()
        self.log.write(calllog.new_entry(
            service="signin", protocol="rest", action=params.get("Action"), params=params,
            status=status, error_code=None if status == 200 else "InvalidSession",
        ))
        start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _sso_call(self, route: tuple[str, str], environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """One IAM Identity Center API call, answered by the portal, logged like the others."""
        started = time.monotonic()
        service, action = route
        self.sso.endpoint = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        entry = calllog.new_entry(service=service, protocol="rest-json", action=action, params={})
        fault = self._take_fault(action)
        try:
            if fault is not None:
                raise sso.SsoError(fault["status"], fault["code"], fault["message"])
            code, body, entry["params"] = self.sso.handle(action, environ)
            status, headers, data = sso.json_response(code, body)
            entry["issued_access_key_id"] = body.get("roleCredentials", {}).get("accessKeyId")
        except sso.SsoError as err:
            status, headers, data = sso.error_response(err)
            entry["error_code"], entry["error_message"] = err.error_type, err.message
        entry["status"] = int(status.split(" ", 1)[0])
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        self.log.write(entry)
        start_response(status, headers)
        return [data]

    def _add_fault(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Queues a fault: the next ``count`` calls of ``action`` get this error instead."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        fault = json.loads(environ["wsgi.input"].read(length) or b"{}")
        fault.setdefault("status", 400)
        fault.setdefault("count", 1)
        fault.setdefault("skip", 0)
        fault.setdefault("message", fault.get("code", "fault"))
        with self._faults_lock:
            self._faults.append(fault)
        start_response("204 No Content", [("Content-Length", "0")])
        return [b""]

    def _take_fault(self, action: str | None) -> dict[str, Any] | None:
        with self._faults_lock:
            for fault in self._faults:
                if fault.get("action") == action and fault["count"] > 0:
                    if fault["skip"] > 0:  # let this many calls through first
                        fault["skip"] -= 1
                        return None
                    fault["count"] -= 1
                    return fault
        return None

    def _refusal(self, req: awsrequest.AwsRequest, caller_key: str | None) -> tuple[str | None, bool]:
        """(the AccessDenied message STS would answer with or None, whether MFA is present)."""
        serial, code = req.param("SerialNumber"), req.param("TokenCode")
        is_sts = req.service == "sts"
        caller = moto_state.user_for_key(caller_key)
        if is_sts and req.action == "GetSessionToken" and (req.access_key_id or "").startswith("ASIA"):
            return MSG_SESSION_CREDENTIALS, False
        mfa_present = self.sessions.has_mfa(req.access_key_id)
        if (is_sts and (serial or code)) or (serial and code):
            try:
                self.mfa.check(serial, code, caller[0] if caller else None)
            except mfa.MfaRejected as rejected:
                return str(rejected), False
            mfa_present = True
        role_arn = req.param("RoleArn")
        if is_sts and req.action == "AssumeRole" and not mfa_present and moto_state.role_requires_mfa(role_arn):
            who = caller[1] if caller else req.access_key_id
            return f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}", False
        return None, mfa_present

    def _forward(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """Call moto and collect its whole answer."""
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, list(headers)
            return chunks.append

        result = self.app(environ, capture)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured["status"], captured["headers"], b"".join(chunks)


def error_response(
    service: str | None, http_status: int, code: str, message: str
) -> tuple[str, list[tuple[str, str]], bytes]:
    """An error in the query-protocol shape STS (and IAM) use."""
    request_id = str(uuid.uuid4())
    namespace = IAM_NAMESPACE if service == "iam" else STS_NAMESPACE
    body = (
        f'<ErrorResponse xmlns="{namespace}">\n'
        f"  <Error>\n"
        f"    <Type>Sender</Type>\n"
        f"    <Code>{code}</Code>\n"
        f"    <Message>{xml_escape(message)}</Message>\n"
        f"  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n"
        f"</ErrorResponse>\n"
    ).encode()
    headers = [
        ("Content-Type", "text/xml"),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id),
    ]
    reason = {403: "Forbidden", 400: "Bad Request", 429: "Too Many Requests"}.get(http_status, "Error")
    return f"{http_status} {reason}", headers, body


def with_content_length(headers: list[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    return kept + [("Content-Length", str(length))]


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
