//! The `kwallet` backend: items in a KDE wallet through kwalletd's D-Bus API (kwalletd6, else
//! kwalletd5), laid out as aws-vault lays them out — the wallet `aws-vault`, the folder
//! `aws-vault`, application id `aws-vault`, one entry per item holding keyring's Item JSON.
//!
//! Opening a wallet may make kwalletd ask the user (to create it, to unlock it, or to let the
//! application in); a refusal comes back as a negative handle and is reported as locked.

use super::{Backend, Item, VaultError, item_json};
use std::sync::Mutex;
use std::time::Duration;

const NAME: &str = "kwallet";
const INTERFACE: &str = "org.kde.KWallet";
/// The daemons, newest first: (bus name, object path).
const DAEMONS: [(&str, &str); 2] = [
    ("org.kde.kwalletd6", "/modules/kwalletd6"),
    ("org.kde.kwalletd5", "/modules/kwalletd5"),
];
/// How long kwalletd may take to answer `open`, which can wait on the user.
const OPEN_TIMEOUT: Duration = Duration::from_secs(120);

/// Items in one folder of one KDE wallet.
pub struct KWalletBackend {
    wallet: String,
    folder: String,
    app_id: String,
    bus_address: Option<String>,
    open_timeout: Duration,
    state: Mutex<Option<Session>>,
}

struct Session {
    proxy: zbus::blocking::Proxy<'static>,
    handle: i32,
}

impl KWalletBackend {
    /// A backend over `folder` of the wallet `wallet` (aws-vault: both `aws-vault`), on the
    /// session bus or the bus at `bus_address`. Nothing is contacted until the first call.
    pub fn new(wallet: &str, folder: &str, bus_address: Option<String>) -> Self {
        Self {
            wallet: wallet.to_string(),
            folder: folder.to_string(),
            app_id: "aws-vault".to_string(),
            bus_address,
            open_timeout: OPEN_TIMEOUT,
            state: Mutex::new(None),
        }
    }

    /// How long to wait for kwalletd to open the wallet, which waits on the user when the
    /// wallet is locked (default 2 minutes); past it, the wallet is reported as locked.
    pub fn with_open_timeout(mut self, timeout: Duration) -> Self {
        self.open_timeout = timeout;
        self
    }

    /// Runs `f` with an open wallet handle, opening (or reopening) the wallet when needed.
    fn with_wallet<T>(
        &self,
        action: &str,
        f: impl Fn(&zbus::blocking::Proxy<'static>, i32) -> zbus::Result<T>,
    ) -> Result<T, VaultError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // A stale handle answers every call with "nothing", so check it before use.
        let is_open = |s: &Session| {
            s.proxy
                .call::<_, _, bool>("isOpen", &(s.handle,))
                .map_err(|e| self.failed(action, e))
        };
        let session = match state.take() {
            Some(s) if is_open(&s)? => s,
            _ => self.open(action)?,
        };
        let s = state.insert(session);
        f(&s.proxy, s.handle).map_err(|e| self.failed(action, e))
    }

    fn open(&self, action: &str) -> Result<Session, VaultError> {
        let conn = super::dbus::connect(self.bus_address.as_deref(), Some(self.open_timeout))
            .map_err(|e| self.unavailable(format!("no D-Bus session bus ({e})")))?;
        let names = DAEMONS.map(|(name, _)| name);
        let (service, path) = super::dbus::first_offered(&conn, &names)
            .and_then(|found| DAEMONS.into_iter().find(|(name, _)| *name == found))
            .ok_or_else(|| {
                self.unavailable("neither kwalletd6 nor kwalletd5 is on the session bus".into())
            })?;
        let proxy = zbus::blocking::Proxy::new_owned(conn, service, path, INTERFACE)
            .map_err(|e| self.failed(action, e))?;
        // A locked or missing wallet makes kwalletd show a dialog and answer only once the user
        // has; no answer within the timeout counts as a refusal.
        let handle: i32 =
            match proxy.call("open", &(self.wallet.as_str(), 0i64, self.app_id.as_str())) {
                Ok(h) => h,
                Err(zbus::Error::InputOutput(e)) if e.kind() == std::io::ErrorKind::TimedOut => -1,
                Err(zbus::Error::MethodError(name, _, _))
                    if name.as_str() == "org.freedesktop.DBus.Error.NoReply" =>
                {
                    -1
                }
                Err(e) => return Err(self.failed(action, e)),
            };
        if handle < 0 {
            return Err(VaultError::Locked {
                backend: NAME,
                action: action.to_string(),
                what: format!("the KDE wallet `{}`", self.wallet),
                hint: "open it in kwalletmanager and allow `aws-vault` to use it, then try again; or choose another --backend such as `secret-service` or `file`",
            });
        }
        Ok(Session { proxy, handle })
    }

