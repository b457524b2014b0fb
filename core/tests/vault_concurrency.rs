//! Many processes on one vault: 32 real processes each run 100 mixed operations (set, replace
//! and remove their own items, write items every process shares, read their own and the
//! others' items, list) on one file vault, and on gnome-keyring's Secret Service on a private
//! bus, all starting at the same moment. Every value names its item, its writer and a checksum,
//! so a half-written, mixed-up or stale value is caught by whoever reads it. Afterwards every
//! item a process last wrote is there with that value, removed items are gone, an item every
//! process wrote holds one of their last values, every file decrypts, no temp file is left and
//! no item is duplicated. A write also survives the item it checks the passphrase against
//! being removed under it.
//!
//! The processes are this test binary run again (`worker_process`, which does nothing unless
//! `STSVAULT_VAULT_WORKER` is set), so they open the vault through core's public API exactly
//! as any program does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use stsvault::vault::{Backend, FileBackend, Item, SecretServiceBackend};
use stsvault_test_support::services::{GnomeKeyring, SessionBus};

const WORKERS: usize = 32;
const OPS: usize = 100;
/// Items each worker owns: `w<id>-0` … `w<id>-4`.
const OWN_KEYS: u64 = 5;
/// Items every worker writes: `shared-0` … `shared-3`.
const SHARED_KEYS: u64 = 4;
const PASSPHRASE: &str = "concurrency test passphrase";
const COLLECTION: &str = "awsvault";

/// xorshift64*: the same sequence of operations for the same seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// FNV-1a, 64 bits.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `key|writer|seq|padding|checksum`: a value that says which item it belongs to and whether
/// it is whole. Lengths vary from a few bytes to 6 KiB.
fn make_value(key: &str, writer: usize, seq: usize, rng: &mut Rng) -> String {
    let len = usize::try_from(rng.below(6000)).unwrap_or(0);
    let fill = char::from(b'a' + u8::try_from(rng.below(26)).unwrap_or(0));
    let body = format!("{key}|{writer}|{seq}|{}", fill.to_string().repeat(len));
    format!("{body}|{:016x}", checksum(body.as_bytes()))
}

/// The checksum field of a whole value of item `key`; an error describing what is wrong
/// otherwise.
fn validate(key: &str, data: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(data).map_err(|_| format!("{key}: value is not UTF-8"))?;
    let (body, sum) = text
        .rsplit_once('|')
        .ok_or_else(|| format!("{key}: no checksum in a {}-byte value", data.len()))?;
    if format!("{:016x}", checksum(body.as_bytes())) != sum {
        return Err(format!(
            "{key}: checksum mismatch in a {}-byte value",
            data.len()
        ));
    }
    let named = body.split('|').next().unwrap_or_default();
    if named != key {
        return Err(format!("{key}: holds the value of {named}"));
    }
    Ok(sum.to_string())
}

fn own_key(worker: usize, n: u64) -> String {
    format!("w{worker}-{n}")
}

fn shared_key(n: u64) -> String {
    format!("shared-{n}")
}

fn well_formed_name(name: &str) -> bool {
    let own = name.strip_prefix('w').and_then(|r| r.split_once('-'));
    let own_ok = own.is_some_and(|(w, n)| {
        w.parse::<usize>().is_ok_and(|w| w < WORKERS)
            && n.parse::<u64>().is_ok_and(|n| n < OWN_KEYS)
    });
    let shared_ok = name
        .strip_prefix("shared-")
        .is_some_and(|n| n.parse::<u64>().is_ok_and(|n| n < SHARED_KEYS));
    own_ok || shared_ok
}

/// Which store the workers open.
#[derive(Clone)]
enum Store {
    File(PathBuf),
    SecretService(String),
}

impl Store {
    fn open(&self) -> Box<dyn Backend> {
        match self {
            Store::File(dir) => Box::new(FileBackend::new(
                dir,
                Box::new(|_| Ok(secrecy::SecretString::from(PASSPHRASE.to_string()))),
            )),
            Store::SecretService(bus) => {
                Box::new(SecretServiceBackend::new(COLLECTION, Some(bus.clone())))
            }
        }
    }
}

