"""Credentials and boto3 sessions through the binding, against the emulator's STS."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import boto3
import pytest

import stsvault
from conftest import CountingPrompt, current_code, wrong_code


def test_a_boto3_client_calls_sts_with_the_mfa_session(emulator, user, mfa_profile):
    prompt = CountingPrompt(user["seed"])
    session = stsvault.boto3_session(mfa_profile, mfa_prompt=prompt)
    assert session.region_name == "eu-west-1"
    ident = session.client("sts").get_caller_identity()
    assert ident["Arn"] == user["user_arn"]
    assert prompt.asked == [(user["mfa_serial"], mfa_profile)]
    (gst,) = emulator.calls(service="sts", action="GetSessionToken", access_key_id=user["access_key_id"])
    assert gst["status"] == 200
    (call,) = [c for c in emulator.calls(service="sts", action="GetCallerIdentity") if c["access_key_id"] == gst["issued_access_key_id"]]
    assert call["status"] == 200


def test_credentials_come_from_the_cache_without_a_second_prompt(emulator, user, mfa_profile):
    prompt = CountingPrompt(user["seed"])
    first = stsvault.credentials(mfa_profile, mfa_prompt=prompt)
    assert first.access_key_id.startswith("ASIA")
    assert first.session_token
    assert first.expiration is not None and first.expiration.tzinfo is not None
    assert first.expiration > datetime.now(timezone.utc)
    # A new provider (as a new script run would make) reads the shared cache.
    again = stsvault.credentials(mfa_profile, mfa_prompt=prompt)
    assert again == first
    assert len(prompt.asked) == 1
    assert len(emulator.calls(service="sts", action="GetSessionToken", access_key_id=user["access_key_id"])) == 1
    kinds = [s.kind for s in stsvault.Vault().sessions()]
    assert kinds == ["sts.GetSessionToken"]


def test_boto3_refreshes_role_sessions_without_a_new_mfa_prompt(emulator, user, sandbox, monkeypatch):
    # A 15-minute role session on a cached MFA session; with AWS_MIN_TTL at 16 minutes every
    # role session counts as expiring, so each refresh boto3 makes needs a new AssumeRole —
    # signed by the cached MFA session, with no new prompt.
    sandbox.write_config(
        f"[profile base]\nmfa_serial = {user['mfa_serial']}\nregion = eu-west-1\n"
        f"[profile admin]\nsource_profile = base\nrole_arn = {user['role_arn']}\n"
        f"mfa_serial = {user['mfa_serial']}\nduration_seconds = 900\nregion = eu-west-1\n"
    )
    stsvault.Vault().add("base", user["access_key_id"], user["secret_access_key"])
    monkeypatch.setenv("AWS_MIN_TTL", "16m")
    prompt = CountingPrompt(user["seed"])
    sts = stsvault.boto3_session("admin", mfa_prompt=prompt).client("sts")
    signers = [sts.get_caller_identity()["Arn"] for _ in range(2)]
    assert all(":assumed-role/role" in arn for arn in signers)
    assert len(prompt.asked) == 1
    assert len(emulator.calls(service="sts", action="GetSessionToken", access_key_id=user["access_key_id"])) == 1
    assumed = {c["issued_access_key_id"] for c in emulator.calls(service="sts", action="AssumeRole") if c["status"] == 200}
    used = [c["access_key_id"] for c in emulator.calls(service="sts", action="GetCallerIdentity") if c["access_key_id"] in assumed]
    assert len(used) == 2 and used[0] != used[1], "each call was signed by a renewed role session"


def test_a_role_session_is_cached_for_the_next_provider(emulator, user, sandbox):
    # A role on the MFA session (issue 19): a second provider, as a new script run would make,
    # takes the cached role session — no AssumeRole, no prompt.
    sandbox.write_config(
        f"[profile base]\nmfa_serial = {user['mfa_serial']}\nregion = eu-west-1\n"
        f"[profile admin]\nsource_profile = base\nrole_arn = {user['role_arn']}\n"
        f"mfa_serial = {user['mfa_serial']}\nregion = eu-west-1\n"
    )
    stsvault.Vault().add("base", user["access_key_id"], user["secret_access_key"])
    prompt = CountingPrompt(user["seed"])
    first = stsvault.credentials("admin", mfa_prompt=prompt)
    again = stsvault.credentials("admin", mfa_prompt=prompt)
    assert again == first
    assert len(prompt.asked) == 1
    (gst,) = emulator.calls(service="sts", action="GetSessionToken", access_key_id=user["access_key_id"])
    (assumed,) = emulator.calls(service="sts", action="AssumeRole", access_key_id=gst["issued_access_key_id"])
    assert assumed["issued_access_key_id"] == first.access_key_id
    kinds = sorted(s.kind for s in stsvault.Vault().sessions())
    assert kinds == ["sts.GetSessionToken", "stsvault.AssumeRole"]


def test_a_given_code_is_used_and_a_wrong_one_raises_mfa_error(emulator, user, mfa_profile):
    with pytest.raises(stsvault.MfaError) as raised:
        stsvault.credentials(mfa_profile, mfa_code=wrong_code(user["seed"]))
    assert "rejected the MFA code" in str(raised.value)
    assert isinstance(raised.value, stsvault.Error)
    creds = stsvault.credentials(mfa_profile, mfa_code=current_code(user["seed"]))
    assert creds.session_token


def test_an_exception_in_the_prompt_reaches_the_caller(user, mfa_profile):
    class Cancelled(Exception):
        pass

    def refuse(serial: str, profile: str) -> str:
        raise Cancelled(f"no code for {profile}")

    with pytest.raises(Cancelled, match="no code for deployer"):
        stsvault.credentials(mfa_profile, mfa_prompt=refuse)


def test_threads_asking_at_once_share_one_prompt_and_one_sts_call(emulator, user, mfa_profile):
    prompt = CountingPrompt(user["seed"], delay=0.5)
    provider = stsvault.Provider(mfa_profile, mfa_prompt=prompt)
    results: list[stsvault.Credentials] = []
    errors: list[BaseException] = []
    ticks = 0
    done = threading.Event()

    def ask() -> None:
        try:
            results.append(provider.credentials())
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    # The GIL is free while they wait: this thread keeps running Python.
    while any(t.is_alive() for t in threads):
        ticks += 1
        done.wait(0.01)
    assert not errors, errors
    assert len({c.access_key_id for c in results}) == 1 and len(results) == 8
    assert len(prompt.asked) == 1
    assert len(emulator.calls(service="sts", action="GetSessionToken", access_key_id=user["access_key_id"])) == 1
    assert ticks > 10


def test_repr_and_str_never_show_secrets(user, mfa_profile):
    creds = stsvault.credentials(mfa_profile, mfa_code=current_code(user["seed"]))
    for text in (repr(creds), str(creds), f"{creds}", repr(stsvault.Provider(mfa_profile))):
        assert creds.secret_access_key not in text
        assert creds.session_token not in text
        assert user["secret_access_key"] not in text
    assert creds.access_key_id in repr(creds)


def test_errors_name_the_problem_and_the_fix(sandbox):
    with pytest.raises(stsvault.ConfigError, match="stsvault add nowhere"):
        stsvault.credentials("nowhere")
    with pytest.raises(stsvault.VaultError):
        stsvault.Vault(backend="no-such-backend")
