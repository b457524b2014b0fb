"""The call log: one JSON object per line per request, and a summary of it for humans.

Each line has these fields (null when not known):

    time               UTC, ISO 8601 with milliseconds, e.g. "2025-01-01T12:00:00.123Z"
    service            signing name from SigV4 ("sts", "iam", "s3", "lambda", …)
    region             signing region
    protocol           "query" | "json" | "rest"
    action             "GetSessionToken", "DescribeStacks", or "PUT /bucket/key" for REST calls
    params             request parameters, secrets (SecretAccessKey, SessionToken, passwords…)
                       left out; TokenCode is kept
    access_key_id      the key id that signed the request, as the client sent it
    acting_as          the user key id the guard passed to moto instead (session keys only)
    status             HTTP status returned to the client
    error_code         AWS error code ("AccessDenied", …) when status >= 400
    error_message      AWS error message, for errors the guard itself returned
    issued_access_key_id  key id of credentials handed out (GetSessionToken, AssumeRole…)
    duration_ms        time spent answering
"""

from __future__ import annotations

import datetime
import json
import sys
import threading
from collections import Counter
from typing import IO, Any, Iterable


class CallLog:
    def __init__(self, path: str | None) -> None:
        self._lock = threading.Lock()
        self._file: IO[str] | None = open(path, "a", encoding="utf-8") if path else None

    def write(self, entry: dict[str, Any]) -> None:
        if self._file is None:
            return
        line = json.dumps(entry, default=str, sort_keys=False)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


FIELDS = (
    "time", "service", "region", "protocol", "action", "params", "access_key_id", "acting_as",
    "status", "error_code", "error_message", "issued_access_key_id", "duration_ms",
)


def new_entry(**known: Any) -> dict[str, Any]:
    """A log line with every field: ``time`` now, ``known`` as given, the rest null."""
    entry: dict[str, Any] = dict.fromkeys(FIELDS)
    entry["time"] = now_iso()
    entry.update(known)
    return entry


def now_iso() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def read(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def summarize(entries: Iterable[dict[str, Any]], out: IO[str] = sys.stdout) -> None:
    """Print every call on one line, then counts per action and per signing key."""
    entries = list(entries)
    by_action: Counter[str] = Counter()
    by_key: Counter[str] = Counter()
    for e in entries:
        name = f"{e.get('service') or '?'}:{e.get('action')}"
        by_action[name] += 1
        by_key[e.get("access_key_id") or "(unsigned)"] += 1
        outcome = str(e.get("status"))
        if e.get("error_code"):
            outcome += f" {e['error_code']}"
        extra = ""
        if e.get("acting_as"):
            extra += f" as {e['acting_as']}"
        if e.get("issued_access_key_id"):
            extra += f" -> {e['issued_access_key_id']}"
        out.write(
            f"{e.get('time', '')}  {name:<40} {outcome:<18} "
            f"{e.get('access_key_id') or '(unsigned)'}{extra}\n"
        )
    out.write(f"\n{len(entries)} calls\n")
    out.write("by action:\n")
    for name, n in sorted(by_action.items()):
        out.write(f"  {n:5d}  {name}\n")
    out.write("by signing key:\n")
    for key, n in sorted(by_key.items()):
        out.write(f"  {n:5d}  {key}\n")
