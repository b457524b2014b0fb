//! Nothing leaks, through the real binary against the TOTP-checking emulator:
//!
//! - on disk: after the seed's story (`add`, a profile with `mfa_serial`, `exec` typing the
//!   passphrase and MFA code on a terminal, the command dumping its environment and calling
//!   STS), every file under the sandbox's home — `~/.aws`, the vault, `TMPDIR`,
//!   `XDG_RUNTIME_DIR`, `XDG_CACHE_HOME`, the dump — is scanned for the master secret, the
//!   passphrase and the session, as bytes and in base64 / URL-safe base64 at any alignment: the
//!   session may be only in the child's environment, the other two nowhere; the vault is 0700
//!   with 0600 files, and so are the lock files. The typed passphrase is then in the passphrase
//!   cache (the kernel keyring), which a further `exec` without a terminal uses; the scan runs
//!   with it warm, and the environments of the commands `exec` starts (`/proc/<pid>/environ`,
//!   with and without `--ecs-server`, and of their own children) hold neither the passphrase nor
//!   the master secret;
//! - in output: `--debug` runs of add, list, exec, export, rotate, clear and remove, and a
//!   failing command with `RUST_BACKTRACE=1`, never print the master secret (old or rotated),
//!   the session or the passphrase (except where printing the session is the command's job:
//!   the child's and `export`'s stdout).

// Linux only: it types on a pseudo-terminal, checks Unix file modes, reads /proc and the
// kernel keyring (the passphrase cache).
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use stsvault_test_support::keyring::join_new_session_keyring;
use stsvault_test_support::{
    Emulator, IamUser, Sandbox, WHOAMI_PY, assert_success, contains_secret, files_containing,
    files_under, output_with_stdin, python, three_valid_codes, whoami,
};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "sls-administrator";

/// The scanner itself: a secret is found raw and inside any base64 text, whatever bytes come
/// before it (checked against coreutils' `basenc`).
#[test]
fn the_scanner_finds_secrets_inside_base64_at_every_alignment() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    for prefix in ["", "a", "ab", "abc", "{\"SecretAccessKey\":\""] {
        let text = format!("{prefix}{secret}\", \"more\": 1}}");
        for flags in [["-w0", "--base64"], ["-w0", "--base64url"]] {
            let out = output_with_stdin(
                std::process::Command::new("basenc").args(flags),
                text.as_bytes(),
            );
            assert!(
                contains_secret(&out.stdout, secret),
                "{prefix:?} {flags:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            assert!(!contains_secret(
                &out.stdout,
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
                    .replace("MDENG", "MDENH")
                    .as_str()
            ));
        }
    }
}

/// A sandbox whose `TMPDIR`, `XDG_RUNTIME_DIR` and `XDG_CACHE_HOME` are inside its home, so
/// one scan of the home covers them.
fn sandbox_with_scratch_dirs(emulator: &Emulator) -> Sandbox {
    let mut sandbox = Sandbox::new(Some(emulator));
    for (var, dir) in [
        ("TMPDIR", "tmp"),
        ("XDG_RUNTIME_DIR", "run"),
        ("XDG_CACHE_HOME", "cache"),
    ] {
        let path = sandbox.home().join(dir);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        sandbox.set_env(var, path.display().to_string());
    }
    sandbox
}

