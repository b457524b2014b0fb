//! The file vault's passphrase cache (`STSVAULT_PASSPHRASE_CACHE`, `--passphrase-cache`,
//! `stsvault lock`), through the real binary against the TOTP-checking emulator.
//!
//! The passphrase is typed once into a real terminal (`pty_answer.py`); every later run has no
//! terminal and nothing on stdin, so a prompt would fail it ("cannot ask for the vault
//! passphrase"). Each test joins a new session keyring first, so what it caches goes away with
//! it and never reaches the developer's own session. The Python and Node bindings' side is in
//! `bindings-python/tests/test_passphrase_cache.py` and `bindings-node/test/passphrase-cache.test.mjs`.
//!
//! Linux only: the cache lives in the kernel keyring (elsewhere it is off).
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use stsvault_test_support::keyring::{join_new_session_keyring, passphrase_key_description};
use stsvault_test_support::{Emulator, IamUser, Sandbox, assert_success};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "cache-user";
const PROMPT: &str = "passphrase to unlock";

/// A new session keyring for this test, an emulator and its user, a sandbox whose vault holds
/// the user's keys (added with `AWS_VAULT_FILE_PASSPHRASE`, which neither reads nor fills the
/// cache) and a profile taking MFA codes from `mfa_process`; the sandbox's commands then run
/// without `AWS_VAULT_FILE_PASSPHRASE`.
fn world() -> (Emulator, IamUser, Sandbox) {
    join_new_session_keyring();
    let (emulator, user, mut sandbox) = Sandbox::mfa_process_world(BIN, PROFILE, "eu-west-1");
    sandbox.set_env("AWS_VAULT_FILE_PASSPHRASE", "");
    (emulator, user, sandbox)
}

/// `stsvault ARGS` in a terminal, typing `passphrase` (with echo off) whenever it is asked for;
/// the output and how many times it was asked. `env -u` keeps the answer out of stsvault's own
/// environment.
fn typed(sandbox: &Sandbox, passphrase: &str, args: &[&str]) -> (Output, usize) {
    let mut cmd = sandbox.pty_command(&[(PROMPT, "hidden-env:TEST_VAULT_PASSPHRASE")], "env");
    cmd.args(["-u", "TEST_VAULT_PASSPHRASE", BIN])
        .args(args)
        .env("TEST_VAULT_PASSPHRASE", passphrase);
    let out = cmd.output().expect("run pty_answer");
    let asked = String::from_utf8_lossy(&out.stdout).matches(PROMPT).count();
    (out, asked)
}

