"""The Node binding as a user gets it: `npm install` of the main package's and the linux-x64-gnu
package's tarballs into a fresh project with @aws-sdk/client-sts and osls; then `fromVault` makes
a real STS call, and `sls deploy -s prod` gets its session from the plugin."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import MFA_ANSWER, REPO, Sandbox, artifact
from sizes import LIMITS, MB
from stsvault_emulator.mfa import current_code

PLATFORM = "linux-x64-gnu"
SERVICE = REPO / "examples" / "serverless-plugin-service"


def tarball_names(tgz: Path) -> list[str]:
    with tarfile.open(tgz) as t:
        return t.getnames()


def test_main_package_has_no_addon_and_the_platform_package_has_one():
    main = artifact("stsvault-[0-9]*.tgz")
    assert not [n for n in tarball_names(main) if n.endswith(".node")], tarball_names(main)
    with tarfile.open(main) as t:
        manifest = json.load(t.extractfile("package/package.json"))
    platform = artifact(f"stsvault-{PLATFORM}-*.tgz")
    with tarfile.open(platform) as t:
        platform_manifest = json.load(t.extractfile("package/package.json"))
    assert manifest["optionalDependencies"].get(platform_manifest["name"]) == platform_manifest["version"], (
        "the main package must require exactly the platform package built with it",
        manifest["optionalDependencies"],
    )
    addons = [n for n in tarball_names(platform) if n.endswith(".node")]
    assert addons == [f"package/stsvault.{PLATFORM}.node"], addons
    with tarfile.open(platform) as t:
        size = t.getmember(addons[0]).size
    assert size < LIMITS["node"], f"the addon is {size / MB:.1f} MB"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A fresh project with both tarballs, the AWS SDK's STS client and osls installed by npm."""
    project = tmp_path_factory.mktemp("npm-project")
    service_manifest = json.loads((SERVICE / "package.json").read_text())
    sdk = os.environ["STSVAULT_CHECK_CLIENT_STS"]  # the version the binding's own suite uses
    manifest = {
        "name": "release-check",
        "version": "1.0.0",
        "private": True,
        "devDependencies": {
            "stsvault": f"file:{artifact('stsvault-[0-9]*.tgz')}",
            f"stsvault-{PLATFORM}": f"file:{artifact(f'stsvault-{PLATFORM}-*.tgz')}",
            "@aws-sdk/client-sts": sdk,
            "osls": service_manifest["devDependencies"]["osls"],
        },
    }
    (project / "package.json").write_text(json.dumps(manifest, indent=2))
    for name in ("serverless.yml", "handler.js"):
        shutil.copy(SERVICE / name, project / name)
    out = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
        cwd=project, capture_output=True, text=True, timeout=900,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    installed = project / "node_modules" / "stsvault"
    assert not installed.is_symlink(), "stsvault must be installed from the tarball, not linked"
    # npm ls fails on an edge the tree does not satisfy: the main package's optional
    # dependency on the platform package must be met by the tarball installed beside it.
    tree = subprocess.run(["npm", "ls", "--all", f"stsvault-{PLATFORM}"], cwd=project, capture_output=True, text=True)
    assert tree.returncode == 0, tree.stdout + tree.stderr
    assert not (installed / "node_modules").exists(), "npm nested another copy of the platform package"
    return project


def test_from_vault_makes_a_real_call(sandbox: Sandbox, project: Path):
    sandbox.profile()
    sandbox.add_keys_with_cli()

    mark = len(sandbox.emulator.calls())
    script = """
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
const { fromVault } = require('stsvault');
console.log(require.resolve('stsvault'));
const sts = new STSClient({ region: 'us-east-1', credentials: fromVault({ profile: 'sls-administrator', mfaCode: process.env.CHECK_CODE }) });
sts.send(new GetCallerIdentityCommand({})).then((me) => console.log(me.Arn), (e) => { console.error(e.message); process.exit(1); });
"""
    out = sandbox.run("node", "-e", script, env=sandbox.env(CHECK_CODE=current_code(sandbox.user["seed"])), cwd=project)
    resolved, arn = out.stdout.split()
    assert resolved.startswith(str(project / "node_modules" / "stsvault")), resolved
    assert arn.endswith(f"user/{sandbox.user['user']}"), out.stdout
    [session] = sandbox.signers(mark, "GetSessionToken")
    assert session["access_key_id"] == sandbox.user["access_key_id"] and session["status"] == 200
    [identity] = sandbox.signers(mark, "GetCallerIdentity")
    assert identity["access_key_id"] == session["issued_access_key_id"]


def test_sls_deploy_through_the_installed_plugin(sandbox: Sandbox, project: Path):
    sandbox.profile()
    sandbox.add_keys_with_cli()

    mark = len(sandbox.emulator.calls())
    deploy = REPO / "test-support" / "sls" / "deploy.sh"
    env = sandbox.env(SLS_STAGE="prod", SLS_FRAMEWORK="osls")
    out = sandbox.in_terminal(deploy, "--copy", "--plugin-credentials", project, answers=[MFA_ANSWER], env=env)
    assert "Service deployed to stack stsvault-plugin-demo-prod" in out.stdout, out.stdout
    assert out.stdout.count("Enter MFA code") == 1, out.stdout
    [session] = sandbox.signers(mark, "GetSessionToken")
    assert session["access_key_id"] == sandbox.user["access_key_id"]
    rest = [c for c in sandbox.emulator.calls()[mark:] if c is not session and c.get("action") != "GetSessionToken"]
    assert len(rest) >= 20, f"the deploy made {len(rest)} calls"
    assert {c["access_key_id"] for c in rest} == {session["issued_access_key_id"]}, "every call signed by the session"
    assert any(c.get("service") == "cloudformation" and c.get("action") == "ExecuteChangeSet" and c.get("status") == 200 for c in rest)
