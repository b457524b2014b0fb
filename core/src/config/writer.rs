//! [`Config::add_profile`]: add or update a profile section in the config file (`add
//! --add-config`), editing the text in place so comments and formatting survive, and writing
//! it atomically (temporary file in the same directory, then rename; a symlinked config file
//! is updated at its target).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::ConfigError;
use super::files::Config;
use super::ini::IniFile;
use crate::private_fs::{create_private_dir, set_private};

impl Config {
    /// Appends `[profile NAME]` (`[default]` for `default`) with `keys` to the config file, or,
    /// when the section exists, sets each key in it (replacing an existing line, or adding one
    /// at the end of the section). Keys are written as `key=value`, like aws-vault does.
    ///
    /// The file is re-read before editing so concurrent edits are not lost. A config built with
    /// [`Config::from_strs`] is only changed in memory.
    pub fn add_profile(&mut self, name: &str, keys: &[(&str, &str)]) -> Result<(), ConfigError> {
        let path = self.config_path().to_path_buf();
        validate_name(name, &path)?;
        let keys = keys
            .iter()
            .map(|(k, v)| validate_setting(k, v, &path))
            .collect::<Result<Vec<_>, _>>()?;

        let text = if self.in_memory {
            self.config_text.clone()
        } else {
            read_current(&path)?
        };
        let current = IniFile::parse(&path, &text)?;
        let new_text = edit(&text, &current, name, &keys);
        if !self.in_memory {
            write_atomically(&path, &new_text)?;
        }
        self.config = IniFile::parse(&path, &new_text)?;
        self.config_text = new_text;
        Ok(())
    }
}

/// The text with the profile added or updated.
fn edit(text: &str, current: &IniFile, name: &str, keys: &[(String, String)]) -> String {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let header = if name == "default" {
        String::from("default")
    } else {
        format!("profile {name}")
    };
    let existing = current.section(&header).or_else(|| {
        (name == "default")
            .then(|| current.section("profile default"))
            .flatten()
    });

    let Some(section) = existing else {
        let mut out = text.to_string();
        if !out.is_empty() {
            if !out.ends_with('\n') {
                out.push_str(eol);
            }
            out.push_str(eol);
        }
        out.push_str(&format!("[{header}]{eol}"));
        for (k, v) in keys {
            out.push_str(&format!("{k}={v}{eol}"));
        }
        return out;
    };

    let mut replace: Vec<(usize, String)> = Vec::new();
    let mut append: Vec<String> = Vec::new();
    for (k, v) in keys {
        match section.get(k) {
            Some(prop) => replace.push((prop.line, format!("{k}={v}"))),
            None => append.push(format!("{k}={v}")),
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut line_no = 0;
    for line in text.split_inclusive('\n') {
        line_no += 1;
        match replace.iter().find(|(l, _)| *l == line_no) {
            Some((_, new)) => {
                out.push_str(new);
                out.push_str(eol);
            }
            None => {
                out.push_str(line);
                if !line.ends_with('\n') && line_no == section.last_line && !append.is_empty() {
                    out.push_str(eol);
                }
            }
        }
        if line_no == section.last_line {
            for new in &append {
                out.push_str(new);
                out.push_str(eol);
            }
        }
    }
    out
}

fn validate_name(name: &str, path: &Path) -> Result<(), ConfigError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.trim() != name {
        Some("it starts or ends with whitespace")
    } else if name.contains(['[', ']', '\n', '\r']) {
        Some("it contains `[`, `]` or a line break")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ConfigError::InvalidProfileName {
            name: name.to_string(),
            reason: reason.to_string(),
            path: path.to_path_buf(),
        }),
        None => Ok(()),
    }
}

fn validate_setting(key: &str, value: &str, path: &Path) -> Result<(String, String), ConfigError> {
    let err = |reason: &str| ConfigError::InvalidNewSetting {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
        path: path.to_path_buf(),
    };
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(err("keys are made of letters, digits, `_`, `-` and `.`"));
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(err("the value is empty"));
    }
    if value.contains(['\n', '\r']) {
        return Err(err("the value contains a line break"));
    }
    if value.contains(" #")
        || value.contains(" ;")
        || value.contains("\t#")
        || value.contains("\t;")
    {
        return Err(err("` #` or ` ;` in a value would start a comment"));
    }
    Ok((key.to_ascii_lowercase(), value.to_string()))
}

