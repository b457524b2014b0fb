//! Hostile and broken input, one table through the real binary: a wrong passphrase, a wrong,
//! expired or reused MFA code, a corrupt or damaged vault file, a vault file in a newer format,
//! an unreadable, non-UTF-8 or malformed config, a cyclic or missing `source_profile`, an
//! unknown backend, a locked or absent Secret Service (gnome-keyring on a private bus), STS
//! throttling and network failures. For every case: a non-zero exit, stderr exactly one line
//! `stsvault: error: …` that says what to do, no panic or backtrace text (`RUST_BACKTRACE=1`),
//! no secret in it, and the stored data — every file of the vault directory, the config and
//! credentials files, and for the Secret Service its keyring files and item list — the same
//! after as before. Plus: a couple of throttles are retried by the SDK and the call succeeds.

// Unix only: the table includes gnome-keyring on a private D-Bus and Unix file modes.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use stsvault_test_support::services::{GnomeKeyring, SessionBus};
use stsvault_test_support::{
    Emulator, IamUser, Sandbox, assert_success, contains_secret, files_under, totp,
};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");

/// Everything one case runs in. Fields drop in order: the keyring before its bus.
struct World {
    name: String,
    user: IamUser,
    sandbox: Sandbox,
    /// A code already used, for the reuse case.
    used_code: Option<String>,
    /// The Secret Service collection's object path, when the case uses one.
    collection: Option<String>,
    keyring: Option<GnomeKeyring>,
    bus: Option<SessionBus>,
    /// A server that counts connections and drops each at once.
    dropper: Option<Dropper>,
    /// A case's own emulator (fault injection must not reach other cases).
    own_emulator: Option<Emulator>,
}

/// A case: how to build its world, what to run, and what the error line must say.
struct Case {
    name: &'static str,
    world: fn(&Emulator, &str) -> World,
    /// The arguments after `stsvault`.
    args: fn(&World) -> Vec<String>,
    /// Substrings of the error line: what happened and what to do.
    says: &'static [&'static str],
    /// A check of its own after the run.
    after: Option<Check>,
}

/// A case's own check after its run.
type Check = fn(&World) -> Result<(), String>;

/// A user with an MFA device whose keys are in a file vault, under a profile named like the
/// user, with `RUST_BACKTRACE=1` for every command.
fn seeded(emulator: &Emulator, name: &str) -> World {
    let user = emulator.setup_user(name);
    let mut sandbox = Sandbox::new(Some(emulator));
    sandbox.set_env("RUST_BACKTRACE", "1");
    sandbox.write_config(&format!(
        "[profile {name}]\nmfa_serial = {}\nregion = us-east-1\n",
        user.mfa_serial
    ));
    sandbox.add_keys(BIN, name, &user);
    World {
        name: name.to_string(),
        user,
        sandbox,
        used_code: None,
        collection: None,
        keyring: None,
        bus: None,
        dropper: None,
        own_emulator: None,
    }
}

/// `exec NAME --mfa-token CODE -- true` with the current code.
fn exec_now(w: &World) -> Vec<String> {
    exec_with(w, &totp(&w.user.seed, 0))
}

fn exec_with(w: &World, code: &str) -> Vec<String> {
    ["exec", w.name.as_str(), "--mfa-token", code, "--", "true"]
        .map(String::from)
        .to_vec()
}

/// `add other --env` (the keys come from the environment the run adds).
fn add_other(_: &World) -> Vec<String> {
    ["add", "other", "--env"].map(String::from).to_vec()
}

fn item_file(w: &World) -> PathBuf {
    w.sandbox.vault_dir().join(&w.name)
}

/// Rewrites the master item's JWE header with `edit`.
fn edit_header(w: &World, edit: impl FnOnce(&mut serde_json::Value)) {
    let token = std::fs::read_to_string(item_file(w)).unwrap();
    let mut parts: Vec<String> = token.trim().split('.').map(String::from).collect();
    let header = base64url_decode(&parts[0]);
    let mut header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    edit(&mut header);
    parts[0] = base64url_encode(header.to_string().as_bytes());
    std::fs::write(item_file(w), parts.join(".")).unwrap();
}

