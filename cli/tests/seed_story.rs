//! End to end through the real `stsvault` binary against the TOTP-checking emulator: the seed's
//! story (`add`, a profile with `mfa_serial`, `exec` asking for the passphrase and MFA code on a
//! real terminal), the session cache, MFA failures, exit codes and nesting. The terminal parts
//! run on Unix, where a pseudo-terminal can be driven.

#[cfg(unix)]
use std::process::Output;
use stsvault_test_support::{
    Emulator, IamUser, Sandbox, TRUE_COMMAND, assert_success, python, totp,
};
#[cfg(unix)]
use stsvault_test_support::{WHOAMI_PY as WHOAMI, whoami};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "sls-administrator";

struct Story {
    emulator: Emulator,
    user: IamUser,
    sandbox: Sandbox,
}

fn story() -> Story {
    let emulator = Emulator::start();
    let user = emulator.setup_user(PROFILE);
    let sandbox = Sandbox::new(Some(&emulator));
    sandbox.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {}\nregion = us-east-1\n",
        user.mfa_serial
    ));
    let out = sandbox.add_keys(BIN, PROFILE, &user);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Added credentials to profile \"sls-administrator\" in vault")
    );
    Story {
        emulator,
        user,
        sandbox,
    }
}

/// `stsvault exec PROFILE -- python -c WHOAMI` in a real terminal, typing the passphrase and
/// the current TOTP code when asked.
#[cfg(unix)]
fn exec_on_terminal(s: &Story) -> Output {
    let mut cmd = s.sandbox.pty_command(
        &[
            ("passphrase to unlock", "hidden-env:TEST_VAULT_PASSPHRASE"),
            ("Enter MFA code for", "totp:TEST_MFA_SEED"),
        ],
        BIN,
    );
    cmd.args(["exec", PROFILE, "--"])
        .arg(python())
        .args(["-c", WHOAMI]);
    cmd.env_remove("AWS_VAULT_FILE_PASSPHRASE")
        .env("TEST_VAULT_PASSPHRASE", &s.sandbox.passphrase)
        .env("TEST_MFA_SEED", &s.user.seed);
    cmd.output().expect("run stsvault exec in a pty")
}

#[test]
#[cfg(unix)]
fn seed_story_asks_passphrase_and_mfa_once_and_hands_out_only_the_session() {
    let s = story();
    let out = exec_on_terminal(&s);
    assert_success(&out);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(screen.matches("Enter MFA code for").count(), 1, "{screen}");
    assert!(screen.contains(&s.user.mfa_serial), "{screen}");

    let who = whoami(&out);
    assert!(
        who["arn"]
            .as_str()
            .unwrap()
            .ends_with(":user/sls-administrator"),
        "{who}"
    );
    assert_ne!(
        who["key"],
        s.user.access_key_id.as_str(),
        "the master key reached the child"
    );
    assert_eq!(who["token"], true);
    assert_eq!(who["vault"], PROFILE);
    assert_eq!(who["region"], "us-east-1");
    assert!(who["exp"].as_str().unwrap().ends_with('Z'), "{who}");

    let gst = s.emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1, "{gst:?}");
    assert_eq!(gst[0].status, Some(200));
    assert_eq!(
        gst[0].access_key_id.as_deref(),
        Some(s.user.access_key_id.as_str())
    );
    assert_eq!(
        gst[0].param("SerialNumber").as_deref(),
        Some(s.user.mfa_serial.as_str())
    );
    let session_key = gst[0].issued_access_key_id.clone().expect("issued key");
    assert_eq!(who["key"], session_key.as_str());
    let ident = s.emulator.sts_calls("GetCallerIdentity");
    assert_eq!(ident.len(), 1);
    assert_eq!(
        ident[0].access_key_id.as_deref(),
        Some(session_key.as_str())
    );
}

#[test]
#[cfg(unix)]
fn second_exec_within_the_ttl_makes_no_sts_call_and_no_prompt() {
    let s = story();
    assert_success(&exec_on_terminal(&s));
    // No terminal, no MFA source at all: only the cache can answer.
    let out = s
        .sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--"])
        .arg(python())
        .args(["-c", WHOAMI])
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(s.emulator.sts_calls("GetSessionToken").len(), 1);
    let list = s.sandbox.command(BIN).args(["list"]).output().unwrap();
    assert_success(&list);
    let table = String::from_utf8_lossy(&list.stdout);
    assert!(table.contains("sts.GetSessionToken:"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(PROFILE) && l.contains(PROFILE)),
        "{table}"
    );
}

