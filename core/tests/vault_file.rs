//! The encrypted file vault on real files: round trips, permissions, wrong passphrases, damaged
//! files, and interoperability with aws-vault's format as written and read by an independent JWE
//! implementation (joserfc, through `test-support/fixtures/aws_vault_file.py`).

use chrono::{TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use stsvault::vault::{FileBackend, SessionKey, Vault, VaultError};
use stsvault::{AccessKey, Credentials};
use stsvault_test_support::{assert_success, output_with_stdin, python, repo_root};

const PASS: &str = "correct horse battery staple";

fn open(dir: &Path, passphrase: &str) -> Vault {
    let p = passphrase.to_string();
    Vault::new(Box::new(FileBackend::new(
        dir,
        Box::new(move |_| Ok(SecretString::from(p.clone()))),
    )))
}

fn key() -> AccessKey {
    AccessKey::new(
        "AKIA-ROUNDTRIP-EXAMPLE",
        SecretString::from("round/trip+secret".to_string()),
    )
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn round_trip_across_vault_instances() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    let v = open(&dir, PASS);
    v.set_master("prod", &key()).unwrap();
    let session_key = SessionKey::new("sts.GetSessionToken", "prod", "arn:aws:iam::1:mfa/u");
    let session = Credentials {
        access_key_id: "ASIASESSION".into(),
        secret_access_key: SecretString::from("ssecret".to_string()),
        session_token: Some(SecretString::from("stoken".to_string())),
        expiration: Some(Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap()),
    };
    v.set_session(&session_key, &session).unwrap();

    let again = open(&dir, PASS);
    let got = again.get_master("prod").unwrap().unwrap();
    assert_eq!(got.access_key_id, "AKIA-ROUNDTRIP-EXAMPLE");
    assert_eq!(got.secret_access_key.expose_secret(), "round/trip+secret");
    let s = again.get_session(&session_key).unwrap().unwrap();
    assert_eq!(s.session_token_str(), Some("stoken"));
    assert_eq!(s.expiration, session.expiration);
    assert_eq!(again.master_names().unwrap(), vec!["prod".to_string()]);
    assert_eq!(again.sessions().unwrap().len(), 1);
}

#[test]
fn files_are_0600_in_a_0700_directory_and_hold_no_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new/keys");
    open(&dir, PASS).set_master("prod", &key()).unwrap();
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for (path, bytes) in snapshot(&dir) {
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{path:?}"
        );
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("round/trip+secret") && !text.contains("AKIA-ROUNDTRIP-EXAMPLE"));
    }
}

#[test]
fn wrong_passphrase_is_a_clear_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    open(&dir, PASS).set_master("prod", &key()).unwrap();
    let before = snapshot(&dir);
    let wrong = open(&dir, "not the passphrase");
    let err = wrong.get_master("prod").unwrap_err();
    assert!(matches!(err, VaultError::WrongPassphrase { .. }), "{err}");
    assert!(err.to_string().contains("passphrase"), "{err}");
    let err = wrong.set_master("dev", &key()).unwrap_err();
    assert!(matches!(err, VaultError::WrongPassphrase { .. }), "{err}");
    assert_eq!(
        snapshot(&dir),
        before,
        "a failed write must leave the vault as it was"
    );
}

#[test]
fn damaged_files_are_reported_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    let v = open(&dir, PASS);
    v.set_master("prod", &key()).unwrap();
    let file = dir.join("prod");
    let token = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, "this is not a JWE").unwrap();
    let err = open(&dir, PASS).get_master("prod").unwrap_err();
    assert!(
        matches!(err, VaultError::Corrupt { .. }) && err.to_string().contains("prod"),
        "{err}"
    );
    let parts: Vec<&str> = token.split('.').collect();
    std::fs::write(&file, parts[..3].join(".")).unwrap();
    let err = open(&dir, PASS).get_master("prod").unwrap_err();
    assert!(
        matches!(err, VaultError::Corrupt { .. }),
        "truncated: {err}"
    );
}

#[test]
fn listing_needs_no_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    open(&dir, PASS).set_master("a/b%c", &key()).unwrap();
    std::fs::write(dir.join(".stsvault-unfinished"), "x").unwrap();
    let no_pass = Vault::new(Box::new(FileBackend::new(
        &dir,
        Box::new(|_| panic!("asked for a passphrase")),
    )));
    assert_eq!(no_pass.master_names().unwrap(), vec!["a/b%c".to_string()]);
    assert!(dir.join("a%2Fb%25c").exists());
}

#[test]
fn reads_a_vault_written_by_another_jwe_implementation() {
    let dir = repo_root().join("core/tests/fixtures/vault");
    let v = open(&dir, "fixture passphrase");
    let master = v
        .get_master("team/prod")
        .unwrap()
        .expect("fixture master keys");
    assert_eq!(master.access_key_id, "AKIAFIXTUREEXAMPLE01");
    assert_eq!(
        master.secret_access_key.expose_secret(),
        "fixture/Secret+Key=Example0123456789abcd"
    );
    let session = v
        .get_session(&SessionKey::new("sts.GetSessionToken", "team/prod", ""))
        .unwrap()
        .unwrap();
    assert_eq!(session.access_key_id, "ASIAFIXTURESESSION01");
    assert_eq!(session.session_token_str(), Some("session-token"));
}

fn fixture_tool() -> Command {
    let mut cmd = Command::new(python());
    cmd.arg(repo_root().join("test-support/fixtures/aws_vault_file.py"))
        .env("TEST_VAULT_PASSPHRASE", PASS);
    cmd
}

#[test]
fn items_written_now_by_joserfc_open_here() {
    let tmp = tempfile::tempdir().unwrap();
    let out = output_with_stdin(
        fixture_tool().args(["write"]).arg(tmp.path()).arg("ünï/côdé"),
        br#"{"AccessKeyID":"AKIAJOSERFC","SecretAccessKey":"from-python","SessionToken":"","Source":"","CanExpire":false,"Expires":"0001-01-01T00:00:00Z"}"#,
    );
    assert_success(&out);
    let v = open(tmp.path(), PASS);
    assert_eq!(v.master_names().unwrap(), vec!["ünï/côdé".to_string()]);
    assert_eq!(
        v.get_master("ünï/côdé")
            .unwrap()
            .unwrap()
            .secret_access_key
            .expose_secret(),
        "from-python"
    );
}

#[test]
fn items_written_here_open_with_joserfc_in_aws_vault_layout() {
    let tmp = tempfile::tempdir().unwrap();
    open(tmp.path(), PASS)
        .set_master("team/prod", &key())
        .unwrap();
    let out = fixture_tool()
        .arg("read")
        .arg(tmp.path().join("team%2Fprod"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["header"]["alg"], "PBES2-HS256+A128KW");
    assert_eq!(v["header"]["enc"], "A256GCM");
    assert_eq!(v["header"]["p2c"], 8192);
    assert!(v["header"]["created"].is_string());
    assert_eq!(v["item"]["Key"], "team/prod");
    assert_eq!(v["item"]["Label"], "aws-vault (team/prod)");
    assert_eq!(v["item"]["Data"]["AccessKeyID"], "AKIA-ROUNDTRIP-EXAMPLE");
    assert_eq!(v["item"]["Data"]["SecretAccessKey"], "round/trip+secret");
    assert_eq!(v["item"]["Data"]["Expires"], "0001-01-01T00:00:00Z");
}
