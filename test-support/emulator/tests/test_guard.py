"""The guard in front of moto: real MFA checks, one key per session, signer mapping, call log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError

from stsvault_emulator.testing import Emulator, child_env, pid_alive, wait_for_ready_file

INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
UNKNOWN_DEVICE = "MultiFactorAuthentication failed, unable to validate MFA code."
MISSING = "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."

LOG_FIELDS = {
    "time", "service", "region", "protocol", "action", "params", "access_key_id", "acting_as",
    "status", "error_code", "error_message", "issued_access_key_id", "duration_ms",
}


def client(emulator, service, key_id, secret, token=None):
    return boto3.client(
        service,
        endpoint_url=emulator.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def user_client(emulator, user, service="sts"):
    return client(emulator, service, user["access_key_id"], user["secret_access_key"])


def session_client(emulator, creds, service="sts"):
    return client(emulator, service, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def code(user, offset=0):
    """The code of now (offset 0) or the next step (30): both stay valid across one step change."""
    return pyotp.TOTP(user["seed"]).at(time.time() + offset)


def wrong_code(user):
    totp, now = pyotp.TOTP(user["seed"]), time.time()
    valid = {totp.at(now + d) for d in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "123456", "999999") if c not in valid)


def denied(excinfo, message):
    err = excinfo.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Error"]["Code"] == "AccessDenied"
    assert err["Error"]["Type"] == "Sender"
    assert err["Error"]["Message"].startswith(message)


def test_right_code_opens_a_session(emulator, user):
    creds = user_client(emulator, user).get_session_token(
        SerialNumber=user["mfa_serial"], TokenCode=code(user)
    )["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert creds["SecretAccessKey"] and creds["SessionToken"]


def test_used_code_is_refused(emulator, user):
    sts, c = user_client(emulator, user), code(user)
    sts.get_session_token(SerialNumber=user["mfa_serial"], TokenCode=c)
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=user["mfa_serial"], TokenCode=c)
    denied(e, INVALID_CODE)
    assert e.value.response["Error"]["Message"] == INVALID_CODE


def test_wrong_code_is_refused_and_does_not_burn_the_right_one(emulator, user):
    sts = user_client(emulator, user)
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=user["mfa_serial"], TokenCode=wrong_code(user))
    denied(e, INVALID_CODE)
    sts.get_session_token(SerialNumber=user["mfa_serial"], TokenCode=code(user))


def test_unknown_serial_missing_code_and_foreign_device_are_refused(emulator, user):
    sts = user_client(emulator, user)
    other = emulator.setup_user("someone-else")
    serial = user["mfa_serial"]
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial + "-nope", TokenCode=code(user))
    denied(e, UNKNOWN_DEVICE)
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial)
    denied(e, MISSING)
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=other["mfa_serial"], TokenCode=code(other))
    denied(e, UNKNOWN_DEVICE)
    # none of these reached moto or used up a code
    sts.get_session_token(SerialNumber=serial, TokenCode=code(user))
    user_client(emulator, other).get_session_token(SerialNumber=other["mfa_serial"], TokenCode=code(other))


def test_session_credentials_cannot_get_another_session(emulator, user):
    creds = user_client(emulator, user).get_session_token(
        SerialNumber=user["mfa_serial"], TokenCode=code(user)
    )["Credentials"]
    with pytest.raises(ClientError) as e:
        session_client(emulator, creds).get_session_token()
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_each_session_gets_its_own_keys(emulator, user):
    sts = user_client(emulator, user)
    a = sts.get_session_token(SerialNumber=user["mfa_serial"], TokenCode=code(user))["Credentials"]
    b = sts.get_session_token(SerialNumber=user["mfa_serial"], TokenCode=code(user, 30))["Credentials"]
    c = sts.get_session_token()["Credentials"]  # no MFA: allowed, still its own keys
    for field in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        assert len({a[field], b[field], c[field]}) == 3, field


def test_session_answers_as_its_user_and_is_logged_as_signer(emulator, user):
    creds = user_client(emulator, user).get_session_token(
        SerialNumber=user["mfa_serial"], TokenCode=code(user)
    )["Credentials"]
    ident = session_client(emulator, creds).get_caller_identity()
    assert ident["Arn"] == user["user_arn"]
    assert ident["Arn"].endswith(":user/" + user["user"])
    # and other services see the user too
    users = session_client(emulator, creds, "iam").get_user()["User"]
    assert users["UserName"] == user["user"]

    (issued,) = emulator.calls(action="GetSessionToken", access_key_id=user["access_key_id"], status=200)
    assert issued["issued_access_key_id"] == creds["AccessKeyId"]
    (call,) = emulator.calls(action="GetCallerIdentity", access_key_id=creds["AccessKeyId"])
    assert call["acting_as"] == user["access_key_id"]
    assert call["service"] == "sts" and call["status"] == 200


def test_assume_role_with_mfa_is_checked(emulator, user):
    sts = user_client(emulator, user)
    args = {"RoleArn": user["role_arn"], "RoleSessionName": "deploy", "SerialNumber": user["mfa_serial"]}
    c = code(user)
    role = sts.assume_role(TokenCode=c, **args)["Credentials"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(TokenCode=c, **args)
    denied(e, INVALID_CODE)
    with pytest.raises(ClientError) as e:
        sts.assume_role(TokenCode=wrong_code(user), **args)
    denied(e, INVALID_CODE)
    with pytest.raises(ClientError) as e:
        sts.assume_role(**args)
    denied(e, MISSING)

    ident = session_client(emulator, role).get_caller_identity()
    role_name = user["role_arn"].rsplit("/", 1)[1]
    assert ident["Arn"] == f"arn:aws:sts::{user['account_id']}:assumed-role/{role_name}/deploy"
    (logged,) = emulator.calls(action="GetCallerIdentity", access_key_id=role["AccessKeyId"])
    assert logged["acting_as"] is None


def test_assume_role_from_an_mfa_session(emulator, user):
    """aws-vault's path: GetSessionToken with MFA, then AssumeRole signed by that session."""
    session = user_client(emulator, user).get_session_token(
        SerialNumber=user["mfa_serial"], TokenCode=code(user)
    )["Credentials"]
    role = session_client(emulator, session).assume_role(
        RoleArn=user["role_arn"], RoleSessionName="chained"
    )["Credentials"]
    assert role["AccessKeyId"] not in (session["AccessKeyId"], user["access_key_id"])
    assert ":assumed-role/" in session_client(emulator, role).get_caller_identity()["Arn"]
    (logged,) = emulator.calls(action="AssumeRole", access_key_id=session["AccessKeyId"])
    assert logged["acting_as"] == user["access_key_id"]
    assert logged["issued_access_key_id"] == role["AccessKeyId"]