/// `stsvault ARGS` with no terminal and nothing on stdin: a prompt fails it.
fn untyped(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox
        .command(BIN)
        .args(args)
        .output()
        .expect("run stsvault")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The run needed the passphrase and, with no terminal, failed to ask for it.
fn assert_asked(out: &Output, what: &str) {
    assert!(!out.status.success(), "{what}: succeeded without a prompt");
    let err = stderr(out);
    assert!(
        err.contains("cannot ask for the vault passphrase"),
        "{what}: {err}"
    );
}

fn export_json(sandbox: &Sandbox) -> serde_json::Value {
    let out = untyped(sandbox, &["export", "--format", "json", PROFILE]);
    assert_success(&out);
    serde_json::from_slice(&out.stdout).expect("export's JSON")
}

#[test]
fn one_typed_passphrase_serves_twenty_more_processes() {
    let (emulator, _user, sandbox) = world();
    let (first, asked) = typed(
        &sandbox,
        &sandbox.passphrase,
        &["export", "--format", "json", PROFILE],
    );
    assert_success(&first);
    assert_eq!(asked, 1, "asked once");

    let session = export_json(&sandbox)["AccessKeyId"].clone();
    assert!(session.as_str().is_some_and(|k| k.starts_with("ASIA")));
    for n in 0..19 {
        if n % 2 == 0 {
            let out = untyped(
                &sandbox,
                &[
                    "exec",
                    PROFILE,
                    "--",
                    "sh",
                    "-c",
                    "test \"$AWS_ACCESS_KEY_ID\" = \"$1\"",
                    "sh",
                    session.as_str().unwrap_or_default(),
                ],
            );
            assert_success(&out);
        } else {
            assert_eq!(export_json(&sandbox)["AccessKeyId"], session, "run {n}");
        }
    }
    assert_eq!(
        emulator.sts_calls("GetSessionToken").len(),
        1,
        "one MFA session for all of them"
    );
    // Nothing of the passphrase in the environment of the commands run, nor in /proc/keys.
    let env = untyped(&sandbox, &["exec", PROFILE, "--", "env"]);
    assert_success(&env);
    let env = String::from_utf8_lossy(&env.stdout);
    assert!(!env.contains(&sandbox.passphrase) && !env.contains("PASSPHRASE"));
    let keys = std::fs::read_to_string("/proc/keys").expect("/proc/keys");
    assert!(keys.contains(&passphrase_key_description(&sandbox.vault_dir())));
    assert!(!keys.contains(&sandbox.vault_dir().display().to_string()));
}

#[test]
fn an_idle_passphrase_expires_and_lock_forgets_it_at_once() {
    let (_emulator, _user, mut sandbox) = world();
    sandbox.set_env("STSVAULT_PASSPHRASE_CACHE", "2s");
    let (out, asked) = typed(&sandbox, &sandbox.passphrase, &["export", PROFILE]);
    assert_success(&out);
    assert_eq!(asked, 1);
    std::thread::sleep(Duration::from_secs(3));
    assert_asked(&untyped(&sandbox, &["export", PROFILE]), "after 2 s idle");
    let (out, asked) = typed(&sandbox, &sandbox.passphrase, &["export", PROFILE]);
    assert_success(&out);
    assert_eq!(asked, 1, "asked again once it expired");

    // The flag wins over the variable: whether this run finds the entry just stored (and
    // restarts its timeout) or asks and stores anew, the idle time is now 10 minutes, so the
    // entry outlives 2 s.
    let (out, _) = typed(
        &sandbox,
        &sandbox.passphrase,
        &["--passphrase-cache", "10m", "export", PROFILE],
    );
    assert_success(&out);
    std::thread::sleep(Duration::from_secs(3));
    assert_success(&untyped(&sandbox, &["export", PROFILE]));

    let lock = untyped(&sandbox, &["lock"]);
    assert_success(&lock);
    assert_eq!(
        stderr(&lock).trim(),
        format!(
            "Forgot the cached passphrase of {}.",
            sandbox.vault_dir().display()
        )
    );
    assert!(lock.stdout.is_empty());
    assert_asked(&untyped(&sandbox, &["export", PROFILE]), "after lock");
    let again = untyped(&sandbox, &["lock"]);
    assert_success(&again);
    assert_eq!(
        stderr(&again).trim(),
        format!(
            "No passphrase of {} was cached.",
            sandbox.vault_dir().display()
        )
    );
}

#[test]
fn a_cached_passphrase_that_no_longer_opens_the_vault_is_dropped_and_asked_for() {
    let (_emulator, user, mut sandbox) = world();
    let (out, _) = typed(&sandbox, &sandbox.passphrase, &["export", PROFILE]);
    assert_success(&out);
    // The vault made anew under another passphrase, with AWS_VAULT_FILE_PASSPHRASE (which
    // leaves the cache alone).
    std::fs::remove_dir_all(sandbox.vault_dir()).expect("remove the vault");
    sandbox.passphrase = "a different passphrase for the new vault".into();
    let add = sandbox
        .command(BIN)
        .args(["add", PROFILE, "--env"])
        .env("AWS_ACCESS_KEY_ID", &user.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &user.secret_access_key)
        .env("AWS_VAULT_FILE_PASSPHRASE", &sandbox.passphrase)
        .output()
        .expect("add");
    assert_success(&add);

    let (out, asked) = typed(
        &sandbox,
        &sandbox.passphrase,
        &["--debug", "export", "--no-session", PROFILE],
    );
    assert_success(&out);
    assert_eq!(asked, 1, "asked once, after the cached one failed");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("the cached passphrase does not open the vault"),
        "{shown}"
    );
    assert!(!shown.contains("could not decrypt"), "{shown}");
    // The new one is cached now.
    assert_success(&untyped(&sandbox, &["export", "--no-session", PROFILE]));
}