fn base64url_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            _ => 63,
        }
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | (value(c) << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

fn base64url_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn wrong_passphrase(e: &Emulator, name: &str) -> World {
    let mut w = seeded(e, name);
    w.sandbox
        .set_env("AWS_VAULT_FILE_PASSPHRASE", "not the passphrase");
    w
}

fn reused_code(e: &Emulator, name: &str) -> World {
    let mut w = seeded(e, name);
    w.sandbox.write_config(&format!(
        "[profile {name}]\nmfa_serial = {m}\n\n[profile {name}-again]\nmfa_serial = {m}\n",
        m = w.user.mfa_serial
    ));
    w.sandbox.add_keys(BIN, &format!("{name}-again"), &w.user);
    let code = totp(&w.user.seed, 0);
    let first = w
        .sandbox
        .command(BIN)
        .args(exec_with(&w, &code))
        .output()
        .unwrap();
    assert_success(&first);
    w.used_code = Some(code);
    w
}

fn garbage_item(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    std::fs::write(item_file(&w), "this is not a vault item\n").unwrap();
    w
}

fn damaged_ciphertext(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    let token = std::fs::read_to_string(item_file(&w)).unwrap();
    let mut parts: Vec<String> = token.trim().split('.').map(String::from).collect();
    let flipped: String = parts[3]
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            (4, 'A') => 'B',
            (4, _) => 'A',
            (_, c) => c,
        })
        .collect();
    parts[3] = flipped;
    std::fs::write(item_file(&w), parts.join(".")).unwrap();
    w
}

fn newer_enc(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    edit_header(&w, |h| h["enc"] = "XC20P".into());
    w
}

fn newer_alg(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    edit_header(&w, |h| h["alg"] = "PBES2-ARGON2ID+A256KW".into());
    w
}

fn huge_iteration_count(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    edit_header(&w, |h| h["p2c"] = 50_000_000.into());
    w
}

fn config_is_a_directory(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    std::fs::remove_file(w.sandbox.config_path()).unwrap();
    std::fs::create_dir(w.sandbox.config_path()).unwrap();
    w
}

fn config_not_utf8(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    let mut text = std::fs::read(w.sandbox.config_path()).unwrap();
    text.extend_from_slice(b"role_session_name = caf\xe9\n");
    std::fs::write(w.sandbox.config_path(), text).unwrap();
    w
}

fn config_syntax_error(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    let mut text = std::fs::read_to_string(w.sandbox.config_path()).unwrap();
    text.push_str("region: eu-west-1\n");
    w.sandbox.write_config(&text);
    w
}

/// A secret pasted on a line of its own in ~/.aws/credentials.
fn credentials_with_a_stray_secret(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    std::fs::write(
        w.sandbox.home().join(".aws/credentials"),
        format!(
            "[stray]\naws_access_key_id = {}\n{}\n",
            w.user.access_key_id, w.user.secret_access_key
        ),
    )
    .unwrap();
    w
}

fn source_profile_loop(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    w.sandbox.write_config(&format!(
        "[profile {name}]\nsource_profile = {name}-b\nmfa_serial = {m}\n\n\
         [profile {name}-b]\nsource_profile = {name}\n",
        m = w.user.mfa_serial
    ));
    std::fs::remove_file(item_file(&w)).unwrap();
    w
}

fn source_profile_missing(e: &Emulator, name: &str) -> World {
    let w = seeded(e, name);
    w.sandbox.write_config(&format!(
        "[profile {name}-role]\nsource_profile = nowhere\nrole_arn = arn:aws:iam::123456789012:role/r\n"
    ));
    w
}

