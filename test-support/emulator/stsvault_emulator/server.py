"""Serve moto, wrapped by the guard, on 127.0.0.1 until told to stop.

Once the socket listens, the ready file gets ``{"endpoint": "http://127.0.0.1:PORT", "pid": PID}``
(written to a temporary name, then renamed, so a reader never sees half of it). The server stops
cleanly on SIGTERM or SIGINT, and by itself when the ``parent_pid`` process is gone, so a test
run that crashed never leaves a server behind. The ready file is removed on the way out.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading

from . import calllog, processes
from .guard import Guard

HOST = "127.0.0.1"
PARENT_POLL_SECONDS = 0.5


def make_app(log: calllog.CallLog) -> Guard:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return Guard(DomainDispatcherApplication(create_backend_app), log)


def request_handler() -> type:
    """moto's request handler, also keeping the SSO portal's ``x-amz-sso_bearer_token`` header,
    which werkzeug drops like every header with an underscore in its name."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class Handler(MotoRequestHandler):
        def make_environ(self) -> dict:
            environ = super().make_environ()
            token = self.headers.get("x-amz-sso_bearer_token")
            if token is not None:
                environ["HTTP_X_AMZ_SSO_BEARER_TOKEN"] = token
            return environ

    return Handler


def serve(port: int, log_path: str | None, ready_file: str | None, parent_pid: int | None) -> int:
    # AWS managed policies (AdministratorAccess…) exist, as in a real account
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the call log says it all
    log = calllog.CallLog(log_path)
    server = make_server(HOST, port, make_app(log), threaded=True, request_handler=request_handler())
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if parent_pid:
        threading.Thread(target=_watch_parent, args=(parent_pid, stop), daemon=True).start()

    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    serving.start()
    endpoint = f"http://{HOST}:{server.server_port}"
    if ready_file:
        _write_atomically(ready_file, json.dumps({"endpoint": endpoint, "pid": os.getpid()}))
    try:
        while not stop.wait(0.5):
            if not serving.is_alive():
                break
    finally:
        server.shutdown()
        server.server_close()
        log.close()
        if ready_file:
            try:
                os.unlink(ready_file)
            except FileNotFoundError:
                pass
    return 0


def _watch_parent(pid: int, stop: threading.Event) -> None:
    """Set ``stop`` once process ``pid`` is gone (or we were re-parented away from it)."""
    gone = processes.watch(pid)
    while not stop.wait(PARENT_POLL_SECONDS):
        if gone():
            break
    stop.set()


def _write_atomically(path: str, text: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, path)