def test_role_that_asks_for_mfa_is_refused_without_it(emulator, user):
    args = {"RoleArn": user["role_arn"], "RoleSessionName": "nomfa"}
    not_authorized = f"User: {user['user_arn']} is not authorized to perform: sts:AssumeRole"
    with pytest.raises(ClientError) as e:
        user_client(emulator, user).assume_role(**args)
    denied(e, not_authorized)
    plain = user_client(emulator, user).get_session_token()["Credentials"]  # no MFA
    with pytest.raises(ClientError) as e:
        session_client(emulator, plain).assume_role(**args)
    denied(e, not_authorized)
    # role credentials obtained with MFA carry it on to a chained AssumeRole
    role = user_client(emulator, user).assume_role(
        SerialNumber=user["mfa_serial"], TokenCode=code(user), **args
    )["Credentials"]
    session_client(emulator, role).assume_role(**args)


def test_log_lines_have_every_field_and_no_secrets(emulator, user):
    creds = user_client(emulator, user).get_session_token(
        SerialNumber=user["mfa_serial"], TokenCode=code(user)
    )["Credentials"]
    s3 = session_client(emulator, creds, "s3")
    s3.create_bucket(Bucket="deploy-bucket")
    s3.put_object(Bucket="deploy-bucket", Key="a/b.zip", Body=b"zip")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "deploy-bucket", "Key": "a/b.zip"})
    assert urllib.request.urlopen(url).read() == b"zip"
    logs = session_client(emulator, creds, "logs")
    logs.create_log_group(logGroupName="/aws/lambda/fn")
    iam = user_client(emulator, user, "iam")
    iam.create_login_profile(UserName=user["user"], Password="S3cret-Passw0rd!")

    raw = emulator.log_path.read_text()
    for secret in (user["secret_access_key"], creds["SecretAccessKey"], creds["SessionToken"], "S3cret-Passw0rd!"):
        assert secret not in raw
    entries = [json.loads(line) for line in raw.splitlines()]
    for e in entries:
        assert set(e) == LOG_FIELDS, e
        assert e["time"].endswith("Z") and isinstance(e["status"], int)

    (gst,) = [e for e in entries if e["issued_access_key_id"] == creds["AccessKeyId"]]
    assert gst["service"] == "sts" and gst["protocol"] == "query"
    assert gst["params"] == {"SerialNumber": user["mfa_serial"], "TokenCode": gst["params"]["TokenCode"]}
    (put,) = emulator.calls(action="PUT /deploy-bucket/a/b.zip")
    assert put["service"] == "s3" and put["protocol"] == "rest" and put["access_key_id"] == creds["AccessKeyId"]
    (get,) = emulator.calls(action="GET /deploy-bucket/a/b.zip")
    assert get["service"] == "s3" and get["access_key_id"] == creds["AccessKeyId"] and get["status"] == 200
    assert not {"Signature", "X-Amz-Signature", "X-Amz-Security-Token"} & set(get["params"])
    (group,) = emulator.calls(action="CreateLogGroup", access_key_id=creds["AccessKeyId"])
    assert group["service"] == "logs" and group["protocol"] == "json"
    assert group["params"] == {"logGroupName": "/aws/lambda/fn"}
    (profile,) = emulator.calls(action="CreateLoginProfile", access_key_id=user["access_key_id"])
    assert profile["params"] == {"UserName": user["user"]}
    denied_calls = [e for e in entries if e["status"] == 403]
    assert all(e["error_code"] == "AccessDenied" for e in denied_calls)