fn read_current(path: &Path) -> Result<String, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `text` to `path` (following a symlink to its target) via a temporary file in the
/// same directory, keeping the file's permissions (a new file gets 0600, a new directory 0700).
fn write_atomically(path: &Path, text: &str) -> Result<(), ConfigError> {
    let write_err = |target: &Path| {
        let target = target.to_path_buf();
        move |source: std::io::Error| ConfigError::Write {
            path: target.clone(),
            source,
        }
    };
    let target: PathBuf = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        create_private_dir(&dir).map_err(write_err(&dir))?;
    }
    let existing_permissions = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(write_err(&target))?;
    tmp.write_all(text.as_bytes()).map_err(write_err(&target))?;
    match existing_permissions {
        Some(perms) => std::fs::set_permissions(tmp.path(), perms).map_err(write_err(&target))?,
        None => set_private(tmp.path()).map_err(write_err(&target))?,
    }
    tmp.as_file().sync_all().map_err(write_err(&target))?;
    tmp.persist(&target)
        .map_err(|e| e.error)
        .map_err(write_err(&target))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        Config::from_strs(text, "").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn appends_like_aws_vault() {
        let nested =
            "[default]\n\n[profile testing]\nregion=us-west-2\ns3=\n  max_queue_size=1000\n";
        let mut c = cfg(nested);
        c.add_profile(
            "llamas",
            &[("mfa_serial", "testserial"), ("region", "us-east-1")],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.config_text,
            format!("{nested}\n[profile llamas]\nmfa_serial=testserial\nregion=us-east-1\n")
        );
        assert!(c.has_profile("llamas"));
    }

    #[test]
    fn updates_existing_section_in_place() {
        let mut c = cfg("# keep me\n[profile a]\nregion = x # old\n\n[profile b]\nregion=y");
        c.add_profile("a", &[("region", "z"), ("mfa_serial", "arn:m")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.config_text,
            "# keep me\n[profile a]\nregion=z\nmfa_serial=arn:m\n\n[profile b]\nregion=y"
        );
        c.add_profile("b", &[("output", "json")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            c.config_text
                .ends_with("[profile b]\nregion=y\noutput=json\n"),
            "{}",
            c.config_text
        );
    }

    #[test]
    fn rejects_bad_names_and_values() {
        let mut c = cfg("");
        assert!(c.add_profile("a]b", &[]).is_err());
        assert!(c.add_profile(" a", &[]).is_err());
        assert!(c.add_profile("a", &[("region", "x #y")]).is_err());
        assert!(c.add_profile("a", &[("re gion", "x")]).is_err());
        c.add_profile("default", &[("region", "x")])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.config_text, "[default]\nregion=x\n");
    }

    #[test]
    fn writes_file_atomically_and_keeps_symlink() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let real = dir.path().join("real-config");
        std::fs::write(&real, "[profile a]\nregion=x\n").unwrap_or_else(|e| panic!("{e}"));
        let link = dir.path().join("config");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&real, &link).unwrap_or_else(|e| panic!("{e}"));
        #[cfg(not(unix))]
        std::fs::copy(&real, &link).unwrap_or_else(|e| panic!("{e}"));
        let mut c = Config::from_paths(&link, &dir.path().join("credentials"))
            .unwrap_or_else(|e| panic!("{e}"));
        c.add_profile("new", &[]).unwrap_or_else(|e| panic!("{e}"));
        let written = std::fs::read_to_string(&link).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written, "[profile a]\nregion=x\n\n[profile new]\n");
        #[cfg(unix)]
        assert!(
            std::fs::symlink_metadata(&link)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false)
        );
        let fresh = dir.path().join("sub/dir/config");
        let mut c = Config::from_paths(&fresh, &dir.path().join("credentials"))
            .unwrap_or_else(|e| panic!("{e}"));
        c.add_profile("x", &[("region", "y")])
            .unwrap_or_else(|e| panic!("{e}"));
        let written = std::fs::read_to_string(&fresh).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written, "[profile x]\nregion=y\n");
    }
}
