//! `exec` options and environment end to end against the emulator: `mfa_process`, session TTLs
//! (`AWS_SESSION_TOKEN_TTL`, `--duration`), `endpoint_url` in the profile instead of
//! `AWS_ENDPOINT_URL`, `--debug` output without secrets, backend selection, the default
//! command, and signals reaching the command (Unix).

use std::process::Output;
use stsvault_test_support::{
    Emulator, IamUser, Sandbox, TRUE_COMMAND, assert_success, python, repo_root, three_valid_codes,
    totp,
};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "deployer";

/// Extra lines for the profile, given the user and the emulator.
type Extra = fn(&IamUser, &Emulator) -> String;

fn nothing(_: &IamUser, _: &Emulator) -> String {
    String::new()
}

/// An emulator, a user with an MFA device, and a sandbox whose config has the profile (plus
/// `extra` lines) and whose vault has the user's keys. With `sandbox_endpoint`, commands get
/// `AWS_ENDPOINT_URL`.
fn setup(extra: Extra, sandbox_endpoint: bool) -> (Emulator, IamUser, Sandbox) {
    let emulator = Emulator::start();
    let user = emulator.setup_user(PROFILE);
    let sandbox = Sandbox::new(sandbox_endpoint.then_some(&emulator));
    sandbox.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {}\n{}",
        user.mfa_serial,
        extra(&user, &emulator)
    ));
    sandbox.add_keys(BIN, PROFILE, &user);
    (emulator, user, sandbox)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn mfa_process_supplies_the_code_without_a_terminal() {
    let (emulator, user, sandbox) = setup(
        |user, _| {
            format!(
                "mfa_process = {} -m stsvault_emulator totp --seed {}\n",
                python().display(),
                user.seed
            )
        },
        true,
    );
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--"])
        .args(TRUE_COMMAND)
        .env("PYTHONPATH", repo_root().join("test-support/emulator"))
        .output()
        .unwrap();
    assert_success(&out);
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1);
    assert_eq!(gst[0].status, Some(200));
    assert_eq!(
        gst[0].param("SerialNumber").as_deref(),
        Some(user.mfa_serial.as_str())
    );
}

#[test]
fn session_duration_defaults_to_one_hour() {
    let (emulator, user, sandbox) = setup(nothing, true);
    let code = totp(&user.seed, 0);
    assert_success(
        &sandbox
            .command(BIN)
            .args(["exec", PROFILE, "--mfa-token", &code, "--"])
            .args(TRUE_COMMAND)
            .output()
            .unwrap(),
    );
    assert_eq!(
        emulator.sts_calls("GetSessionToken")[0]
            .param("DurationSeconds")
            .as_deref(),
        Some("3600")
    );
}

#[test]
fn session_duration_follows_aws_session_token_ttl() {
    let (emulator, user, sandbox) = setup(nothing, true);
    let code = totp(&user.seed, 0);
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--mfa-token", &code, "--"])
        .args(TRUE_COMMAND)
        .env("AWS_SESSION_TOKEN_TTL", "2h")
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(
        emulator.sts_calls("GetSessionToken")[0]
            .param("DurationSeconds")
            .as_deref(),
        Some("7200")
    );
}

#[test]
fn aws_vault_duration_is_the_duration_default_of_exec_and_export() {
    let (emulator, user, sandbox) = setup(nothing, true);
    let codes = three_valid_codes(&user.seed);
    let duration_of_call = |n: usize| {
        emulator.sts_calls("GetSessionToken")[n]
            .param("DurationSeconds")
            .unwrap_or_default()
    };
    let clear = || assert_success(&sandbox.command(BIN).arg("clear").output().unwrap());
    // The variable beats AWS_SESSION_TOKEN_TTL…
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--mfa-token", &codes[0], "--", "true"])
        .env("AWS_VAULT_DURATION", "2h")
        .env("AWS_SESSION_TOKEN_TTL", "3h")
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(duration_of_call(0), "7200");
    // …and the flag beats the variable.
    clear();
    let out = sandbox
        .command(BIN)
        .args([
            "exec",
            PROFILE,
            "-d",
            "30m",
            "--mfa-token",
            &codes[1],
            "--",
            "true",
        ])
        .env("AWS_VAULT_DURATION", "2h")
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(duration_of_call(1), "1800");
    // `export` reads it too, with the fork's day unit.
    clear();
    let out = sandbox
        .command(BIN)
        .args([
            "export",
            "--format",
            "json",
            "--mfa-token",
            &codes[2],
            PROFILE,
        ])
        .env("AWS_VAULT_DURATION", "1d")
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(duration_of_call(2), "86400");
    // A bare number is refused, naming the variable, before anything is asked or called.
    clear();
    for command in [&["exec", PROFILE, "--", "true"][..], &["export", PROFILE]] {
        let out = sandbox
            .command(BIN)
            .args(command)
            .env("AWS_VAULT_DURATION", "3600")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        assert!(
            stderr(&out).contains("AWS_VAULT_DURATION=`3600` is not a duration"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 3);
}

#[test]
fn session_duration_follows_the_duration_flag_and_rejects_nonsense() {
    let (emulator, user, sandbox) = setup(nothing, true);
    let bad = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--duration", "soon", "--"])
        .args(TRUE_COMMAND)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--duration"), "{}", stderr(&bad));
    let code = totp(&user.seed, 0);
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "-d", "90m", "--mfa-token", &code, "--"])
        .args(TRUE_COMMAND)
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(
        emulator.sts_calls("GetSessionToken")[0]
            .param("DurationSeconds")
            .as_deref(),
        Some("5400")
    );
}

