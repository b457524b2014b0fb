//! The one JWE shape aws-vault's file backend writes: compact serialization (RFC 7516) with the
//! content key wrapped by `PBES2-HS256+A128KW` (RFC 7518 §4.8: PBKDF2-HMAC-SHA256 of the
//! passphrase, then AES-128 key wrap) and the payload sealed by `A256GCM` (§5.3).
//!
//! The primitives are aws-lc-rs's, the crypto library already linked for TLS, except PBKDF2
//! (see [`super::pbkdf2`]); this module only puts them together the way the RFCs say. It
//! replaced josekit, whose PBKDF2 goes through OpenSSL 3 and cost a warm `stsvault export` about
//! three times as long (see benches/README.md).

use super::pbkdf2;
use aws_lc_rs::{aead, key_wrap, key_wrap::KeyWrap, rand};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use std::num::NonZeroU32;
use zeroize::Zeroizing;

/// The key management algorithm (`alg`).
pub const ALG: &str = "PBES2-HS256+A128KW";
/// The content encryption algorithm (`enc`).
pub const ENC: &str = "A256GCM";
/// The largest PBKDF2 iteration count a token may ask for; more would let a damaged file stall
/// every read (aws-vault writes 8192).
pub const MAX_ITERATIONS: u64 = 1_000_000;

const KEK_LEN: usize = 16; // AES-128 key wrap
const CEK_LEN: usize = 32; // AES-256-GCM
const WRAPPED_CEK_LEN: usize = CEK_LEN + 8;
const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// RFC 7518 §4.8.1.1: the salt must be at least 8 octets.
const MIN_SALT_LEN: usize = 8;

/// Why a token could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JweError {
    /// The text is not a well-formed token of this shape.
    #[error("{0}")]
    Malformed(String),
    /// A well-formed token of a kind this version does not read (another algorithm, compression).
    #[error("it uses {0}, which this version of stsvault cannot read")]
    Unsupported(String),
    /// The passphrase does not open it, or the token was altered.
    #[error("the passphrase does not open it, or it was altered")]
    Decrypt,
    /// The crypto library failed to encrypt.
    #[error("encryption failed")]
    Encrypt,
}

fn malformed(reason: &str) -> JweError {
    JweError::Malformed(reason.to_string())
}

/// Encrypts `payload` under `passphrase` with `iterations` PBKDF2 rounds and a random salt of
/// `salt_len` bytes; `created` goes into the header as aws-vault's `created` claim.
pub fn encrypt(
    payload: &[u8],
    passphrase: &[u8],
    iterations: NonZeroU32,
    salt_len: usize,
    created: &str,
) -> Result<String, JweError> {
    let mut salt = vec![0u8; salt_len.max(MIN_SALT_LEN)];
    let mut cek = Zeroizing::new([0u8; CEK_LEN]);
    let mut iv = [0u8; IV_LEN];
    for buf in [&mut salt[..], &mut cek[..], &mut iv[..]] {
        rand::fill(buf).map_err(|_| JweError::Encrypt)?;
    }
    let header = serde_json::json!({
        "alg": ALG,
        "created": created,
        "enc": ENC,
        "p2c": iterations.get(),
        "p2s": B64.encode(&salt),
    });
    let header = B64.encode(header.to_string());

    let kek = derive_kek(passphrase, iterations, &salt);
    let kek = key_wrap::KeyEncryptionKey::new(&key_wrap::AES_128, &kek[..])
        .map_err(|_| JweError::Encrypt)?;
    let mut wrapped = [0u8; WRAPPED_CEK_LEN];
    let wrapped = kek
        .wrap(&cek[..], &mut wrapped)
        .map_err(|_| JweError::Encrypt)?;

    let key = content_key(&cek[..]).map_err(|_| JweError::Encrypt)?;
    let mut sealed = Zeroizing::new(payload.to_vec());
    let tag = key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(iv),
            aead::Aad::from(header.as_bytes()),
            &mut sealed[..],
        )
        .map_err(|_| JweError::Encrypt)?;
    Ok(format!(
        "{header}.{}.{}.{}.{}",
        B64.encode(wrapped),
        B64.encode(iv),
        B64.encode(&sealed[..]),
        B64.encode(tag.as_ref())
    ))
}

/// A token parsed and checked, before any key is derived: parsing tells a damaged or foreign
/// file apart from a wrong passphrase cheaply, before the passphrase is asked for.
pub struct Token<'a> {
    /// The protected header exactly as it appears in the token (the AAD).
    encoded_header: &'a str,
    iterations: NonZeroU32,
    salt: Vec<u8>,
    wrapped_cek: Vec<u8>,
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

