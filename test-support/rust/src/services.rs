//! The real keyring services the backend tests run against, each private to one test: a D-Bus
//! session bus, gnome-keyring's Secret Service on it, kwalletd5 on it, and a `pass` store with
//! a throwaway gpg key. Everything is started in a temporary home and stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private D-Bus session bus. It activates no services (the machine's service files are
/// not read), so only what a test starts is on it, and keyring prompts (gcr-prompter, which is
/// activated) cannot be shown: the headless case, deterministic.
pub struct SessionBus {
    child: Child,
    address: String,
    dir: tempfile::TempDir,
}

impl SessionBus {
    /// Starts a bus listening on a socket in a temporary directory.
    pub fn start() -> SessionBus {
        let dir = tempfile::tempdir().expect("temp dir for the bus");
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
            ),
        )
        .expect("write the bus config");
        let child = Command::new("dbus-daemon")
            .args(["--nofork", "--nopidfile"])
            .arg(format!("--config-file={}", config.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (Debian package dbus)");
        wait_for(Duration::from_secs(10), "the session bus socket", || {
            socket.exists()
        });
        SessionBus {
            child,
            address,
            dir,
        }
    }

    /// The bus address, for `DBUS_SESSION_BUS_ADDRESS`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A home directory next to the bus (for the services' state).
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// True when `name` has an owner on the bus.
    pub fn has_owner(&self, name: &str) -> bool {
        Command::new("dbus-send")
            .arg(format!("--bus={}", self.address))
            .args([
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
            ])
            .arg(format!("string:{name}"))
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false)
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// gnome-keyring's Secret Service on a [`SessionBus`], with its `login` collection unlocked.
pub struct GnomeKeyring {
    child: Child,
    home: PathBuf,
}

impl GnomeKeyring {
    /// The login keyring's password.
    pub const PASSWORD: &'static str = "stsvault test keyring";

    /// Starts `gnome-keyring-daemon --foreground --unlock` on `bus` in a fresh home.
    pub fn start(bus: &SessionBus) -> GnomeKeyring {
        let home = bus.scratch().join("gnome-keyring-home");
        let runtime = bus.scratch().join("gnome-keyring-run");
        for d in [&home, &runtime] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon (Debian package gnome-keyring)");
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            let _ = stdin.write_all(Self::PASSWORD.as_bytes());
        }
        wait_for(Duration::from_secs(15), "gnome-keyring on the bus", || {
            bus.has_owner("org.freedesktop.secrets")
        });
        GnomeKeyring { child, home }
    }

    /// The daemon's home (its keyrings are in `.local/share/keyrings`).
    pub fn home(&self) -> &Path {
        &self.home
    }
}

impl Drop for GnomeKeyring {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A `pass` password store initialised for a throwaway gpg key with no passphrase.
pub struct PassStore {
    dir: tempfile::TempDir,
}

impl PassStore {
    /// Creates the gpg home, the key, and the store.
    pub fn create() -> PassStore {
        let dir = tempfile::tempdir().expect("temp dir for pass");
        let store = PassStore { dir };
        std::fs::create_dir_all(store.gnupg_home()).expect("mkdir gnupg");
        let mut perms = std::fs::metadata(store.gnupg_home())
            .expect("stat")
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
        std::fs::set_permissions(store.gnupg_home(), perms).expect("chmod gnupg");
        let out = store
            .command("gpg")
            .args([
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                "stsvault test <test@stsvault.invalid>",
                "default",
                "default",
                "never",
            ])
            .output()
            .expect("run gpg (Debian package gnupg)");
        assert!(
            out.status.success(),
            "gpg --quick-gen-key: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = store
            .command("pass")
            .args(["init", "test@stsvault.invalid"])
            .output()
            .expect("run pass (Debian package pass)");
        assert!(
            out.status.success(),
            "pass init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        store
    }

    /// The password store directory.
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The gpg home.
    pub fn gnupg_home(&self) -> PathBuf {
        self.dir.path().join("gnupg")
    }

    /// The environment `pass` and gpg need: `GNUPGHOME` and `PASSWORD_STORE_DIR`.
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("GNUPGHOME", self.gnupg_home()),
            ("PASSWORD_STORE_DIR", self.store_dir()),
        ]
    }

    /// A script that runs `pass` with `GNUPGHOME=gnupg_home` and this store: what a user
    /// would put in `AWS_VAULT_PASS_CMD` to point stsvault at another gpg home.
    pub fn wrapper(&self, gnupg_home: &Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let n = std::fs::read_dir(self.dir.path())
            .map(|d| d.count())
            .unwrap_or(0);
        let path = self.dir.path().join(format!("pass-wrapper-{n}"));
        let script = format!(
            "#!/bin/sh\nGNUPGHOME='{}' PASSWORD_STORE_DIR='{}' exec pass \"$@\"\n",
            gnupg_home.display(),
            self.store_dir().display()
        );
        std::fs::write(&path, script).expect("write the pass wrapper");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("chmod the pass wrapper");
        path
    }

    /// `program` with the store's environment.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.envs(self.env()).stdin(Stdio::null());
        cmd
    }
}