fn exec_role(w: &World) -> Vec<String> {
    ["exec", format!("{}-role", w.name).as_str(), "--", "true"]
        .map(String::from)
        .to_vec()
}

fn unknown_backend(w: &World) -> Vec<String> {
    let mut args = vec!["--backend".to_string(), "pigeon".to_string()];
    args.extend(exec_now(w));
    args
}

/// A passphrase cache idle time that is not a duration.
fn bad_passphrase_cache(e: &Emulator, name: &str) -> World {
    let mut w = seeded(e, name);
    w.sandbox
        .set_env("STSVAULT_PASSPHRASE_CACHE", "ten minutes");
    w
}

/// Keys in the `awsvault` collection of gnome-keyring on a private bus, then the collection
/// locked.
fn secret_service_locked(e: &Emulator, name: &str) -> World {
    let user = e.setup_user(name);
    let bus = SessionBus::start();
    let keyring = GnomeKeyring::start(&bus);
    let collection = GnomeKeyring::create_collection(&bus, "awsvault", "collection password");
    let mut sandbox = Sandbox::new(Some(e));
    sandbox.set_env("RUST_BACKTRACE", "1");
    sandbox.set_env("AWS_VAULT_BACKEND", "secret-service");
    sandbox.set_env("DBUS_SESSION_BUS_ADDRESS", bus.address());
    sandbox.set_env("AWS_VAULT_FILE_PASSPHRASE", "");
    sandbox.write_config(&format!(
        "[profile {name}]\nmfa_serial = {}\n",
        user.mfa_serial
    ));
    sandbox.add_keys(BIN, name, &user);
    GnomeKeyring::lock(&bus, &collection);
    World {
        name: name.to_string(),
        user,
        sandbox,
        used_code: None,
        collection: Some(collection),
        keyring: Some(keyring),
        bus: Some(bus),
        dropper: None,
        own_emulator: None,
    }
}

/// A bus with nothing on it: no Secret Service.
fn secret_service_absent(e: &Emulator, name: &str) -> World {
    let mut w = seeded(e, name);
    let bus = SessionBus::start();
    w.sandbox.set_env("AWS_VAULT_BACKEND", "secret-service");
    w.sandbox.set_env("DBUS_SESSION_BUS_ADDRESS", bus.address());
    w.bus = Some(bus);
    w
}

/// Its own emulator, where every GetSessionToken is throttled (more faults than the SDK makes
/// attempts).
fn throttled(_: &Emulator, name: &str) -> World {
    let emulator = Emulator::start();
    let mut w = seeded(&emulator, name);
    emulator.inject_fault("GetSessionToken", "Throttling", 400, 50);
    w.own_emulator = Some(emulator);
    w
}

fn throttled_attempts(w: &World) -> usize {
    w.own_emulator
        .as_ref()
        .map(|e| {
            e.sts_calls("GetSessionToken")
                .iter()
                .filter(|c| c.error_code.as_deref() == Some("Throttling"))
                .count()
        })
        .unwrap_or(0)
}

fn retried_throttles(w: &World) -> Result<(), String> {
    match throttled_attempts(w) {
        n if n > 1 => {
            eprintln!("throttled: {n} attempts");
            Ok(())
        }
        n => Err(format!("throttling was not retried: {n} attempt(s)")),
    }
}

/// STS at a port of 127.0.0.1 where nothing listens.
fn sts_port_closed(e: &Emulator, name: &str) -> World {
    let mut w = seeded(e, name);
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    w.sandbox
        .set_env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"));
    w
}

/// STS at a server that accepts every connection and closes it at once, counting them.
fn sts_drops_connections(e: &Emulator, name: &str) -> World {
    let mut w = seeded(e, name);
    let dropper = Dropper::start();
    w.sandbox.set_env(
        "AWS_ENDPOINT_URL",
        format!("http://127.0.0.1:{}", dropper.port),
    );
    w.dropper = Some(dropper);
    w
}

