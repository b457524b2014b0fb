//! `stsvault rotate` against the emulator's IAM: a new key signed for with an MFA session,
//! checked, stored, the old one deleted and its sessions dropped; a failure at any step leaves
//! a working key in the vault.

use std::process::Output;
use stsvault_test_support::{
    Emulator, IamUser, Sandbox, TRUE_COMMAND, assert_success, three_valid_codes,
};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "deployer";

fn setup() -> (Emulator, IamUser, Sandbox) {
    let (emulator, user, mut sandbox) = Sandbox::mfa_process_world(BIN, PROFILE, "us-east-1");
    sandbox.set_env("STSVAULT_ROTATE_WAIT", "4");
    (emulator, user, sandbox)
}

fn run(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox
        .command(BIN)
        .args(args)
        .output()
        .expect("run stsvault")
}

/// The key id the vault holds now (`export --no-session` prints the stored keys themselves).
fn key_in_vault(sandbox: &Sandbox) -> String {
    let out = run(
        sandbox,
        &["export", "--no-session", "--format", "json", PROFILE],
    );
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    json["AccessKeyId"].as_str().unwrap_or_default().to_string()
}

#[test]
fn rotate_replaces_the_key_using_an_mfa_session() {
    let (emulator, user, sandbox) = setup();
    // A cached session, made with the previous code (rotate's own MFA session needs a new one).
    let [earlier, _, _] = three_valid_codes(&user.seed);
    let exec: Vec<&str> = ["exec", "-t", &earlier, PROFILE, "--"]
        .into_iter()
        .chain(TRUE_COMMAND.iter().copied())
        .collect();
    assert_success(&run(&sandbox, &exec));

    let before = emulator.calls().len();
    let out = run(&sandbox, &["rotate", PROFILE]);
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "Rotating credentials stored for profile 'deployer' using a session from profile 'deployer' (takes 10-20 seconds)"
    );
    assert!(
        lines.contains(&"Deleted 1 sessions for deployer"),
        "{stdout}"
    );
    assert_eq!(lines.last(), Some(&"Finished rotating access key"));
    assert!(
        !stdout.contains(&user.access_key_id),
        "key ids are shown masked: {stdout}"
    );

    let calls = emulator.calls().split_off(before);
    let create = calls
        .iter()
        .find(|c| c.action.as_deref() == Some("CreateAccessKey"))
        .expect("CreateAccessKey");
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(
        gst.len(),
        2,
        "rotate gets a fresh MFA session, not the cached one"
    );
    assert_eq!(
        create.access_key_id, gst[1].issued_access_key_id,
        "signed with the MFA session"
    );
    assert_eq!(create.param("UserName").as_deref(), Some(PROFILE));
    let new_key = create.issued_access_key_id.clone().expect("new key id");
    let delete = calls
        .iter()
        .find(|c| c.action.as_deref() == Some("DeleteAccessKey"))
        .expect("DeleteAccessKey");
    assert_eq!(
        delete.param("AccessKeyId").as_deref(),
        Some(user.access_key_id.as_str())
    );
    assert_eq!(delete.status, Some(200));
    assert_eq!(
        delete.access_key_id.as_deref(),
        Some(new_key.as_str()),
        "the new key deletes the old"
    );

    assert_eq!(key_in_vault(&sandbox), new_key);
}

#[test]
fn a_failed_rotation_leaves_the_old_key_working() {
    let (emulator, user, sandbox) = setup();

    // IAM refuses to create a key: nothing changes.
    emulator.inject_fault("CreateAccessKey", "LimitExceeded", 409, 1);
    let out = run(&sandbox, &["rotate", "--no-session", PROFILE]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("IAM CreateAccessKey failed for profile `deployer`: LimitExceeded")
            && stderr.contains("the vault still holds the old key"),
        "{stderr}"
    );
    assert_eq!(key_in_vault(&sandbox), user.access_key_id);

    // The new key never works: it is deleted again and the old one stays.
    emulator.inject_fault_after("GetCallerIdentity", "InvalidClientTokenId", 403, 100, 1);
    let before = emulator.calls().len();
    let out = run(&sandbox, &["rotate", "--no-session", PROFILE]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("it was deleted again and the vault still holds the old key"),
        "{stderr}"
    );
    let calls = emulator.calls().split_off(before);
    let created: Vec<_> = calls
        .iter()
        .filter(|c| c.action.as_deref() == Some("CreateAccessKey") && c.status == Some(200))
        .collect();
    assert_eq!(created.len(), 1);
    let deleted: Vec<_> = calls
        .iter()
        .filter(|c| c.action.as_deref() == Some("DeleteAccessKey"))
        .collect();
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(
        deleted[0].param("AccessKeyId"),
        created[0].issued_access_key_id
    );
    assert_eq!(key_in_vault(&sandbox), user.access_key_id);
}