impl Drop for PassStore {
    fn drop(&mut self) {
        // gpg-agent was started for this home; stop it with it.
        let _ = self
            .command("gpgconf")
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

/// SIGTERM, a grace period, then SIGKILL; always reaped.
fn stop(child: &mut Child) {
    crate::stop_child(child, Duration::from_secs(5));
}

fn wait_for(timeout: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// Calls on gnome-keyring that need no prompt, for setting up tests.
impl GnomeKeyring {
    /// A proxy for `interface` on gnome-keyring's root object.
    fn proxy(bus: &SessionBus, interface: &'static str) -> zbus::blocking::Proxy<'static> {
        let conn = zbus::blocking::connection::Builder::address(bus.address())
            .and_then(|b| b.build())
            .expect("connect to the test bus");
        zbus::blocking::Proxy::new_owned(
            conn,
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            interface,
        )
        .expect("gnome-keyring proxy")
    }

    /// Creates the collection labelled `label`, protected by `password`, without the prompt
    /// gnome-keyring shows a desktop user (its internal master-password interface).
    pub fn create_collection(bus: &SessionBus, label: &str, password: &str) -> String {
        use std::collections::HashMap;
        use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};
        let service = Self::proxy(bus, "org.freedesktop.Secret.Service");
        let (_, session): (OwnedValue, OwnedObjectPath) = service
            .call("OpenSession", &("plain", Value::from("")))
            .expect("OpenSession");
        // The same connection: the session belongs to it.
        let internal = zbus::blocking::Proxy::new_owned(
            service.connection().clone(),
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
        )
        .expect("internal proxy");
        let props: HashMap<&str, Value> = HashMap::from([(
            "org.freedesktop.Secret.Collection.Label",
            Value::from(label),
        )]);
        let secret = (
            session,
            Vec::<u8>::new(),
            password.as_bytes().to_vec(),
            "text/plain",
        );
        let path: OwnedObjectPath = internal
            .call("CreateWithMasterPassword", &(props, secret))
            .expect("CreateWithMasterPassword");
        path.to_string()
    }

    /// Locks the collection at `path` (no prompt is needed to lock).
    pub fn lock(bus: &SessionBus, path: &str) {
        use zbus::zvariant::{ObjectPath, OwnedObjectPath};
        let service = Self::proxy(bus, "org.freedesktop.Secret.Service");
        let target = ObjectPath::try_from(path).expect("object path");
        let (locked, _prompt): (Vec<OwnedObjectPath>, OwnedObjectPath) =
            service.call("Lock", &(vec![target],)).expect("Lock");
        assert_eq!(locked.len(), 1, "gnome-keyring locked {path}");
    }
}

/// A named kernel session keyring kept alive for one test, that commands join with
/// `keyctl session NAME program…` — so `keyctl` backend tests with `AWS_VAULT_KEYCTL_SCOPE=session`
/// never touch the user's own keyrings. Gone when dropped.
pub struct SessionKeyring {
    name: String,
    holder: Child,
}

impl SessionKeyring {
    /// Creates the keyring (searchable by this user, so later commands can join it).
    pub fn start() -> SessionKeyring {
        use std::io::BufRead;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("stsvault-test-{}-{nanos}", std::process::id());
        let mut holder = Command::new("keyctl")
            .args(["session", &name, "sh", "-c"])
            .arg("keyctl setperm @s 0x3f3f0000 && echo ready && exec sleep 600")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run keyctl (Debian package keyutils)");
        let mut line = String::new();
        if let Some(out) = holder.stdout.take() {
            let _ = std::io::BufReader::new(out).read_line(&mut line);
        }
        assert_eq!(
            line.trim(),
            "ready",
            "keyctl session keyring {name} started"
        );
        SessionKeyring { name, holder }
    }

    /// The keyring's name, for `keyctl session NAME …`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for SessionKeyring {
    fn drop(&mut self) {
        let _ = Command::new("keyctl")
            .args(["session", &self.name, "keyctl", "clear", "@s"])
            .output();
        stop(&mut self.holder);
    }
}

/// kwalletd5 on a [`SessionBus`], headless, with the wallet `aws-vault` created and open and
/// the application `aws-vault` allowed in (`test-support/kwallet/start-kwalletd.sh`).
pub struct KWalletDaemon {
    pid: u32,
}

impl KWalletDaemon {
    /// Starts kwalletd5; the wallet gets `password` (empty: a passwordless wallet that reopens
    /// without asking; otherwise reopening it needs a dialog nobody can answer headless).
    pub fn start(bus: &SessionBus, password: &str) -> KWalletDaemon {
        let home = bus.scratch().join("kwallet-home");
        std::fs::create_dir_all(&home).expect("mkdir kwallet home");
        let out = Command::new("bash")
            .arg(crate::repo_root().join("test-support/kwallet/start-kwalletd.sh"))
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_RUNTIME_DIR", home.join(".runtime"))
            .env("KWALLET_PASSWORD", password)
            .stdin(Stdio::null())
            .output()
            .expect("run start-kwalletd.sh");
        assert!(
            out.status.success(),
            "start-kwalletd.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pid = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .expect("start-kwalletd.sh printed kwalletd5's PID");
        KWalletDaemon { pid }
    }

    /// Closes the wallet `aws-vault` by force, as the screensaver or a timeout would.
    pub fn close_wallet(bus: &SessionBus) {
        let out = Command::new("dbus-send")
            .arg(format!("--bus={}", bus.address()))
            .args([
                "--print-reply",
                "--dest=org.kde.kwalletd5",
                "/modules/kwalletd5",
                "org.kde.KWallet.close",
                "string:aws-vault",
                "boolean:true",
            ])
            .output()
            .expect("dbus-send close");
        assert!(out.status.success(), "close the wallet");
    }
}

impl Drop for KWalletDaemon {
    fn drop(&mut self) {
        crate::terminate(self.pid);
    }
}
