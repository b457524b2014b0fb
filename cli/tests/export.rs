//! `stsvault export` in every format and `exec --json`, end to end against the emulator; the
//! AWS CLI (PyPI `awscli`) using `export --format json` as its `credential_process`.

use std::process::Output;
use stsvault_test_support::{Emulator, IamUser, Sandbox, assert_success, python};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "deployer";

/// A user whose profile gets its MFA code from `mfa_process` (no terminal needed), plus a
/// profile `cli` that the AWS CLI resolves through `credential_process`.
fn setup() -> (Emulator, IamUser, Sandbox) {
    let emulator = Emulator::start();
    let user = emulator.setup_user(PROFILE);
    let cli = format!(
        "[profile cli]\ncredential_process = {BIN} export --format json {PROFILE}\nregion = us-east-1\n"
    );
    let sandbox =
        Sandbox::with_mfa_process_profile(&emulator, BIN, PROFILE, &user, "eu-west-2", &cli);
    (emulator, user, sandbox)
}

fn stsvault(sandbox: &Sandbox, args: &[&str]) -> Output {
    let out = sandbox
        .command(BIN)
        .args(args)
        .output()
        .expect("run stsvault");
    assert_success(&out);
    out
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn export_prints_the_session_in_each_format() {
    let (emulator, user, sandbox) = setup();

    let env = text(&stsvault(&sandbox, &["export", PROFILE]));
    let lines: Vec<&str> = env.lines().collect();
    let names: Vec<&str> = lines.iter().filter_map(|l| l.split('=').next()).collect();
    assert_eq!(
        names,
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_REGION",
            "AWS_DEFAULT_REGION"
        ],
        "{env}"
    );
    assert!(env.contains("AWS_REGION=eu-west-2\n"), "{env}");
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1);
    let key = gst[0].issued_access_key_id.clone().unwrap_or_default();
    assert!(env.contains(&format!("AWS_ACCESS_KEY_ID={key}\n")), "{env}");
    assert!(
        !env.contains(&user.secret_access_key),
        "never the master secret"
    );

    let exported = text(&stsvault(
        &sandbox,
        &["export", "--format", "export-env", PROFILE],
    ));
    assert!(
        exported.lines().all(|l| l.starts_with("export AWS_")),
        "{exported}"
    );
    assert!(exported.contains(&format!("export AWS_ACCESS_KEY_ID={key}\n")));

    let ini = text(&stsvault(
        &sandbox,
        &[
            "export",
            "--format",
            "ini",
            "--region",
            "ap-south-1",
            PROFILE,
        ],
    ));
    assert!(
        ini.starts_with(&format!("[{PROFILE}]\naws_access_key_id = {key}\n")),
        "{ini}"
    );
    assert!(
        ini.contains("aws_session_token = ") && ini.ends_with("region = ap-south-1\n"),
        "{ini}"
    );

    let json: serde_json::Value = serde_json::from_str(&text(&stsvault(
        &sandbox,
        &["export", "--format", "json", PROFILE],
    )))
    .expect("JSON");
    assert_eq!(json["Version"], 1);
    assert_eq!(json["AccessKeyId"], key.as_str());
    let expiration = json["Expiration"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(expiration).is_ok_and(|e| e > chrono::Utc::now()),
        "{json}"
    );
    let same: serde_json::Value =
        serde_json::from_str(&text(&stsvault(&sandbox, &["exec", "--json", PROFILE])))
            .expect("JSON");
    assert_eq!(
        same, json,
        "`exec --json` prints the same credential_process JSON"
    );
    assert_eq!(
        emulator.sts_calls("GetSessionToken").len(),
        1,
        "every export after the first is served from the cache"
    );

    let bad = sandbox
        .command(BIN)
        .args(["export", "--format", "yaml", PROFILE])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("export-env"));

    let nested = sandbox
        .command(BIN)
        .args(["export", PROFILE])
        .env("AWS_VAULT", "other")
        .output()
        .unwrap();
    assert!(!nested.status.success());
    assert!(
        String::from_utf8_lossy(&nested.stderr)
            .contains("already running inside `stsvault exec other`")
    );
}

#[test]
fn the_aws_cli_gets_mfa_credentials_through_credential_process() {
    let (emulator, user, sandbox) = setup();
    let run = || {
        // `python -m awscli`: the `aws` entry point is a script, which Windows cannot run by
        // its path.
        let out = sandbox
            .command(python())
            .args([
                "-m",
                "awscli",
                "sts",
                "get-caller-identity",
                "--profile",
                "cli",
                "--output",
                "json",
            ])
            .output()
            .expect("run the AWS CLI");
        assert_success(&out);
        let who: serde_json::Value = serde_json::from_slice(&out.stdout).expect("CLI JSON");
        who
    };
    let who = run();
    assert_eq!(
        who["Arn"],
        format!("arn:aws:iam::{}:user/{PROFILE}", user.account_id)
    );
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1);
    assert_eq!(
        gst[0].param("SerialNumber").as_deref(),
        Some(user.mfa_serial.as_str())
    );
    let ident = emulator.sts_calls("GetCallerIdentity");
    assert_eq!(
        ident[0].access_key_id, gst[0].issued_access_key_id,
        "the CLI signed with the session"
    );

    run();
    assert_eq!(
        emulator.sts_calls("GetSessionToken").len(),
        1,
        "the second run reuses the cached session"
    );
}
