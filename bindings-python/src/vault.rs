//! `Vault`: the stored access keys and cached sessions, as `stsvault add/list/remove/clear`
//! manage them — the same backend and items, so the command and a script agree.

use crate::errors::to_py;
use crate::provider::open_options;
use pyo3::prelude::*;
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::Arc;
use stsvault::AccessKey;

/// A cached session as the Python layer sees it: kind, profile, MFA serial, expiration.
type SessionTuple = (String, String, String, f64);

/// An opened vault.
#[pyclass(frozen, module = "stsvault._native")]
pub struct Vault {
    inner: Arc<stsvault::Vault>,
}

#[pymethods]
impl Vault {
    #[new]
    #[pyo3(signature = (*, backend=None, file_dir=None, file_passphrase=None))]
    fn new(
        py: Python<'_>,
        backend: Option<String>,
        file_dir: Option<PathBuf>,
        file_passphrase: Option<String>,
    ) -> PyResult<Self> {
        let options = open_options(
            backend,
            file_dir,
            file_passphrase,
            None,
            None,
            None,
            false,
            None,
        )?;
        let inner = py.detach(|| options.open_vault()).map_err(to_py)?;
        Ok(Vault {
            inner: Arc::new(inner),
        })
    }

    /// The backend's name (`file`, `secret-service`, …).
    #[getter]
    fn backend(&self) -> &'static str {
        self.inner.backend_name()
    }

    /// The profiles with stored keys.
    fn profiles(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.master_names())
            .map_err(|e| to_py(e.into()))
    }

    /// Stores `profile`'s access key, replacing any before.
    fn add(
        &self,
        py: Python<'_>,
        profile: String,
        access_key_id: String,
        secret_access_key: String,
    ) -> PyResult<()> {
        let key = AccessKey::new(access_key_id, SecretString::from(secret_access_key));
        py.detach(|| self.inner.set_master(&profile, &key))
            .map_err(|e| to_py(e.into()))
    }

    /// Deletes `profile`'s keys and its cached sessions; true when there were keys.
    fn remove(&self, py: Python<'_>, profile: String) -> PyResult<bool> {
        py.detach(|| {
            let had = self.inner.remove_master(&profile)?;
            self.inner.remove_sessions_for(&profile)?;
            Ok::<_, stsvault::vault::VaultError>(had)
        })
        .map_err(|e| to_py(e.into()))
    }

    /// The cached sessions.
    fn sessions(&self, py: Python<'_>) -> PyResult<Vec<SessionTuple>> {
        let sessions = py
            .detach(|| self.inner.sessions())
            .map_err(|e| to_py(e.into()))?;
        Ok(sessions
            .into_iter()
            .map(|s| {
                (
                    s.kind,
                    s.profile,
                    s.mfa_serial,
                    s.expiration.timestamp_millis() as f64 / 1000.0,
                )
            })
            .collect())
    }

    /// Deletes the cached sessions of `profile` (of every profile when `None`); returns how
    /// many.
    #[pyo3(signature = (profile=None))]
    fn clear(&self, py: Python<'_>, profile: Option<String>) -> PyResult<usize> {
        py.detach(|| match &profile {
            Some(p) => self.inner.remove_sessions_for(p),
            None => self.inner.remove_all_sessions(),
        })
        .map_err(|e| to_py(e.into()))
    }

    fn __repr__(&self) -> String {
        format!("Vault(backend={:?})", self.inner.backend_name())
    }
}