def test_totp_command_matches_pyotp(user):
    out = subprocess.run(
        [sys.executable, "-m", "stsvault_emulator", "totp", "--seed", user["seed"], "--offset", "30"],
        env=child_env(), capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert out in {pyotp.TOTP(user["seed"]).at(time.time() + d) for d in (0, 30, 60)}


def test_stops_on_sigterm(tmp_path):
    emu = Emulator.start(tmp_path)
    emu.proc.send_signal(signal.SIGTERM)
    assert emu.proc.wait(15) == 0
    assert not emu.ready_file.exists()


def test_stops_when_its_parent_dies(tmp_path):
    """A parent that starts the emulator with --parent-pid and is then killed outright."""
    ready = tmp_path / "ready.json"
    parent = subprocess.Popen(
        [sys.executable, "-c", (
            "import os, subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-m', 'stsvault_emulator', 'serve', '--ready-file', sys.argv[1],"
            " '--parent-pid', str(os.getpid())])\n"
            "time.sleep(600)\n"
        ), str(ready)],
        env=child_env(),
    )
    try:
        pid = wait_for_ready_file(ready, parent)["pid"]
        assert pid_alive(pid)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 15
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(pid)


def test_injected_faults_answer_the_next_calls_then_stop(emulator, user):
    emulator.inject_fault("GetCallerIdentity", "ExpiredToken", "The security token included in the request is expired", count=2)
    sts = user_client(emulator, user)
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            sts.get_caller_identity()
        assert excinfo.value.response["Error"]["Code"] == "ExpiredToken"
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{user['user']}")
    logged = [c for c in emulator.calls(action="GetCallerIdentity") if c["error_code"] == "ExpiredToken"]
    assert len(logged) >= 2
