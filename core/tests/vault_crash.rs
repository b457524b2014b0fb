//! Crash safety of the file vault: a writer process replaces an item and adds new ones in a
//! loop, and is killed with SIGKILL after 0–3 completed writes and a random delay of up to a
//! few writes, 1,000 times (four at a time; `STSVAULT_CRASH_TRIALS` to change the count), so
//! the kill lands at a random point of a write — before the temp file, while writing it, after
//! fsync, around the rename. After every kill the vault
//! opens with its passphrase, every item decrypts and is whole, the replaced item holds its old
//! or its new value (the new one once the writer said the write was done), every completed new
//! item is there, and nothing else is listed.
//!
//! A kill between creating the temp file and renaming it leaves that `.stsvault-*` file behind
//! (nothing deletes it later); the test checks that listing ignores it and that it holds only
//! (part of) the encrypted JWE, never the plaintext, and counts how often that happens.
//!
//! The writer is this test binary run again (`writer_process`, which does nothing unless
//! `STSVAULT_CRASH_WRITER` is set).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use stsvault::vault::{Backend, FileBackend, Item};

const PASSPHRASE: &str = "crash test passphrase";
const TARGET: &str = "target";
/// Marks every plaintext value, so a temp file holding plaintext would be found.
const MARK: &str = "PLAINTEXT-MARK";
/// Trials run at the same time.
const PARALLEL: usize = 4;
/// The longest random delay before the kill, after the writer reports a write done: a few
/// writes long (one takes about 3 ms here).
const MAX_DELAY_MICROS: u64 = 10_000;

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// FNV-1a, 64 bits.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `key|generation|MARK padding|checksum`, 30 bytes to 3 KiB.
fn make_value(key: &str, generation: u64) -> String {
    let pad = usize::try_from(Rng::new(generation + 1).below(3000)).unwrap_or(0);
    let body = format!("{key}|{generation}|{MARK}{}", "x".repeat(pad));
    format!("{body}|{:016x}", checksum(body.as_bytes()))
}

/// The generation of a whole value of `key`; panics on a torn or misplaced one.
fn generation_of(key: &str, data: &[u8]) -> u64 {
    let text = std::str::from_utf8(data).unwrap_or_else(|_| panic!("{key}: not UTF-8"));
    let (body, sum) = text
        .rsplit_once('|')
        .unwrap_or_else(|| panic!("{key}: no checksum"));
    assert_eq!(
        format!("{:016x}", checksum(body.as_bytes())),
        sum,
        "{key}: torn value"
    );
    let mut fields = body.split('|');
    assert_eq!(fields.next(), Some(key), "{key}: another item's value");
    fields
        .next()
        .and_then(|g| g.parse().ok())
        .unwrap_or_else(|| panic!("{key}: no generation"))
}

fn backend(dir: &Path) -> FileBackend {
    FileBackend::new(
        dir,
        Box::new(|_| Ok(secrecy::SecretString::from(PASSPHRASE.to_string()))),
    )
}

fn item(key: &str, value: &str) -> Item {
    Item::new(
        key,
        value.as_bytes().to_vec(),
        format!("crash test {key}"),
        String::new(),
    )
}

/// Odd generations replace `target`, even ones add `new-<generation>`.
fn key_of(generation: u64) -> String {
    if generation % 2 == 1 {
        TARGET.to_string()
    } else {
        format!("new-{generation}")
    }
}

/// The writer process: says `BEGIN g` before and `DONE g` after each write (stdout is
/// line-buffered, so the test sees each line as it is printed).
#[test]
fn writer_process() {
    let Some(dir) = std::env::var_os("STSVAULT_CRASH_WRITER") else {
        return;
    };
    let vault = backend(Path::new(&dir));
    // Warm up (the first use of the crypto is slower than the rest), so the kills land all
    // over the writes rather than mostly in the first.
    vault.get(TARGET).expect("read the seeded item");
    // A line of its own, after the test harness's "test writer_process ... ".
    println!("\nREADY");
    for generation in 1..=10_000u64 {
        let key = key_of(generation);
        println!("BEGIN {generation}");
        vault
            .set(&item(&key, &make_value(&key, generation)))
            .unwrap_or_else(|e| panic!("set {key}: {e}"));
        println!("DONE {generation}");
    }
}

/// Follows the writer's `BEGIN g` / `DONE g` lines.
fn note(line: &str, begun: &mut u64, done: &mut u64) {
    if let Some(g) = line.trim().strip_prefix("BEGIN ") {
        *begun = g.parse().expect("generation");
    } else if let Some(g) = line.trim().strip_prefix("DONE ") {
        *done = g.parse().expect("generation");
    }
}

/// What one trial saw.
#[derive(Default)]
struct Tally {
    killed_mid_write: usize,
    old_target_kept: usize,
    new_target_seen: usize,
    temp_files_left: usize,
    writes_done: u64,
}

