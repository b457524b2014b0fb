//! Every vault backend against the real service it talks to — gnome-keyring's Secret Service and
//! kwalletd5 on a private D-Bus bus, the Linux kernel keyring, `pass` with a throwaway gpg key,
//! the encrypted file — passes the same conformance suite: set/get/list/remove, replacing, unicode
//! names, large binary items, missing items, and aws-vault's credentials through [`Vault`].
//! Each backend's own failure modes (a locked collection, a missing program) get a clear
//! error, and the stored layout is checked with the service's own tools, which is what
//! aws-vault reads.

use std::process::Command;
use stsvault::vault::*;
use stsvault::{AccessKey, Credentials};
use stsvault_test_support::services::{GnomeKeyring, KWalletDaemon, PassStore, SessionBus};
use stsvault_test_support::{assert_success, output_with_stdin};

/// Names that exercise escaping in every backend: unicode, spaces, `/`, `%`, `:`, `,`, and
/// aws-vault's session item names.
const NAMES: [&str; 6] = [
    "prod",
    "ünïcødé-日本-профиль",
    "with space/and slash",
    "50%:odd,name",
    "sts.GetSessionToken,cHJvZA,YXJuOmF3czppYW06OjEyMzQ1Njc4OTAxMjptZmEvdQ,1767225600",
    "sso-start.example.com",
];

fn item(name: &str, data: &[u8]) -> Item {
    Item::new(name, data.to_vec(), format!("label of {name}"), "d".into())
}

/// Binary data of `len` bytes, not valid UTF-8.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 0x80) as u8).collect()
}

/// The suite every backend passes. `max_item` is the largest item the backend must hold.
fn conformance(backend: &dyn Backend, max_item: usize) {
    // Missing items.
    assert!(backend.get("missing").unwrap().is_none(), "missing → None");
    assert!(
        !backend.remove("missing").unwrap(),
        "remove missing → false"
    );
    assert!(backend.keys().unwrap().is_empty(), "a fresh store is empty");

    // Set, get, list.
    for (i, name) in NAMES.iter().enumerate() {
        backend
            .set(&item(name, format!("data {i}").as_bytes()))
            .unwrap_or_else(|e| panic!("set {name:?}: {e}"));
    }
    let mut want: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
    want.sort();
    assert_eq!(backend.keys().unwrap(), want);
    for (i, name) in NAMES.iter().enumerate() {
        let got = backend
            .get(name)
            .unwrap_or_else(|e| panic!("get {name:?}: {e}"))
            .unwrap_or_else(|| panic!("{name:?} was stored"));
        assert_eq!(got.key, *name);
        assert_eq!(got.data(), format!("data {i}").as_bytes(), "{name:?}");
    }

    // Replacing keeps one item with the new data.
    backend.set(&item("prod", b"new data")).unwrap();
    assert_eq!(backend.get("prod").unwrap().unwrap().data(), b"new data");
    assert_eq!(backend.keys().unwrap().len(), NAMES.len());

    // A large binary item.
    let big = binary(max_item);
    backend.set(&item("big", &big)).unwrap();
    assert_eq!(backend.get("big").unwrap().unwrap().data(), big.as_slice());

    // Remove.
    assert!(backend.remove("big").unwrap());
    for name in NAMES {
        assert!(backend.remove(name).unwrap(), "remove {name:?}");
        assert!(backend.get(name).unwrap().is_none(), "{name:?} is gone");
    }
    assert!(backend.keys().unwrap().is_empty(), "all removed");
}

/// aws-vault's credentials through [`Vault`] on `backend`.
fn vault_round_trip(backend: Box<dyn Backend>) {
    let vault = Vault::new(backend);
    vault
        .set_master(
            "prod",
            &AccessKey::new("AKIAEXAMPLEPROD", "s3cret/+=".to_string()),
        )
        .unwrap();
    let key = SessionKey::new(
        "sts.GetSessionToken",
        "prod",
        "arn:aws:iam::123456789012:mfa/u",
    );
    let mut session: Credentials =
        AccessKey::new("ASIAEXAMPLE", "sess".to_string()).to_credentials();
    session.session_token = Some("token".to_string().into());
    session.expiration = Some(chrono::Utc::now() + chrono::Duration::hours(1));
    vault.set_session(&key, &session).unwrap();
    assert_eq!(vault.master_names().unwrap(), ["prod"]);
    assert_eq!(vault.sessions().unwrap().len(), 1);
    let master = vault.get_master("prod").unwrap().unwrap();
    assert_eq!(master.access_key_id, "AKIAEXAMPLEPROD");
    assert_eq!(
        vault.get_session(&key).unwrap().unwrap().access_key_id,
        "ASIAEXAMPLE"
    );
    assert_eq!(vault.remove_sessions_for("prod").unwrap(), 1);
    assert!(vault.remove_master("prod").unwrap());
    assert!(vault.master_names().unwrap().is_empty());
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run the tool");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------------------------
// file

fn file_backend(dir: &std::path::Path) -> FileBackend {
    FileBackend::new(
        dir,
        Box::new(|_| Ok(secrecy::SecretString::from("conformance".to_string()))),
    )
}

#[test]
fn file_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    conformance(&file_backend(dir.path()), 1 << 20);
    vault_round_trip(Box::new(file_backend(dir.path())));
}

