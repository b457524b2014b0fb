//! Undoing the hex escapes backends put in item names: `%2F` in the file backend's file names,
//! `_2d` in Secret Service object paths.

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
    use super::unescape_hex;

    #[test]
    fn decodes_only_complete_escapes() {
        assert_eq!(unescape_hex("a%2Fb", b'%'), "a/b");
        assert_eq!(unescape_hex("aws_2dvault_20x", b'_'), "aws-vault x");
        assert_eq!(unescape_hex("b_", b'_'), "b_");
        assert_eq!(unescape_hex("b_zz", b'_'), "b_zz");
        assert_eq!(unescape_hex("%ff", b'%'), "%ff", "not UTF-8: left alone");
    }
}
