//! The encrypted file backend, byte-compatible with aws-vault's (99designs/keyring `file`):
//! one file per item in `~/.awsvault/keys` (`AWS_VAULT_FILE_DIR`), named by percent-escaping
//! `%` and `/` in the item name (on Windows also what its file names cannot hold), holding a
//! compact JWE (PBES2-HS256+A128KW, p2c 8192, A256GCM) whose payload is keyring's Item JSON.
//! Writes are atomic (temp file + fsync + rename), files are 0600 in a 0700 directory.
//!
//! The passphrase is asked for once per backend and kept in memory; with
//! [`FileBackend::with_passphrase_cache`] it is also shared with the user's other processes
//! through the kernel keyring ([`PassphraseCache`]) once it has opened or written an item.

use super::jwe::{self, JweError};
use super::{Backend, Item, PassphraseCache, VaultError, item_json};
use crate::private_fs::{create_private_dir, private_tempfile};
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use zeroize::Zeroizing;

/// Asks for the passphrase; called with the text to show, at most once per backend.
pub type PassphraseFn = Box<dyn Fn(&str) -> Result<SecretString, VaultError> + Send + Sync>;

/// aws-vault's way to get the file vault's passphrase: `AWS_VAULT_FILE_PASSPHRASE` if set
/// (even empty), else asked on the terminal without echo. (The passphrase cache, which
/// [`BackendOptions::open`](super::BackendOptions::open) adds, is asked before this.)
pub fn passphrase_from_env_or_terminal() -> PassphraseFn {
    Box::new(|prompt| {
        if let Some(p) = std::env::var_os("AWS_VAULT_FILE_PASSPHRASE") {
            return Ok(SecretString::from(p.to_string_lossy().into_owned()));
        }
        Ok(crate::prompt::read_secret_from_tty(
            &format!("{prompt}: "),
            "vault passphrase",
            NO_TERMINAL_HINT,
        )?)
    })
}

/// What to do when the passphrase cannot be asked for.
#[cfg(target_os = "linux")]
const NO_TERMINAL_HINT: &str = "type it once in a terminal of this login session (it is then cached for a while, see --passphrase-cache), set AWS_VAULT_FILE_PASSPHRASE, or use another --backend";
#[cfg(not(target_os = "linux"))]
const NO_TERMINAL_HINT: &str = "set AWS_VAULT_FILE_PASSPHRASE, or use another --backend";

/// PBKDF2 iterations aws-vault's JWE library uses.
const ITERATIONS: NonZeroU32 = NonZeroU32::new(8192).unwrap();
const SALT_LEN: usize = 16;

/// `~/.awsvault/keys`, aws-vault's default directory.
pub fn default_file_dir() -> Result<PathBuf, VaultError> {
    Ok(home()?.join(".awsvault/keys"))
}

/// The home directory ([`crate::home`]), for the backends' default locations.
pub(crate) fn home() -> Result<PathBuf, VaultError> {
    crate::home::home_dir().ok_or(VaultError::NoHome)
}

/// `dir` with a leading `~` replaced by the home directory ([`crate::home`]).
pub(crate) fn expand_home(dir: PathBuf) -> PathBuf {
    match (dir.strip_prefix("~"), crate::home::home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => dir,
    }
}

/// Where the passphrase a backend holds came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Asked for, and not yet seen to open or write an item.
    Asked,
    /// Asked for, and it has opened or written an item (and was cached then).
    Confirmed,
    /// Read from the passphrase cache.
    Cache,
}

/// The passphrase a backend holds, and where it came from.
struct Unlocked {
    passphrase: SecretString,
    source: Source,
}

/// Items as encrypted files in a directory.
pub struct FileBackend {
    dir: PathBuf,
    ask: PassphraseFn,
    cache: Option<PassphraseCache>,
    unlocked: Mutex<Option<Unlocked>>,
}

impl FileBackend {
    /// A backend in `dir` (`~` expanded), asking `ask` for the passphrase when first needed.
    pub fn new(dir: impl Into<PathBuf>, ask: PassphraseFn) -> Self {
        Self {
            dir: expand_home(dir.into()),
            ask,
            cache: None,
            unlocked: Mutex::new(None),
        }
    }