#[test]
fn aws_vault_file_passphrase_wins_and_the_cache_is_neither_read_nor_written() {
    let (_emulator, _user, mut sandbox) = world();
    let with_variable = |sandbox: &Sandbox, passphrase: &str| {
        sandbox
            .command(BIN)
            .args(["export", "--no-session", PROFILE])
            .env("AWS_VAULT_FILE_PASSPHRASE", passphrase)
            .output()
            .expect("export")
    };
    assert_success(&with_variable(&sandbox, &sandbox.passphrase));
    assert_asked(
        &untyped(&sandbox, &["export", "--no-session", PROFILE]),
        "not written from the variable",
    );

    let (out, _) = typed(&sandbox, &sandbox.passphrase, &["export", PROFILE]);
    assert_success(&out);
    let wrong = with_variable(&sandbox, "not the passphrase");
    assert!(!wrong.status.success(), "the variable wins over the cache");
    assert!(stderr(&wrong).contains("passphrase"), "{}", stderr(&wrong));
    assert_success(&untyped(&sandbox, &["export", "--no-session", PROFILE]));

    // 0 turns the cache off: neither read nor written.
    sandbox.set_env("STSVAULT_PASSPHRASE_CACHE", "0");
    assert_asked(
        &untyped(&sandbox, &["export", "--no-session", PROFILE]),
        "not read when off",
    );
    assert_success(&untyped(&sandbox, &["lock"]));
    let (out, asked) = typed(&sandbox, &sandbox.passphrase, &["export", PROFILE]);
    assert_success(&out);
    assert_eq!(asked, 1);
    sandbox.set_env("STSVAULT_PASSPHRASE_CACHE", "10m");
    assert_asked(
        &untyped(&sandbox, &["export", "--no-session", PROFILE]),
        "not written when off",
    );
}

/// A throwaway user, deleted (with its group) when dropped.
struct OtherUser {
    name: String,
    uid: String,
    gid: String,
}

impl OtherUser {
    fn create() -> OtherUser {
        let name = format!("stsvault-t{}", std::process::id());
        let out = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/bin/sh", &name])
            .output()
            .expect("useradd");
        assert_success(&out);
        let id = |flag: &str| {
            let out = Command::new("id").args([flag, &name]).output().expect("id");
            assert_success(&out);
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let (uid, gid) = (id("-u"), id("-g"));
        OtherUser { name, uid, gid }
    }

    fn chown(&self, path: &Path) {
        let owner = format!("{}:{}", self.uid, self.gid);
        assert_success(
            &Command::new("chown")
                .args(["-R", &owner])
                .arg(path)
                .output()
                .expect("chown"),
        );
    }

    /// `sandbox`'s command `program ARGS` run as this user by `setpriv`, which keeps the
    /// session keyring: this user then possesses the keyring the passphrase is cached in (as
    /// after `su` without pam_keyinit), the hardest case for the key's permissions.
    fn setpriv(&self, sandbox: &Sandbox, program: &str, args: &[&str]) -> Output {
        sandbox
            .command("setpriv")
            .args(["--reuid", &self.uid, "--regid", &self.gid, "--clear-groups"])
            .arg("--")
            .arg(program)
            .args(args)
            .output()
            .expect("setpriv")
    }

    /// The same through `runuser -u` (no PAM session: it keeps the session keyring too).
    fn runuser(&self, sandbox: &Sandbox, program: &str, args: &[&str]) -> Output {
        sandbox
            .command("runuser")
            .args(["-u", &self.name, "--", "env"])
            .arg(format!("HOME={}", sandbox.home().display()))
            .arg(program)
            .args(args)
            .output()
            .expect("runuser")
    }

    /// The same through a PAM session of `runuser USER -c`: pam_keyinit runs, and (with
    /// Debian's `revoke` option, and a session keyring already there) keeps the keyring too.
    fn runuser_session(&self, sandbox: &Sandbox, program: &str, args: &[&str]) -> Output {
        let line = std::iter::once(program)
            .chain(args.iter().copied())
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ");
        sandbox
            .command("runuser")
            .args([&self.name, "-s", "/bin/sh", "-c", &line])
            .output()
            .expect("runuser")
    }
}

impl Drop for OtherUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).output();
    }
}

