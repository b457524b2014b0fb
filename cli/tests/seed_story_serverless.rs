//! The seed's last step for real: `stsvault exec sls-administrator -- sls deploy --verbose -s prod`
//! deploys the sample service in `examples/serverless-service` (osls, the open Serverless v3) to
//! the emulator, asking for the passphrase and the MFA code once on a real terminal; every call
//! of the deploy is signed by the MFA session's key, never the master key.

// Unix only: it types on a pseudo-terminal.
#![cfg(unix)]

use stsvault_test_support::{Emulator, Sandbox, python, repo_root};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");

#[test]
fn sls_deploy_through_exec_is_signed_only_by_the_mfa_session() {
    let service = repo_root().join("examples/serverless-service");
    assert!(
        service.join("node_modules/.bin/sls").exists(),
        "osls is not installed in {}; run `make deps`",
        service.display()
    );
    let emulator = Emulator::start();
    let user = emulator.setup_user("sls-administrator");
    let sandbox = Sandbox::new(Some(&emulator));
    sandbox.write_config(&format!(
        "[profile sls-administrator]\nmfa_serial = {}\n",
        user.mfa_serial
    ));
    sandbox.add_keys(BIN, "sls-administrator", &user);

    let mut cmd = sandbox.pty_command(
        &[
            ("passphrase to unlock", "hidden-env:TEST_VAULT_PASSPHRASE"),
            ("Enter MFA code for", "totp:TEST_MFA_SEED"),
        ],
        BIN,
    );
    cmd.args(["exec", "sls-administrator", "--"])
        .arg(repo_root().join("test-support/sls/deploy.sh"))
        .arg("--copy")
        .arg(&service)
        .env_remove("AWS_VAULT_FILE_PASSPHRASE")
        .env("TEST_VAULT_PASSPHRASE", &sandbox.passphrase)
        .env("TEST_MFA_SEED", &user.seed)
        .env("SLS_STAGE", "prod")
        .env("STSVAULT_PYTHON", python())
        .env("CI", "true");
    let out = cmd.output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "deploy failed:\n{screen}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(screen.matches("Enter MFA code for").count(), 1, "{screen}");
    assert!(screen.contains("stsvault-demo-prod"), "{screen}");

    let calls = emulator.calls();
    let gst: Vec<_> = calls
        .iter()
        .filter(|c| c.is_sts("GetSessionToken"))
        .collect();
    assert_eq!(gst.len(), 1, "one MFA session");
    assert_eq!(
        gst[0].access_key_id.as_deref(),
        Some(user.access_key_id.as_str())
    );
    let session = gst[0].issued_access_key_id.clone().unwrap();
    let position = calls
        .iter()
        .position(|c| c.is_sts("GetSessionToken"))
        .unwrap();
    let deploy_calls = &calls[position + 1..];
    let services: std::collections::BTreeSet<_> = deploy_calls
        .iter()
        .filter_map(|c| c.service.clone())
        .collect();
    assert!(
        services.contains("cloudformation") && services.contains("s3"),
        "{services:?}"
    );
    for c in deploy_calls {
        assert_eq!(
            c.access_key_id.as_deref(),
            Some(session.as_str()),
            "call not signed by the MFA session: {c:?}"
        );
    }
    assert!(
        deploy_calls
            .iter()
            .any(|c| c.service.as_deref() == Some("cloudformation")
                && c.action.as_deref() == Some("ExecuteChangeSet"))
    );
}
