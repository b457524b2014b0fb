//! The seed's story on each OS keyring backend, driven through the real binary: `add`, `exec`
//! with an MFA code (one STS call), `exec` again from the session cached in that keyring (no
//! prompt, no STS call), `list`, `clear` and `remove` — with the stored items checked by the
//! keyring's own tool — plus the default backend choice when a Secret Service is on the bus.

// Unix only: the Secret Service, kwallet and pass on a private D-Bus, and keyctl.
#![cfg(unix)]

use std::process::Command;
use stsvault_test_support::services::{
    GnomeKeyring, KWalletDaemon, PassStore, SessionBus, SessionKeyring,
};
use stsvault_test_support::{Emulator, Sandbox, assert_success, totp};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "sls-administrator";

fn stdout(out: &std::process::Output) -> String {
    assert_success(out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The story on `sandbox` (already pointed at a backend); `wrap` turns the binary and its
/// arguments into the command to run (e.g. inside a kernel session keyring).
fn story(emulator: &Emulator, sandbox: &Sandbox, wrap: &dyn Fn(&[&str]) -> Command) {
    let user = emulator.setup_user(PROFILE);
    sandbox.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {}\n",
        user.mfa_serial
    ));
    let add = wrap(&["add", PROFILE, "--env"])
        .env("AWS_ACCESS_KEY_ID", &user.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &user.secret_access_key)
        .output()
        .unwrap();
    assert_success(&add);
    assert_eq!(
        stdout(&wrap(&["list", "--credentials"]).output().unwrap()).trim(),
        PROFILE
    );

    let code = totp(&user.seed, 0);
    let first = wrap(&[
        "exec",
        PROFILE,
        "--mfa-token",
        &code,
        "--",
        "sh",
        "-c",
        "echo $AWS_ACCESS_KEY_ID",
    ])
    .output()
    .unwrap();
    let session_key = stdout(&first).trim().to_string();
    assert!(session_key.starts_with("ASIA"), "{session_key}");

    // Again, with no terminal and no code: the session comes from the keyring.
    let second = wrap(&["exec", PROFILE, "--", "sh", "-c", "echo $AWS_ACCESS_KEY_ID"])
        .output()
        .unwrap();
    assert_eq!(stdout(&second).trim(), session_key);
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1);
    assert_eq!(
        stdout(&wrap(&["list", "--sessions"]).output().unwrap())
            .lines()
            .count(),
        1
    );

    assert_eq!(
        stdout(&wrap(&["clear"]).output().unwrap()).trim(),
        "Cleared 1 sessions."
    );
    assert_eq!(
        stdout(&wrap(&["remove", "--force", PROFILE]).output().unwrap()).trim(),
        "Deleted credentials."
    );
    assert!(
        stdout(&wrap(&["list", "--credentials"]).output().unwrap())
            .trim()
            .is_empty()
    );
}

/// A sandbox using `backend` over `bus`, with no file passphrase (the keyring protects the
/// keys), and the story run on it with the plain binary.
fn story_on_bus(backend: &str, bus: &SessionBus) {
    let emulator = Emulator::start();
    let mut sandbox = Sandbox::new(Some(&emulator));
    sandbox.set_env("AWS_VAULT_BACKEND", backend);
    sandbox.set_env("DBUS_SESSION_BUS_ADDRESS", bus.address());
    sandbox.set_env("AWS_VAULT_FILE_PASSPHRASE", "");
    story(&emulator, &sandbox, &|args| plain(&sandbox, args));
}

/// `stsvault ARGS…` in `sandbox`.
fn plain(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut c = sandbox.command(BIN);
    c.args(args);
    c
}

#[test]
fn seed_story_on_the_secret_service() {
    let bus = SessionBus::start();
    let _keyring = GnomeKeyring::start(&bus);
    GnomeKeyring::create_collection(&bus, "awsvault", "collection password");
    story_on_bus("secret-service", &bus);
}

#[test]
fn seed_story_on_kwallet() {
    let bus = SessionBus::start();
    let _daemon = KWalletDaemon::start(&bus, "");
    story_on_bus("kwallet", &bus);
}

#[test]
fn the_secret_service_is_the_default_backend_when_the_bus_offers_it() {
    let bus = SessionBus::start();
    let _keyring = GnomeKeyring::start(&bus);
    let mut sandbox = Sandbox::new(None);
    sandbox.set_env("AWS_VAULT_BACKEND", "");
    sandbox.set_env("DBUS_SESSION_BUS_ADDRESS", bus.address());
    sandbox.set_env("AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME", "login");
    let add = sandbox
        .command(BIN)
        .args(["add", "default-choice", "--env"])
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEDEFAULT")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .output()
        .unwrap();
    assert_success(&add);
    let found = Command::new("secret-tool")
        .args(["lookup", "profile", "default-choice"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&found.stdout).contains("\"Key\":\"default-choice\""),
        "stored in the login keyring"
    );
    assert!(
        !sandbox.vault_dir().exists(),
        "nothing went to the file vault"
    );
}

#[test]
fn a_missing_collection_on_a_headless_keyring_is_one_clear_error() {
    let bus = SessionBus::start();
    let _keyring = GnomeKeyring::start(&bus);
    let mut sandbox = Sandbox::new(None);
    sandbox.set_env("AWS_VAULT_BACKEND", "secret-service");
    sandbox.set_env("DBUS_SESSION_BUS_ADDRESS", bus.address());
    let out = sandbox
        .command(BIN)
        .args(["add", "prod", "--env"])
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("create the collection `awsvault`")
            && err.contains("AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME=login"),
        "{err}"
    );
}

#[test]
fn seed_story_on_the_kernel_keyring() {
    let ring = SessionKeyring::start();
    let emulator = Emulator::start();
    let mut sandbox = Sandbox::new(Some(&emulator));
    sandbox.set_env("AWS_VAULT_BACKEND", "keyctl");
    sandbox.set_env("AWS_VAULT_KEYCTL_SCOPE", "session");
    story(&emulator, &sandbox, &|args| {
        let mut c = sandbox.command("keyctl");
        c.args(["session", ring.name(), BIN]).args(args);
        c
    });
}

#[test]
fn seed_story_on_pass() {
    let store = PassStore::create();
    let emulator = Emulator::start();
    let mut sandbox = Sandbox::new(Some(&emulator));
    sandbox.set_env("AWS_VAULT_BACKEND", "pass");
    for (k, v) in store.env() {
        sandbox.set_env(k, v.display().to_string());
    }
    sandbox.set_env("AWS_VAULT_PASS_PREFIX", "aws");
    story(&emulator, &sandbox, &|args| plain(&sandbox, args));
    let add = sandbox
        .command(BIN)
        .args(["add", "dev", "--env"])
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEDEV")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .output()
        .unwrap();
    assert_success(&add);
    assert!(
        store.store_dir().join("aws/dev.gpg").is_file(),
        "items go under the prefix"
    );
}