fn retried_connections(w: &World) -> Result<(), String> {
    let n = w
        .dropper
        .as_ref()
        .map(|d| d.count.load(Ordering::SeqCst))
        .unwrap_or(0);
    eprintln!("dropped connections: {n} attempts");
    if n > 1 {
        Ok(())
    } else {
        Err(format!(
            "the dropped connection was not retried: {n} attempt(s)"
        ))
    }
}

/// Accepts connections on 127.0.0.1 and closes each at once; stopped when dropped.
struct Dropper {
    port: u16,
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Dropper {
    fn start() -> Dropper {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (count, stop) = (Arc::clone(&count), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((conn, _)) => {
                            count.fetch_add(1, Ordering::SeqCst);
                            drop(conn);
                        }
                        Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                    }
                }
            })
        };
        Dropper {
            port,
            count,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Dropper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const TRY_AGAIN_WITH_A_NEW_CODE: &[&str] = &["rejected the MFA code", "wait for the next code"];

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "wrong passphrase (exec)",
            world: wrong_passphrase,
            args: exec_now,
            says: &["passphrase", "is wrong", "try again"],
            after: None,
        },
        Case {
            name: "wrong passphrase (add to a vault that has items)",
            world: wrong_passphrase,
            args: add_other,
            says: &["passphrase", "is wrong", "try again"],
            after: None,
        },
        Case {
            name: "wrong MFA code",
            world: seeded,
            args: |w| {
                let right: u32 = totp(&w.user.seed, 0).parse().unwrap();
                exec_with(w, &format!("{:06}", (right + 1) % 1_000_000))
            },
            says: TRY_AGAIN_WITH_A_NEW_CODE,
            after: None,
        },
        Case {
            name: "expired MFA code (ten minutes old)",
            world: seeded,
            args: |w| exec_with(w, &totp(&w.user.seed, -600)),
            says: TRY_AGAIN_WITH_A_NEW_CODE,
            after: None,
        },
        Case {
            name: "reused MFA code",
            world: reused_code,
            args: |w| {
                let code = w.used_code.clone().unwrap();
                [
                    "exec",
                    format!("{}-again", w.name).as_str(),
                    "--mfa-token",
                    code.as_str(),
                ]
                .into_iter()
                .chain(["--", "true"])
                .map(String::from)
                .collect()
            },
            says: TRY_AGAIN_WITH_A_NEW_CODE,
            after: None,
        },
        Case {
            name: "corrupt vault file (exec)",
            world: garbage_item,
            args: exec_now,
            says: &["not a readable vault item", "restore it from a backup"],
            after: None,
        },
        Case {
            name: "corrupt vault file (add next to it)",
            world: garbage_item,
            args: add_other,
            says: &["not a readable vault item", "restore it from a backup"],
            after: None,
        },
        Case {
            name: "damaged ciphertext",
            world: damaged_ciphertext,
            args: exec_now,
            says: &["could not decrypt", "damaged", "try again"],
            after: None,
        },
        Case {
            name: "vault file from a newer format (content encryption)",
            world: newer_enc,
            args: exec_now,
            says: &["newer", "`XC20P`", "upgrade stsvault"],
            after: None,
        },
        Case {
            name: "vault file from a newer format (key algorithm)",
            world: newer_alg,
            args: exec_now,
            says: &["newer", "PBES2-ARGON2ID+A256KW", "upgrade stsvault"],
            after: None,
        },
        Case {
            name: "vault file with a huge PBKDF2 iteration count",
            world: huge_iteration_count,
            args: exec_now,
            says: &["iteration count", "upgrade stsvault"],
            after: None,
        },
        Case {
            name: "unreadable config (a directory)",
            world: config_is_a_directory,
            args: exec_now,
            says: &["cannot read", "config", "check that the file is readable"],
            after: None,
        },
        Case {
            name: "config that is not UTF-8",
            world: config_not_utf8,
            args: exec_now,
            says: &["not UTF-8", "save it as UTF-8"],
            after: None,
        },
        Case {
            name: "config with a syntax error",
            world: config_syntax_error,
            args: exec_now,
            says: &["config:4:", "not a setting", "key = value"],
            after: None,
        },
        Case {
            name: "a secret on a line of its own in the credentials file",
            world: credentials_with_a_stray_secret,
            args: exec_now,
            says: &["credentials:3:", "not a setting", "key = value"],
            after: None,
        },
        Case {
            name: "cyclic source_profile",
            world: source_profile_loop,
            args: exec_now,
            says: &["form a loop", "change one of them"],
            after: None,
        },
        Case {
            name: "missing source_profile",
            world: source_profile_missing,
            args: exec_role,
            says: &["source_profile = nowhere", "fix the name"],
            after: None,
        },
        Case {
            name: "unknown backend",
            world: seeded,
            args: unknown_backend,
            says: &["unknown vault backend `pigeon`", "use one of"],
            after: None,
        },
        Case {
            name: "passphrase cache idle time that is not a duration",
            world: bad_passphrase_cache,
            args: exec_now,
            says: &["`ten minutes`", "STSVAULT_PASSPHRASE_CACHE", "or 0 to turn"],
            after: None,
        },
        Case {
            name: "locked Secret Service collection",
            world: secret_service_locked,
            args: exec_now,
            says: &["collection `awsvault` is locked", "unlock it"],
            after: None,
        },
        Case {
            name: "no Secret Service on the bus",
            world: secret_service_absent,
            args: exec_now,
            says: &["not available", "choose another --backend"],
            after: None,
        },
        Case {
            name: "STS throttling beyond the retries",
            world: throttled,
            args: exec_now,
            says: &["throttling", "wait a moment and try again"],
            after: Some(retried_throttles),
        },
        Case {
            name: "network failure (connection refused)",
            world: sts_port_closed,
            args: exec_now,
            says: &[
                "could not reach STS at http://127.0.0.1:",
                "check the network",
            ],
            after: None,
        },
        Case {
            name: "network failure (connection dropped)",
            world: sts_drops_connections,
            args: exec_now,
            says: &[
                "could not reach STS at http://127.0.0.1:",
                "check the network",
            ],
            after: Some(retried_connections),
        },
    ]
}