    /// Shares the passphrase with the user's other processes through the kernel keyring: one
    /// that `ask` gave is cached once it has opened or written an item, and a cached one is used
    /// instead of asking, until it goes unused for `idle` (zero: no cache). A cached passphrase
    /// that does not open an item is dropped and `ask` is asked. See [`PassphraseCache`].
    pub fn with_passphrase_cache(mut self, idle: Duration) -> Self {
        self.cache = PassphraseCache::new(self.dir.clone(), idle);
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn ensure_dir(&self) -> Result<(), VaultError> {
        match std::fs::metadata(&self.dir) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(VaultError::NotADirectory(self.dir.clone())),
            Err(_) => {
                create_private_dir(&self.dir).map_err(|e| VaultError::io("creating", &self.dir, e))
            }
        }
    }

    fn path_for(&self, key: &str) -> PathBuf {
        self.dir.join(escape(key))
    }

    /// The passphrase: the one this backend holds, else the cached one (unless `ask_anew`),
    /// else the one `ask` gives.
    fn passphrase(&self, ask_anew: bool) -> Result<(SecretString, Source), VaultError> {
        let mut unlocked = self.unlocked.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = unlocked.as_ref() {
            return Ok((u.passphrase.clone(), u.source));
        }
        let cached = match &self.cache {
            Some(cache) if !ask_anew => cache.get(),
            _ => None,
        };
        let (passphrase, source) = match cached {
            Some(p) => (p, Source::Cache),
            None => {
                let p = (self.ask)(&format!(
                    "Enter passphrase to unlock {:?}",
                    self.dir.display().to_string()
                ))?;
                (p, Source::Asked)
            }
        };
        *unlocked = Some(Unlocked {
            passphrase: passphrase.clone(),
            source,
        });
        Ok((passphrase, source))
    }

    /// `passphrase` has opened or written an item: cache it if it was asked for.
    fn confirm(&self, passphrase: &SecretString) {
        let mut unlocked = self.unlocked.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = unlocked.as_mut()
            && u.source == Source::Asked
            && u.passphrase.expose_secret() == passphrase.expose_secret()
        {
            if let Some(cache) = &self.cache {
                cache.store(&u.passphrase);
            }
            u.source = Source::Confirmed;
        }
    }

    fn forget_passphrase(&self) {
        *self.unlocked.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn decrypt(&self, path: &Path, token: &str) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        // A damaged or foreign file is told apart before the passphrase is asked for.
        let token = jwe::parse(token).map_err(|e| token_error(path, e))?;
        let (passphrase, source) = self.passphrase(false)?;
        let mut opened = token.decrypt(passphrase.expose_secret().as_bytes());
        if matches!(opened, Err(JweError::Decrypt)) && source == Source::Cache {
            // The vault was made anew under another passphrase since this one was cached:
            // drop it and ask.
            tracing::debug!("the cached passphrase does not open the vault; asking for it");
            self.forget_passphrase();
            if let Some(cache) = &self.cache {
                cache.forget();
            }
            let (asked, _) = self.passphrase(true)?;
            opened = token.decrypt(asked.expose_secret().as_bytes());
            if opened.is_ok() {
                self.confirm(&asked);
            }
        } else if opened.is_ok() {
            self.confirm(&passphrase);
        }
        opened.map_err(|e| {
            if e == JweError::Decrypt {
                self.forget_passphrase();
                VaultError::WrongPassphrase {
                    dir: self.dir.clone(),
                    path: path.to_path_buf(),
                }
            } else {
                token_error(path, e)
            }
        })
    }

    /// Before writing with a passphrase, check it opens an item already there, so one vault
    /// never ends up under two passphrases. False when there was no other item to check.
    fn verify_passphrase_against(&self, except: &str) -> Result<bool, VaultError> {
        for other in self.keys()?.into_iter().filter(|k| k != except) {
            let path = self.path_for(&other);
            match std::fs::read_to_string(&path) {
                Ok(token) => return self.decrypt(&path, &token).map(|_| true),
                // Removed by another process since the listing: check against the next one.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(VaultError::io("reading", &path, e)),
            }
        }
        Ok(false)
    }
}

