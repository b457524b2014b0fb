//! A small parser for the INI dialect of `~/.aws/config` and `~/.aws/credentials`.
//!
//! `aws-config` has a profile-file parser, but its public API only loads (asynchronously) the
//! config and credentials files merged into one set, drops line numbers and unknown sections,
//! and cannot write; aws-vault's semantics need the two files apart, `file:line` in errors and
//! an in-place edit for `add --add-config`. So this is our own, following the rules the AWS CLI
//! and aws-vault's INI library agree on:
//!
//! - `[header]` lines start sections; text after the closing `]` may only be a comment;
//! - full-line comments start with `#` or `;`; in a value, `#` or `;` preceded by whitespace
//!   starts an inline comment;
//! - `key = value`, whitespace around both trimmed, keys lowercased (values and section names
//!   keep their case);
//! - a key with an empty value followed by indented `key = value` lines is a sub-section
//!   (`s3 =\n  max_concurrent_requests = 10`); those lines are kept as sub-properties;
//! - a repeated section is merged into the first, later keys winning.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ConfigError;

/// A parsed INI file: its sections in file order, plus the text it came from.
#[derive(Debug, Clone, Default)]
pub struct IniFile {
    /// Where the text came from (used in error messages).
    pub path: PathBuf,
    /// The sections, in the order of their first header.
    pub sections: Vec<Section>,
    /// Header text → index into `sections`, so lookups stay constant-time in configs of
    /// thousands of profiles.
    index: HashMap<String, usize>,
}

/// One `[header]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The header text between the brackets, trimmed (e.g. `profile prod`).
    pub header: String,
    /// 1-based line of the (first) header.
    pub line: usize,
    /// 1-based line of the last property line (or of the header if it has none).
    pub last_line: usize,
    /// The properties, in file order; a repeated key replaces the earlier value in place.
    pub properties: Vec<Property>,
}

/// One `key = value` line.
#[derive(Clone, PartialEq, Eq)]
pub struct Property {
    /// The key, lowercased.
    pub key: String,
    /// The value, trimmed, inline comment removed (empty for a sub-section).
    pub value: String,
    /// 1-based line number.
    pub line: usize,
    /// Indented `key = value` lines under an empty-valued key.
    pub sub_properties: Vec<Property>,
}

/// Keys whose values are secrets (`Debug` shows them redacted).
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("secret") || key.contains("session_token") || key.contains("security_token")
}

impl std::fmt::Debug for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value: &dyn std::fmt::Debug = if is_secret_key(&self.key) {
            &"[REDACTED]"
        } else {
            &self.value
        };
        f.debug_struct("Property")
            .field("key", &self.key)
            .field("value", value)
            .field("line", &self.line)
            .field("sub_properties", &self.sub_properties)
            .finish()
    }
}

impl Section {
    /// The property with this (lowercase) key, if present.
    pub fn get(&self, key: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.key == key)
    }

    /// The non-empty value of this key, if present.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key)
            .map(|p| p.value.as_str())
            .filter(|v| !v.is_empty())
    }

    fn set(&mut self, property: Property) {
        self.last_line = self.last_line.max(property.line);
        match self.properties.iter_mut().find(|p| p.key == property.key) {
            Some(existing) => *existing = property,
            None => self.properties.push(property),
        }
    }
}

impl IniFile {
    /// Parses `text`; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<IniFile, ConfigError> {
        let mut file = IniFile {
            path: path.to_path_buf(),
            sections: Vec::new(),
            index: HashMap::new(),
        };
        // Index into `sections` of the current section; `None` before the first header (lines
        // there are ignored, as aws-vault's INI library does).
        let mut current: Option<usize> = None;
        // Whether indented lines now belong to the last key (it had an empty value).
        let mut nesting = false;

        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.trim_end_matches('\r');
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indented = line.starts_with([' ', '\t']);

            if trimmed.starts_with('[') {
                let header = parse_header(path, line_no, trimmed)?;
                current = Some(match file.index.get(&header) {
                    Some(&existing) => existing,
                    None => {
                        file.index.insert(header.clone(), file.sections.len());
                        file.sections.push(Section {
                            header,
                            line: line_no,
                            last_line: line_no,
                            properties: Vec::new(),
                        });
                        file.sections.len() - 1
                    }
                });
                nesting = false;
                continue;
            }