fn sigkill(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) on our own child; no memory is touched.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// One trial: a vault holding `target` (generation 0), a writer killed `delay` after its
/// `writes_first`-th completed write, checks.
fn trial(exe: &Path, writes_first: u64, delay: Duration, tally: &mut Tally) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("keys");
    backend(&dir)
        .set(&item(TARGET, &make_value(TARGET, 0)))
        .expect("seed the vault");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "writer_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STSVAULT_CRASH_WRITER", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the writer");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut begun, mut done) = (0u64, 0u64);
    let mut line = String::new();
    let mut ready = false;
    // Wait until it is ready and has finished `writes_first` writes, then a random part of
    // one more write.
    while !ready || done < writes_first {
        line.clear();
        let n = out.read_line(&mut line).expect("read the writer");
        assert!(n > 0, "the writer ended early");
        ready |= line.trim() == "READY";
        note(&line, &mut begun, &mut done);
    }
    std::thread::sleep(delay);
    sigkill(child.id());
    let status = child.wait().expect("reap the writer");
    let mut errors = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut errors);
    }
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "the writer ran until the kill ({status:?}): {errors}"
    );
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("read the writer");
    for l in rest.lines() {
        note(l, &mut begun, &mut done);
    }
    let in_flight = (begun > done).then_some(begun);
    tally.writes_done += done;

    // The vault opens, and holds exactly what it should.
    let vault = backend(&dir);
    let keys = vault.keys().expect("the vault lists after a crash");
    let target = vault
        .get(TARGET)
        .expect("target decrypts")
        .expect("target is never lost");
    let generation = generation_of(TARGET, target.data());
    let last_done_target = (1..=done).rev().find(|g| g % 2 == 1).unwrap_or(0);
    let allowed_new = in_flight.filter(|g| g % 2 == 1);
    assert!(
        generation == last_done_target || Some(generation) == allowed_new,
        "target holds generation {generation}; last completed {last_done_target}, in flight {in_flight:?}"
    );
    if in_flight.is_some() {
        tally.killed_mid_write += 1;
        if allowed_new.is_some() {
            if generation == last_done_target {
                tally.old_target_kept += 1;
            } else {
                tally.new_target_seen += 1;
            }
        }
    }
    let mut expected: Vec<String> = (1..=done)
        .filter(|g| g % 2 == 0)
        .map(key_of)
        .chain([TARGET.to_string()])
        .collect();
    if let Some(g) = in_flight.filter(|g| g % 2 == 0)
        && keys.contains(&key_of(g))
    {
        expected.push(key_of(g));
    }
    expected.sort();
    assert_eq!(
        keys, expected,
        "completed items are kept, nothing else is listed"
    );
    for key in keys.iter().filter(|k| *k != TARGET) {
        let got = vault
            .get(key)
            .unwrap_or_else(|e| panic!("{key} does not decrypt: {e}"))
            .unwrap_or_else(|| panic!("{key} is listed but missing"));
        let g = generation_of(key, got.data());
        assert_eq!(key_of(g), *key);
    }

    // Temp files of an interrupted write: ignored, and never plaintext.
    for entry in std::fs::read_dir(&dir).expect("list the vault directory") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            continue;
        }
        assert!(
            name.starts_with(".stsvault-"),
            "unexpected file {name} in the vault"
        );
        let bytes = std::fs::read(entry.path()).expect("read a temp file");
        assert!(
            bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
            "a temp file holds something other than a compact JWE"
        );
        assert!(
            !String::from_utf8_lossy(&bytes).contains(MARK),
            "a temp file holds plaintext"
        );
        tally.temp_files_left += 1;
    }
}

#[test]
fn a_writer_killed_at_random_points_never_loses_or_tears_an_item() {
    let trials: usize = std::env::var("STSVAULT_CRASH_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1000);
    let exe = std::env::current_exe().expect("the test binary");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    eprintln!("seed {seed}");
    let started = Instant::now();
    // Four trials at a time: most of a trial is waiting for processes and fsync.
    let runners: Vec<_> = (0..PARALLEL)
        .map(|n| {
            let exe = exe.clone();
            std::thread::spawn(move || {
                let mut rng = Rng::new(seed.wrapping_add(n as u64));
                let mut tally = Tally::default();
                for _ in (n..trials).step_by(PARALLEL) {
                    let writes_first = rng.below(4);
                    let delay = Duration::from_micros(rng.below(MAX_DELAY_MICROS));
                    trial(&exe, writes_first, delay, &mut tally);
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for runner in runners {
        let t = runner.join().expect("a trial failed");
        tally.killed_mid_write += t.killed_mid_write;
        tally.old_target_kept += t.old_target_kept;
        tally.new_target_seen += t.new_target_seen;
        tally.temp_files_left += t.temp_files_left;
        tally.writes_done += t.writes_done;
    }
    eprintln!(
        "{trials} trials in {:.1} s: {} writes completed, {} kills mid-write ({} kept the old target, {} showed the new one), {} temp files left behind",
        started.elapsed().as_secs_f64(),
        tally.writes_done,
        tally.killed_mid_write,
        tally.old_target_kept,
        tally.new_target_seen,
        tally.temp_files_left,
    );
    assert!(
        tally.killed_mid_write > 0,
        "no kill landed inside a write; the delays are too short or too long"
    );
}
