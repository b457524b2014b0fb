"""The file vault's passphrase cache through the binding: typed once into the binding's own
prompt in a real pseudo-terminal, then another Python process — no terminal, nothing on stdin,
no AWS_VAULT_FILE_PASSPHRASE — opens the vault without being asked. An explicit
``file_passphrase`` still wins over the cache."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys

import stsvault
from conftest import REPO

PROMPT = "passphrase to unlock"
PROGRAM = """
import json, sys, stsvault
try:
    print(stsvault.credentials("alpha", no_session=True, **json.loads(sys.argv[1])).access_key_id)
except stsvault.VaultError as e:
    print(f"VaultError: {e}")
    sys.exit(3)
"""


def join_new_session_keyring() -> None:
    """This process (and those it starts) join a new session keyring, so what the test caches
    goes away with it (libkeyutils comes with the keyutils package, see install-deps.sh)."""
    keyutils = ctypes.CDLL("libkeyutils.so.1", use_errno=True)
    keyutils.keyctl_join_session_keyring.argtypes = [ctypes.c_char_p]
    assert keyutils.keyctl_join_session_keyring(None) >= 0, ctypes.get_errno()


def python_child(env: dict[str, str], **options: str) -> subprocess.CompletedProcess:
    """The binding in a new process with no terminal (a new session) and nothing on stdin."""
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, json.dumps(options)],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        timeout=300,
    )


def test_a_passphrase_typed_once_serves_another_process(user, sandbox):
    join_new_session_keyring()
    # Added with AWS_VAULT_FILE_PASSPHRASE, which neither reads nor fills the cache.
    stsvault.Vault().add("alpha", user["access_key_id"], user["secret_access_key"])
    sandbox.write_config("[profile alpha]\n")
    env = sandbox.env()
    del env["AWS_VAULT_FILE_PASSPHRASE"]

    before = python_child(env)
    assert before.returncode == 3, before.stdout + before.stderr
    assert "VaultError: cannot ask for the vault passphrase" in before.stdout, before.stdout

    # Typed once, into the binding's prompt on a terminal (`env -u` keeps the answer out of the
    # binding's environment).
    typed = subprocess.run(
        [sys.executable, str(REPO / "test-support" / "pty_answer.py"),
         "--answer", f"{PROMPT}=hidden-env:TEST_VAULT_PASSPHRASE", "--",
         "env", "-u", "TEST_VAULT_PASSPHRASE", sys.executable, "-c", PROGRAM, "{}"],
        env={**env, "TEST_VAULT_PASSPHRASE": sandbox.passphrase},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert typed.stdout.count(PROMPT) == 1, typed.stdout
    assert user["access_key_id"] in typed.stdout

    again = python_child(env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == user["access_key_id"]
    assert sandbox.passphrase not in again.stdout + again.stderr

    # A passphrase the program gives still wins (and is not cached).
    wrong = python_child(env, file_passphrase="not the passphrase")
    assert wrong.returncode == 3, wrong.stdout + wrong.stderr
    assert "passphrase" in wrong.stdout
    assert python_child(env).returncode == 0, "the cached one is still there"