// ---------------------------------------------------------------------------------------------
// secret-service (gnome-keyring)

struct Keyring {
    bus: SessionBus,
    _daemon: GnomeKeyring,
}

impl Keyring {
    fn start() -> Keyring {
        let bus = SessionBus::start();
        let daemon = GnomeKeyring::start(&bus);
        Keyring {
            bus,
            _daemon: daemon,
        }
    }

    fn backend(&self, collection: &str) -> SecretServiceBackend {
        SecretServiceBackend::new(collection, Some(self.bus.address().to_string()))
    }

    fn secret_tool(&self) -> Command {
        let mut cmd = Command::new("secret-tool");
        cmd.env("DBUS_SESSION_BUS_ADDRESS", self.bus.address());
        cmd
    }
}

#[test]
fn secret_service_passes_the_conformance_suite() {
    let k = Keyring::start();
    GnomeKeyring::create_collection(&k.bus, "awsvault", "collection password");
    conformance(&k.backend("awsvault"), 1 << 20);
    vault_round_trip(Box::new(k.backend("awsvault")));
}

#[test]
fn secret_service_items_are_laid_out_as_aws_vault_reads_them() {
    let k = Keyring::start();
    GnomeKeyring::create_collection(&k.bus, "awsvault", "collection password");
    let vault = Vault::new(Box::new(k.backend("awsvault")));
    vault
        .set_master(
            "prod",
            &AccessKey::new("AKIAEXAMPLEPROD", "s3cret".to_string()),
        )
        .unwrap();
    // libsecret's own client finds the item by aws-vault's attribute and reads keyring's JSON.
    let secret = run_ok(k.secret_tool().args(["lookup", "profile", "prod"]));
    let json: serde_json::Value = serde_json::from_str(&secret).unwrap();
    assert_eq!(json["Key"], "prod");
    let data = base64_decode(json["Data"].as_str().unwrap());
    let creds: serde_json::Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(creds["AccessKeyID"], "AKIAEXAMPLEPROD");
    let listing = run_ok(k.secret_tool().args(["search", "--all", "profile", "prod"]));
    assert!(listing.contains("label = prod"), "{listing}");
    let items = run_ok(Command::new("dbus-send").args([
        &format!("--bus={}", k.bus.address()),
        "--print-reply",
        "--dest=org.freedesktop.secrets",
        "/org/freedesktop/secrets/collection/awsvault",
        "org.freedesktop.DBus.Properties.Get",
        "string:org.freedesktop.Secret.Collection",
        "string:Items",
    ]));
    assert!(
        items.contains("/org/freedesktop/secrets/collection/awsvault/"),
        "stored in the collection aws-vault looks in: {items}"
    );

    // An item written by another client in aws-vault's layout is found.
    let mut store = k.secret_tool();
    store.args([
        "store",
        "--collection=/org/freedesktop/secrets/collection/awsvault",
        "--label=dev",
        "profile",
        "dev",
    ]);
    let dev = r#"{"Key":"dev","Data":"eyJBY2Nlc3NLZXlJRCI6IkFLSUFERVYiLCJTZWNyZXRBY2Nlc3NLZXkiOiJ4In0=","Label":"","Description":""}"#;
    assert_success(&output_with_stdin(&mut store, dev.as_bytes()));
    assert_eq!(vault.master_names().unwrap(), ["dev", "prod"]);
    assert_eq!(
        vault.get_master("dev").unwrap().unwrap().access_key_id,
        "AKIADEV"
    );
}

