//! One MFA prompt however many processes ask at once: 8 concurrent `stsvault exec` on a cold
//! cache against the TOTP-checking emulator make one prompt and one STS call per session, and
//! all succeed — for an MFA session, and for a role assumed with one.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use stsvault_test_support::{Emulator, IamUser, Sandbox, python};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "sls-administrator";
const PROCESSES: usize = 8;

/// A sandbox holding `user`'s keys under [`PROFILE`], whose MFA codes come from an
/// `mfa_process` that records each time it is asked and waits a little (a person typing);
/// `extra` is more config. Returns the sandbox and the record.
fn counting_sandbox(emulator: &Emulator, user: &IamUser, extra: &str) -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new(Some(emulator));
    let prompts = sandbox.home().join("prompts.log");
    // The "prompt": records that it was asked, waits a little (a person typing), prints the code.
    // A Python script, so one command line serves /bin/sh and cmd.exe alike.
    let prompt = sandbox.home().join("prompt.py");
    std::fs::write(
        &prompt,
        format!(
            "import subprocess, sys, time\n\
             with open({log:?}, 'a') as log:\n    log.write('asked\\n')\n\
             time.sleep(1)\n\
             sys.exit(subprocess.call([sys.executable, '-m', 'stsvault_emulator', 'totp', '--seed', {seed:?}]))\n",
            log = prompts.display().to_string(),
            seed = user.seed,
        ),
    )
    .unwrap();
    let mfa_process = format!("{} {}", python().display(), prompt.display());
    sandbox.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {}\nmfa_process = {mfa_process}\n{extra}",
        user.mfa_serial
    ));
    sandbox.add_keys(BIN, PROFILE, user);
    (sandbox, prompts)
}

/// [`PROCESSES`] × `stsvault exec PROFILE -- python -c <print AWS_ACCESS_KEY_ID>` started at once.
fn exec_at_once(sandbox: &Sandbox, profile: &str) -> Vec<Output> {
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            sandbox
                .command(BIN)
                .args(["exec", profile, "--"])
                .arg(python())
                .args(["-c", "import os; print(os.environ['AWS_ACCESS_KEY_ID'])"])
                .env(
                    "PYTHONPATH",
                    stsvault_test_support::repo_root().join("test-support/emulator"),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// Checks every run succeeded; returns the distinct keys they got and how many said they
/// waited for another process.
fn keys_and_waits(outputs: &[Output]) -> (std::collections::BTreeSet<String>, usize) {
    let mut keys = std::collections::BTreeSet::new();
    let mut waited = 0;
    for out in outputs {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        keys.insert(String::from_utf8_lossy(&out.stdout).trim().to_string());
        waited += usize::from(err.contains("waiting for MFA in another process"));
    }
    (keys, waited)
}

fn prompt_count(prompts: &PathBuf) -> usize {
    std::fs::read_to_string(prompts).unwrap().lines().count()
}

#[test]
fn concurrent_execs_on_a_cold_cache_prompt_once_and_call_sts_once() {
    let emulator = Emulator::start();
    let user = emulator.setup_user(PROFILE);
    let (sandbox, prompts) = counting_sandbox(&emulator, &user, "");

    let (keys, waited) = keys_and_waits(&exec_at_once(&sandbox, PROFILE));
    assert_eq!(prompt_count(&prompts), 1, "exactly one MFA prompt");
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1, "exactly one STS call: {gst:?}");
    assert_eq!(
        keys.len(),
        1,
        "every process got the same session: {keys:?}"
    );
    assert_eq!(
        keys.first().map(String::as_str),
        gst[0].issued_access_key_id.as_deref()
    );
    assert!(waited >= 1, "the waiting processes say so on stderr");
}

#[test]
fn concurrent_execs_of_a_cold_role_assume_it_once() {
    let emulator = Emulator::start();
    let user = emulator.setup_user_with_role(PROFILE, "prod-admin");
    let prod = format!(
        "[profile prod]\nsource_profile = {PROFILE}\nrole_arn = {role}\nmfa_serial = {serial}\n",
        role = user.role_arn.as_deref().unwrap(),
        serial = user.mfa_serial
    );
    let (sandbox, prompts) = counting_sandbox(&emulator, &user, &prod);

    let (keys, waited) = keys_and_waits(&exec_at_once(&sandbox, "prod"));
    assert_eq!(prompt_count(&prompts), 1, "exactly one MFA prompt");
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1);
    let assumed = emulator.sts_calls("AssumeRole");
    assert_eq!(assumed.len(), 1, "exactly one AssumeRole: {assumed:?}");
    assert_eq!(
        keys.len(),
        1,
        "every process got the same role session: {keys:?}"
    );
    assert_eq!(
        keys.first().map(String::as_str),
        assumed[0].issued_access_key_id.as_deref()
    );
    assert!(waited >= 1, "the waiting processes say so on stderr");
}
