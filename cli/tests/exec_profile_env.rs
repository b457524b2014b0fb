//! `exec --profile-env` / `AWS_VAULT_PROFILE_ENV` against the emulator, as the ByteNess
//! aws-vault fork has it: the profile's credentials are fetched first (MFA and STS happen before
//! the command starts, and a failure stops `exec` before it), then the command gets
//! `AWS_PROFILE` and the region instead of keys, and its own SDK finds the credentials through
//! `~/.aws/config`. With a credential server the option has no effect.
//!
//! Unix only: the command and the stand-in credential_process are shell scripts.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::process::Output;
use stsvault_test_support::{Sandbox, WHOAMI_PY, assert_success, python, whoami};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "deployer";

/// The command's environment, as `env` printed it, and the GetSessionToken calls the emulator
/// had logged when the command ran (it reads the log itself).
fn child_env(out: &Output) -> (BTreeMap<String, String>, usize) {
    assert_success(out);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut env = BTreeMap::new();
    let mut calls = usize::MAX;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("GST_CALLS=") {
            calls = n.trim().parse().unwrap_or(usize::MAX);
        } else if let Some((k, v)) = line.split_once('=') {
            env.insert(k.to_string(), v.to_string());
        }
    }
    (env, calls)
}

const KEYS: [&str; 4] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
];

#[test]
fn the_command_gets_aws_profile_after_the_credentials_are_checked() {
    let (emulator, user, mut sandbox) = Sandbox::mfa_process_world(BIN, PROFILE, "eu-west-1");
    // A profile whose SDK can find credentials on its own (a credential_process printing the
    // user's keys), one whose MFA code is wrong, and one with no keys stored.
    let creds = sandbox.home().join("creds.sh");
    std::fs::write(
        &creds,
        format!(
            "#!/bin/sh\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}}\\n' '{}' '{}'\n",
            user.access_key_id, user.secret_access_key
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o700)).unwrap();
    let config = std::fs::read_to_string(sandbox.config_path()).unwrap();
    sandbox.write_config(&format!(
        "{config}\n[profile app]\ncredential_process = {creds}\nregion = us-east-2\n\n\
         [profile badmfa]\nmfa_serial = {serial}\nmfa_process = echo 000000\n\n\
         [profile nokeys]\nmfa_serial = {serial}\n",
        creds = creds.display(),
        serial = user.mfa_serial,
    ));
    sandbox.add_keys(BIN, "badmfa", &user);
    // Keys and a profile from the caller's environment must not reach the command.
    sandbox.set_env("AWS_ACCESS_KEY_ID", "AKIAFROMTHEPARENT");
    sandbox.set_env("AWS_SECRET_ACCESS_KEY", "parent-secret");
    sandbox.set_env("AWS_PROFILE", "someone-else");
    let dump = format!(
        "env; echo GST_CALLS=$(grep -c '\"GetSessionToken\"' '{}')",
        emulator.log_path().display()
    );

    // The flag: one GetSessionToken (with the MFA code), done before the command ran.
    let out = sandbox
        .command(BIN)
        .args(["exec", "--profile-env", PROFILE, "--", "sh", "-c", &dump])
        .output()
        .unwrap();
    let (env, calls_seen_by_child) = child_env(&out);
    assert_eq!(env.get("AWS_PROFILE").map(String::as_str), Some(PROFILE));
    assert_eq!(env.get("AWS_VAULT").map(String::as_str), Some(PROFILE));
    assert_eq!(env.get("AWS_REGION").map(String::as_str), Some("eu-west-1"));
    assert_eq!(
        env.get("AWS_DEFAULT_REGION").map(String::as_str),
        Some("eu-west-1")
    );
    for k in KEYS.iter().chain(&["AWS_CREDENTIAL_EXPIRATION"]) {
        assert!(!env.contains_key(*k), "{k} reached the command: {env:?}");
    }
    assert_eq!(calls_seen_by_child, 1, "STS was called before the command");
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1);
    assert_eq!(gst[0].status, Some(200));

    // The variable does the same; the session is cached now, so no STS call. `--no-profile-env`
    // turns it off again: keys, as without it.
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--", "sh", "-c", &dump])
        .env("AWS_VAULT_PROFILE_ENV", "true")
        .output()
        .unwrap();
    let (env, _) = child_env(&out);
    assert_eq!(env.get("AWS_PROFILE").map(String::as_str), Some(PROFILE));
    assert!(!env.contains_key("AWS_ACCESS_KEY_ID"), "{env:?}");
    let out = sandbox
        .command(BIN)
        .args(["exec", "--no-profile-env", PROFILE, "--", "sh", "-c", &dump])
        .env("AWS_VAULT_PROFILE_ENV", "1")
        .output()
        .unwrap();
    let (env, _) = child_env(&out);
    assert!(!env.contains_key("AWS_PROFILE"), "{env:?}");
    assert_eq!(
        env.get("AWS_ACCESS_KEY_ID").map(String::as_str),
        gst[0].issued_access_key_id.as_deref()
    );
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1);

    // The command's own SDK signs in through the profile.
    let out = sandbox
        .command(BIN)
        .args(["exec", "--profile-env", "app", "--"])
        .arg(python())
        .args(["-c", WHOAMI_PY])
        .output()
        .unwrap();
    assert_success(&out);
    let me = whoami(&out);
    assert_eq!(
        me["arn"],
        format!("arn:aws:iam::{}:user/{PROFILE}", user.account_id)
    );
    assert_eq!(
        me["key"],
        serde_json::Value::Null,
        "no keys in its environment"
    );
    assert_eq!(me["region"], "us-east-2");

    // Credentials that do not work stop exec before the command runs.
    let marker = sandbox.home().join("ran");
    let touch = format!("touch '{}'", marker.display());
    for (profile, says) in [
        ("badmfa", "MFA"),
        ("nokeys", "profile `nokeys` has no credentials"),
    ] {
        let out = sandbox
            .command(BIN)
            .args(["exec", "--profile-env", profile, "--", "sh", "-c", &touch])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{profile}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{profile}: {err}");
        assert!(!marker.exists(), "{profile}: the command ran");
    }

    // A value that is not a boolean is an error naming the variable.
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--", "sh", "-c", &touch])
        .env("AWS_VAULT_PROFILE_ENV", "maybe")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AWS_VAULT_PROFILE_ENV=`maybe`"), "{err}");
    assert!(!marker.exists());

    // With the ECS server the command gets the server, not AWS_PROFILE (as in the fork), and
    // the flag, given explicitly, is reported as ignored.
    let out = sandbox
        .command(BIN)
        .args([
            "exec",
            "--ecs-server",
            "--profile-env",
            PROFILE,
            "--",
            "sh",
            "-c",
        ])
        .arg("echo \"profile=[$AWS_PROFILE] uri=[$AWS_CONTAINER_CREDENTIALS_FULL_URI]\"")
        .output()
        .unwrap();
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("profile=[] uri=[http://127.0.0.1:"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--profile-env is ignored"), "{err}");
}