/// What the stored data looks like: every file and directory (with its mode) under the vault
/// directory, the config and credentials files, and for the Secret Service gnome-keyring's
/// files and the collection's item list.
fn snapshot(w: &World) -> BTreeMap<String, Vec<u8>> {
    let mut snap = BTreeMap::new();
    let mut record = |path: &Path| match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => {
            let mut value = format!("file {:o}\n", m.permissions().mode()).into_bytes();
            value.extend(std::fs::read(path).unwrap_or_default());
            snap.insert(path.display().to_string(), value);
        }
        Ok(m) => {
            snap.insert(
                path.display().to_string(),
                format!("other {:o}", m.permissions().mode()).into_bytes(),
            );
        }
        Err(_) => {}
    };
    let home = w.sandbox.home();
    let mut paths = vec![
        w.sandbox.config_path(),
        home.join(".aws/credentials"),
        w.sandbox.vault_dir(),
    ];
    paths.extend(files_under(&w.sandbox.vault_dir()));
    if let Some(k) = &w.keyring {
        paths.extend(files_under(&k.home().join(".local/share/keyrings")));
    }
    for p in &paths {
        record(p);
    }
    if let (Some(bus), Some(collection)) = (&w.bus, &w.collection) {
        let items = Command::new("dbus-send")
            .arg(format!("--bus={}", bus.address()))
            .args([
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                collection,
            ])
            .args([
                "org.freedesktop.DBus.Properties.Get",
                "string:org.freedesktop.Secret.Collection",
                "string:Items",
            ])
            .output()
            .unwrap();
        assert!(
            items.status.success(),
            "list the collection's items: {}",
            String::from_utf8_lossy(&items.stderr)
        );
        // After the header line (which has a time stamp and serial numbers): the item paths.
        let list: Vec<u8> = items
            .stdout
            .iter()
            .skip_while(|&&b| b != b'\n')
            .copied()
            .collect();
        assert!(
            list.windows(11).any(|w| w == b"object path"),
            "items listed"
        );
        snap.insert("secret service items".into(), list);
    }
    snap
}