/// What a token that cannot be read means for the user: a damaged item, or one written in a
/// format this version does not read (an item that does not open is the passphrase's fault).
fn token_error(path: &Path, e: JweError) -> VaultError {
    match e {
        JweError::Unsupported(what) => VaultError::NewerFormat {
            path: path.to_path_buf(),
            what,
        },
        JweError::Malformed(reason) => VaultError::Corrupt {
            path: path.to_path_buf(),
            reason,
        },
        JweError::Decrypt | JweError::Encrypt => VaultError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    }
}

impl Backend for FileBackend {
    fn name(&self) -> &'static str {
        "file"
    }

    fn get(&self, key: &str) -> Result<Option<Item>, VaultError> {
        let path = self.path_for(key);
        let token = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(VaultError::io("reading", &path, e)),
        };
        let payload = self.decrypt(&path, &token)?;
        item_json::decode(&payload)
            .map(Some)
            .map_err(|reason| VaultError::Corrupt { path, reason })
    }

    fn set(&self, item: &Item) -> Result<(), VaultError> {
        self.ensure_dir()?;
        sweep_stale_temp_files(&self.dir);
        // With no item to check against, the passphrase is the one the user chooses now for
        // this vault: asked for, never taken from the cache.
        let checked = self.verify_passphrase_against(&item.key)?;
        let payload = item_json::encode(item);
        let (passphrase, _) = self.passphrase(!checked)?;
        let token = jwe::encrypt(
            &payload,
            passphrase.expose_secret().as_bytes(),
            ITERATIONS,
            SALT_LEN,
            &chrono::Local::now().to_string(),
        )
        .map_err(|e| encrypt_err(item, e))?;
        write_atomically(&self.dir, &self.path_for(&item.key), token.as_bytes())?;
        self.confirm(&passphrase);
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<bool, VaultError> {
        let path = self.path_for(key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(VaultError::io("removing", &path, e)),
        }
    }

    fn keys(&self) -> Result<Vec<String>, VaultError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(VaultError::io("listing", &self.dir, e)),
        };
        let mut keys = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                continue; // temp files of an unfinished write, and anything that is not an item
            }
            keys.push(unescape(name));
        }
        keys.sort();
        Ok(keys)
    }
}

fn encrypt_err(item: &Item, e: impl std::fmt::Display) -> VaultError {
    VaultError::Encrypt {
        item: item.key.clone(),
        reason: e.to_string(),
    }
}

/// Prefix of the temporary files [`write_atomically`] renames into place.
const TEMP_PREFIX: &str = ".stsvault-";

