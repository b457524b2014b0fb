//! `stsvault clear` and `stsvault remove` on a vault holding keys and a cached session.

use stsvault_test_support::{Emulator, Sandbox, TRUE_COMMAND, assert_success, totp};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "sls-administrator";

/// A sandbox whose vault holds the profile's keys and one cached MFA session.
fn vault_with_a_session() -> (Emulator, Sandbox) {
    let emulator = Emulator::start();
    let user = emulator.setup_user(PROFILE);
    let sandbox = Sandbox::new(Some(&emulator));
    sandbox.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {}\n",
        user.mfa_serial
    ));
    sandbox.add_keys(BIN, PROFILE, &user);
    let code = totp(&user.seed, 0);
    assert_success(
        &sandbox
            .command(BIN)
            .args(["exec", PROFILE, "--mfa-token", &code, "--"])
            .args(TRUE_COMMAND)
            .output()
            .unwrap(),
    );
    assert_eq!(lines(&sandbox, &["list", "--sessions"]).len(), 1);
    (emulator, sandbox)
}

fn lines(sandbox: &Sandbox, args: &[&str]) -> Vec<String> {
    let out = sandbox.command(BIN).args(args).output().unwrap();
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn clear_removes_sessions_and_keeps_keys() {
    let (_emulator, sandbox) = vault_with_a_session();
    assert_eq!(
        lines(&sandbox, &["clear", "other-profile"]),
        vec!["Cleared 0 sessions."]
    );
    assert_eq!(
        lines(&sandbox, &["clear", PROFILE]),
        vec!["Cleared 1 sessions."]
    );
    assert!(lines(&sandbox, &["list", "--sessions"]).is_empty());
    assert_eq!(lines(&sandbox, &["list", "--credentials"]), vec![PROFILE]);
    assert_eq!(lines(&sandbox, &["clear"]), vec!["Cleared 0 sessions."]);
}

#[test]
fn remove_force_deletes_keys_and_sessions() {
    let (_emulator, sandbox) = vault_with_a_session();
    let out = lines(&sandbox, &["remove", "--force", PROFILE]);
    assert_eq!(out, vec!["Deleted credentials.", "Deleted 1 sessions."]);
    assert!(lines(&sandbox, &["list", "--credentials"]).is_empty());
    assert!(lines(&sandbox, &["list", "--sessions"]).is_empty());
    let again = sandbox
        .command(BIN)
        .args(["remove", "-f", PROFILE])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no credentials are stored"));
}

/// Unix: answered on a pseudo-terminal.
#[test]
#[cfg(unix)]
fn remove_asks_first_and_keeps_the_keys_on_no() {
    let (_emulator, sandbox) = vault_with_a_session();
    let mut no = sandbox.pty_command(&[(r"\(y\|N\) ", "env:ANSWER")], BIN);
    no.args(["remove", PROFILE]).env("ANSWER", "n");
    assert_success(&no.output().unwrap());
    assert_eq!(lines(&sandbox, &["list", "--credentials"]), vec![PROFILE]);

    let mut yes = sandbox.pty_command(&[(r"\(y\|N\) ", "env:ANSWER")], BIN);
    yes.args(["rm", PROFILE]).env("ANSWER", "y");
    let out = yes.output().unwrap();
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Deleted credentials."));
    assert!(lines(&sandbox, &["list", "--credentials"]).is_empty());
}

#[test]
fn remove_sessions_only_keeps_the_keys() {
    let (_emulator, sandbox) = vault_with_a_session();
    assert_eq!(
        lines(&sandbox, &["remove", "--sessions-only", PROFILE]),
        vec!["Deleted 1 sessions."]
    );
    assert_eq!(lines(&sandbox, &["list", "--credentials"]), vec![PROFILE]);
}