            let property = parse_property(path, line_no, trimmed)?;
            let Some(section) = current.and_then(|i| file.sections.get_mut(i)) else {
                continue;
            };
            if indented && nesting {
                section.last_line = line_no;
                if let Some(parent) = section.properties.last_mut() {
                    parent.sub_properties.push(property);
                }
                continue;
            }
            nesting = property.value.is_empty();
            section.set(property);
        }
        Ok(file)
    }

    /// The section with exactly this header text.
    pub fn section(&self, header: &str) -> Option<&Section> {
        self.index.get(header).and_then(|&i| self.sections.get(i))
    }
}

/// Parses a `[ header ]` line (already trimmed) into the normalised header text: the words
/// inside, joined by one space (`[profile   prod]` is `profile prod`).
fn parse_header(path: &Path, line: usize, trimmed: &str) -> Result<String, ConfigError> {
    let syntax = |message: String| ConfigError::Syntax {
        path: path.to_path_buf(),
        line,
        message,
    };
    let Some(close) = trimmed.find(']') else {
        return Err(syntax(format!(
            "section header `{trimmed}` has no closing `]`; write it as [profile name]"
        )));
    };
    let rest = trimmed[close + 1..].trim();
    if !rest.is_empty() && !rest.starts_with('#') && !rest.starts_with(';') {
        // The text is not quoted: in ~/.aws/credentials it may be a secret.
        return Err(syntax(String::from(
            "unexpected text after the section header; put settings on their own line",
        )));
    }
    let inner = trimmed[1..close].trim();
    if inner.is_empty() {
        return Err(syntax(String::from(
            "empty section header `[]`; write it as [profile name]",
        )));
    }
    Ok(match inner.split_once(char::is_whitespace) {
        // Already normalised (`profile prod`, the common case): one copy, no formatting.
        Some((kind, name))
            if inner.len() == kind.len() + 1 + name.trim().len()
                && inner.as_bytes()[kind.len()] == b' ' =>
        {
            inner.to_string()
        }
        Some((kind, name)) => format!("{kind} {}", name.trim()),
        None => inner.to_string(),
    })
}

/// Parses a trimmed `key = value` line.
fn parse_property(path: &Path, line: usize, trimmed: &str) -> Result<Property, ConfigError> {
    let syntax = |message: String| ConfigError::Syntax {
        path: path.to_path_buf(),
        line,
        message,
    };
    let Some((key, value)) = trimmed.split_once('=') else {
        // The line is not quoted: in ~/.aws/credentials it may be a pasted secret.
        return Err(syntax(String::from(
            "this line is not a setting; write settings as `key = value` (or comment the line \
             out with #)",
        )));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(syntax(String::from(
            "this line has no key before `=`; write settings as `key = value`",
        )));
    }
    Ok(Property {
        key: key.to_ascii_lowercase(),
        value: strip_inline_comment(value).trim().to_string(),
        line,
        sub_properties: Vec::new(),
    })
}