/// A temporary file older than this was left by a writer that died before its rename (no
/// write takes more than a moment), so it is removed.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes temporary files of writes that never finished (the writer was killed between
/// creating and renaming one). They hold only ciphertext and `keys()` skips them, but they
/// would otherwise pile up. Best effort: an error leaves the file for the next write.
fn sweep_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to `path` so readers see the old or the new file, never half of one.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let mut tmp = private_tempfile()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| VaultError::io("creating a temporary file in", dir, e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| VaultError::io("writing", tmp.path().to_path_buf(), e))?;
    tmp.persist(path)
        .map_err(|e| VaultError::io("replacing", path, e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// keyring's file names: `%` and `/` percent-escaped (upper-case hex).
fn escape(key: &str) -> String {
    escape_for(key, cfg!(windows))
}

/// aws-vault's file name for `key`: `%` and `/` percent-escaped. On Windows also the characters
/// a Windows file name cannot hold (`:` would name an NTFS stream: `oidc:https://…` items),
/// which aws-vault cannot store there at all; [`unescape`] decodes every escape, so the
/// names read back the same everywhere.
fn escape_for(key: &str, windows: bool) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        match c {
            '%' | '/' => out.push_str(&format!("%{:02X}", u32::from(c))),
            ':' | '<' | '>' | '"' | '\\' | '|' | '?' | '*' | '\0'..='\x1f' if windows => {
                out.push_str(&format!("%{:02X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

fn unescape(name: &str) -> String {
    super::names::unescape_hex(name, b'%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for k in ["prod", "a/b", "50%/x", "ünï/cødé", "%2F", "%é%"] {
            assert_eq!(unescape(&escape(k)), k);
        }
        assert_eq!(escape_for("a/b%c", false), "a%2Fb%25c");
        assert_eq!(escape_for("a/b%c", true), "a%2Fb%25c");
        assert_eq!(unescape("a%2fb"), "a/b");
    }

    #[test]
    fn on_windows_names_hold_no_character_a_windows_file_name_cannot() {
        let token = "oidc:https://corp.awsapps.example/start";
        assert_eq!(
            escape_for(token, false),
            "oidc:https:%2F%2Fcorp.awsapps.example%2Fstart",
            "aws-vault's name elsewhere"
        );
        let windows = escape_for(token, true);
        assert_eq!(windows, "oidc%3Ahttps%3A%2F%2Fcorp.awsapps.example%2Fstart");
        assert_eq!(unescape(&windows), token);
        let odd = "a<b>c\"d\\e|f?g*h\ti";
        let escaped = escape_for(odd, true);
        assert!(
            !escaped.contains(['<', '>', '"', '\\', '|', '?', '*', '\t']),
            "{escaped}"
        );
        assert_eq!(unescape(&escaped), odd);
    }

    /// A write removes temporary files that a killed writer left more than an hour ago, and
    /// leaves a fresh one (another process may be about to rename it) and the items alone.
    #[test]
    fn writes_sweep_temp_files_a_killed_writer_left() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = FileBackend::new(dir.path(), Box::new(|_| Ok(SecretString::from("p"))));
        let item = |k: &str| Item::new(k, b"{}".to_vec(), String::new(), String::new());
        backend.set(&item("a")).expect("set");
        let old = dir.path().join(".stsvault-old");
        let fresh = dir.path().join(".stsvault-fresh");
        std::fs::write(&old, "x").expect("write");
        std::fs::write(&fresh, "x").expect("write");
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .and_then(|f| f.set_modified(two_hours_ago))
            .expect("set mtime");
        backend.set(&item("b")).expect("set");
        assert!(!old.exists(), "a stale temp file is removed");
        assert!(fresh.exists(), "a fresh temp file is left for its writer");
        assert_eq!(backend.keys().expect("keys"), ["a", "b"]);
    }

    /// Rewrites the header of item `a`'s file with `edit`.
    fn edit_header(dir: &Path, edit: impl Fn(&mut serde_json::Value)) {
        use base64::Engine;
        let path = dir.join("a");
        let token = std::fs::read_to_string(&path).expect("read");
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (header, rest) = token.split_once('.').expect("a compact JWE");
        let mut header: serde_json::Value =
            serde_json::from_slice(&b64.decode(header).expect("base64")).expect("JSON");
        edit(&mut header);
        let header = b64.encode(header.to_string());
        std::fs::write(&path, format!("{header}.{rest}")).expect("write");
    }

    /// Regression (fuzz/regressions/vault_file/cbc-with-gcm-iv): a valid item whose header
    /// says A128CBC-HS256 instead of A256GCM made OpenSSL (under josekit) panic on the 12-byte
    /// IV. Now the header is checked before any key is derived: an `enc` this version does not
    /// read is a newer format, and the passphrase is neither blamed nor asked for.
    #[test]
    fn a_relabelled_encryption_is_a_newer_format_not_a_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&asked);
        let backend = FileBackend::new(
            dir.path(),
            Box::new(move |_| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(SecretString::from("p"))
            }),
        );
        let item = Item::new("a", b"{}".to_vec(), String::new(), String::new());
        backend.set(&item).expect("set");
        backend.forget_passphrase();
        edit_header(dir.path(), |h| h["enc"] = "A128CBC-HS256".into());
        match backend.get("a") {
            Err(VaultError::NewerFormat { what, .. }) => {
                assert!(what.contains("A128CBC-HS256"), "{what}")
            }
            other => panic!("expected a newer format, got {:?}", other.map(|_| ())),
        }
        assert_eq!(
            asked.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "asked only by set"
        );
        edit_header(dir.path(), |h| h["enc"] = "A256GCM".into());
        assert!(backend.get("a").expect("opens again").is_some());
    }
}
