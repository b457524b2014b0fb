//! Round trip through the real macOS Keychain. Ignored by default because it talks to the
//! user's Security framework session; run it with
//! `cargo test -p stsvault-keystores --test keychain_roundtrip -- --ignored`.
//!
//! Every test works in its own throwaway keychain file inside a fresh temporary directory
//! (created here with a password, so macOS never asks for one), and deletes that keychain —
//! file and search-list entry — when it ends, passed or failed. User interaction is disabled
//! while a test runs, so anything that would make macOS show a dialog fails at once instead of
//! waiting for a click that never comes (on a CI runner, say).
#![cfg(target_os = "macos")]

use std::path::PathBuf;
use std::sync::Mutex;

use core_foundation::base::{CFType, OSStatus, TCFType};
use core_foundation::data::CFData;
use core_foundation::dictionary::CFDictionary;
use core_foundation::string::{CFString, CFStringRef};
use security_framework::item::{
    ItemAddOptions, ItemAddValue, ItemClass, ItemSearchOptions, Location, SearchResult,
};
use security_framework::os::macos::keychain::{
    CreateOptions, KeychainSettings, KeychainUserInteractionLock, SecKeychain,
};
use security_framework_sys::base::SecKeychainRef;
use security_framework_sys::item::{
    kSecAttrAccount, kSecAttrDescription, kSecAttrLabel, kSecAttrService, kSecValueData,
};
use stsvault_keystores::keychain::{ItemAccess, Keychain};
use stsvault_keystores::{StoreError, StoredItem};

#[link(name = "Security", kind = "framework")]
unsafe extern "C" {
    /// Deletes a keychain's file and takes it off the user's search list.
    fn SecKeychainDelete(keychain_or_array: SecKeychainRef) -> OSStatus;
}

/// The tests share the process-wide "user interaction allowed" switch: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const PASSWORD: &str = "stsvault-keystores-test";

/// A fresh temporary directory for one test's keychain files; removed when dropped.
struct Scratch {
    dir: PathBuf,
    _serial: std::sync::MutexGuard<'static, ()>,
    _no_prompts: KeychainUserInteractionLock,
}

impl Scratch {
    fn new(test: &str) -> Scratch {
        let serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "stsvault-keychain-{test}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch {
            dir: dir.canonicalize().unwrap(),
            _serial: serial,
            _no_prompts: SecKeychain::disable_user_interaction().unwrap(),
        }
    }

    /// The keychain name to give [`Keychain::open`] for a keychain called `name` in here: the
    /// store adds `.keychain`, and an absolute path keeps it out of `~/Library/Keychains`.
    fn name(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }

    fn files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A keychain file created with a known password, unlocked and never locking by itself; deleted
/// when dropped.
struct ThrowawayKeychain {
    keychain: SecKeychain,
}

impl ThrowawayKeychain {
    /// Creates `<name>.keychain`, the file [`Keychain::open`] uses for `name`.
    fn create(name: &str) -> ThrowawayKeychain {
        let path = format!("{name}.keychain");
        let mut keychain = CreateOptions::new()
            .password(PASSWORD)
            .prompt_user(false)
            .create(&path)
            .unwrap();
        keychain.unlock(Some(PASSWORD)).unwrap();
        keychain.set_settings(&KeychainSettings::new()).unwrap();
        ThrowawayKeychain { keychain }
    }
}

impl Drop for ThrowawayKeychain {
    fn drop(&mut self) {
        // SAFETY: the keychain reference is valid for as long as `self.keychain` lives.
        let status = unsafe { SecKeychainDelete(self.keychain.as_concrete_TypeRef()) };
        if status != 0 && !std::thread::panicking() {
            panic!("could not delete the test keychain (OSStatus {status})");
        }
    }
}

/// A service name no real item uses.
fn service(test: &str) -> String {
    format!("stsvault-keystores-test-{test}-{}", std::process::id())
}

