//! UTF-16 buffers for the Windows dialog in `wincredui`, as plain functions compiled on
//! every platform so they are unit-tested everywhere.

use zeroize::Zeroizing;

/// `text` as a NUL-terminated UTF-16 string of at most `capacity` code units, NUL included,
/// padded with NULs to exactly `capacity` units (a buffer the OS may write into). Text that does
/// not fit is cut at a character boundary, never inside a surrogate pair. `capacity` 0 gives an
/// empty buffer.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn bounded(text: &str, capacity: usize) -> Vec<u16> {
    let mut buf = Vec::with_capacity(capacity);
    let room = capacity.saturating_sub(1);
    let mut units = [0u16; 2];
    for c in text.chars() {
        let encoded = c.encode_utf16(&mut units);
        if buf.len() + encoded.len() > room {
            break;
        }
        buf.extend_from_slice(encoded);
    }
    buf.resize(capacity, 0);
    buf
}

/// What was typed into a UTF-16 buffer: the units before the first NUL (all of them if there
/// is none), decoded with unpaired surrogates replaced by U+FFFD, and trimmed of surrounding
/// whitespace. Built without reallocating, so no unwiped copy of the text is left behind.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn typed_text(buf: &[u16]) -> Zeroizing<String> {
    let len = buf.iter().position(|&u| u == 0).unwrap_or(buf.len());
    // Each UTF-16 unit decodes to at most 3 UTF-8 bytes (a pair of units to 4), so this never
    // grows.
    let mut text = Zeroizing::new(String::with_capacity(len * 3));
    for c in char::decode_utf16(buf[..len].iter().copied()) {
        text.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    let end = text.trim_end().len();
    text.truncate(end);
    let start = text.len() - text.trim_start().len();
    // Shifts the bytes within the same allocation; `Zeroizing` wipes all of it on drop.
    text.drain(..start);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_is_nul_terminated_and_padded() {
        let buf = bounded("123456789012/jon", 64);
        assert_eq!(buf.len(), 64);
        let expected: Vec<u16> = "123456789012/jon".encode_utf16().collect();
        assert_eq!(&buf[..expected.len()], expected.as_slice());
        assert!(buf[expected.len()..].iter().all(|&u| u == 0));
    }

    #[test]
    fn bounded_cuts_long_text_and_keeps_the_nul() {
        assert_eq!(bounded("abcdef", 4), [u16::from(b'a'), 98, 99, 0]);
        assert_eq!(bounded("abc", 4), [97, 98, 99, 0]);
        assert_eq!(bounded("abc", 1), [0]);
        assert!(bounded("abc", 0).is_empty());
    }

    #[test]
    fn bounded_never_splits_a_surrogate_pair() {
        // "a😀" is 3 units; with room for 2 the emoji does not fit at all.
        assert_eq!(bounded("a😀", 3), [97, 0, 0]);
        assert_eq!(bounded("a😀", 4), [97, 0xD83D, 0xDE00, 0]);
    }

    #[test]
    fn typed_text_stops_at_the_nul_and_trims() {
        let mut buf = bounded(" 123456 \t", 64);
        assert_eq!(typed_text(&buf).as_str(), "123456");
        buf[3] = 0;
        assert_eq!(typed_text(&buf).as_str(), "12");
        assert_eq!(typed_text(&[0; 8]).as_str(), "");
        assert_eq!(typed_text(&[]).as_str(), "");
    }

    #[test]
    fn typed_text_without_a_nul_takes_the_whole_buffer() {
        let buf: Vec<u16> = "654321".encode_utf16().collect();
        assert_eq!(typed_text(&buf).as_str(), "654321");
    }

    #[test]
    fn typed_text_replaces_unpaired_surrogates() {
        assert_eq!(typed_text(&[0x31, 0xD800, 0x32, 0]).as_str(), "1\u{FFFD}2");
        assert_eq!(typed_text(&[0xD83D, 0xDE00]).as_str(), "😀");
    }
}
