//! `stsvault migrate-backend` through the binary on real backends: keys travel file →
//! secret-service (gnome-keyring on a private bus) → keyctl (a kernel session keyring) → pass
//! (a throwaway gpg key) → file and arrive identical, while cached sessions stay where they
//! were; `--dry-run` changes nothing; a run killed with SIGKILL half-way loses nothing and a
//! second run finishes it; existing destination items, `--overwrite`, `--profile` and usage
//! errors behave as documented.
//!
//! Unix only: the real backends here (Secret Service, keyctl, pass) and the kill are Linux's.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use stsvault_test_support::services::{GnomeKeyring, PassStore, SessionBus, SessionKeyring};
use stsvault_test_support::{Sandbox, assert_success, files_under};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");

/// A sandbox whose commands run inside a kernel session keyring (when it has one), with any of
/// the other services it was given (Secret Service bus, pass store) in their environment.
struct World {
    sandbox: Sandbox,
    ring: Option<SessionKeyring>,
    store: Option<PassStore>,
    _bus: Option<(SessionBus, GnomeKeyring)>,
}

impl World {
    fn new(sandbox: Sandbox, keyctl: bool, pass: bool, secret_service: bool) -> World {
        let mut sandbox = sandbox;
        let ring = keyctl.then(SessionKeyring::start);
        sandbox.set_env("AWS_VAULT_KEYCTL_SCOPE", "session");
        let store = pass.then(PassStore::create);
        if let Some(store) = &store {
            for (k, v) in store.env() {
                sandbox.set_env(k, v.display().to_string());
            }
            sandbox.set_env("AWS_VAULT_PASS_PREFIX", "aws");
        }
        let bus = secret_service.then(|| {
            let bus = SessionBus::start();
            let keyring = GnomeKeyring::start(&bus);
            GnomeKeyring::create_collection(&bus, "awsvault", "collection password");
            sandbox.set_env("DBUS_SESSION_BUS_ADDRESS", bus.address());
            (bus, keyring)
        });
        World {
            sandbox,
            ring,
            store,
            _bus: bus,
        }
    }

    /// `stsvault ARGS…`, inside the session keyring if there is one.
    fn command(&self, args: &[&str]) -> Command {
        let Some(ring) = &self.ring else {
            let mut c = self.sandbox.command(BIN);
            c.args(args);
            return c;
        };
        let mut c = self.sandbox.command("keyctl");
        c.args(["session", ring.name(), BIN]).args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run stsvault")
    }

    /// Runs and asserts success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(&out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stores keys `id`/`secret` for `profile` in `backend`.
    fn add(&self, backend: &str, profile: &str, id: &str, secret: &str) {
        let out = self
            .command(&["--backend", backend, "add", profile, "--env"])
            .env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .output()
            .expect("run stsvault add");
        assert_success(&out);
    }