/// One generic password of `service` and `account` straight from the Security framework:
/// (label, description, data). `None` when there is none.
fn raw_read(
    keychain: &SecKeychain,
    service: &str,
    account: &str,
) -> Option<(String, String, Vec<u8>)> {
    let found = ItemSearchOptions::new()
        .class(ItemClass::generic_password())
        .keychains(std::slice::from_ref(keychain))
        .service(service)
        .account(account)
        .load_attributes(true)
        .load_data(true)
        .limit(1)
        .search();
    let results = match found {
        Ok(results) => results,
        Err(e) if e.code() == security_framework_sys::base::errSecItemNotFound => return None,
        Err(e) => panic!("SecItemCopyMatching: {e}"),
    };
    assert_eq!(results.len(), 1, "{results:?}");
    let SearchResult::Dict(attrs) = &results[0] else {
        panic!("not a dictionary: {:?}", results[0]);
    };
    assert_eq!(text(attrs, unsafe { kSecAttrService }), service);
    assert_eq!(text(attrs, unsafe { kSecAttrAccount }), account);
    let data = value(attrs, unsafe { kSecValueData })
        .and_then(CFType::downcast_into::<CFData>)
        .map(|d| d.bytes().to_vec())
        .unwrap_or_default();
    Some((
        text(attrs, unsafe { kSecAttrLabel }),
        text(attrs, unsafe { kSecAttrDescription }),
        data,
    ))
}

fn value(attrs: &CFDictionary, key: CFStringRef) -> Option<CFType> {
    attrs
        .find(key.cast::<std::ffi::c_void>())
        // SAFETY: the dictionary's values are CF objects it keeps alive; we retain our own.
        .map(|v| unsafe { CFType::wrap_under_get_rule(*v) })
}

