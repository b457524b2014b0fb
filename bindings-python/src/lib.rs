//! `stsvault._native`: the Python binding's native module, a thin layer over core's
//! [`OpenOptions`](stsvault::embed::OpenOptions). It turns Python arguments into options,
//! releases the GIL while core waits on the vault, STS or a prompt, and turns core's errors
//! into the exception classes of [`errors`]. The Pythonic surface (dataclasses, boto3) is in
//! `python/stsvault/`.

mod config;
mod errors;
mod prompt;
mod provider;
mod vault;

use pyo3::prelude::*;
use std::sync::OnceLock;

/// The runtime every call blocks on (with the GIL released); built on first use.
pub(crate) fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("stsvault")
        .enable_all()
        .build()
        .map_err(|e| errors::Error::new_err(format!("could not start stsvault's runtime: {e}")))?;
    Ok(RUNTIME.get_or_init(|| rt))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<provider::Provider>()?;
    m.add_class::<vault::Vault>()?;
    m.add_function(wrap_pyfunction!(config::load_config, m)?)?;
    m.add_function(wrap_pyfunction!(config::resolve_profile, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