    /// The profiles with keys stored in `backend`.
    fn stored(&self, backend: &str) -> Vec<String> {
        self.ok(&["--backend", backend, "list", "--credentials"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The keys `backend` holds for `profile`, as `exec --no-session` hands them out.
    fn keys(&self, backend: &str, profile: &str) -> (String, String) {
        let out = self.ok(&[
            "--backend",
            backend,
            "exec",
            "--no-session",
            profile,
            "--",
            "sh",
            "-c",
            "printf '%s\\n%s\\n' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\"",
        ]);
        let mut lines = out.lines().map(str::to_string);
        (
            lines.next().unwrap_or_default(),
            lines.next().unwrap_or_default(),
        )
    }

    fn migrate(&self, from: &str, to: &str, extra: &[&str]) -> Output {
        let mut args = vec!["migrate-backend", "--from", from, "--to", to];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Keys for `n` made-up profiles, with names that need escaping in some backend.
fn made_up(n: usize) -> BTreeMap<String, (String, String)> {
    (0..n)
        .map(|i| {
            let name = match i % 3 {
                0 => format!("team-{i:02}"),
                1 => format!("ops/admin-{i:02}"),
                _ => format!("app.{i:02} prod"),
            };
            (
                name,
                (
                    format!("AKIAMIGRATE{i:04}"),
                    format!("secret/{i:02}+migrated=ü"),
                ),
            )
        })
        .collect()
}

#[test]
fn keys_travel_file_secret_service_keyctl_pass_file_and_arrive_identical() {
    let (emulator, user, sandbox) =
        Sandbox::mfa_process_world(BIN, "sls-administrator", "eu-west-1");
    let w = World::new(sandbox, true, true, true);
    // A cached session in the file vault, which is not moved.
    w.ok(&["exec", "sls-administrator", "--", "true"]);
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1);
    let mut expected = made_up(4);
    for (name, (id, secret)) in &expected {
        w.add("file", name, id, secret);
    }
    expected.insert(
        "sls-administrator".into(),
        (user.access_key_id.clone(), user.secret_access_key.clone()),
    );
    let names: Vec<String> = expected.keys().cloned().collect();
    assert_eq!(w.stored("file"), names);

    for (from, to) in [
        ("file", "secret-service"),
        ("secret-service", "keyctl"),
        ("keyctl", "pass"),
        ("pass", "file"),
    ] {
        let out = w.migrate(from, to, &["--delete-source"]);
        assert_success(&out);
        let stdout = text(&out.stdout);
        for name in &names {
            assert!(
                stdout.contains(&format!(
                    "Migrating {name}... copied, verified, deleted from source\n"
                )),
                "{from} → {to}: {stdout}"
            );
        }
        assert!(
            stdout.ends_with(
                "Migration summary:\n  copied: 5\n  overwritten: 0\n  skipped: 0\n  deleted from source: 5\n"
            ),
            "{from} → {to}: {stdout}"
        );
        assert!(w.stored(from).is_empty(), "{from} is empty after → {to}");
        assert_eq!(w.stored(to), names, "{to} holds them all");
        if to != "file" {
            assert!(
                w.ok(&["--backend", to, "list", "--sessions"]).is_empty(),
                "no session is copied to {to}"
            );
        }
    }
    for (name, keys) in &expected {
        assert_eq!(&w.keys("file", name), keys, "{name} arrived identical");
    }
    // The session stayed in the file vault all along, and still serves without MFA or STS.
    assert_eq!(
        w.ok(&["--backend", "file", "list", "--sessions"])
            .lines()
            .count(),
        1
    );
    w.ok(&["exec", "sls-administrator", "--", "true"]);
    assert_eq!(emulator.sts_calls("GetSessionToken").len(), 1);
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<std::path::PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect()
}

#[test]
fn dry_run_and_refusals_change_nothing() {
    let w = World::new(Sandbox::new(None), false, true, false);
    let expected = made_up(3);
    for (name, (id, secret)) in &expected {
        w.add("file", name, id, secret);
    }
    let store = w.store.as_ref().expect("pass store");
    let before = (
        snapshot(&w.sandbox.vault_dir()),
        snapshot(&store.store_dir()),
    );

    let out = w.migrate("file", "pass", &["--dry-run", "--delete-source"]);
    assert_success(&out);
    let mut want =
        String::from("Would migrate the credentials of 3 profile(s) from `file` to `pass`:\n");
    for name in expected.keys() {
        want.push_str(&format!("  {name}\n"));
    }
    want.push_str("\nNothing was changed (--dry-run).\n");
    assert_eq!(text(&out.stdout), want);
    let out = w.migrate("file", "pass", &["--dry-run", "--profile", "team-00"]);
    assert_success(&out);
    assert!(text(&out.stdout).contains("of 1 profile(s)"));

    // Each refusal: exit 1, one line on stderr naming the problem, nothing changed.
    for (args, says) in [
        (vec!["--from", "file", "--to", "file"], "both `file`"),
        (
            vec!["--from", "file", "--to", "vaultx"],
            "unknown vault backend `vaultx`",
        ),
        (
            vec!["--from", "file", "--to", "memory"],
            "keeps nothing between runs",
        ),
        (
            vec!["--from", "file", "--to", "pass", "--profile", "nobody"],
            "no credentials are stored for profile `nobody` in the `file` backend",
        ),
        (
            vec![
                "--from",
                "file",
                "--to",
                "pass",
                "--dry-run",
                "--profile",
                "nobody",
            ],
            "profile `nobody`",
        ),
    ] {
        let mut full = vec!["migrate-backend"];
        full.extend(args);
        let out = w.run(&full);
        assert_eq!(out.status.code(), Some(1), "{full:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{full:?}: {err}");
        assert!(
            err.starts_with("stsvault: error: migrate-backend: ") && err.contains(says),
            "{full:?}: {err}"
        );
    }
    let out = w.run(&["migrate-backend", "--from", "file"]);
    assert!(!out.status.success(), "--to is required");

    assert_eq!(
        (
            snapshot(&w.sandbox.vault_dir()),
            snapshot(&store.store_dir())
        ),
        before,
        "neither the file vault nor the password store changed"
    );
    assert!(!store.store_dir().join("aws").exists());
}

#[test]
fn existing_items_overwrite_and_one_profile() {
    let w = World::new(Sandbox::new(None), true, false, false);
    w.add("file", "alpha", "AKIAALPHA", "alpha-secret");
    w.add("file", "bravo", "AKIABRAVO", "bravo-secret");
    w.add("file", "charlie", "AKIACHARLIE", "charlie-secret");
    w.add("keyctl", "bravo", "AKIAOTHER", "other-secret");
    w.add("keyctl", "charlie", "AKIACHARLIE", "charlie-secret");

    // One profile, keeping the source.
    let out = w.migrate("file", "keyctl", &["--profile", "alpha"]);
    assert_success(&out);
    assert!(text(&out.stdout).starts_with("Migrating alpha... copied, verified\n"));
    assert_eq!(w.stored("file"), ["alpha", "bravo", "charlie"]);
    assert_eq!(w.stored("keyctl"), ["alpha", "bravo", "charlie"]);

    // Everything, deleting the source: identical copies count as done, a different one is
    // left alone on both sides.
    let out = w.migrate("file", "keyctl", &["--delete-source"]);
    assert_success(&out);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Migrating alpha... skipped, the destination already holds the same credentials, deleted from source\n")
            && stdout.contains("Migrating bravo... skipped, the destination holds other credentials under this name (--overwrite replaces them); the source keeps its copy\n")
            && stdout.contains("Migrating charlie... skipped, the destination already holds the same credentials, deleted from source\n")
            && stdout.ends_with("  copied: 0\n  overwritten: 0\n  skipped: 3\n  deleted from source: 2\n"),
        "{stdout}"
    );
    assert_eq!(w.stored("file"), ["bravo"]);
    assert_eq!(
        w.keys("keyctl", "bravo"),
        ("AKIAOTHER".into(), "other-secret".into())
    );

    let out = w.migrate("file", "keyctl", &["--overwrite", "--delete-source"]);
    assert_success(&out);
    assert!(
        text(&out.stdout)
            .contains("Migrating bravo... overwritten, verified, deleted from source\n"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        w.keys("keyctl", "bravo"),
        ("AKIABRAVO".into(), "bravo-secret".into())
    );
    assert!(w.stored("file").is_empty());
    let out = w.migrate("file", "keyctl", &[]);
    assert_success(&out);
    assert_eq!(
        text(&out.stdout),
        "No credentials are stored in the `file` backend; nothing to migrate.\n"
    );
}

/// Waits until no process of the process group `pgid` is left (the `pass` and gpg a killed
/// stsvault had started finish on their own).
fn wait_for_group(pgid: u32) {
    let pgid = libc::pid_t::try_from(pgid).expect("pid");
    let deadline = Instant::now() + Duration::from_secs(30);
    // SAFETY: kill(2) with signal 0 only checks that the group exists.
    while unsafe { libc::kill(-pgid, 0) } == 0 {
        assert!(
            Instant::now() < deadline,
            "the killed run's children did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The number of items in the password store's `aws` folder.
fn items_in(store: &PassStore) -> usize {
    files_under(&store.store_dir().join("aws"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gpg"))
        .count()
}

/// Every profile is in the file vault or the password store (or both), and holds its keys
/// wherever it is.
fn nothing_lost(w: &World, expected: &BTreeMap<String, (String, String)>) -> (usize, usize) {
    let in_file = w.stored("file");
    let in_pass = w.stored("pass");
    for (name, keys) in expected {
        let mut found = 0;
        for (backend, stored) in [("file", &in_file), ("pass", &in_pass)] {
            if stored.contains(name) {
                assert_eq!(&w.keys(backend, name), keys, "{name} intact in {backend}");
                found += 1;
            }
        }
        assert!(
            found > 0,
            "{name} is lost: file {in_file:?}, pass {in_pass:?}"
        );
    }
    (in_file.len(), in_pass.len())
}

/// Where a test watches a migration's progress.
#[derive(Debug, Clone, Copy)]
enum Watch {
    /// Items leaving the source (the file vault).
    Source,
    /// Items arriving in the destination (the password store).
    Destination,
}

#[test]
fn a_run_killed_half_way_loses_nothing_and_a_second_run_finishes() {
    let w = World::new(Sandbox::new(None), false, true, false);
    let expected = made_up(24);
    for (name, (id, secret)) in &expected {
        w.add("file", name, id, secret);
    }
    let store = w.store.as_ref().expect("pass store");
    let in_source = || files_under(&w.sandbox.vault_dir()).len();
    // Kill the run (stsvault alone, with SIGKILL) at the moments that matter: just after an
    // item reached the destination (not yet verified nor removed from the source), and just
    // after an item left the source (where doing things in the wrong order would lose it).
    let rounds = [
        (Watch::Destination, 1),
        (Watch::Source, 1),
        (Watch::Destination, 3),
        (Watch::Source, 2),
    ];
    for (watch, step) in rounds {
        let (source_at_start, destination_at_start) = (in_source(), items_in(store));
        let reached = || match watch {
            Watch::Source => in_source() + step <= source_at_start,
            Watch::Destination => items_in(store) >= destination_at_start + step,
        };
        let mut child = w
            .command(&[
                "migrate-backend",
                "--from",
                "file",
                "--to",
                "pass",
                "--delete-source",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the migration");
        // The child is stsvault, leading its own process group (the sandbox starts it in a
        // new session).
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(120);
        while !reached() {
            assert!(Instant::now() < deadline, "the migration made no progress");
            assert!(
                child.try_wait().expect("poll").is_none(),
                "the migration ended before it could be killed"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        assert_eq!(comm.trim(), "stsvault", "the process to kill is stsvault");
        // Only stsvault dies; the `pass` it may be running finishes on its own, as it would
        // after any crash of stsvault.
        child.kill().expect("SIGKILL stsvault");
        let status = child.wait().expect("reap stsvault");
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL), "killed, not finished");
        wait_for_group(pid);
        let (left, moved) = nothing_lost(&w, &expected);
        assert!(
            left > 0 && moved < expected.len(),
            "killed half-way ({watch:?}): {left} left in the file vault, {moved} in pass"
        );
    }
    let out = w.migrate("file", "pass", &["--delete-source"]);
    assert_success(&out);
    assert!(text(&out.stdout).contains("Migration summary:"));
    let (left, moved) = nothing_lost(&w, &expected);
    assert_eq!((left, moved), (0, expected.len()));
}