/// Parses `token` as a compact JWE of this module's shape.
pub fn parse(token: &str) -> Result<Token<'_>, JweError> {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    let [encoded_header, wrapped_cek, iv, ciphertext, tag] = parts[..] else {
        return Err(malformed("not a compact JWE"));
    };
    let decode = |part: &str, what: &str| {
        B64.decode(part)
            .map_err(|_| JweError::Malformed(format!("its {what} is not base64url")))
    };
    let header = decode(encoded_header, "header")?;
    let header: serde_json::Value =
        serde_json::from_slice(&header).map_err(|_| malformed("its header is not JSON"))?;
    let field = |name: &str| header.get(name);
    match field("alg").and_then(|a| a.as_str()) {
        Some(ALG) => {}
        Some(other) => return Err(JweError::Unsupported(format!("key algorithm `{other}`"))),
        None => return Err(malformed("its header has no algorithm")),
    }
    match field("enc").and_then(|e| e.as_str()) {
        Some(ENC) => {}
        Some(other) => {
            return Err(JweError::Unsupported(format!(
                "content encryption `{other}`"
            )));
        }
        None => return Err(malformed("its header has no content encryption")),
    }
    if field("zip").is_some() {
        return Err(JweError::Unsupported("compression (zip)".to_string()));
    }
    if let Some(crit) = field("crit") {
        return Err(JweError::Unsupported(format!("critical header {crit}")));
    }
    let iterations = match field("p2c").and_then(|c| c.as_u64()) {
        Some(c) if c > MAX_ITERATIONS => {
            return Err(JweError::Unsupported(format!(
                "a PBKDF2 iteration count (p2c) over {MAX_ITERATIONS}"
            )));
        }
        c => c
            .and_then(|c| u32::try_from(c).ok())
            .and_then(NonZeroU32::new)
            .ok_or_else(|| malformed("its PBKDF2 iteration count (p2c) is missing or zero"))?,
    };
    let salt = field("p2s")
        .and_then(|s| s.as_str())
        .and_then(|s| B64.decode(s).ok())
        .filter(|s| s.len() >= MIN_SALT_LEN)
        .ok_or_else(|| malformed("its PBES2 salt (p2s) is missing, not base64url or too short"))?;
    let wrapped_cek = decode(wrapped_cek, "encrypted key")?;
    if wrapped_cek.len() != WRAPPED_CEK_LEN {
        return Err(malformed("its encrypted key has the wrong length"));
    }
    let iv: [u8; IV_LEN] = decode(iv, "IV")?
        .try_into()
        .map_err(|_| malformed("its IV has the wrong length"))?;
    let ciphertext = decode(ciphertext, "ciphertext")?;
    let tag = decode(tag, "authentication tag")?;
    if tag.len() != TAG_LEN {
        return Err(malformed("its authentication tag has the wrong length"));
    }
    Ok(Token {
        encoded_header,
        iterations,
        salt,
        wrapped_cek,
        iv,
        ciphertext,
        tag,
    })
}

