//! Names of cached-session items, exactly as aws-vault writes them:
//! `TYPE,b64url(profile),b64url(mfa serial),EXPIRY-UNIX` (base64 URL-safe, no padding), plus
//! recognising the older formats aws-vault used so `clear` can remove them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

/// What a session is cached under: the kind of call, the profile, and the MFA serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey {
    /// `sts.GetSessionToken`, `sts.AssumeRole`, …
    pub kind: String,
    /// The profile.
    pub profile: String,
    /// The MFA serial (or SSO start URL), empty when none.
    pub mfa_serial: String,
}

impl SessionKey {
    /// A key.
    pub fn new(
        kind: impl Into<String>,
        profile: impl Into<String>,
        mfa_serial: impl Into<String>,
    ) -> Self {
        Self {
            kind: kind.into(),
            profile: profile.into(),
            mfa_serial: mfa_serial.into(),
        }
    }

    /// The item-name prefix shared by every session under this key, whatever its expiry.
    pub fn matching_prefix(&self) -> String {
        format!(
            "{},{},{},",
            self.kind,
            URL_SAFE_NO_PAD.encode(&self.profile),
            URL_SAFE_NO_PAD.encode(&self.mfa_serial)
        )
    }

    /// The item name for a session expiring at `expiration`.
    pub fn item_name(&self, expiration: DateTime<Utc>) -> String {
        format!("{}{}", self.matching_prefix(), expiration.timestamp())
    }
}

/// A cached session as listed from its item name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionMeta {
    /// `sts.GetSessionToken`, `sts.AssumeRole`, …
    pub kind: String,
    /// The profile.
    pub profile: String,
    /// The MFA serial, empty when none.
    pub mfa_serial: String,
    /// When the session expires.
    pub expiration: DateTime<Utc>,
}

impl SessionMeta {
    /// Parses a current-format session item name.
    pub fn parse(name: &str) -> Option<SessionMeta> {
        let mut parts = name.split(',');
        let (kind, profile, serial, expiry) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || kind.is_empty() || profile.is_empty() || expiry.is_empty() {
            return None;
        }
        if !expiry.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let decode = |s: &str| {
            URL_SAFE_NO_PAD
                .decode(s)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
        };
        Some(SessionMeta {
            kind: kind.to_string(),
            profile: decode(profile)?,
            mfa_serial: decode(serial)?,
            expiration: DateTime::from_timestamp(expiry.parse().ok()?, 0)?,
        })
    }

    /// The key this session is cached under.
    pub fn key(&self) -> SessionKey {
        SessionKey::new(&self.kind, &self.profile, &self.mfa_serial)
    }
}

/// True for item names of sessions, current or in an older aws-vault format.
pub fn is_session_key(name: &str) -> bool {
    SessionMeta::parse(name).is_some() || is_old_session_key(name)
}

fn is_old_session_key(name: &str) -> bool {
    // `session,PROFILE,SERIAL,EXPIRY` (aws-vault 5), `session:PROFILE:SERIAL:EXPIRY`, `PROFILE session (UNIX)`.
    let parts: Vec<&str> = name.split(',').collect();
    if parts.len() == 4
        && parts[0] == "session"
        && parts[3].len() >= 2
        && parts[3].bytes().all(|b| b.is_ascii_digit())
    {
        return true;
    }
    let colon: Vec<&str> = name.split(':').collect();
    if colon.len() == 4 && colon[0] == "session" && !colon[1].is_empty() && !colon[1].contains(' ')
    {
        return true;
    }
    if let Some(rest) = name.strip_suffix(')')
        && let Some((head, digits)) = rest.rsplit_once(" session (")
    {
        return !head.is_empty()
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_names_match_aws_vault() {
        let key = SessionKey::new(
            "sts.GetSessionToken",
            "sls-administrator",
            "arn:aws:iam::123456789012:mfa/sls-administrator",
        );
        let exp = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let name = key.item_name(exp);
        assert_eq!(
            name,
            "sts.GetSessionToken,c2xzLWFkbWluaXN0cmF0b3I,YXJuOmF3czppYW06OjEyMzQ1Njc4OTAxMjptZmEvc2xzLWFkbWluaXN0cmF0b3I,1700000000"
        );
        let meta = SessionMeta::parse(&name).unwrap();
        assert_eq!(meta.key(), key);
        assert_eq!(meta.expiration, exp);
        assert!(name.starts_with(&key.matching_prefix()));
    }

    #[test]
    fn profile_names_and_old_formats() {
        assert!(!is_session_key("prod"));
        assert!(!is_session_key("my,profile"));
        assert!(is_session_key("session,cHJvZA,,1600000000"));
        assert!(
            is_session_key("session:prod:arn:1600000000")
                || is_session_key("session:prod::1600000000")
        );
        assert!(is_session_key("prod session (1600000000)"));
        assert!(SessionMeta::parse("sts.AssumeRole,cHJvZA,,notanumber").is_none());
    }
}
