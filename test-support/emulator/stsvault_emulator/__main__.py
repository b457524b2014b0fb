"""Command line: ``python -m stsvault_emulator {serve,setup-user,totp,log-summary} ...``."""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stsvault_emulator",
        description="Local AWS emulator for stsvault's tests: moto behind an MFA-checking guard.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the emulator on 127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="TCP port; 0 (default) picks a free one")
    serve.add_argument("--log", metavar="FILE", help="append one JSON line per request to FILE")
    serve.add_argument(
        "--ready-file",
        metavar="FILE",
        help='write {"endpoint": "http://127.0.0.1:PORT", "pid": PID} to FILE once listening',
    )
    serve.add_argument(
        "--parent-pid", type=int, metavar="PID", help="exit when process PID is gone"
    )

    setup = sub.add_parser("setup-user", help="create an IAM user with keys and an enabled MFA device")
    setup.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:PORT")
    setup.add_argument("--user", default="sls-administrator")
    setup.add_argument("--account-id", help="12-digit account to create the user in (moto's default otherwise)")
    setup.add_argument("--role", metavar="NAME", help="also create role NAME the user may assume with MFA")

    totp = sub.add_parser("totp", help="print the TOTP code of a base32 seed")
    totp.add_argument("--seed", required=True, help="base32 seed, as setup-user prints it")
    totp.add_argument("--offset", type=int, default=0, help="seconds from now (30 = next code)")

    summary = sub.add_parser("log-summary", help="print a call log for humans")
    summary.add_argument("--log", required=True, metavar="FILE")

    args = parser.parse_args(argv)
    if args.command == "serve":
        from .server import serve as run

        return run(args.port, args.log, args.ready_file, args.parent_pid)
    if args.command == "setup-user":
        from .setup_user import setup_user

        result = setup_user(args.endpoint, args.user, args.account_id, args.role)
        print(json.dumps(result, indent=2))
        return 0
    if args.command == "totp":
        from .mfa import code_at

        print(code_at(args.seed, time.time() + args.offset))
        return 0
    if args.command == "log-summary":
        from . import calllog

        calllog.summarize(calllog.read(args.log))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
