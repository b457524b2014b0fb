//! What the D-Bus backends (`secret-service`, `kwallet`) share: a connection to the session
//! bus (or to an explicit address, for tests), and whether a service is on it.

use std::time::Duration;
use zbus::blocking::Connection;

/// A connection to the bus at `address`, else the session bus; `timeout` bounds each method
/// call when given (zbus's default otherwise).
pub(crate) fn connect(
    address: Option<&str>,
    timeout: Option<Duration>,
) -> zbus::Result<Connection> {
    let builder = match address {
        Some(a) => zbus::blocking::connection::Builder::address(a)?,
        None => zbus::blocking::connection::Builder::session()?,
    };
    match timeout {
        Some(t) => builder.method_timeout(t).build(),
        None => builder.build(),
    }
}

/// The first of `names` that is on the bus: owned now, or startable by D-Bus activation.
pub(crate) fn first_offered<'n>(conn: &Connection, names: &[&'n str]) -> Option<&'n str> {
    let dbus = zbus::blocking::fdo::DBusProxy::new(conn).ok()?;
    let activatable = dbus.list_activatable_names().unwrap_or_default();
    names.iter().copied().find(|name| {
        zbus::names::BusName::try_from(*name)
            .ok()
            .and_then(|n| dbus.name_has_owner(n).ok())
            .unwrap_or(false)
            || activatable.iter().any(|a| a.as_str() == *name)
    })
}