/// What is wrong with how `case` failed, if anything.
fn problems(case: &Case, w: &World, out: &Output) -> Vec<String> {
    let mut found = Vec::new();
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        found.push("exited 0".to_string());
    } else if out.status.code().is_none() {
        found.push(format!("killed: {:?}", out.status));
    }
    let lines: Vec<&str> = err.lines().collect();
    if lines.len() != 1 {
        found.push(format!("{} lines on stderr", lines.len()));
    }
    if !lines
        .first()
        .is_some_and(|l| l.starts_with("stsvault: error:"))
    {
        found.push("stderr does not start with `stsvault: error:`".into());
    }
    for want in case.says {
        if !err.contains(want) {
            found.push(format!("the error does not say `{want}`"));
        }
    }
    for text in ["panicked", "backtrace", "RUST_BACKTRACE", "note: run with"] {
        if err.contains(text) {
            found.push(format!("panic or backtrace text `{text}`"));
        }
    }
    for (what, secret) in [
        ("the master secret", &w.user.secret_access_key),
        ("the passphrase", &w.sandbox.passphrase),
    ] {
        if contains_secret(&out.stderr, secret) || contains_secret(&out.stdout, secret) {
            found.push(format!("{what} is in the output"));
        }
    }
    found
}

#[test]
fn hostile_input_gets_one_clear_error_line_and_changes_nothing() {
    let emulator = Emulator::start();
    let mut failures = Vec::new();
    for (n, case) in cases().iter().enumerate() {
        let w = (case.world)(&emulator, &format!("case{n}"));
        let before = snapshot(&w);
        let args = (case.args)(&w);
        let mut cmd = w.sandbox.command(BIN);
        if args[0] == "add" {
            cmd.env("AWS_ACCESS_KEY_ID", "AKIAOTHEREXAMPLE")
                .env("AWS_SECRET_ACCESS_KEY", "other-secret-example");
        }
        cmd.args(args);
        let out = cmd.output().unwrap();
        let mut found = problems(case, &w, &out);
        let after = snapshot(&w);
        if before != after {
            let changed: Vec<&String> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let shown: Vec<String> = changed
                .iter()
                .map(|k| {
                    let text = |v: Option<&Vec<u8>>| {
                        v.map(|v| String::from_utf8_lossy(v).into_owned())
                            .unwrap_or_default()
                    };
                    format!(
                        "{k}: {:?} -> {:?}",
                        text(before.get(*k)),
                        text(after.get(*k))
                    )
                })
                .collect();
            found.push(format!("stored data changed: {shown:?}"));
        }
        if let Some(check) = case.after
            && let Err(e) = check(&w)
        {
            found.push(e);
        }
        let err = String::from_utf8_lossy(&out.stderr);
        eprintln!("{}: {}", case.name, err.trim_end());
        if !found.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {err}",
                case.name,
                found.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_couple_of_throttles_are_retried_and_the_call_succeeds() {
    let emulator = Emulator::start();
    let w = seeded(&emulator, "throttled-twice");
    emulator.inject_fault("GetSessionToken", "Throttling", 400, 2);
    let out = w.sandbox.command(BIN).args(exec_now(&w)).output().unwrap();
    assert_success(&out);
    let gst = emulator.sts_calls("GetSessionToken");
    let statuses: Vec<Option<u16>> = gst.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [Some(400), Some(400), Some(200)], "{gst:?}");
}
