"""examples/python-boto3/deploy.py, run as a user runs it, against the emulator."""

from __future__ import annotations

import json
import subprocess
import sys

import stsvault
from conftest import REPO

SCRIPT = REPO / "examples" / "python-boto3" / "deploy.py"


def test_the_deploy_script_deploys_with_one_mfa_session(emulator, user, sandbox):
    # The code comes from the profile's mfa_process (the emulator's TOTP tool), as a
    # pipeline without a terminal would have it.
    sandbox.write_config(
        f"[profile sls-administrator]\nmfa_serial = {user['mfa_serial']}\nregion = eu-west-1\n"
        f"mfa_process = {sys.executable} -m stsvault_emulator totp --seed {user['seed']}\n"
    )
    stsvault.Vault().add("sls-administrator", user["access_key_id"], user["secret_access_key"])

    summaries = []
    for stage in ("staging", "prod"):
        out = subprocess.run(
            [sys.executable, str(SCRIPT), "sls-administrator", stage],
            env=sandbox.env(),
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        assert out.returncode == 0, out.stderr
        summaries.append(json.loads(out.stdout))

    assert [s["status"] for s in summaries] == ["CREATE_COMPLETE", "CREATE_COMPLETE"]
    assert summaries[1]["artifact"] == f"s3://stsvault-example-prod-artifacts-{user['account_id']}/prod/build.zip"
    # One MFA session (the second run read it from the vault's cache) signed everything.
    (gst,) = emulator.calls(service="sts", action="GetSessionToken", access_key_id=user["access_key_id"])
    session_key = gst["issued_access_key_id"]
    assert {s["signed_by"] for s in summaries} == {session_key}
    stacks = emulator.calls(service="cloudformation", action="CreateStack", access_key_id=session_key)
    assert [c["status"] for c in stacks] == [200, 200]


def test_the_deploy_script_reports_a_missing_profile_in_one_line(sandbox):
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "nowhere", "dev"],
        env=sandbox.env(),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 1
    assert out.stderr.startswith("deploy: profile `nowhere` not found"), out.stderr
    assert "Traceback" not in out.stderr
