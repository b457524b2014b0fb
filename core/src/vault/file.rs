//! The encrypted file backend, byte-compatible with aws-vault's (99designs/keyring `file`):
//! one file per item in `~/.awsvault/keys` (`AWS_VAULT_FILE_DIR`), named by percent-escaping
//! `%` and `/` in the item name, holding a compact JWE (PBES2-HS256+A128KW, p2c 8192, A256GCM)
//! whose payload is keyring's Item JSON. Writes are atomic (temp file + fsync + rename), files
//! are 0600 in a 0700 directory.

use super::{Backend, Item, VaultError, item_json};
use base64::Engine;
use josekit::jwe::{JweHeader, PBES2_HS256_A128KW};
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Asks for the passphrase; called with the text to show, at most once per backend.
pub type PassphraseFn = Box<dyn Fn(&str) -> Result<SecretString, VaultError> + Send + Sync>;

/// aws-vault's way to get the file vault's passphrase: `AWS_VAULT_FILE_PASSPHRASE` if set
/// (even empty), else asked on the terminal without echo.
pub fn passphrase_from_env_or_terminal() -> PassphraseFn {
    Box::new(|prompt| {
        if let Some(p) = std::env::var_os("AWS_VAULT_FILE_PASSPHRASE") {
            return Ok(SecretString::from(p.to_string_lossy().into_owned()));
        }
        Ok(crate::prompt::read_secret_from_tty(
            &format!("{prompt}: "),
            "vault passphrase",
            "set AWS_VAULT_FILE_PASSPHRASE, or use another --backend",
        )?)
    })
}

/// PBKDF2 iterations aws-vault's JWE library uses.
const ITERATIONS: usize = 8192;
const SALT_LEN: usize = 16;

/// `~/.awsvault/keys`, aws-vault's default directory.
pub fn default_file_dir() -> Result<PathBuf, VaultError> {
    Ok(home()?.join(".awsvault/keys"))
}

/// `$HOME`, for the backends' default locations.
pub(crate) fn home() -> Result<PathBuf, VaultError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or(VaultError::NoHome)
}

/// Items as encrypted files in a directory.
pub struct FileBackend {
    dir: PathBuf,
    ask: PassphraseFn,
    passphrase: Mutex<Option<SecretString>>,
}