/// Decrypts `token` with `passphrase`: the payload, wiped from memory when dropped.
pub fn decrypt(token: &str, passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, JweError> {
    parse(token)?.decrypt(passphrase)
}

impl Token<'_> {
    /// Decrypts the token with `passphrase`: the payload, wiped from memory when dropped.
    pub fn decrypt(&self, passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>, JweError> {
        let kek = derive_kek(passphrase, self.iterations, &self.salt);
        let kek = key_wrap::KeyEncryptionKey::new(&key_wrap::AES_128, &kek[..])
            .map_err(|_| JweError::Decrypt)?;
        let mut cek = Zeroizing::new([0u8; WRAPPED_CEK_LEN]);
        let cek = kek
            .unwrap(&self.wrapped_cek, &mut cek[..])
            .map_err(|_| JweError::Decrypt)?;
        if cek.len() != CEK_LEN {
            return Err(malformed("its content key has the wrong length"));
        }
        let key = content_key(cek).map_err(|_| JweError::Decrypt)?;
        let mut buf = Zeroizing::new(Vec::with_capacity(self.ciphertext.len() + self.tag.len()));
        buf.extend_from_slice(&self.ciphertext);
        buf.extend_from_slice(&self.tag);
        let len = key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(self.iv),
                aead::Aad::from(self.encoded_header.as_bytes()),
                &mut buf[..],
            )
            .map_err(|_| JweError::Decrypt)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

/// PBES2's key-encryption key: PBKDF2-HMAC-SHA256 over `UTF8(alg) || 0x00 || salt`.
fn derive_kek(passphrase: &[u8], iterations: NonZeroU32, salt: &[u8]) -> Zeroizing<[u8; KEK_LEN]> {
    let mut salt_input = Vec::with_capacity(ALG.len() + 1 + salt.len());
    salt_input.extend_from_slice(ALG.as_bytes());
    salt_input.push(0);
    salt_input.extend_from_slice(salt);
    let block = pbkdf2::derive_block(passphrase, &salt_input, iterations);
    let mut kek = Zeroizing::new([0u8; KEK_LEN]);
    kek.copy_from_slice(&block[..KEK_LEN]);
    kek
}

fn content_key(cek: &[u8]) -> Result<aead::LessSafeKey, aws_lc_rs::error::Unspecified> {
    Ok(aead::LessSafeKey::new(aead::UnboundKey::new(
        &aead::AES_256_GCM,
        cek,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &[u8] = b"correct horse";

    fn iterations() -> NonZeroU32 {
        NonZeroU32::new(1000).unwrap()
    }

    fn token(payload: &[u8]) -> String {
        encrypt(payload, PASS, iterations(), 16, "now").unwrap()
    }

    /// Replaces part `index` of `token` with `f(part)`.
    fn with_part(token: &str, index: usize, f: impl Fn(&str) -> String) -> String {
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[index] = f(&parts[index]);
        parts.join(".")
    }

    fn header_with(token: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
        with_part(token, 0, |h| {
            let mut v: serde_json::Value = serde_json::from_slice(&B64.decode(h).unwrap()).unwrap();
            edit(&mut v);
            B64.encode(v.to_string())
        })
    }

    #[test]
    fn round_trips_payloads_of_any_size() {
        for payload in [&b""[..], b"x", &[7u8; 5000][..]] {
            let t = token(payload);
            assert_eq!(t.split('.').count(), 5);
            assert_eq!(&decrypt(&t, PASS).unwrap()[..], payload);
        }
    }

    #[test]
    fn the_header_names_the_algorithms_iterations_and_salt() {
        let t = encrypt(
            b"{}",
            PASS,
            NonZeroU32::new(8192).unwrap(),
            16,
            "2026-12-01",
        )
        .unwrap();
        let h: serde_json::Value =
            serde_json::from_slice(&B64.decode(t.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(h["alg"], ALG);
        assert_eq!(h["enc"], ENC);
        assert_eq!(h["p2c"], 8192);
        assert_eq!(h["created"], "2026-12-01");
        assert_eq!(B64.decode(h["p2s"].as_str().unwrap()).unwrap().len(), 16);
    }

    #[test]
    fn a_wrong_passphrase_or_an_altered_token_does_not_open() {
        let t = token(b"secret payload");
        assert_eq!(decrypt(&t, b"wrong").unwrap_err(), JweError::Decrypt);
        assert_eq!(decrypt(&t, b"").unwrap_err(), JweError::Decrypt);
        // Every byte of the header is authenticated (it is the AAD).
        let altered = header_with(&t, |h| h["created"] = "later".into());
        assert_eq!(decrypt(&altered, PASS).unwrap_err(), JweError::Decrypt);
        let flip = |part: &str| {
            let mut bytes = B64.decode(part).unwrap();
            bytes[0] ^= 1;
            B64.encode(bytes)
        };
        for index in 1..5 {
            assert_eq!(
                decrypt(&with_part(&t, index, flip), PASS).unwrap_err(),
                JweError::Decrypt,
                "part {index} altered"
            );
        }
    }

    #[test]
    fn other_shapes_are_malformed_or_unsupported() {
        let t = token(b"{}");
        let unsupported = |t: &str| matches!(decrypt(t, PASS), Err(JweError::Unsupported(_)));
        let malformed = |t: &str| matches!(decrypt(t, PASS), Err(JweError::Malformed(_)));
        assert!(unsupported(
            &header_with(&t, |h| h["alg"] = "RSA-OAEP".into())
        ));
        assert!(unsupported(
            &header_with(&t, |h| h["enc"] = "A128CBC-HS256".into())
        ));
        assert!(unsupported(&header_with(&t, |h| h["zip"] = "DEF".into())));
        assert!(unsupported(
            &header_with(&t, |h| h["crit"] = serde_json::json!(["x"]))
        ));
        assert!(malformed(&header_with(&t, |h| h["p2c"] = 0.into())));
        assert!(unsupported(
            &header_with(&t, |h| h["p2c"] = (MAX_ITERATIONS + 1).into())
        ));
        assert!(malformed(&header_with(&t, |h| h["p2c"] = "8192".into())));
        assert!(malformed(&header_with(&t, |h| h["p2s"] = "AAAA".into())));
        assert!(malformed(&header_with(&t, |h| {
            h.as_object_mut().unwrap().remove("alg");
        })));
        for bad in ["", "a.b.c", "a.b.c.d.e.f", "!!.b.c.d.e", "e30.a.b.c.d"] {
            assert!(malformed(bad), "{bad:?}");
        }
        assert!(malformed(&with_part(&t, 2, |_| B64.encode([0u8; 8]))));
        assert!(malformed(&with_part(&t, 4, |_| B64.encode([0u8; 4]))));
        assert!(malformed(&with_part(&t, 1, |_| B64.encode([0u8; 24]))));
        assert!(parse(&t).is_ok());
    }

    /// A token josekit 0.10 wrote (before this module replaced it), as the file backend did:
    /// what was stored then still opens.
    #[test]
    fn opens_a_token_written_by_josekit() {
        let t = JOSEKIT_TOKEN;
        assert_eq!(
            &decrypt(t, b"fixture passphrase").unwrap()[..],
            br#"{"Key":"fixture","Data":"aGVsbG8="}"#
        );
        assert_eq!(decrypt(t, b"other").unwrap_err(), JweError::Decrypt);
    }

    const JOSEKIT_TOKEN: &str = include_str!("jwe_josekit_fixture.txt");
}