#[test]
fn secret_service_collection_creation_without_a_prompter_is_a_clear_error() {
    let k = Keyring::start();
    let err = k.backend("awsvault").set(&item("prod", b"x")).unwrap_err();
    assert!(matches!(err, VaultError::Locked { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("create the collection `awsvault`"), "{msg}");
    assert!(
        msg.contains("AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME=login"),
        "{msg}"
    );
    // …and the login keyring, unlocked by `gnome-keyring-daemon --unlock`, works.
    conformance(&k.backend("login"), 4096);
}

#[test]
fn secret_service_locked_collection_is_a_clear_error() {
    let k = Keyring::start();
    let path = GnomeKeyring::create_collection(&k.bus, "awsvault", "collection password");
    let backend = k.backend("awsvault");
    backend.set(&item("prod", b"x")).unwrap();
    GnomeKeyring::lock(&k.bus, &path);
    let fresh = k.backend("awsvault");
    for err in [
        fresh.get("prod").unwrap_err(),
        fresh.set(&item("dev", b"y")).unwrap_err(),
    ] {
        assert!(matches!(err, VaultError::Locked { .. }), "{err:?}");
        assert!(
            err.to_string().contains("collection `awsvault` is locked"),
            "{err}"
        );
    }
    // Names are not secret: listing works on a locked collection, as it does in aws-vault.
    assert_eq!(fresh.keys().unwrap_or_default().len(), 1);
}

#[test]
fn secret_service_without_a_daemon_is_unavailable() {
    let bus = SessionBus::start();
    assert!(!SecretServiceBackend::is_available(Some(bus.address())));
    let err = SecretServiceBackend::new("awsvault", Some(bus.address().to_string()))
        .get("prod")
        .unwrap_err();
    assert!(matches!(err, VaultError::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("--backend"), "{err}");
}

#[test]
fn secret_service_is_the_default_when_the_bus_offers_it() {
    let k = Keyring::start();
    let options = BackendOptions {
        bus_address: Some(k.bus.address().to_string()),
        ..Default::default()
    };
    assert_eq!(options.kind(), BackendKind::SecretService);
}

// ---------------------------------------------------------------------------------------------
// kwallet (kwalletd5)

fn kwallet(bus: &SessionBus) -> KWalletBackend {
    KWalletBackend::new("aws-vault", "aws-vault", Some(bus.address().to_string()))
}

/// kwalletd's own API, called as aws-vault calls it.
fn kwalletd(bus: &SessionBus) -> zbus::blocking::Proxy<'static> {
    let conn = zbus::blocking::connection::Builder::address(bus.address())
        .unwrap()
        .build()
        .unwrap();
    zbus::blocking::Proxy::new_owned(
        conn,
        "org.kde.kwalletd5",
        "/modules/kwalletd5",
        "org.kde.KWallet",
    )
    .unwrap()
}

#[test]
fn kwallet_passes_the_conformance_suite() {
    let bus = SessionBus::start();
    let _daemon = KWalletDaemon::start(&bus, "");
    conformance(&kwallet(&bus), 1 << 20);
    vault_round_trip(Box::new(kwallet(&bus)));
}

#[test]
fn kwallet_items_are_laid_out_as_aws_vault_reads_them() {
    let bus = SessionBus::start();
    let _daemon = KWalletDaemon::start(&bus, "");
    Vault::new(Box::new(kwallet(&bus)))
        .set_master(
            "prod",
            &AccessKey::new("AKIAEXAMPLEPROD", "s3cret".to_string()),
        )
        .unwrap();
    // kwalletd's own API, as aws-vault calls it: wallet, folder and app id `aws-vault`.
    let kwalletd = kwalletd(&bus);
    let handle: i32 = kwalletd
        .call("open", &("aws-vault", 0i64, "aws-vault"))
        .unwrap();
    let entries: Vec<String> = kwalletd
        .call("entryList", &(handle, "aws-vault", "aws-vault"))
        .unwrap();
    assert_eq!(entries, ["prod"]);
    let bytes: Vec<u8> = kwalletd
        .call("readEntry", &(handle, "aws-vault", "prod", "aws-vault"))
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["Key"], "prod");
    let creds: serde_json::Value =
        serde_json::from_slice(&base64_decode(json["Data"].as_str().unwrap())).unwrap();
    assert_eq!(creds["AccessKeyID"], "AKIAEXAMPLEPROD");
}

#[test]
fn kwallet_reopens_a_wallet_closed_under_it() {
    let bus = SessionBus::start();
    let _daemon = KWalletDaemon::start(&bus, "");
    let backend = kwallet(&bus);
    backend.set(&item("prod", b"x")).unwrap();
    KWalletDaemon::close_wallet(&bus);
    assert_eq!(backend.get("prod").unwrap().unwrap().data(), b"x");
}

#[test]
fn kwallet_locked_wallet_is_a_clear_error() {
    let bus = SessionBus::start();
    let _daemon = KWalletDaemon::start(&bus, "wallet password");
    kwallet(&bus).set(&item("prod", b"x")).unwrap();
    KWalletDaemon::close_wallet(&bus);
    // Reopening needs the password dialog, which nobody answers here.
    let err = kwallet(&bus)
        .with_open_timeout(std::time::Duration::from_secs(2))
        .get("prod")
        .unwrap_err();
    assert!(matches!(err, VaultError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains("wallet `aws-vault` is locked"),
        "{err}"
    );
}

#[test]
fn kwallet_without_a_daemon_is_unavailable() {
    let bus = SessionBus::start();
    let err = kwallet(&bus).keys().unwrap_err();
    assert!(matches!(err, VaultError::Unavailable { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// keyctl

/// A keyctl backend over a keyring named for this test, destroyed afterwards.
struct TestKeyring(KeyctlBackend, String);

impl TestKeyring {
    fn new(test: &str) -> TestKeyring {
        let name = format!("stsvault-test-{}-{test}", std::process::id());
        TestKeyring(KeyctlBackend::new(KeyctlScope::User, name.clone()), name)
    }
}

impl Drop for TestKeyring {
    fn drop(&mut self) {
        let _ = self.0.destroy();
    }
}

#[test]
fn keyctl_passes_the_conformance_suite() {
    assert!(KeyctlBackend::is_available(), "keyctl(2) works here");
    let ring = TestKeyring::new("conformance");
    conformance(&ring.0, 16 * 1024);
    vault_round_trip(Box::new(KeyctlBackend::new(
        KeyctlScope::User,
        ring.1.clone(),
    )));
}

#[test]
fn keyctl_items_are_laid_out_as_keyring_lays_them_out() {
    let ring = TestKeyring::new("layout");
    ring.0.set(&item("prod", b"{\"payload\":1}")).unwrap();
    // keyutils' own tool finds the named keyring in the user keyring and the key in it.
    let ring_id = run_ok(Command::new("keyctl").args(["search", "@u", "keyring", &ring.1]));
    let key_id = run_ok(Command::new("keyctl").args(["search", ring_id.trim(), "user", "prod"]));
    let payload = run_ok(Command::new("keyctl").args(["pipe", key_id.trim()]));
    assert_eq!(payload, "{\"payload\":1}");
    let perm = run_ok(Command::new("keyctl").args(["rdescribe", key_id.trim()]));
    assert!(
        perm.contains(";3f3f0000;"),
        "possessor and user may read: {perm}"
    );
}

#[test]
fn keyctl_rejects_an_item_larger_than_a_kernel_key() {
    let ring = TestKeyring::new("large");
    let err = ring
        .0
        .set(&item("huge", &binary(40_000)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 32767"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// pass

fn pass_backend(command: &std::path::Path, store: &PassStore, prefix: &str) -> PassBackend {
    PassBackend::new(PassOptions {
        command: command.display().to_string(),
        dir: store.store_dir(),
        prefix: prefix.into(),
    })
    .unwrap()
}

#[test]
fn pass_passes_the_conformance_suite() {
    let store = PassStore::create();
    let pass = store.wrapper(&store.gnupg_home());
    conformance(&pass_backend(&pass, &store, "aws-vault"), 256 * 1024);
    vault_round_trip(Box::new(pass_backend(&pass, &store, "")));
}

#[test]
fn pass_items_are_laid_out_as_aws_vault_reads_them() {
    let store = PassStore::create();
    let pass = store.wrapper(&store.gnupg_home());
    pass_backend(&pass, &store, "aws")
        .set(&item("prod", b"creds"))
        .unwrap();
    assert!(store.store_dir().join("aws/prod.gpg").is_file());
    let shown = run_ok(store.command("pass").args(["show", "aws/prod"]));
    let json: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(json["Key"], "prod");
    assert_eq!(base64_decode(json["Data"].as_str().unwrap()), b"creds");
    let raw = std::fs::read(store.store_dir().join("aws/prod.gpg")).unwrap();
    assert!(
        !raw.windows(5).any(|w| w == b"creds"),
        "the file is encrypted"
    );
}

#[test]
fn pass_failures_say_what_pass_said() {
    let store = PassStore::create();
    let pass = store.wrapper(&store.gnupg_home());
    pass_backend(&pass, &store, "")
        .set(&item("prod", b"creds"))
        .unwrap();
    // Without the key's gpg home, decryption fails; the error carries gpg's own words.
    let empty = tempfile::tempdir().unwrap();
    let broken = store.wrapper(empty.path());
    let err = pass_backend(&broken, &store, "")
        .get("prod")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`pass show` exited with") || err.contains("show` exited"),
        "{err}"
    );
    assert!(
        err.contains("decrypt") || err.contains("secret key"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}