    fn failed(&self, action: &str, e: impl std::fmt::Display) -> VaultError {
        VaultError::Backend {
            backend: NAME,
            action: action.to_string(),
            reason: e.to_string(),
        }
    }

    fn unavailable(&self, reason: String) -> VaultError {
        VaultError::Unavailable {
            backend: NAME,
            reason,
            hint: "start KDE's wallet service (kwalletd5 or kwalletd6), or choose another --backend such as `secret-service` or `file`".into(),
        }
    }
}

/// Asks kwalletd to write the wallet to disk now rather than on its 5-second timer, so a
/// change survives kwalletd being stopped right after. Best effort: the change itself is made.
fn sync(p: &zbus::blocking::Proxy<'static>, handle: i32, app: &str) {
    let _ = p.call_noreply("sync", &(handle, app));
}

impl Backend for KWalletBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get(&self, key: &str) -> Result<Option<Item>, VaultError> {
        let (folder, app) = (self.folder.as_str(), self.app_id.as_str());
        let data = self.with_wallet(&format!("read `{key}`"), |p, h| {
            let has: bool = p.call("hasEntry", &(h, folder, key, app))?;
            if !has {
                return Ok(None);
            }
            let data: Vec<u8> = p.call("readEntry", &(h, folder, key, app))?;
            Ok(Some(zeroize::Zeroizing::new(data)))
        })?;
        match data {
            Some(d) if !d.is_empty() => item_json::decode_for(NAME, key, &d).map(Some),
            _ => Ok(None),
        }
    }

    fn set(&self, item: &Item) -> Result<(), VaultError> {
        let (folder, app) = (self.folder.as_str(), self.app_id.as_str());
        let json = item_json::encode(item);
        let action = format!("store `{}`", item.key);
        let status = self.with_wallet(&action, |p, h| {
            let status: i32 = p.call(
                "writeEntry",
                &(h, folder, item.key.as_str(), json.as_slice(), app),
            )?;
            if status == 0 {
                sync(p, h, app);
            }
            Ok(status)
        })?;
        if status != 0 {
            return Err(self.failed(&action, format!("kwalletd answered {status}")));
        }
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<bool, VaultError> {
        let (folder, app) = (self.folder.as_str(), self.app_id.as_str());
        let action = format!("remove `{key}`");
        self.with_wallet(&action, |p, h| {
            let has: bool = p.call("hasEntry", &(h, folder, key, app))?;
            if !has {
                return Ok(false);
            }
            let _: i32 = p.call("removeEntry", &(h, folder, key, app))?;
            sync(p, h, app);
            Ok(true)
        })
    }

    fn keys(&self) -> Result<Vec<String>, VaultError> {
        let (folder, app) = (self.folder.as_str(), self.app_id.as_str());
        let mut keys: Vec<String> = self.with_wallet("list items", |p, h| {
            let has: bool = p.call("hasFolder", &(h, folder, app))?;
            if !has {
                return Ok(Vec::new());
            }
            p.call("entryList", &(h, folder, app))
        })?;
        keys.sort();
        Ok(keys)
    }
}
