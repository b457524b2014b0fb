#!/usr/bin/env python3
"""Run a command in a real pseudo-terminal and answer its prompts, as a person at a terminal.

Used by the demo and the end-to-end tests to drive the interactive prompts of `stsvault`
(which reads from /dev/tty, so piping stdin would not reach it).

    pty_answer.py --answer 'passphrase=env:VAULT_PASS' --answer 'MFA code=totp:SEED_VAR' -- CMD ARGS...

Each --answer is `REGEX=SOURCE`: when the command's terminal output matches REGEX (after what was
already answered), the SOURCE is typed followed by Enter. A source prefixed `hidden-`
(`hidden-env:NAME`) is typed only once the program has turned the terminal's echo off, as a
password prompt does, so a secret is never echoed just because it was typed faster than a
person could. SOURCE is `env:NAME` (the value of an
environment variable, so secrets stay out of argument lists) or `totp:NAME` (the current TOTP
code of the base32 seed in environment variable NAME, computed when the prompt appears).
Answers may be used in any order and each prompt pattern may match several times.
Each --forbid REGEX is output the command must not print (a prompt it should not show): when it
appears, the command is killed and pty_answer fails.
The command's output is copied to stdout; the exit code is the command's.
"""

import argparse
import os
import re
import select
import fcntl
import sys
import termios
import time


def totp_now(seed_b32: str) -> str:
    import pyotp  # from test-support/requirements.txt, the same library the emulator checks with

    return pyotp.TOTP(seed_b32).now()


def resolve(source: str) -> str:
    kind, _, name = source.partition(":")
    value = os.environ.get(name)
    if value is None:
        sys.exit(f"pty_answer: environment variable {name} is not set")
    if kind == "env":
        return value
    if kind == "totp":
        return totp_now(value)
    sys.exit(f"pty_answer: unknown answer source {source!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answer", action="append", default=[], help="REGEX=SOURCE")
    parser.add_argument("--forbid", action="append", default=[], help="REGEX the command must not print")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    answers = []
    for spec in args.answer:
        pattern, _, source = spec.rpartition("=")
        secret = source.startswith("hidden-")
        answers.append((re.compile(pattern), source.removeprefix("hidden-"), secret))
    forbidden = [re.compile(pattern) for pattern in args.forbid]

    # Like pty.fork(), but the parent keeps the terminal side open to watch its echo flag.
    fd, terminal = os.openpty()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(fd)
            os.setsid()
            fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)
            for n in (0, 1, 2):
                os.dup2(terminal, n)
            if terminal > 2:
                os.close(terminal)
            os.execvp(command[0], command)
        finally:
            os._exit(127)

    def wait_for_echo_off() -> None:
        until = time.time() + 5
        while time.time() < until and termios.tcgetattr(terminal)[3] & termios.ECHO:
            time.sleep(0.01)

    seen = b""
    answered_upto = 0
    status = None
    deadline = time.time() + args.timeout
    while True:
        if time.time() > deadline:
            os.kill(pid, 9)
            sys.exit("pty_answer: timed out")
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            # We hold the terminal side open too, so the end of output is the child's exit.
            if status is not None:
                break
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        seen += data
        text = seen[answered_upto:].decode("utf-8", "replace")
        for pattern in forbidden:
            if pattern.search(text):
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                sys.exit(f"pty_answer: the command printed {pattern.pattern!r}, which it must not")
        for pattern, source, secret in answers:
            match = pattern.search(text)
            if match:
                answered_upto += len(text[: match.end()].encode("utf-8"))
                if secret:
                    wait_for_echo_off()
                os.write(fd, resolve(source).encode() + b"\r")
                break
    os.close(terminal)
    if status is None:
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