/// Runs `program ARGS` as the other user, one way or another.
type RunAs<'a> = &'a dyn Fn(&str, &[&str]) -> Output;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn another_user_can_neither_read_nor_use_the_cached_passphrase() {
    // SAFETY: geteuid(2) has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test creates a user: run it as root (as `make test` in CI does)"
    );
    let (_emulator, _user, mut sandbox) = world();
    let (out, _) = typed(
        &sandbox,
        &sandbox.passphrase,
        &["export", "--no-session", PROFILE],
    );
    assert_success(&out);
    assert_success(&untyped(&sandbox, &["export", "--no-session", PROFILE]));

    // The key, found and read as root (its owner), to know what another user must not get.
    let description = passphrase_key_description(&sandbox.vault_dir());
    let found = Command::new("keyctl")
        .args(["search", "@s", "user", &description])
        .output()
        .expect("keyctl search");
    assert_success(&found);
    let id = String::from_utf8_lossy(&found.stdout).trim().to_string();
    let payload = Command::new("keyctl")
        .args(["pipe", &id])
        .output()
        .expect("keyctl pipe");
    assert_success(&payload);
    assert!(String::from_utf8_lossy(&payload.stdout).contains(&sandbox.passphrase));

    // The other user can read the vault's files and the binary: only the passphrase is missing.
    let other = OtherUser::create();
    let scratch = tempfile::tempdir().expect("temp dir");
    chmod(scratch.path(), 0o755);
    let bin = scratch.path().join("stsvault");
    std::fs::copy(BIN, &bin).expect("copy the binary");
    chmod(&bin, 0o755);
    let bin = bin.display().to_string();
    let locks: PathBuf = scratch.path().join("locks");
    std::fs::create_dir(&locks).expect("lock dir");
    other.chown(&locks);
    sandbox.set_env("STSVAULT_LOCK_DIR", locks.display().to_string());
    chmod(sandbox.home(), 0o711);
    chmod(&sandbox.home().join(".awsvault"), 0o711);
    chmod(&sandbox.home().join(".aws"), 0o755);
    other.chown(&sandbox.vault_dir());

    let keyctl_reads: [&[&str]; 3] = [
        &["pipe", id.as_str()],
        &["print", id.as_str()],
        &["search", "@s", "user", description.as_str()],
    ];
    let ways: [(&str, RunAs); 3] = [
        ("setpriv", &|p: &str, a: &[&str]| {
            other.setpriv(&sandbox, p, a)
        }),
        ("runuser -u", &|p: &str, a: &[&str]| {
            other.runuser(&sandbox, p, a)
        }),
        ("runuser -c", &|p: &str, a: &[&str]| {
            other.runuser_session(&sandbox, p, a)
        }),
    ];
    for (way, run) in ways {
        for args in keyctl_reads {
            let out = run("keyctl", args);
            assert!(
                !out.status.success(),
                "{way} keyctl {args:?} succeeded: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            assert!(!String::from_utf8_lossy(&out.stdout).contains(&sandbox.passphrase));
        }
        let proc_keys = run("cat", &["/proc/keys"]);
        assert_success(&proc_keys);
        assert!(
            !String::from_utf8_lossy(&proc_keys.stdout).contains(&description),
            "{way}: the key is listed to another user"
        );

        let export = ["export", "--no-session", "--format", "json", PROFILE];
        assert_asked(
            &run(&bin, &export),
            &format!("stsvault as another user ({way})"),
        );
    }
    // With the passphrase given, the same run as the other user opens the vault.
    let given = sandbox
        .command("setpriv")
        .args([
            "--reuid",
            &other.uid,
            "--regid",
            &other.gid,
            "--clear-groups",
        ])
        .args(["--", &bin, "export", "--no-session", PROFILE])
        .env("AWS_VAULT_FILE_PASSPHRASE", &sandbox.passphrase)
        .output()
        .expect("setpriv");
    assert_success(&given);
    // And the owner still has it cached.
    assert_success(&untyped(&sandbox, &["export", "--no-session", PROFILE]));
}
