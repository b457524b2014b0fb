"""Read an AWS API request out of a WSGI environ: service, action, parameters, signing key.

Three wire protocols are told apart:

- query (STS, IAM, CloudFormation…): form body or query string with ``Action=``;
- JSON (DynamoDB, CloudWatch Logs…): ``X-Amz-Target: Service.Action`` and a JSON body;
- REST (S3, Lambda, API Gateway…): the action is ``METHOD /path``.

The body is read only for the first two (form / JSON content types) and put back into the environ
so the wrapped application sees it unchanged.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

# SigV4: "AWS4-HMAC-SHA256 Credential=AKIA.../20240101/us-east-1/sts/aws4_request, ..."
_CREDENTIAL_RE = re.compile(r"Credential=([^/\s,]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
# SigV2 (old S3 clients): "AWS AKIA...:signature"
_SIGV2_RE = re.compile(r"^AWS ([^:\s]+):")

# Parameters whose values never go into the log (compared case-insensitively).
SECRET_PARAMS = {
    "secretaccesskey",
    "sessiontoken",
    "password",
    "newpassword",
    "oldpassword",
    "privatekey",
    "secretstring",
    "secretbinary",
    "x-amz-security-token",
    "x-amz-signature",
    "signature",
}
MAX_LOGGED_VALUE = 512

# Unsigned query calls (AssumeRoleWithWebIdentity…) are recognised by their API version.
_SERVICE_BY_VERSION = {"2011-06-15": "sts", "2010-05-08": "iam"}


@dataclass
class AwsRequest:
    method: str
    path: str
    protocol: str  # "query" | "json" | "rest"
    service: str | None
    region: str | None
    action: str
    params: dict[str, Any] = field(default_factory=dict)
    access_key_id: str | None = None

    def param(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if isinstance(value, str) else None


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the whole request body and put it back so the next application can read it too."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def parse(environ: dict[str, Any]) -> AwsRequest:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/") or "/"
    query = _flatten(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    content_type = (environ.get("CONTENT_TYPE") or "").lower()
    target = environ.get("HTTP_X_AMZ_TARGET")

    key_id, region, service = signer_of(environ.get("HTTP_AUTHORIZATION", ""))
    if key_id is None and "X-Amz-Credential" in query:  # presigned URL
        m = re.match(r"([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request", query["X-Amz-Credential"])
        if m:
            key_id, region, service = m.group(1), m.group(2), m.group(3)
    if key_id is None and "AWSAccessKeyId" in query:  # SigV2 presigned URL: S3 only nowadays
        key_id, service = str(query["AWSAccessKeyId"]), "s3"

    if target:
        body = read_body(environ)
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        if not isinstance(params, dict):
            params = {}
        action = target.rsplit(".", 1)[-1]
        protocol = "json"
    elif "x-www-form-urlencoded" in content_type or "Action" in query:
        body = read_body(environ) if "x-www-form-urlencoded" in content_type else b""
        params = dict(query)
        params.update(_flatten(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)))
        action = str(params.pop("Action", "")) or f"{method} {path}"
        version = params.pop("Version", None)
        service = service or _SERVICE_BY_VERSION.get(str(version))
        protocol = "query"
    else:
        params = query
        action = f"{method} {path}"
        protocol = "rest"

    return AwsRequest(method, path, protocol, service, region, action, params, key_id)


def signer_of(authorization: str) -> tuple[str | None, str | None, str | None]:
    """(access key id, region, service) from an Authorization header, Nones if unsigned."""
    m = _CREDENTIAL_RE.search(authorization)
    if m:
        return m.group(1), m.group(3), m.group(4)
    m = _SIGV2_RE.match(authorization)
    if m:  # only S3 still takes SigV2
        return m.group(1), None, "s3"
    return None, None, None


def replace_signer(environ: dict[str, Any], old: str, new: str) -> None:
    """Make the request look signed by ``new`` (moto checks no signatures, only reads the id)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if f"Credential={old}/" in auth:  # SigV4
        environ["HTTP_AUTHORIZATION"] = auth.replace(f"Credential={old}/", f"Credential={new}/", 1)
    elif auth.startswith(f"AWS {old}:"):  # SigV2
        environ["HTTP_AUTHORIZATION"] = f"AWS {new}:" + auth[len(f"AWS {old}:"):]
    for name in ("X-Amz-Credential", "AWSAccessKeyId"):  # presigned URLs
        qs = environ.get("QUERY_STRING", "")
        if f"{name}={old}" in qs:
            environ["QUERY_STRING"] = qs.replace(f"{name}={old}", f"{name}={new}", 1)


def loggable(params: Any) -> Any:
    """Parameters without secrets, long values cut short, for the call log."""
    if isinstance(params, dict):
        return {
            k: loggable(v)
            for k, v in params.items()
            if not _is_secret(str(k))
        }
    if isinstance(params, list):
        return [loggable(v) for v in params]
    if isinstance(params, str) and len(params) > MAX_LOGGED_VALUE:
        return params[:MAX_LOGGED_VALUE] + f"...({len(params)} chars)"
    return params


def error_code_of(status: int, headers: list[tuple[str, str]], body: bytes) -> str | None:
    """The AWS error code of a response (XML <Code>, JSON __type, or x-amzn-ErrorType)."""
    if status < 400:
        return None
    for name, value in headers:
        if name.lower() == "x-amzn-errortype" and value:
            return value.split(":", 1)[0]
    text = body[:65536].decode("utf-8", "replace")
    m = re.search(r"<Code>([^<]+)</Code>", text)
    if m:
        return m.group(1).strip()
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        code = data.get("__type") or data.get("code") or data.get("Code")
        if isinstance(code, str):
            return code.rsplit("#", 1)[-1]
    return None


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    # query protocol flattens nested members: "Credentials.SessionToken", "Tags.member.1.Value"
    return lowered in SECRET_PARAMS or lowered.rsplit(".", 1)[-1] in SECRET_PARAMS


def _flatten(multi: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in multi.items()}