#[test]
fn wrong_mfa_code_fails_clearly_and_caches_nothing() {
    let s = story();
    let right = totp(&s.user.seed, 0);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let out = s
        .sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--mfa-token", &wrong, "--"])
        .args(TRUE_COMMAND)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rejected the MFA code"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    let sessions = s
        .sandbox
        .command(BIN)
        .args(["list", "--sessions"])
        .output()
        .unwrap();
    assert_success(&sessions);
    assert!(String::from_utf8_lossy(&sessions.stdout).trim().is_empty());
}

#[test]
fn a_reused_mfa_code_is_refused() {
    let s = story();
    // A second profile on the same keys and device, so the second exec cannot use the first's session.
    s.sandbox.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {m}\n\n[profile again]\nmfa_serial = {m}\n",
        m = s.user.mfa_serial
    ));
    s.sandbox.add_keys(BIN, "again", &s.user);
    let code = totp(&s.user.seed, 0);
    assert_success(
        &s.sandbox
            .command(BIN)
            .args(["exec", PROFILE, "--mfa-token", &code, "--"])
            .args(TRUE_COMMAND)
            .output()
            .unwrap(),
    );
    let out = s
        .sandbox
        .command(BIN)
        .args(["exec", "again", "--mfa-token", &code, "--"])
        .args(TRUE_COMMAND)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("rejected the MFA code"));
    let sessions = s
        .sandbox
        .command(BIN)
        .args(["list", "--sessions"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sessions.stdout).lines().count(),
        1,
        "only the first profile's session is cached"
    );
}

#[test]
fn the_child_exit_code_is_passed_through() {
    let s = story();
    let code = totp(&s.user.seed, 0);
    let out = s
        .sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--mfa-token", &code, "--"])
        .arg(python())
        .args(["-c", "import sys; sys.exit(42)"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(42));
}

#[test]
fn exec_refuses_to_nest_inside_another_profile() {
    let s = story();
    let out = s
        .sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--"])
        .args(TRUE_COMMAND)
        .env("AWS_VAULT", "dev")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AWS_VAULT") && err.contains("dev"), "{err}");
    assert!(s.emulator.sts_calls("GetSessionToken").is_empty());
}

#[test]
fn without_a_terminal_the_mfa_prompt_says_how_to_supply_the_code() {
    let s = story();
    let out = s
        .sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--"])
        .args(TRUE_COMMAND)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--mfa-token") && err.contains("mfa_process"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");
}

#[test]
#[cfg(unix)]
fn add_prompts_for_the_keys_and_passphrase_on_the_terminal() {
    let sandbox = Sandbox::new(None);
    let mut cmd = sandbox.pty_command(
        &[
            ("Access Key ID: ", "env:TEST_KEY_ID"),
            ("Secret Access Key: ", "hidden-env:TEST_SECRET"),
            ("passphrase to unlock", "hidden-env:TEST_VAULT_PASSPHRASE"),
        ],
        BIN,
    );
    cmd.args(["add", PROFILE])
        .env_remove("AWS_VAULT_FILE_PASSPHRASE")
        .env("TEST_KEY_ID", "AKIA-INTERACTIVE-TEST")
        .env("TEST_SECRET", "typed-secret-never-echoed")
        .env("TEST_VAULT_PASSPHRASE", &sandbox.passphrase);
    let out = cmd.output().unwrap();
    assert_success(&out);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("Added credentials to profile \"sls-administrator\" in vault"),
        "{screen}"
    );
    assert!(
        screen.contains("AKIA-INTERACTIVE-TEST"),
        "the key id is echoed: {screen}"
    );
    assert!(
        !screen.contains("typed-secret-never-echoed") && !screen.contains(&sandbox.passphrase),
        "the secret must not be echoed: {screen}"
    );
    // --add-config (the default) created the profile; the keys are in the vault.
    assert!(
        std::fs::read_to_string(sandbox.config_path())
            .unwrap()
            .contains("[profile sls-administrator]")
    );
    let list = sandbox
        .command(BIN)
        .args(["list", "--credentials"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), PROFILE);
}
