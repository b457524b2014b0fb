"""The command line as a user gets it: the static Linux binary downloaded from the release page
(dist/stsvault-x86_64-unknown-linux-musl) or `cargo install`ed, copied into a bin directory and
driven through the seed's story."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ADD_ANSWERS, MFA_ANSWER, PY, VENV_BIN, Sandbox, artifact
from sizes import LIMITS, MB
from stsvault_emulator.mfa import current_code

TARGET = "x86_64-unknown-linux-musl"


@pytest.fixture
def stsvault(sandbox: Sandbox) -> Path:
    """The downloaded binary, checked against SHA256SUMS and installed into ~/bin."""
    binary = artifact(f"stsvault-{TARGET}")
    sums = (binary.parent / "SHA256SUMS").read_text()
    digest = subprocess.run(["sha256sum", binary.name], cwd=binary.parent, capture_output=True, text=True, check=True)
    assert digest.stdout in sums, f"{binary.name} does not match SHA256SUMS"
    installed = sandbox.bin / "stsvault"
    shutil.copy(binary, installed)
    installed.chmod(0o755)
    return installed


def test_the_binary_is_static_and_small():
    binary = artifact(f"stsvault-{TARGET}")
    kind = subprocess.run(["file", "-b", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "statically linked" in kind or "static-pie linked" in kind, kind
    assert "x86-64" in kind, kind
    assert binary.stat().st_size < LIMITS["cli"], f"{binary.name} is {binary.stat().st_size / MB:.1f} MB"


def test_seed_story_with_the_downloaded_binary(sandbox: Sandbox, stsvault: Path):
    # stsvault add: the keys and the new vault's passphrase typed at its prompts.
    env = sandbox.env()
    del env["AWS_VAULT_FILE_PASSPHRASE"]
    added = sandbox.in_terminal("stsvault", "add", "sls-administrator", answers=ADD_ANSWERS, env=env)
    assert "Added credentials to profile" in added.stdout, added.stdout
    sandbox.profile()

    # stsvault exec PROFILE -- <an AWS call>, the MFA code typed into the terminal once.
    mark = len(sandbox.emulator.calls())
    ran = sandbox.in_terminal(
        "stsvault", "exec", "sls-administrator", "--", VENV_BIN / "aws", "sts", "get-caller-identity",
        answers=ADD_ANSWERS[2:] + [MFA_ANSWER], env=env,
    )
    assert ran.stdout.count("Enter MFA code") == 1, ran.stdout
    assert f'"Arn": "arn:aws:iam::123456789012:user/{sandbox.user["user"]}"' in ran.stdout, ran.stdout
    [session] = sandbox.signers(mark, "GetSessionToken")
    assert session["access_key_id"] == sandbox.user["access_key_id"] and session["status"] == 200
    [identity] = sandbox.signers(mark, "GetCallerIdentity")
    assert identity["access_key_id"] == session["issued_access_key_id"], "the command got the session, not the keys"

    # export --format json as boto3's credential_process: the cached session, no prompt.
    sandbox.profile(extra=f"[profile via-process]\ncredential_process = {stsvault} export --format json sls-administrator\nregion = us-east-1\n")
    mark = len(sandbox.emulator.calls())
    whoami = sandbox.run(
        PY, "-c",
        "import boto3; print(boto3.Session(profile_name='via-process').client('sts').get_caller_identity()['Arn'])",
        stdin=subprocess.DEVNULL,
    )
    assert whoami.stdout.strip().endswith(f"user/{sandbox.user['user']}"), whoami.stdout
    assert sandbox.signers(mark, "GetSessionToken") == [], "the cached session is reused"
    [identity] = sandbox.signers(mark, "GetCallerIdentity")
    assert identity["access_key_id"] == session["issued_access_key_id"]


def test_runs_in_an_empty_root(sandbox: Sandbox, stsvault: Path, tmp_path: Path):
    """No libc, no /etc, no /dev, no /proc: only the binary and a scratch HOME."""
    root = tmp_path / "root"
    (root / "home").mkdir(parents=True)
    shutil.copy(stsvault, root / "stsvault")
    assert sorted(p.name for p in root.iterdir()) == ["home", "stsvault"]

    inside = Sandbox(home=root / "home", emulator=sandbox.emulator, user=sandbox.user)
    inside.profile()
    # The environment as the binary sees it from inside the root (paths under /home).
    env = Sandbox(home=Path("/home"), emulator=sandbox.emulator, user=sandbox.user).env(PATH="/")
    env["AWS_ACCESS_KEY_ID"] = sandbox.user["access_key_id"]
    env["AWS_SECRET_ACCESS_KEY"] = sandbox.user["secret_access_key"]
    chroot = [shutil.which("chroot") or "/usr/sbin/chroot", str(root), "/stsvault"]
    out = subprocess.run([*chroot, "add", "--env", "sls-administrator"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]

    mark = len(sandbox.emulator.calls())
    code = current_code(sandbox.user["seed"])
    out = subprocess.run(
        [*chroot, "exec", "--json", "--mfa-token", code, "sls-administrator"],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    creds = json.loads(out.stdout)
    assert creds["Version"] == 1 and creds["AccessKeyId"].startswith("ASIA")
    [session] = sandbox.signers(mark, "GetSessionToken")
    assert session["status"] == 200 and session["issued_access_key_id"] == creds["AccessKeyId"]

    listed = subprocess.run([*chroot, "list"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert listed.returncode == 0 and "sls-administrator" in listed.stdout, listed.stderr


def test_cargo_installed_binary_runs(sandbox: Sandbox):
    """`cargo install --path cli --root R` ran before the build dirs were hidden (make dist-check)."""
    root = os.environ.get("STSVAULT_CARGO_ROOT")
    assert root, "make dist-check sets STSVAULT_CARGO_ROOT to where cargo install put stsvault"
    binary = Path(root) / "bin" / "stsvault"
    version = sandbox.run(binary, "--version")
    assert version.stdout.startswith("stsvault "), version.stdout
    sandbox.profile()
    env = sandbox.env(AWS_ACCESS_KEY_ID=sandbox.user["access_key_id"], AWS_SECRET_ACCESS_KEY=sandbox.user["secret_access_key"])
    sandbox.run(binary, "add", "--env", "sls-administrator", env=env, stdin=subprocess.DEVNULL)
    listed = sandbox.run(binary, "list", "--credentials")
    assert "sls-administrator" in listed.stdout, listed.stdout
