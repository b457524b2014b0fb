"""The vault and the config through the binding: the same items the command manages."""

from __future__ import annotations

import subprocess
import sys

import pytest

import stsvault
from conftest import current_code


def test_keys_are_added_listed_and_removed_with_their_sessions(user, sandbox):
    vault = stsvault.Vault()
    assert vault.backend == "file"
    assert vault.profiles() == []
    vault.add("alpha", user["access_key_id"], user["secret_access_key"])
    vault.add("beta", "AKIAEXAMPLEEXAMPLE01", "not-a-real-secret")
    assert sorted(vault.profiles()) == ["alpha", "beta"]
    sandbox.write_config(f"[profile alpha]\nmfa_serial = {user['mfa_serial']}\n")
    stsvault.credentials("alpha", mfa_code=current_code(user["seed"]))
    (session,) = vault.sessions()
    assert (session.kind, session.profile, session.mfa_serial) == ("sts.GetSessionToken", "alpha", user["mfa_serial"])
    assert repr(vault) == "Vault(backend='file')"
    assert vault.remove("alpha") is True
    assert vault.remove("alpha") is False
    assert vault.profiles() == ["beta"]
    assert vault.sessions() == []
    assert vault.clear() == 0


def test_a_wrong_passphrase_is_a_vault_error(user, sandbox):
    stsvault.Vault().add("alpha", user["access_key_id"], user["secret_access_key"])
    sandbox.write_config("[profile alpha]\n")
    with pytest.raises(stsvault.VaultError, match="passphrase"):
        stsvault.credentials("alpha", file_passphrase="wrong passphrase", no_session=True)
    creds = stsvault.credentials("alpha", file_passphrase=sandbox.passphrase, no_session=True)
    assert creds.access_key_id == user["access_key_id"]


def test_config_lists_and_resolves_profiles(sandbox, tmp_path):
    other = tmp_path / "other-config"
    other.write_text(
        "[default]\nregion = us-west-2\n"
        "[profile base]\nmfa_serial = arn:aws:iam::111111111111:mfa/me\n"
        "[profile prod]\nsource_profile = base\nrole_arn = arn:aws:iam::222222222222:role/deploy\n"
        "duration_seconds = 1800\n"
    )
    config = stsvault.load_config(other)
    assert config.config_path == str(other)
    assert config.profiles == ["base", "default", "prod"]
    prod = config.profile("prod")
    assert prod.region == "us-west-2"
    assert prod.source_profile == "base"
    assert prod.role_arn == "arn:aws:iam::222222222222:role/deploy"
    assert prod.assume_role_duration == 1800.0
    with pytest.raises(stsvault.ConfigError, match="staging"):
        config.profile("staging")


def test_the_native_module_imports_without_boto3(sandbox):
    program = (
        "import sys; sys.modules['boto3'] = None\n"
        "import stsvault\n"
        "print(stsvault.Vault().backend)\n"
        "try:\n"
        "    stsvault.boto3_session('x')\n"
        "except ImportError as e:\n"
        "    print('ImportError', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=sandbox.env(), check=True)
    assert out.stdout.splitlines() == ["file", "ImportError stsvault.boto3_session needs boto3: pip install 'stsvault[boto3]'"]
