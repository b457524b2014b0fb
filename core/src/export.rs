//! Credentials written out for other programs, in aws-vault's `export` formats: `env`
//! (`NAME=value` lines), `export-env` (`export NAME=value`), `ini` (a credentials-file section)
//! and `json` (the `credential_process` format, version 1, with `Expiration`).

use crate::Credentials;
use secrecy::ExposeSecret;
use std::fmt::Write as _;
use std::str::FromStr;
use zeroize::Zeroizing;

/// An output format of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// `AWS_ACCESS_KEY_ID=…` lines.
    #[default]
    Env,
    /// `export AWS_ACCESS_KEY_ID=…` lines, for `eval`.
    ExportEnv,
    /// A `[profile]` section of a credentials file.
    Ini,
    /// `credential_process` JSON.
    Json,
}

impl ExportFormat {
    /// The names `--format` accepts.
    pub const NAMES: [&'static str; 4] = ["env", "export-env", "ini", "json"];
}

impl FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "env" => Ok(Self::Env),
            "export-env" => Ok(Self::ExportEnv),
            "ini" => Ok(Self::Ini),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "unknown format `{other}`; use one of {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

/// The timestamp form AWS tools read: RFC 3339 in UTC with seconds (`2026-01-02T03:04:05Z`).
pub fn iso8601(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `creds` (of `profile`, used in `region`) in `format`; the text holds the secret, so it is
/// wiped from memory when dropped.
pub fn render(
    creds: &Credentials,
    profile: &str,
    region: Option<&str>,
    format: ExportFormat,
) -> Zeroizing<String> {
    let region = region.filter(|r| !r.is_empty());
    let mut out = Zeroizing::new(String::new());
    match format {
        ExportFormat::Json => {
            out.push_str(&credential_process_json(creds));
            out.push('\n');
        }
        ExportFormat::Ini => {
            let _ = writeln!(out, "[{profile}]");
            for (key, value) in [
                ("aws_access_key_id", Some(creds.access_key_id.as_str())),
                (
                    "aws_secret_access_key",
                    Some(creds.secret_access_key.expose_secret()),
                ),
                ("aws_session_token", creds.session_token_str()),
                (
                    "aws_credential_expiration",
                    creds.expiration.map(|e| iso8601(&e)).as_deref(),
                ),
                ("region", region),
            ] {
                if let Some(v) = value {
                    let _ = writeln!(out, "{key} = {v}");
                }
            }
        }
        ExportFormat::Env | ExportFormat::ExportEnv => {
            let prefix = if format == ExportFormat::ExportEnv {
                "export "
            } else {
                ""
            };
            for (name, value) in env_pairs(creds, region) {
                let _ = writeln!(out, "{prefix}{name}={}", value.as_str());
            }
        }
    }
    out
}

/// The variables a process gets for `creds`: keys, token and expiry when present, and the
/// region as both `AWS_REGION` and `AWS_DEFAULT_REGION` (as `exec` and `export` set them).
pub fn env_pairs(
    creds: &Credentials,
    region: Option<&str>,
) -> Vec<(&'static str, Zeroizing<String>)> {
    let mut pairs = vec![
        (
            "AWS_ACCESS_KEY_ID",
            Zeroizing::new(creds.access_key_id.clone()),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            Zeroizing::new(creds.secret_access_key.expose_secret().to_string()),
        ),
    ];
    if let Some(token) = creds.session_token_str() {
        pairs.push(("AWS_SESSION_TOKEN", Zeroizing::new(token.to_string())));
    }
    if let Some(exp) = creds.expiration {
        pairs.push(("AWS_CREDENTIAL_EXPIRATION", Zeroizing::new(iso8601(&exp))));
    }
    if let Some(region) = region.filter(|r| !r.is_empty()) {
        pairs.push(("AWS_REGION", Zeroizing::new(region.to_string())));
        pairs.push(("AWS_DEFAULT_REGION", Zeroizing::new(region.to_string())));
    }
    pairs
}

/// The variables a process gets instead of keys when it is to find the credentials itself
/// through `~/.aws/config` (`exec --profile-env`, as the ByteNess aws-vault fork does it):
/// `AWS_PROFILE`, and the region as [`env_pairs`] sets it. Nothing secret; the same shape as
/// [`env_pairs`] so a caller handles either.
pub fn profile_env_pairs(
    profile: &str,
    region: Option<&str>,
) -> Vec<(&'static str, Zeroizing<String>)> {
    let mut pairs = vec![("AWS_PROFILE", Zeroizing::new(profile.to_string()))];
    if let Some(region) = region.filter(|r| !r.is_empty()) {
        pairs.push(("AWS_REGION", Zeroizing::new(region.to_string())));
        pairs.push(("AWS_DEFAULT_REGION", Zeroizing::new(region.to_string())));
    }
    pairs
}

/// `credential_process` JSON (version 1), pretty-printed as aws-vault prints it.
pub fn credential_process_json(creds: &Credentials) -> Zeroizing<String> {
    let mut doc = serde_json::Map::new();
    doc.insert("Version".into(), 1.into());
    doc.insert("AccessKeyId".into(), creds.access_key_id.clone().into());
    doc.insert(
        "SecretAccessKey".into(),
        creds.secret_access_key.expose_secret().into(),
    );
    if let Some(token) = creds.session_token_str() {
        doc.insert("SessionToken".into(), token.into());
    }
    if let Some(exp) = creds.expiration {
        doc.insert("Expiration".into(), iso8601(&exp).into());
    }
    let value = serde_json::Value::Object(doc);
    // A map of strings and a number always serializes.
    let text = Zeroizing::new(serde_json::to_string_pretty(&value).unwrap_or_default());
    drop_secrets(value);
    text
}

/// Overwrites the secret strings of a JSON value before it is dropped.
fn drop_secrets(value: serde_json::Value) {
    if let serde_json::Value::Object(map) = value {
        for (_, v) in map {
            if let serde_json::Value::String(s) = v {
                drop(Zeroizing::new(s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use secrecy::SecretString;

    fn session() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: SecretString::from("sekrit"),
            session_token: Some(SecretString::from("tok")),
            expiration: chrono::Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).single(),
        }
    }

    #[test]
    fn env_and_export_env() {
        let text = render(&session(), "p", Some("eu-west-1"), ExportFormat::ExportEnv);
        assert_eq!(
            text.as_str(),
            "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=sekrit\n\
             export AWS_SESSION_TOKEN=tok\nexport AWS_CREDENTIAL_EXPIRATION=2030-01-02T03:04:05Z\n\
             export AWS_REGION=eu-west-1\nexport AWS_DEFAULT_REGION=eu-west-1\n"
        );
        let keys = Credentials {
            session_token: None,
            expiration: None,
            ..session()
        };
        assert_eq!(
            render(&keys, "p", None, ExportFormat::Env).as_str(),
            "AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nAWS_SECRET_ACCESS_KEY=sekrit\n"
        );
    }

    #[test]
    fn ini_section() {
        assert_eq!(
            render(&session(), "prod", Some("us-east-1"), ExportFormat::Ini).as_str(),
            "[prod]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = sekrit\n\
             aws_session_token = tok\naws_credential_expiration = 2030-01-02T03:04:05Z\n\
             region = us-east-1\n"
        );
    }

    #[test]
    fn json_is_credential_process_version_1() {
        let text = render(&session(), "p", Some("x"), ExportFormat::Json);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "ASIAEXAMPLE");
        assert_eq!(v["SecretAccessKey"], "sekrit");
        assert_eq!(v["SessionToken"], "tok");
        assert_eq!(v["Expiration"], "2030-01-02T03:04:05Z");
        assert_eq!("ini".parse::<ExportFormat>(), Ok(ExportFormat::Ini));
        assert!(
            "yaml"
                .parse::<ExportFormat>()
                .unwrap_err()
                .contains("export-env")
        );
    }
}