impl FileBackend {
    /// A backend in `dir` (`~` expanded), asking `ask` for the passphrase when first needed.
    pub fn new(dir: impl Into<PathBuf>, ask: PassphraseFn) -> Self {
        let dir = dir.into();
        let dir = match (dir.strip_prefix("~"), std::env::var_os("HOME")) {
            (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => dir,
        };
        Self {
            dir,
            ask,
            passphrase: Mutex::new(None),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn ensure_dir(&self) -> Result<(), VaultError> {
        match std::fs::metadata(&self.dir) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(VaultError::NotADirectory(self.dir.clone())),
            Err(_) => std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)
                .map_err(|e| VaultError::io("creating", &self.dir, e)),
        }
    }

    fn path_for(&self, key: &str) -> PathBuf {
        self.dir.join(escape(key))
    }

    fn passphrase(&self) -> Result<SecretString, VaultError> {
        let mut cached = self.passphrase.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cached.as_ref() {
            return Ok(p.clone());
        }
        let p = (self.ask)(&format!(
            "Enter passphrase to unlock {:?}",
            self.dir.display().to_string()
        ))?;
        *cached = Some(p.clone());
        Ok(p)
    }

    fn forget_passphrase(&self) {
        *self.passphrase.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn decrypt(&self, path: &Path, token: &str) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        check_shape(path, token)?;
        check_iv_length(path, token)?;
        let passphrase = self.passphrase()?;
        let decrypter = PBES2_HS256_A128KW
            .decrypter_from_bytes(passphrase.expose_secret().as_bytes())
            .map_err(|e| VaultError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        match josekit::jwe::deserialize_compact(token.trim(), &decrypter) {
            Ok((payload, _)) => Ok(Zeroizing::new(payload)),
            Err(_) => {
                self.forget_passphrase();
                Err(VaultError::WrongPassphrase {
                    dir: self.dir.clone(),
                    path: path.to_path_buf(),
                })
            }
        }
    }

    /// Before writing with a passphrase, check it opens an item already there, so one vault
    /// never ends up under two passphrases.
    fn verify_passphrase_against(&self, except: &str) -> Result<(), VaultError> {
        let Some(other) = self.keys()?.into_iter().find(|k| k != except) else {
            return Ok(());
        };
        let path = self.path_for(&other);
        let token =
            std::fs::read_to_string(&path).map_err(|e| VaultError::io("reading", &path, e))?;
        self.decrypt(&path, &token).map(|_| ())
    }
}

/// A cheap check that `token` is a five-part compact JWE with a PBES2 header, so a damaged file
/// is reported as such rather than as a wrong passphrase.
fn check_shape(path: &Path, token: &str) -> Result<(), VaultError> {
    let corrupt = |reason: &str| VaultError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 5 {
        return Err(corrupt("not a compact JWE"));
    }
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[0])
        .map_err(|_| corrupt("its header is not base64"))?;
    let header: serde_json::Value =
        serde_json::from_slice(&header).map_err(|_| corrupt("its header is not JSON"))?;
    // What aws-vault and stsvault write is PBES2-HS256+A128KW with A256GCM, p2c 8192; a well
    // formed header asking for anything else comes from a newer (or another) tool.
    let newer = |what: String| VaultError::NewerFormat {
        path: path.to_path_buf(),
        what,
    };
    let field = |name: &str| header.get(name).and_then(|v| v.as_str());
    match field("alg") {
        Some("PBES2-HS256+A128KW") => {}
        Some(other) => return Err(newer(format!("key algorithm `{other}`"))),
        None => return Err(corrupt("its header has no algorithm")),
    }
    match field("enc") {
        Some(enc) if CONTENT_ENCRYPTIONS.contains(&enc) => {}
        Some(other) => return Err(newer(format!("content encryption `{other}`"))),
        None => return Err(corrupt("its header has no content encryption")),
    }
    if let Some(zip) = header.get("zip") {
        return Err(newer(format!("compression {zip}")));
    }
    if header.get("crit").is_some() {
        return Err(newer("critical header extensions (`crit`)".to_string()));
    }
    // josekit refuses more than a million PBKDF2 iterations (a file could otherwise make every
    // read take minutes); say so rather than blame the passphrase.
    match header.get("p2c").and_then(|c| c.as_u64()) {
        Some(1..=1_000_000) => Ok(()),
        Some(_) => Err(newer("a PBKDF2 iteration count over 1,000,000".to_string())),
        None => Err(corrupt("its header has no PBKDF2 iteration count")),
    }
}

/// The JWE content encryptions josekit decrypts (aws-vault writes A256GCM).
const CONTENT_ENCRYPTIONS: [&str; 6] = [
    "A256GCM",
    "A192GCM",
    "A128GCM",
    "A256CBC-HS512",
    "A192CBC-HS384",
    "A128CBC-HS256",
];

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
        self.verify_passphrase_against(&item.key)?;
        let payload = item_json::encode(item);
        let passphrase = self.passphrase()?;
        let mut header = JweHeader::new();
        header.set_content_encryption("A256GCM");
        header
            .set_claim(
                "created",
                Some(serde_json::Value::String(chrono::Local::now().to_string())),
            )
            .map_err(|e| encrypt_err(item, e))?;
        let mut encrypter = PBES2_HS256_A128KW
            .encrypter_from_bytes(passphrase.expose_secret().as_bytes())
            .map_err(|e| encrypt_err(item, e))?;
        encrypter.set_iter_count(ITERATIONS);
        encrypter.set_salt_len(SALT_LEN);
        let token = josekit::jwe::serialize_compact(&payload, &header, &encrypter)
            .map_err(|e| encrypt_err(item, e))?;
        write_atomically(&self.dir, &self.path_for(&item.key), token.as_bytes())
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

/// Writes `bytes` to `path` so readers see the old or the new file, never half of one.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".stsvault-")
        .permissions(std::fs::Permissions::from_mode(0o600))
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
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(name: &str) -> String {
    super::names::unescape_hex(name, b'%')
}

/// The IV (fourth part) of a JWE that passed [`check_shape`] must have the length its `enc`
/// needs (RFC 7518: 96 bits for AES-GCM, 128 for AES-CBC-HMAC): OpenSSL asserts it, so a
/// damaged file with, say, `enc` changed from GCM to CBC would otherwise panic while being
/// decrypted (found by the `vault_file` fuzz target).
fn check_iv_length(path: &Path, token: &str) -> Result<(), VaultError> {
    let corrupt = |reason: &str| VaultError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let decode = |part: Option<&str>| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.unwrap_or_default())
    };
    let mut parts = token.trim().split('.');
    let header = decode(parts.next()).map_err(|_| corrupt("its header is not base64"))?;
    let header: serde_json::Value =
        serde_json::from_slice(&header).map_err(|_| corrupt("its header is not JSON"))?;
    let iv = decode(parts.nth(1)).map_err(|_| corrupt("its IV is not base64"))?;
    let needed = match header.get("enc").and_then(|e| e.as_str()) {
        Some(enc) if enc.ends_with("GCM") => 12,
        Some(enc) if enc.contains("CBC-HS") => 16,
        // Anything else is refused by the decrypter before it looks at the IV.
        _ => return Ok(()),
    };
    if iv.len() != needed {
        return Err(corrupt("its IV does not fit its content encryption"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for k in ["prod", "a/b", "50%/x", "ünï/cødé", "%2F", "%é%"] {
            assert_eq!(unescape(&escape(k)), k);
        }
        assert_eq!(escape("a/b%c"), "a%2Fb%25c");
        assert_eq!(unescape("a%2fb"), "a/b");
    }

    /// Regression (fuzz/regressions/vault_file/cbc-with-gcm-iv): a valid item whose header
    /// says A128CBC-HS256 instead of A256GCM unwraps its key, then OpenSSL panicked on the
    /// 12-byte IV; now it is a damaged item.
    #[test]
    fn an_iv_that_does_not_fit_the_encryption_is_corrupt_not_a_panic() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = FileBackend::new(dir.path(), Box::new(|_| Ok(SecretString::from("p"))));
        let item = Item::new("a", b"{}".to_vec(), String::new(), String::new());
        backend.set(&item).expect("set");
        let path = dir.path().join("a");
        let token = std::fs::read_to_string(&path).expect("read");
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (header, rest) = token.split_once('.').expect("a compact JWE");
        let mut header: serde_json::Value =
            serde_json::from_slice(&b64.decode(header).expect("base64")).expect("JSON");
        header["enc"] = "A128CBC-HS256".into();
        let header = b64.encode(header.to_string());
        std::fs::write(&path, format!("{header}.{rest}")).expect("write");
        match backend.get("a") {
            Err(VaultError::Corrupt { reason, .. }) => assert!(reason.contains("IV"), "{reason}"),
            other => panic!("expected a corrupt item, got {:?}", other.map(|_| ())),
        }
    }
}
