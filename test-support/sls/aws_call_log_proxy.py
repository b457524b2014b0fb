#!/usr/bin/env python3
"""Tiny logging reverse proxy for AWS API calls (stdlib only).

Sits between an AWS SDK (AWS_ENDPOINT_URL=http://127.0.0.1:LISTEN) and a local
emulator (moto server) and writes one JSON line per request:

    {"n": 1, "method": "POST", "path": "/", "service": "cloudformation",
     "operation": "DescribeStacks", "key_id": "ASIA...", "signed": "header",
     "session_token": true, "status": 200}

`service` and `key_id` come from the SigV4 credential scope (Authorization
header or X-Amz-Credential query parameter); `operation` from X-Amz-Target
(JSON protocols), the form/query `Action` (query protocols), the
/service/X/operation/Y path (rpc-v2-cbor) or, for REST protocols, the method
and path. The request body is forwarded unchanged, the response is streamed
back unchanged.

Usage: aws_call_log_proxy.py --listen 127.0.0.1:PORT --upstream http://127.0.0.1:MOTO_PORT --log calls.jsonl
       aws_call_log_proxy.py --summary calls.jsonl
"""
import argparse
import hashlib
import http.client
import http.server
import json
import re
import sys
import threading
import time
import urllib.parse

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade", "expect",
}
CRED_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


def token_fingerprint(headers, path):
    """First 12 hex digits of the SHA-256 of the session token, or None."""
    token = headers.get("X-Amz-Security-Token")
    if not token:
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        token = q.get("X-Amz-Security-Token", [None])[0]
    return hashlib.sha256(token.encode()).hexdigest()[:12] if token else None


def describe(method, path, headers, body):
    """Return (service, operation, key_id, signed) for one request."""
    service = key_id = None
    signed = None
    auth = headers.get("Authorization", "")
    m = CRED_RE.search(auth)
    url = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    if m:
        key_id, service, signed = m.group(1), m.group(4), "header"
    elif "X-Amz-Credential" in query:
        parts = query["X-Amz-Credential"][0].split("/")
        key_id, service, signed = parts[0], parts[3] if len(parts) > 3 else None, "query"
    operation = None
    target = headers.get("X-Amz-Target")
    if target:
        operation = target.rsplit(".", 1)[-1]
    if operation is None and "Action" in query:
        operation = query["Action"][0]
    ctype = headers.get("Content-Type", "")
    if operation is None and body and "x-www-form-urlencoded" in ctype:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            operation = form["Action"][0]
    if operation is None:
        cm = re.match(r"^/service/([^/]+)/operation/([^/?]+)", url.path)
        if cm:
            operation = cm.group(2)
    if operation is None:
        operation = f"{method} {url.path}" + (f"?{url.query}" if url.query else "")
    return service, operation, key_id, signed


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None  # (host, port)
    log_file = None
    lock = threading.Lock()
    counter = 0

    def log_message(self, *args):  # silence the default stderr access log
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    # trailers until blank line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks), True
        length = int(self.headers.get("Content-Length", 0) or 0)
        return (self.rfile.read(length) if length else b""), False

    def _handle(self):
        body, _chunked = self._read_body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        service, operation, key_id, signed = describe(self.command, self.path, self.headers, body)
        started = time.time()
        conn = http.client.HTTPConnection(*self.upstream, timeout=300)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except Exception as exc:  # upstream down: answer 502 and log it
            resp, data = None, str(exc).encode()
        status = resp.status if resp else 502
        with Handler.lock:
            Handler.counter += 1
            rec = {
                "n": Handler.counter, "method": self.command, "path": self.path,
                "service": service, "operation": operation, "key_id": key_id,
                "signed": signed,
                "session_token": token_fingerprint(self.headers, self.path),
                "user_agent": self.headers.get("User-Agent", "")[:200],
                "status": status,
                "time": round(started, 3),
                "ms": round((time.time() - started) * 1000),
            }
            self.log_file.write(json.dumps(rec) + "\n")
            self.log_file.flush()
        self.send_response(status)
        if resp:
            for k, v in resp.getheaders():
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle


def summary(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    creds = {}
    for r in rows:
        cred = (r["key_id"], r["session_token"])
        creds[cred] = creds.get(cred, 0) + 1
        print(f'{r["n"]:3d} {time.strftime("%H:%M:%S", time.localtime(r["time"]))} {r["ms"]:5d}ms {r["status"]} {str(r["service"]):15s} {r["operation"]:45s} '
              f'{r["key_id"]} token:{r["session_token"]}')
    print(f"{len(rows)} calls; (key id, token sha256[:12]) -> calls: "
          + ", ".join(f"{k}: {v}" for k, v in creds.items()))
    # exit 0 only if every call was signed with one and the same key id (+ token, if any)
    return 0 if len(creds) == 1 and next(iter(creds))[0] is not None else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--upstream")
    ap.add_argument("--log")
    ap.add_argument("--summary", metavar="JSONL")
    a = ap.parse_args()
    if a.summary:
        sys.exit(summary(a.summary))
    host, port = a.listen.rsplit(":", 1)
    up = urllib.parse.urlsplit(a.upstream)
    Handler.upstream = (up.hostname, up.port or 80)
    Handler.log_file = open(a.log, "a") if a.log else sys.stdout
    srv = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    print(f"listening on http://{host}:{srv.server_address[1]} -> {a.upstream}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