#[test]
fn endpoint_url_in_the_profile_is_honoured() {
    // The sandbox has no AWS_ENDPOINT_URL: only the profile's endpoint_url leads to the emulator.
    let (emulator, user, sandbox) = setup(|_, e| format!("endpoint_url = {}\n", e.endpoint), false);
    let code = totp(&user.seed, 0);
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--mfa-token", &code, "--"])
        .args(TRUE_COMMAND)
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1);
}

#[test]
fn debug_output_explains_the_plan_but_never_shows_a_secret() {
    let (_emulator, user, sandbox) = setup(nothing, true);
    let code = totp(&user.seed, 0);
    let out = sandbox
        .command(BIN)
        .args([
            "--debug",
            "exec",
            PROFILE,
            "--mfa-token",
            &code,
            "--",
        ])
        .arg(python())
        .args([
            "-c",
            "import os; print(os.environ['AWS_SECRET_ACCESS_KEY'], os.environ['AWS_SESSION_TOKEN'])",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let err = stderr(&out);
    assert!(
        err.contains("GetSessionToken"),
        "debug output should show the plan: {err}"
    );
    let child_saw = String::from_utf8_lossy(&out.stdout);
    let mut secrets: Vec<&str> = child_saw.split_whitespace().collect();
    assert_eq!(secrets.len(), 2, "session secret and token: {child_saw}");
    secrets.push(&user.secret_access_key);
    secrets.push(&sandbox.passphrase);
    for s in secrets {
        assert!(!err.contains(s), "--debug printed a secret");
    }
}

#[test]
fn an_unknown_backend_is_one_clear_error() {
    let sandbox = Sandbox::new(None);
    let out = sandbox
        .command(BIN)
        .args(["--backend", "pigeon", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("pigeon") && err.contains("file"), "{err}");
    let out = sandbox
        .command(BIN)
        .args(["list"])
        .env("AWS_VAULT_BACKEND", "pigeon")
        .output()
        .unwrap();
    assert!(!out.status.success() && stderr(&out).contains("pigeon"));
}

#[test]
fn without_a_command_exec_runs_the_users_shell() {
    let (_emulator, user, sandbox) = setup(nothing, true);
    let code = totp(&user.seed, 0);
    #[cfg(unix)]
    let script = {
        let script = sandbox.home().join("fake-shell");
        std::fs::write(&script, "#!/bin/sh\necho \"shell with $AWS_VAULT\"\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        script
    };
    // Windows runs a batch file by its name, as a shell would be.
    #[cfg(windows)]
    let script = {
        let script = sandbox.home().join("fake-shell.cmd");
        std::fs::write(&script, "@echo shell with %AWS_VAULT%\r\n").unwrap();
        script
    };
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--mfa-token", &code])
        .env("SHELL", &script)
        .output()
        .unwrap();
    assert_success(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("shell with {PROFILE}")
    );
}

#[test]
#[cfg(unix)]
fn signals_reach_the_command() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let (_emulator, user, sandbox) = setup(nothing, true);
    let code = totp(&user.seed, 0);
    let mut child = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--mfa-token", &code, "--", "sh", "-c"])
        .arg("trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(lines.next().unwrap().unwrap(), "got-term");
    assert_eq!(child.wait().unwrap().code(), Some(7));
}

#[test]
fn without_a_terminal_or_a_code_the_mfa_prompt_is_one_clear_error() {
    let (emulator, user, sandbox) = setup(nothing, true);
    // `command` runs with no controlling terminal (no console on Windows) and stdin from
    // /dev/null.
    let out = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--"])
        .args(TRUE_COMMAND)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "cannot ask for the MFA code for {}",
            user.mfa_serial
        )),
        "{err}"
    );
    assert!(
        err.contains("--mfa-token") && err.contains("mfa_process"),
        "says how to supply the code: {err}"
    );
    assert!(emulator.sts_calls("GetSessionToken").is_empty());
}

/// A stand-in for a prompt program (no YubiKey or desktop here): it records its arguments and
/// prints the code the test left for it. A shell script: Unix only (on Windows the drivers'
/// programs would have to be `.exe` files).
#[cfg(unix)]
fn fake_program(dir: &std::path::Path, name: &str, code: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(dir.join("code"), code).unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{args}'\ncat '{code}'\n",
            args = dir.join("args").display(),
            code = dir.join("code").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.join("args")
}

#[test]
#[cfg(unix)]
fn the_ykman_zenity_kdialog_and_osascript_prompt_drivers_run_their_programs() {
    for (driver, want) in [
        ("ykman", vec!["oath", "accounts", "code", "--single"]),
        ("zenity", vec!["--entry", "--title", "stsvault", "--text"]),
        ("kdialog", vec!["--inputbox"]),
        ("osascript", vec!["-e"]),
    ] {
        let (emulator, user, mut sandbox) = setup(nothing, true);
        let bin = tempfile::tempdir().unwrap();
        let args_file = fake_program(bin.path(), driver, &totp(&user.seed, 0));
        let path = format!(
            "{}:{}",
            bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        sandbox.set_env("PATH", path);
        let out = sandbox
            .command(BIN)
            .args(["--prompt", driver, "exec", PROFILE, "--"])
            .args(TRUE_COMMAND)
            .output()
            .unwrap();
        assert_success(&out);
        let args = std::fs::read_to_string(&args_file).unwrap();
        let args: Vec<&str> = args.lines().collect();
        assert_eq!(&args[..want.len()], want.as_slice(), "{driver}: {args:?}");
        assert!(
            args.iter().any(|a| a.contains(&user.mfa_serial)),
            "{driver} is told which device: {args:?}"
        );
        assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1, "{driver}");
    }
}
