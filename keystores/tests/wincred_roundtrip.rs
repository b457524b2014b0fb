//! Round trip through the real Windows Credential Manager (or Wine's). Ignored by default
//! because it writes to the user's credential store; run it with
//! `cargo test --test wincred_roundtrip -- --ignored`. It uses its own prefix and removes what
//! it writes.
#![cfg(windows)]

use std::ptr;

use stsvault_keystores::wincred::WinCred;
use stsvault_keystores::{StoreError, StoredItem};
use windows_sys::Win32::Foundation::FILETIME;
use windows_sys::Win32::Security::Credentials::{
    CRED_PERSIST_LOCAL_MACHINE, CRED_TYPE_GENERIC, CREDENTIALW, CredFree, CredReadW, CredWriteW,
};

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Reads `target` straight from the Credential Manager: (persist, blob, comment is empty,
/// user name is empty).
fn raw_read(target: &str) -> (u32, Vec<u8>, bool, bool) {
    let target = wide(target);
    let mut cred: *mut CREDENTIALW = ptr::null_mut();
    assert_ne!(
        unsafe { CredReadW(target.as_ptr(), CRED_TYPE_GENERIC, 0, &raw mut cred) },
        0
    );
    let c = unsafe { cred.read_unaligned() };
    let blob =
        unsafe { std::slice::from_raw_parts(c.CredentialBlob, c.CredentialBlobSize as usize) }
            .to_vec();
    let empty = |p: *mut u16| p.is_null() || unsafe { p.read_unaligned() } == 0;
    let out = (c.Persist, blob, empty(c.Comment), empty(c.UserName));
    unsafe { CredFree(cred.cast()) };
    out
}

/// Writes a credential the way aws-vault does (danieljoos/wincred's `GenericCredential.Write`:
/// empty-string comment, alias and user name, local-machine persistence).
fn write_like_aws_vault(target: &str, blob: &[u8]) {
    let mut target = wide(target);
    let mut empty1 = wide("");
    let mut empty2 = wide("");
    let mut empty3 = wide("");
    let cred = CREDENTIALW {
        Flags: 0,
        Type: CRED_TYPE_GENERIC,
        TargetName: target.as_mut_ptr(),
        Comment: empty1.as_mut_ptr(),
        LastWritten: FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        },
        CredentialBlobSize: blob.len() as u32,
        CredentialBlob: blob.as_ptr().cast_mut(),
        Persist: CRED_PERSIST_LOCAL_MACHINE,
        AttributeCount: 0,
        Attributes: ptr::null_mut(),
        TargetAlias: empty2.as_mut_ptr(),
        UserName: empty3.as_mut_ptr(),
    };
    assert_ne!(unsafe { CredWriteW(&raw const cred, 0) }, 0);
}

#[test]
#[ignore = "writes to the user's Windows Credential Manager"]
fn set_get_keys_remove() {
    let prefix = format!("stsvault-keystores-test-{}", std::process::id());
    let store = WinCred::open("aws-vault", &prefix).unwrap();
    let other = WinCred::open("other-service", &prefix).unwrap();
    assert_eq!(
        store.names().target_prefix(),
        format!("{prefix}:aws-vault:")
    );

    assert!(store.keys().unwrap().is_empty());
    assert!(store.get("prod").unwrap().is_none());
    assert!(!store.remove("prod").unwrap());

    // Binary data with NULs survives unchanged; label and description are not kept.
    let data: Vec<u8> = (0..=255u8).cycle().take(2560).collect();
    store
        .set(
            &StoredItem::new("prod", data.clone())
                .with_label("aws-vault (prod)")
                .with_description("d"),
        )
        .unwrap();
    let got = store.get("prod").unwrap().unwrap();
    assert_eq!(got.key, "prod");
    assert_eq!(got.data.as_slice(), data.as_slice());
    assert_eq!((got.label.as_str(), got.description.as_str()), ("", ""));

    // The raw credential is what aws-vault writes and reads.
    let (persist, blob, no_comment, no_user) = raw_read(&format!("{prefix}:aws-vault:prod"));
    assert_eq!(persist, CRED_PERSIST_LOCAL_MACHINE);
    assert_eq!(blob, data);
    assert!(no_comment && no_user);

    // And what aws-vault writes reads here.
    write_like_aws_vault(
        &format!("{prefix}:aws-vault:from-aws-vault"),
        b"{\"AccessKeyID\":\"AKIA\"}",
    );
    let got = store.get("from-aws-vault").unwrap().unwrap();
    assert_eq!(got.data.as_slice(), b"{\"AccessKeyID\":\"AKIA\"}");
    assert!(store.remove("from-aws-vault").unwrap());

    // Setting again replaces.
    store
        .set(&StoredItem::new("prod", b"{\"v\":2}".to_vec()))
        .unwrap();
    assert_eq!(
        store.get("prod").unwrap().unwrap().data.as_slice(),
        b"{\"v\":2}"
    );

    // Keys with colons, empty data, and a neighbour service that must not show up.
    store
        .set(&StoredItem::new(
            "oidc:https://x.awsapps.com/start",
            Vec::new(),
        ))
        .unwrap();
    other
        .set(&StoredItem::new("elsewhere", b"x".to_vec()))
        .unwrap();
    assert_eq!(
        store.keys().unwrap(),
        vec![
            "oidc:https://x.awsapps.com/start".to_owned(),
            "prod".to_owned()
        ]
    );
    assert_eq!(
        store
            .get("oidc:https://x.awsapps.com/start")
            .unwrap()
            .unwrap()
            .data
            .len(),
        0
    );
    assert_eq!(other.keys().unwrap(), vec!["elsewhere".to_owned()]);

    // Too large for one credential blob.
    let err = store
        .set(&StoredItem::new("big", vec![0u8; 2561]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::TooLarge {
                size: 2561,
                max: 2560,
                ..
            }
        ),
        "{err}"
    );
    assert!(store.get("big").unwrap().is_none());

    assert!(store.remove("prod").unwrap());
    assert!(store.remove("oidc:https://x.awsapps.com/start").unwrap());
    assert!(other.remove("elsewhere").unwrap());
    assert!(store.get("prod").unwrap().is_none());
    assert!(store.keys().unwrap().is_empty());
    assert!(other.keys().unwrap().is_empty());
}