/// Removes an inline comment: `#` or `;` preceded by whitespace, and everything after it.
/// Scans bytes (both markers are ASCII, so every hit is a char boundary) and decodes only the
/// character before a hit: this runs on every value of every profile.
fn strip_inline_comment(value: &str) -> &str {
    for (i, b) in value.bytes().enumerate() {
        if (b == b'#' || b == b';')
            && value[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace)
        {
            return &value[..i];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> IniFile {
        match IniFile::parse(Path::new("/home/u/.aws/config"), text) {
            Ok(f) => f,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    #[test]
    fn debug_never_shows_secret_values() {
        let f = parse(
            "[x]\naws_access_key_id = AKIDVISIBLE\naws_secret_access_key = hidden-secret\naws_session_token = hidden-token\n",
        );
        let shown = format!("{f:?}");
        assert!(shown.contains("AKIDVISIBLE"), "{shown}");
        assert!(
            !shown.contains("hidden-secret") && !shown.contains("hidden-token"),
            "{shown}"
        );
    }

    #[test]
    fn keys_lowercased_values_and_names_keep_case() {
        let f = parse("[profile Prod]\nRole_ARN = arn:aws:iam::1:role/Admin\n");
        let s = f.section("profile Prod").expect("section");
        assert_eq!(s.value("role_arn"), Some("arn:aws:iam::1:role/Admin"));
    }

    #[test]
    fn comments_full_line_and_inline() {
        let f = parse(
            "# top\n; also\n[default]\nregion = eu-west-1 # ireland\n\
             output=json;not-a-comment\nmfa_serial = arn:x ;comment\n  # indented comment\n",
        );
        let s = f.section("default").expect("default");
        assert_eq!(s.value("region"), Some("eu-west-1"));
        assert_eq!(s.value("output"), Some("json;not-a-comment"));
        assert_eq!(s.value("mfa_serial"), Some("arn:x"));
        // Any whitespace before the marker counts, ASCII or not; a marker in a multi-byte
        // value is found at its byte position.
        for (value, kept) in [
            ("a\u{a0}# c", "a\u{a0}"),
            ("é\t;c", "é\t"),
            ("ü#ü", "ü#ü"),
            ("#x", "#x"),
            ("x #", "x "),
        ] {
            assert_eq!(strip_inline_comment(value), kept, "{value:?}");
        }
    }

    #[test]
    fn nested_sub_sections_kept_and_do_not_break_parsing() {
        let f = parse(
            "[profile testing]\nregion=us-west-2\ns3=\n  max_concurrent_requests=10\n\
             \tmax_queue_size = 1000\nmfa_serial = arn:m\n",
        );
        let s = f.section("profile testing").expect("section");
        let s3 = s.get("s3").expect("s3");
        assert_eq!(s3.value, "");
        assert_eq!(s3.sub_properties.len(), 2);
        assert_eq!(s3.sub_properties[1].key, "max_queue_size");
        assert_eq!(s3.sub_properties[1].value, "1000");
        assert_eq!(s.value("mfa_serial"), Some("arn:m"));
        assert!(s.get("max_concurrent_requests").is_none());
    }

    #[test]
    fn indented_line_after_a_value_is_an_ordinary_key() {
        let f = parse("[profile a]\nregion = x\n    output = json\n");
        let s = f.section("profile a").expect("section");
        assert_eq!(s.value("region"), Some("x"));
        assert_eq!(s.value("output"), Some("json"));
    }

    #[test]
    fn odd_whitespace_crlf_and_header_spacing() {
        let f = parse("  [  profile    spaced   ]  # c\r\n\t region\t=\tap-south-1  \r\n");
        let s = f.section("profile spaced").expect("section");
        assert_eq!(s.value("region"), Some("ap-south-1"));
    }

    #[test]
    fn repeated_sections_merge_later_wins() {
        let f = parse("[profile a]\nregion=x\n[profile b]\n[profile a]\nregion=y\noutput=t\n");
        assert_eq!(f.sections.len(), 2);
        let s = f.section("profile a").expect("a");
        assert_eq!(s.value("region"), Some("y"));
        assert_eq!(s.value("output"), Some("t"));
        assert_eq!(s.last_line, 6);
    }

    #[test]
    fn errors_point_at_file_and_line() {
        let e =
            IniFile::parse(Path::new("/c/config"), "[default]\nregion\n").expect_err("must fail");
        assert!(e.to_string().starts_with("/c/config:2: "), "{e}");
        let e = IniFile::parse(Path::new("/c/config"), "\n\n[profile x\n").expect_err("must fail");
        assert!(e.to_string().starts_with("/c/config:3: "), "{e}");
        let e = IniFile::parse(Path::new("/c/config"), "[a]\n = v\n").expect_err("must fail");
        assert!(e.to_string().contains(":2:"), "{e}");
    }

    #[test]
    fn lines_before_first_section_are_ignored() {
        let f = parse("region = x\n[default]\n");
        assert_eq!(f.sections.len(), 1);
    }
}
