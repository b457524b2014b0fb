//! Names of vault items other than a profile's keys and its cached sessions (those are in
//! `session_key`): the `oidc:<start URL>` items holding IAM Identity Center access tokens; and
//! undoing the hex escapes backends put in item names (`%2F` in the file backend's file names,
//! `_2d` in Secret Service object paths).

/// Prefix of the vault items holding IAM Identity Center access tokens.
pub(crate) const OIDC_ITEM_PREFIX: &str = "oidc:";

/// The vault item name for the access token of `start_url`.
pub(crate) fn oidc_item_name(start_url: &str) -> String {
    format!("{OIDC_ITEM_PREFIX}{start_url}")
}

/// The start URL an item name holds an access token for, if it is a token item.
pub(crate) fn oidc_start_url_of(item_name: &str) -> Option<&str> {
    item_name.strip_prefix(OIDC_ITEM_PREFIX)
}

/// Replaces each `<marker><two hex digits>` in `s` by the byte they spell; anything else, and
/// a result that is not UTF-8, is left as it was.
pub(crate) fn unescape_hex(s: &str, marker: u8) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == marker && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::{oidc_item_name, oidc_start_url_of, unescape_hex};

    #[test]
    fn oidc_items_are_named_by_start_url() {
        assert_eq!(oidc_item_name("https://x/start"), "oidc:https://x/start");
        assert_eq!(
            oidc_start_url_of("oidc:https://x/start"),
            Some("https://x/start")
        );
        assert_eq!(oidc_start_url_of("prod"), None);
    }

    #[test]
    fn decodes_only_complete_escapes() {
        assert_eq!(unescape_hex("a%2Fb", b'%'), "a/b");
        assert_eq!(unescape_hex("aws_2dvault_20x", b'_'), "aws-vault x");
        assert_eq!(unescape_hex("b_", b'_'), "b_");
        assert_eq!(unescape_hex("b_zz", b'_'), "b_zz");
        assert_eq!(unescape_hex("%ff", b'%'), "%ff", "not UTF-8: left alone");
    }
}