fn value_in_dump(dump: &str, var: &str) -> String {
    dump.lines()
        .find_map(|l| l.strip_prefix(&format!("{var}=")))
        .unwrap_or_else(|| panic!("{var} not in the child's environment"))
        .to_string()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs `stsvault exec [FLAGS] PROFILE -- sh` (no terminal, no passphrase in its environment)
/// whose shell starts a child of its own, and returns the environments
/// (`/proc/<pid>/environ`) of stsvault's process, the shell and its child while they run.
fn environments_of_exec_children(sandbox: &Sandbox, flags: &[&str]) -> Vec<(String, Vec<u8>)> {
    let pids = sandbox.home().join(format!("pids{}", flags.len()));
    let mut exec = sandbox
        .command(BIN)
        .arg("exec")
        .args(flags)
        .args([PROFILE, "--", "sh", "-c"])
        .arg("sleep 300 & echo \"$$ $!\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"; wait")
        .arg("sh")
        .arg(&pids)
        .env_remove("AWS_VAULT_FILE_PASSPHRASE")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !pids.exists() {
        if let Some(status) = exec.try_wait().unwrap() {
            panic!("exec {flags:?} ended with {status} before its command started");
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "exec's command never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&pids).unwrap();
    let (shell, child) = text.trim().split_once(' ').unwrap();
    let mut environments = Vec::new();
    for (what, pid) in [
        ("stsvault", exec.id().to_string()),
        ("the command", shell.to_string()),
        ("the command's child", child.to_string()),
    ] {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        environments.push((format!("{what} (exec {flags:?}, pid {pid})"), environ));
    }
    // SAFETY: kill(2) on pids this test started.
    unsafe {
        libc::kill(child.parse().unwrap(), libc::SIGKILL);
    }
    let status = exec.wait().unwrap();
    assert!(status.success(), "exec {flags:?}: {status}");
    environments
}

#[test]
fn no_plaintext_secret_on_disk_after_the_seed_story() {
    // Its own session keyring, where the typed passphrase is cached.
    join_new_session_keyring();
    let emulator = Emulator::start();
    let user = emulator.setup_user(PROFILE);
    let sandbox = sandbox_with_scratch_dirs(&emulator);
    sandbox.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {}\nregion = us-east-1\n",
        user.mfa_serial
    ));
    sandbox.add_keys(BIN, PROFILE, &user);

    // exec on a terminal, typing the passphrase and the code; the command dumps its environment
    // and calls STS. `env -u` keeps the test's answers out of what stsvault and the child see.
    let dump = sandbox.home().join("child.env");
    let mut cmd = sandbox.pty_command(
        &[
            ("passphrase to unlock", "hidden-env:TEST_VAULT_PASSPHRASE"),
            ("Enter MFA code for", "totp:TEST_MFA_SEED"),
        ],
        "env",
    );
    cmd.args(["-u", "TEST_VAULT_PASSPHRASE", "-u", "TEST_MFA_SEED", BIN])
        .args(["exec", PROFILE, "--", "sh", "-c"])
        .arg("env > \"$1\" && exec \"$2\" -c \"$3\"")
        .arg("sh")
        .arg(&dump)
        .arg(python())
        .arg(WHOAMI_PY)
        .env_remove("AWS_VAULT_FILE_PASSPHRASE")
        .env("TEST_VAULT_PASSPHRASE", &sandbox.passphrase)
        .env("TEST_MFA_SEED", &user.seed);
    let out = cmd.output().unwrap();
    assert_success(&out);
    let who = whoami(&out);
    assert_eq!(who["token"], true, "{who}");
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1);
    // The terminal never showed a secret (the passphrase is typed with echo off).
    for secret in [&user.secret_access_key, &sandbox.passphrase] {
        assert!(
            !contains_secret(&out.stdout, secret),
            "shown on the terminal"
        );
    }

    let text = std::fs::read_to_string(&dump).unwrap();
    let session_secret = value_in_dump(&text, "AWS_SECRET_ACCESS_KEY");
    let session_token = value_in_dump(&text, "AWS_SESSION_TOKEN");
    assert_ne!(
        value_in_dump(&text, "AWS_ACCESS_KEY_ID"),
        user.access_key_id
    );
    assert_ne!(session_secret, user.secret_access_key);

    // Used once more from the cache, so reading a cached session is covered too; with no
    // terminal and no AWS_VAULT_FILE_PASSPHRASE, so the passphrase came from the warm
    // passphrase cache.
    let again = sandbox
        .command(BIN)
        .args(["exec", PROFILE, "--", "true"])
        .env_remove("AWS_VAULT_FILE_PASSPHRASE")
        .output()
        .unwrap();
    assert_success(&again);

    // The commands exec starts, and theirs, have neither the passphrase nor the master secret
    // in their environment (the session is there: that is exec's job).
    let mut environments = environments_of_exec_children(&sandbox, &[]);
    environments.extend(environments_of_exec_children(&sandbox, &["--ecs-server"]));
    for (whose, environ) in &environments {
        for (what, secret) in [
            ("the vault passphrase", &sandbox.passphrase),
            ("the master secret", &user.secret_access_key),
        ] {
            assert!(
                !contains_secret(environ, secret),
                "{what} is in the environment of {whose}"
            );
        }
        assert!(
            !String::from_utf8_lossy(environ).contains("PASSPHRASE"),
            "{whose}"
        );
    }
    assert!(
        environments[1].1.windows(8).any(|w| w == b"AWS_VAUL"),
        "the command's environment was read"
    );

    let home = sandbox.home();
    let scratch = ["tmp", "run", "cache", ".aws", ".awsvault"];
    for dir in scratch {
        assert!(home.join(dir).is_dir(), "{dir} exists, so it was scanned");
    }
    assert!(
        !files_under(&sandbox.vault_dir()).is_empty(),
        "the vault holds items"
    );
    let nowhere: [(&str, &str); 2] = [
        ("the master secret", &user.secret_access_key),
        ("the vault passphrase", &sandbox.passphrase),
    ];
    for (what, secret) in nowhere {
        let found = files_containing(home, secret);
        assert!(found.is_empty(), "{what} is on disk in {found:?}");
    }
    for (what, secret) in [
        ("the session secret", &session_secret),
        ("the session token", &session_token),
    ] {
        let found = files_containing(home, secret);
        assert_eq!(
            found,
            vec![dump.clone()],
            "{what} may be only in the child's environment"
        );
    }

    // Modes: the vault directory 0700 and its items 0600; the lock directory and files too.
    assert_eq!(mode(&sandbox.vault_dir()), 0o700, "vault directory");
    let mut checked: Vec<PathBuf> = files_under(&sandbox.vault_dir());
    let locks = home.join("run/stsvault");
    assert!(locks.is_dir(), "the session lock lives in XDG_RUNTIME_DIR");
    assert_eq!(mode(&locks), 0o700, "lock directory");
    checked.extend(files_under(&locks));
    for file in checked {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

/// One run's output, and whether its stdout may hold the session (or the master keys).
struct Run {
    what: String,
    out: Output,
    stdout_may_hold_secrets: bool,
}

#[test]
fn debug_runs_and_errors_never_print_a_secret() {
    let emulator = Emulator::start();
    let user: IamUser = emulator.setup_user(PROFILE);
    let mut sandbox = sandbox_with_scratch_dirs(&emulator);
    sandbox.set_env("RUST_BACKTRACE", "1");
    sandbox.set_env("STSVAULT_ROTATE_WAIT", "4");
    sandbox.write_mfa_process_profile(PROFILE, &user, "us-east-1", "");
    let mut runs: Vec<Run> = Vec::new();
    let run = |runs: &mut Vec<Run>, args: &[&str], secrets_out: bool| -> Output {
        let out = sandbox.command(BIN).args(args).output().unwrap();
        runs.push(Run {
            what: args.join(" "),
            out: out.clone(),
            stdout_may_hold_secrets: secrets_out,
        });
        out
    };

    let add = sandbox
        .command(BIN)
        .args(["--debug", "add", PROFILE, "--env"])
        .env("AWS_ACCESS_KEY_ID", &user.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &user.secret_access_key)
        .output()
        .unwrap();
    assert_success(&add);
    runs.push(Run {
        what: "add".into(),
        out: add,
        stdout_may_hold_secrets: false,
    });
    assert_success(&run(&mut runs, &["--debug", "list"], false));

    // A session from the previous code, so rotate's own MFA session can use the current one.
    let [earlier, _, _] = three_valid_codes(&user.seed);
    let exec = run(
        &mut runs,
        &[
            "--debug",
            "exec",
            "-t",
            &earlier,
            PROFILE,
            "--",
            "sh",
            "-c",
            "echo \"$AWS_SECRET_ACCESS_KEY\"; echo \"$AWS_SESSION_TOKEN\"",
        ],
        true,
    );
    assert_success(&exec);
    let child_saw = String::from_utf8_lossy(&exec.stdout).into_owned();
    let session: Vec<String> = child_saw.lines().map(str::to_string).collect();
    assert_eq!(session.len(), 2, "secret and token: {child_saw}");
    assert!(session.iter().all(|s| s.len() >= 20), "{child_saw}");

    assert_success(&run(&mut runs, &["--debug", "export", PROFILE], true));
    assert_success(&run(
        &mut runs,
        &["--debug", "export", "--format", "json", PROFILE],
        true,
    ));
    assert_success(&run(&mut runs, &["--debug", "list", "--sessions"], false));

    // A failing command, with a backtrace asked for: one error line, no secret, no backtrace.
    let failing = sandbox
        .command(BIN)
        .args(["--debug", "export", "--no-session", PROFILE])
        .env("AWS_VAULT_FILE_PASSPHRASE", "not the passphrase")
        .env("RUST_BACKTRACE", "full")
        .output()
        .unwrap();
    assert!(!failing.status.success());
    let err = String::from_utf8_lossy(&failing.stderr);
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("stsvault: error:"))
            .count(),
        1,
        "{err}"
    );
    for text in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(!err.contains(text), "{err}");
    }
    runs.push(Run {
        what: "export with a wrong passphrase".into(),
        out: failing,
        stdout_may_hold_secrets: false,
    });

    assert_success(&run(&mut runs, &["--debug", "rotate", PROFILE], false));
    // The rotated key, to look for it too (printing it is what --no-session export does).
    let new_master = run(
        &mut runs,
        &["export", "--no-session", "--format", "json", PROFILE],
        true,
    );
    assert_success(&new_master);
    let json: serde_json::Value = serde_json::from_slice(&new_master.stdout).unwrap();
    let new_secret = json["SecretAccessKey"].as_str().unwrap().to_string();
    assert_ne!(new_secret, user.secret_access_key, "rotated");

    assert_success(&run(&mut runs, &["--debug", "clear"], false));
    assert_success(&run(&mut runs, &["--debug", "lock"], false));
    assert_success(&run(
        &mut runs,
        &["--debug", "remove", "--force", PROFILE],
        false,
    ));

    let secrets = [
        ("the master secret", user.secret_access_key.as_str()),
        ("the rotated master secret", new_secret.as_str()),
        ("the session secret", session[0].as_str()),
        ("the session token", session[1].as_str()),
        ("the vault passphrase", sandbox.passphrase.as_str()),
    ];
    let mut debug_lines = 0;
    for r in &runs {
        debug_lines += String::from_utf8_lossy(&r.out.stderr).lines().count();
        for (what, secret) in secrets {
            assert!(
                !contains_secret(&r.out.stderr, secret),
                "`{}` printed {what} on stderr",
                r.what
            );
            assert!(
                r.stdout_may_hold_secrets || !contains_secret(&r.out.stdout, secret),
                "`{}` printed {what} on stdout",
                r.what
            );
        }
    }
    assert!(debug_lines > runs.len(), "--debug logged something");
    // The passphrase is never printed, not even where the session is.
    for r in &runs {
        assert!(!contains_secret(&r.out.stdout, &sandbox.passphrase));
    }
    // Nothing on disk either, after all of that.
    for (what, secret) in [secrets[0], secrets[1], secrets[4]] {
        let found = files_containing(sandbox.home(), secret);
        assert!(found.is_empty(), "{what} is on disk in {found:?}");
    }
}
