"""The Python binding as a user gets it: `pip install` of the manylinux2014 wheel into a fresh
venv, boto3 from the package index, no compiler involved; then a boto3 session from the vault
makes a real STS call."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import VENV_BIN, Sandbox, artifact
from sizes import LIMITS, MB
from stsvault_emulator.mfa import current_code

WHEEL = "stsvault-*-cp39-abi3-*manylinux_2_17_x86_64*.whl"


def test_the_wheel_is_manylinux2014_and_small():
    wheel = artifact(WHEEL)
    shown = subprocess.run([VENV_BIN / "auditwheel", "show", wheel], capture_output=True, text=True, check=True)
    text = " ".join(shown.stdout.split())
    assert 'consistent with the following platform tag: "manylinux_2_17_x86_64"' in text, text
    assert wheel.stat().st_size < LIMITS["wheel"], f"{wheel.name} is {wheel.stat().st_size / MB:.1f} MB"


def test_pip_install_and_a_boto3_call(sandbox: Sandbox, tmp_path: Path):
    wheel = artifact(WHEEL)
    venv = tmp_path / "venv"
    # A fresh venv of the system's Python, as a user's would be; not the test venv.
    base_python = Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run([base_python, "-m", "venv", venv], check=True)
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-q", "boto3"], check=True)
    log = subprocess.run(
        [*pip, "install", "-v", "--no-index", "--no-build-isolation", wheel], capture_output=True, text=True
    )
    assert log.returncode == 0, log.stdout + log.stderr
    steps = re.findall(r"(?im)^.*(building wheel|running setup\.py|maturin|cargo|rustc|preparing metadata).*$", log.stdout + log.stderr)
    assert steps == [], f"pip built something instead of installing the wheel: {steps}"
    assert "Successfully installed stsvault" in log.stdout, log.stdout

    sandbox.profile()
    env = sandbox.env(AWS_ACCESS_KEY_ID=sandbox.user["access_key_id"], AWS_SECRET_ACCESS_KEY=sandbox.user["secret_access_key"])
    script = (
        "import stsvault, sys\n"
        "stsvault.Vault().add('sls-administrator', sys.argv[1], sys.argv[2])\n"
    )
    sandbox.run(venv / "bin" / "python", "-c", script, sandbox.user["access_key_id"], sandbox.user["secret_access_key"])

    mark = len(sandbox.emulator.calls())
    script = (
        "import os, stsvault\n"
        "print(stsvault.__file__)\n"
        "session = stsvault.boto3_session('sls-administrator', mfa_code=os.environ['CHECK_CODE'])\n"
        "print(session.client('sts').get_caller_identity()['Arn'])\n"
    )
    env = sandbox.env(CHECK_CODE=current_code(sandbox.user["seed"]))
    out = sandbox.run(venv / "bin" / "python", "-c", script, env=env)
    module, arn = out.stdout.split()
    assert module.startswith(str(venv / "lib")), f"stsvault imported from {module}"
    assert arn.endswith(f"user/{sandbox.user['user']}"), out.stdout
    [session] = sandbox.signers(mark, "GetSessionToken")
    assert session["access_key_id"] == sandbox.user["access_key_id"] and session["status"] == 200
    [identity] = sandbox.signers(mark, "GetCallerIdentity")
    assert identity["access_key_id"] == session["issued_access_key_id"]