fn item(key: &str, value: &str) -> Item {
    Item::new(
        key,
        value.as_bytes().to_vec(),
        format!("concurrency test {key}"),
        String::new(),
    )
}

/// What a worker reports: the checksum of its last write of each item it touched (`None`:
/// its last operation on the item removed it), and how many operations of each kind it ran.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Report {
    own: BTreeMap<String, Option<String>>,
    shared: BTreeMap<String, String>,
    ops: BTreeMap<String, usize>,
}

/// The checksum field of `value` (which [`make_value`] made).
fn sum_of(value: &str) -> String {
    value
        .rsplit_once('|')
        .map(|(_, s)| s.to_string())
        .unwrap_or_default()
}

/// One worker: `OPS` operations chosen by its seed, every read checked as it happens.
fn run_worker(id: usize, seed: u64, store: &Store, go: &Path) -> Result<Report, String> {
    let backend = store.open();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !go.exists() {
        if Instant::now() > deadline {
            return Err("never told to start".into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut rng = Rng::new(seed ^ (id as u64).wrapping_mul(0x1000_0001));
    let mut report = Report::default();
    let err = |what: &str, e: stsvault::vault::VaultError| format!("worker {id}: {what}: {e}");
    for seq in 0..OPS {
        let kind = match rng.below(100) {
            // Write (or replace) an item of our own.
            0..=29 => {
                let key = own_key(id, rng.below(OWN_KEYS));
                let value = make_value(&key, id, seq, &mut rng);
                backend
                    .set(&item(&key, &value))
                    .map_err(|e| err(&format!("set {key}"), e))?;
                report.own.insert(key, Some(sum_of(&value)));
                "set own"
            }
            // Remove one.
            30..=37 => {
                let key = own_key(id, rng.below(OWN_KEYS));
                let existed = backend
                    .remove(&key)
                    .map_err(|e| err(&format!("remove {key}"), e))?;
                let expected = report.own.get(&key).is_some_and(Option::is_some);
                if existed != expected {
                    return Err(format!(
                        "worker {id}: remove {key} said {existed}, expected {expected}"
                    ));
                }
                report.own.insert(key, None);
                "remove own"
            }
            // Write an item every worker writes.
            38..=49 => {
                let key = shared_key(rng.below(SHARED_KEYS));
                let value = make_value(&key, id, seq, &mut rng);
                backend
                    .set(&item(&key, &value))
                    .map_err(|e| err(&format!("set {key}"), e))?;
                report.shared.insert(key, sum_of(&value));
                "set shared"
            }
            // Read our own: exactly what we last did to it.
            50..=61 => {
                let key = own_key(id, rng.below(OWN_KEYS));
                let got = backend
                    .get(&key)
                    .map_err(|e| err(&format!("get {key}"), e))?;
                let got = match got {
                    Some(i) => {
                        Some(validate(&key, i.data()).map_err(|e| format!("worker {id}: {e}"))?)
                    }
                    None => None,
                };
                let want = report.own.get(&key).cloned().flatten();
                if got != want {
                    return Err(format!(
                        "worker {id}: read {key} as {got:?}, last wrote {want:?}"
                    ));
                }
                "get own"
            }
            // Read another worker's item or a shared one: nothing, or a whole value.
            62..=91 => {
                let key = if rng.below(3) == 0 {
                    shared_key(rng.below(SHARED_KEYS))
                } else {
                    own_key(
                        usize::try_from(rng.below(WORKERS as u64)).unwrap_or(0),
                        rng.below(OWN_KEYS),
                    )
                };
                if let Some(i) = backend
                    .get(&key)
                    .map_err(|e| err(&format!("get {key}"), e))?
                {
                    validate(&key, i.data()).map_err(|e| format!("worker {id}: {e}"))?;
                }
                "get other"
            }
            // List: our items as we left them, nothing malformed.
            _ => {
                let keys = backend.keys().map_err(|e| err("list", e))?;
                if let Some(bad) = keys.iter().find(|k| !well_formed_name(k)) {
                    return Err(format!("worker {id}: listed a stray item {bad:?}"));
                }
                for (key, state) in &report.own {
                    if keys.contains(key) != state.is_some() {
                        return Err(format!(
                            "worker {id}: listing has {key}: {}, expected {}",
                            keys.contains(key),
                            state.is_some()
                        ));
                    }
                }
                "list"
            }
        };
        *report.ops.entry(kind.to_string()).or_default() += 1;
    }
    Ok(report)
}

/// The worker process's entry point: does nothing in a normal test run.
#[test]
fn worker_process() {
    let Ok(id) = std::env::var("STSVAULT_VAULT_WORKER") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let store = match var("STSVAULT_WORKER_STORE").as_str() {
        "file" => Store::File(var("STSVAULT_WORKER_DIR").into()),
        _ => Store::SecretService(var("STSVAULT_WORKER_BUS")),
    };
    // End the test harness's "test worker_process ... " line, so the report has its own.
    println!();
    let id: usize = id.parse().expect("worker id");
    let seed: u64 = var("STSVAULT_WORKER_SEED").parse().expect("seed");
    match run_worker(id, seed, &store, Path::new(&var("STSVAULT_WORKER_GO"))) {
        Ok(report) => println!(
            "REPORT {}",
            serde_json::to_string(&report).expect("report JSON")
        ),
        Err(e) => panic!("{e}"),
    }
}

/// Runs `WORKERS` worker processes on `store`, releases them together, and returns their
/// reports (panicking with a worker's stderr if it failed).
fn run_workers(store: &Store, seed: u64) -> Vec<Report> {
    let scratch = tempfile::tempdir().expect("temp dir");
    let go = scratch.path().join("go");
    let exe = std::env::current_exe().expect("the test binary");
    let mut children: Vec<_> = (0..WORKERS)
        .map(|id| {
            let mut cmd = Command::new(&exe);
            cmd.args([
                "--exact",
                "worker_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("STSVAULT_VAULT_WORKER", id.to_string())
            .env("STSVAULT_WORKER_SEED", seed.to_string())
            .env("STSVAULT_WORKER_GO", &go)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            match store {
                Store::File(dir) => cmd
                    .env("STSVAULT_WORKER_STORE", "file")
                    .env("STSVAULT_WORKER_DIR", dir),
                Store::SecretService(bus) => cmd
                    .env("STSVAULT_WORKER_STORE", "secret-service")
                    .env("STSVAULT_WORKER_BUS", bus),
            };
            cmd.spawn().expect("start a worker")
        })
        .collect();
    // Let them all get to the start line, then go.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&go, b"").expect("write the go file");
    let started = Instant::now();
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for (id, child) in children.drain(..).enumerate() {
        let out = child.wait_with_output().expect("wait for a worker");
        let stdout = String::from_utf8_lossy(&out.stdout);
        match stdout.lines().find_map(|l| l.strip_prefix("REPORT ")) {
            Some(line) if out.status.success() => {
                reports.push(serde_json::from_str(line).expect("report JSON"));
            }
            _ => failures.push(format!(
                "worker {id} ({:?}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "{WORKERS} processes × {OPS} operations done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    reports
}

/// What must be in the store after the workers: every worker's own items as it last left
/// them, and each shared item with one of the values a worker wrote last.
fn check_final_state(backend: &dyn Backend, reports: &[Report]) {
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for report in reports {
        for (key, state) in &report.own {
            let got = backend
                .get(key)
                .unwrap_or_else(|e| panic!("get {key}: {e}"))
                .map(|i| validate(key, i.data()).unwrap_or_else(|e| panic!("{e}")));
            assert_eq!(&got, state, "{key} as its writer last left it");
            if state.is_some() {
                expected.insert(key.clone());
            }
        }
    }
    let mut last_writes: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for report in reports {
        for (key, sum) in &report.shared {
            last_writes.entry(key).or_default().insert(sum);
        }
    }
    for (key, sums) in &last_writes {
        let got = backend
            .get(key)
            .unwrap_or_else(|e| panic!("get {key}: {e}"))
            .unwrap_or_else(|| panic!("{key} was written, and never removed"));
        let sum = validate(key, got.data()).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            sums.contains(sum.as_str()),
            "{key} holds a value that was not any writer's last"
        );
        expected.insert(key.to_string());
    }
    let listed: BTreeSet<String> = backend.keys().expect("list").into_iter().collect();
    assert_eq!(listed, expected, "exactly the items that should be there");
    let total: usize = reports.iter().flat_map(|r| r.ops.values()).sum();
    assert_eq!(total, WORKERS * OPS);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (k, n) in reports.iter().flat_map(|r| r.ops.iter()) {
        *kinds.entry(k).or_default() += n;
    }
    eprintln!("operations: {kinds:?}; {} items at the end", listed.len());
}

#[test]
fn thirty_two_processes_share_one_file_vault() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // Not created yet: the workers race to create it with their first writes.
    let dir = tmp.path().join("keys");
    let store = Store::File(dir.clone());
    let reports = run_workers(&store, 0x5eed_f11e);
    let backend = store.open();
    check_final_state(backend.as_ref(), &reports);
    for entry in std::fs::read_dir(&dir).expect("list the vault") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "left-over temporary file {name}");
        // Every file is an item that decrypts and is whole.
        let got = backend
            .get(&name)
            .unwrap_or_else(|e| panic!("{name} does not decrypt: {e}"))
            .unwrap_or_else(|| panic!("{name} vanished"));
        validate(&name, got.data()).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn thirty_two_processes_share_one_secret_service_collection() {
    let bus = SessionBus::start();
    let _keyring = GnomeKeyring::start(&bus);
    let path = GnomeKeyring::create_collection(&bus, COLLECTION, "collection password");
    let store = Store::SecretService(bus.address().to_string());
    let reports = run_workers(&store, 0x5eed_5ec5);
    let backend = store.open();
    check_final_state(backend.as_ref(), &reports);
    // One item per name: no write left a duplicate behind.
    let conn = zbus::blocking::connection::Builder::address(bus.address())
        .and_then(|b| b.build())
        .expect("connect to the test bus");
    let collection = zbus::blocking::Proxy::new(
        &conn,
        "org.freedesktop.secrets",
        path.as_str(),
        "org.freedesktop.Secret.Collection",
    )
    .expect("collection proxy");
    let items: Vec<zbus::zvariant::OwnedObjectPath> =
        collection.get_property("Items").expect("Items");
    assert_eq!(
        items.len(),
        backend.keys().expect("list").len(),
        "no duplicate items"
    );
}

/// A write checks the passphrase against another item; when that item is removed between the
/// listing and the read (another process replacing a session removes the old one), the write
/// still succeeds. Here another actor links and unlinks an item that sorts first, as fast as
/// it can, while four writers store items.
#[test]
fn a_write_survives_the_item_it_checks_the_passphrase_against_vanishing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("keys");
    let store = Store::File(dir.clone());
    store
        .open()
        .set(&item("aaa", "flickering"))
        .expect("the first item");
    let template = tmp.path().join("aaa.jwe");
    std::fs::rename(dir.join("aaa"), &template).expect("keep it aside");
    store
        .open()
        .set(&item("zzz", "stays"))
        .expect("an item that stays");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flicker = {
        let (stop, dir) = (stop.clone(), dir.clone());
        std::thread::spawn(move || {
            let mut cycles = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::hard_link(&template, dir.join("aaa"));
                let _ = std::fs::remove_file(dir.join("aaa"));
                cycles += 1;
            }
            cycles
        })
    };
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                let backend = store.open();
                for n in 0..40 {
                    let key = format!("w{w}-{n}");
                    backend
                        .set(&item(&key, "x"))
                        .map_err(|e| format!("set {key}: {e}"))?;
                }
                Ok::<_, String>(())
            })
        })
        .collect();
    let results: Vec<_> = writers
        .into_iter()
        .map(|w| w.join().expect("a writer"))
        .collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let cycles = flicker.join().expect("the flickering item");
    eprintln!("{cycles} link/unlink cycles");
    let failures: Vec<_> = results.into_iter().filter_map(Result::err).collect();
    assert!(failures.is_empty(), "{failures:?}");
}
