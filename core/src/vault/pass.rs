//! The `pass` backend: items in the standard Unix password store (`pass`, gpg-encrypted files),
//! laid out as aws-vault lays them out — `<store>/<prefix>/<item name>.gpg` holding keyring's
//! Item JSON — so both tools read each other's entries.
//!
//! Secrets go to `pass` on its standard input and come back on its standard output, never on a
//! command line. gpg asks for its own passphrase through its pinentry, as it does for `pass`.

use super::{Backend, Item, VaultError, item_json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

const NAME: &str = "pass";

/// Where the store is and how to reach it.
#[derive(Debug, Clone)]
pub struct PassOptions {
    /// The `pass` program (`AWS_VAULT_PASS_CMD`, default `pass`).
    pub command: String,
    /// The store (`AWS_VAULT_PASS_PASSWORD_STORE_DIR`, else `PASSWORD_STORE_DIR`, else
    /// `~/.password-store`).
    pub dir: PathBuf,
    /// A folder inside the store for the items (`AWS_VAULT_PASS_PREFIX`, default none).
    pub prefix: String,
}

/// Items in a `pass` password store.
pub struct PassBackend {
    options: PassOptions,
}

impl PassBackend {
    /// A backend over the store in `options`; fails when the `pass` program cannot be found.
    pub fn new(options: PassOptions) -> Result<Self, VaultError> {
        if find_program(&options.command).is_none() {
            return Err(VaultError::Unavailable {
                backend: NAME,
                reason: format!("the program `{}` was not found on PATH", options.command),
                hint: "install `pass` (Debian: apt install pass), set AWS_VAULT_PASS_CMD to its path, or choose another --backend".into(),
            });
        }
        Ok(Self { options })
    }

    fn entry(&self, key: &str) -> String {
        if self.options.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.options.prefix.trim_end_matches('/'))
        }
    }

    fn file_of(&self, key: &str) -> PathBuf {
        self.options.dir.join(format!("{}.gpg", self.entry(key)))
    }

    fn folder(&self) -> PathBuf {
        self.options.dir.join(&self.options.prefix)
    }

    fn pass(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.options.command);
        cmd.args(args)
            .env("PASSWORD_STORE_DIR", &self.options.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn run(
        &self,
        action: &str,
        mut cmd: Command,
        input: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let failed = |reason: String| VaultError::Backend {
            backend: NAME,
            action: action.to_string(),
            reason,
        };
        let mut child = cmd
            .spawn()
            .map_err(|e| failed(format!("starting `{}` failed: {e}", self.options.command)))?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(input).map_err(|e| {
                failed(format!("writing to `{}` failed: {e}", self.options.command))
            })?;
        }
        let out = child.wait_with_output().map_err(|e| {
            failed(format!(
                "waiting for `{}` failed: {e}",
                self.options.command
            ))
        })?;
        let stdout = Zeroizing::new(out.stdout);
        if !out.status.success() {
            return Err(failed(format!(
                "`{} {}` {}",
                self.options.command,
                cmd.get_args()
                    .next()
                    .map(|a| a.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                crate::child::exit_failure(out.status, &out.stderr)
            )));
        }
        Ok(stdout)
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    if path.components().count() > 1 {
        return path.is_file().then(|| path.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Backend for PassBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get(&self, key: &str) -> Result<Option<Item>, VaultError> {
        if !self.file_of(key).is_file() {
            return Ok(None);
        }
        let entry = self.entry(key);
        let out = self.run(
            &format!("read `{key}`"),
            self.pass(&["show", "--", &entry]),
            None,
        )?;
        item_json::decode_for(NAME, key, &out).map(Some)
    }

    fn set(&self, item: &Item) -> Result<(), VaultError> {
        let entry = self.entry(&item.key);
        let json = item_json::encode(item);
        self.run(
            &format!("store `{}`", item.key),
            self.pass(&["insert", "--multiline", "--force", "--", &entry]),
            Some(&json),
        )?;
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<bool, VaultError> {
        if !self.file_of(key).is_file() {
            return Ok(false);
        }
        let entry = self.entry(key);
        self.run(
            &format!("remove `{key}`"),
            self.pass(&["rm", "--force", "--", &entry]),
            None,
        )?;
        Ok(true)
    }

    fn keys(&self) -> Result<Vec<String>, VaultError> {
        let root = self.folder();
        let mut keys = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(VaultError::io("listing", &dir, e)),
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    if !entry.file_name().to_string_lossy().starts_with('.') {
                        stack.push(path);
                    }
                } else if let Some(name) = path
                    .strip_prefix(&root)
                    .ok()
                    .and_then(|rel| rel.to_str())
                    .and_then(|rel| rel.strip_suffix(".gpg"))
                {
                    keys.push(name.to_string());
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(prefix: &str) -> PassBackend {
        PassBackend {
            options: PassOptions {
                command: "pass".into(),
                dir: PathBuf::from("/store"),
                prefix: prefix.into(),
            },
        }
    }

    #[test]
    fn entries_sit_under_the_prefix() {
        assert_eq!(backend("").entry("prod"), "prod");
        assert_eq!(backend("aws/").entry("prod"), "aws/prod");
        assert_eq!(
            backend("aws").file_of("prod"),
            PathBuf::from("/store/aws/prod.gpg")
        );
    }

    #[test]
    fn a_missing_program_is_reported_with_a_fix() {
        let err = PassBackend::new(PassOptions {
            command: "/nonexistent/pass".into(),
            dir: PathBuf::from("/store"),
            prefix: String::new(),
        })
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("AWS_VAULT_PASS_CMD"), "{err}");
    }
}