fn text(attrs: &CFDictionary, key: CFStringRef) -> String {
    value(attrs, key)
        .and_then(CFType::downcast_into::<CFString>)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// Writes a generic password the way aws-vault (99designs/keyring over the Security framework)
/// does: service, account, label, description and data in a file keychain, with the default
/// access (the writing program trusted).
fn write_like_aws_vault(keychain: &SecKeychain, service: &str, account: &str, data: &[u8]) {
    let mut add = ItemAddOptions::new(ItemAddValue::Data {
        class: ItemClass::generic_password(),
        data: CFData::from_buffer(data),
    });
    add.set_service(service)
        .set_account_name(account)
        .set_label(format!("aws-vault ({account})"))
        .set_description("aws-vault session for test")
        .set_location(Location::FileKeychain(keychain.clone()));
    add.add().unwrap();
}

fn assert_no_secret(err: &StoreError, secret: &[u8]) {
    let shown = format!("{err} {err:?}");
    let secret = String::from_utf8_lossy(secret);
    assert!(!shown.contains(secret.as_ref()), "{shown}");
}

#[test]
#[ignore = "uses the macOS Keychain (a throwaway keychain file)"]
fn a_missing_keychain_reads_as_empty_and_is_not_created() {
    let scratch = Scratch::new("missing");
    let store = Keychain::open(&scratch.name("absent"), &service("missing")).unwrap();
    assert!(store.get("prod").unwrap().is_none());
    assert!(store.keys().unwrap().is_empty());
    assert!(!store.remove("prod").unwrap());
    assert_eq!(scratch.files(), Vec::<PathBuf>::new(), "nothing on disk");
}

#[test]
#[ignore = "uses the macOS Keychain (a throwaway keychain file)"]
fn set_get_keys_remove() {
    let scratch = Scratch::new("roundtrip");
    let name = scratch.name("aws-vault");
    let throwaway = ThrowawayKeychain::create(&name);
    let kc = &throwaway.keychain;
    assert!(!scratch.files().is_empty(), "the keychain file exists");
    let svc = service("roundtrip");
    let other_svc = service("other");
    let store = Keychain::open(&name, &svc).unwrap();
    let other = Keychain::open(&name, &other_svc).unwrap();

    assert!(store.keys().unwrap().is_empty());
    assert!(store.get("prod").unwrap().is_none());
    assert!(!store.remove("prod").unwrap());
    assert!(matches!(
        store.get(""),
        Err(StoreError::InvalidInput { what: "key", .. })
    ));

    // Binary data with NULs survives unchanged, larger than a Windows credential could hold;
    // label and description are kept.
    let data: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    store
        .set(
            &StoredItem::new("prod", data.clone())
                .with_label("aws-vault (prod)")
                .with_description("aws-vault credentials"),
        )
        .unwrap();
    let got = store.get("prod").unwrap().unwrap();
    assert_eq!(got.key, "prod");
    assert_eq!(got.data.as_slice(), data.as_slice());
    assert_eq!(
        (got.label.as_str(), got.description.as_str()),
        ("aws-vault (prod)", "aws-vault credentials")
    );

    // The raw item is what aws-vault writes and reads: a generic password in that keychain
    // with the service, the key as account, the label, the description and the data.
    let (label, description, raw) = raw_read(kc, &svc, "prod").expect("the raw item");
    assert_eq!(
        (label.as_str(), description.as_str()),
        ("aws-vault (prod)", "aws-vault credentials")
    );
    assert_eq!(raw, data);

    // And what aws-vault writes reads here.
    write_like_aws_vault(kc, &svc, "from-aws-vault", b"{\"AccessKeyID\":\"AKIA\"}");
    let got = store.get("from-aws-vault").unwrap().unwrap();
    assert_eq!(got.data.as_slice(), b"{\"AccessKeyID\":\"AKIA\"}");
    assert_eq!(got.label, "aws-vault (from-aws-vault)");
    assert_eq!(got.description, "aws-vault session for test");
    assert!(store.remove("from-aws-vault").unwrap());
    assert!(raw_read(kc, &svc, "from-aws-vault").is_none());

    // Setting again replaces data, label and description, and leaves one item.
    store
        .set(
            &StoredItem::new("prod", b"{\"v\":2}".to_vec())
                .with_label("aws-vault (prod) v2")
                .with_description("d2"),
        )
        .unwrap();
    let got = store.get("prod").unwrap().unwrap();
    assert_eq!(got.data.as_slice(), b"{\"v\":2}");
    assert_eq!(
        (got.label.as_str(), got.description.as_str()),
        ("aws-vault (prod) v2", "d2")
    );
    assert_eq!(store.keys().unwrap(), vec!["prod".to_owned()]);

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
    assert!(
        store
            .get("oidc:https://x.awsapps.com/start")
            .unwrap()
            .unwrap()
            .data
            .is_empty()
    );
    assert_eq!(other.keys().unwrap(), vec!["elsewhere".to_owned()]);
    assert!(store.get("elsewhere").unwrap().is_none());

    // A long-lived key written with AlwaysAsk trusts no program: it is listed (attributes
    // only), but reading its data needs the user's approval, which cannot be given here.
    let master = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    store
        .set_with_access(
            &StoredItem::new("master", master.to_vec()).with_label("aws-vault (master)"),
            ItemAccess::AlwaysAsk,
        )
        .unwrap();
    assert!(store.keys().unwrap().contains(&"master".to_owned()));
    match store.get("master") {
        Ok(Some(_)) => panic!("an always-ask item was read without asking"),
        // Most likely: interaction not allowed. Whatever the error, it carries no data.
        Err(err) => assert_no_secret(&err, master),
        // The framework may also hide an item it may not show.
        Ok(None) => {}
    }
    // (The throwaway keychain's deletion takes this item with it: removing it may ask too.)

    assert!(store.remove("prod").unwrap());
    assert!(store.remove("oidc:https://x.awsapps.com/start").unwrap());
    assert!(other.remove("elsewhere").unwrap());
    assert!(store.get("prod").unwrap().is_none());
    assert!(!store.remove("prod").unwrap());
    assert_eq!(store.keys().unwrap(), vec!["master".to_owned()]);
    assert!(other.keys().unwrap().is_empty());
    assert!(raw_read(kc, &svc, "prod").is_none());
}
