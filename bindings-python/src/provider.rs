//! `Provider`: one profile's credentials, refreshed through core's memo and the shared session
//! cache, so every call after the first is answered without STS or a prompt while the session
//! lasts — and threads asking at once share one prompt and one STS call.

use crate::errors::to_py;
use crate::prompt::{ErrorSlot, PyPrompt};
use crate::runtime;
use pyo3::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use stsvault::CredentialsProvider;
use stsvault::embed::OpenOptions;

/// Credentials as the Python layer builds its `Credentials` from them: key id, secret, session
/// token, expiration in seconds since the epoch.
type CredentialTuple = (String, String, Option<String>, Option<f64>);

/// The options every entry point takes, as keyword arguments.
#[allow(clippy::too_many_arguments)]
pub fn open_options(
    backend: Option<String>,
    file_dir: Option<PathBuf>,
    file_passphrase: Option<String>,
    config_file: Option<PathBuf>,
    region: Option<String>,
    duration_seconds: Option<f64>,
    no_session: bool,
    mfa_code: Option<String>,
) -> PyResult<OpenOptions> {
    let duration = match duration_seconds {
        Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(s) => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "duration must be a positive number of seconds, not {s}"
            )));
        }
        None => None,
    };
    Ok(OpenOptions {
        backend,
        file_dir,
        file_passphrase: file_passphrase.map(SecretString::from),
        config_file,
        region,
        duration,
        no_session,
        mfa_code: mfa_code.map(SecretString::from),
        prompt: None,
    })
}

/// A profile's credentials provider.
#[pyclass(frozen, module = "stsvault._native")]
pub struct Provider {
    inner: CredentialsProvider,
    region: Option<String>,
    raised: ErrorSlot,
}

#[pymethods]
impl Provider {
    #[new]
    #[pyo3(signature = (profile, *, backend=None, file_dir=None, file_passphrase=None,
        config_file=None, region=None, duration_seconds=None, no_session=false, mfa_code=None,
        mfa_prompt=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        profile: String,
        backend: Option<String>,
        file_dir: Option<PathBuf>,
        file_passphrase: Option<String>,
        config_file: Option<PathBuf>,
        region: Option<String>,
        duration_seconds: Option<f64>,
        no_session: bool,
        mfa_code: Option<String>,
        mfa_prompt: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let mut options = open_options(
            backend,
            file_dir,
            file_passphrase,
            config_file,
            region,
            duration_seconds,
            no_session,
            mfa_code,
        )?;
        let raised = ErrorSlot::default();
        if let Some(callable) = mfa_prompt {
            options.prompt = Some(Arc::new(PyPrompt::new(callable, Arc::clone(&raised))));
        }
        let (inner, region) = py
            .detach(|| {
                let provider = options.provider(&profile)?;
                let region = provider.profile_config()?.region;
                Ok::<_, stsvault::Error>((provider, region))
            })
            .map_err(to_py)?;
        Ok(Provider {
            inner,
            region,
            raised,
        })
    }

    /// The profile served.
    #[getter]
    fn profile(&self) -> &str {
        self.inner.profile()
    }

    /// The profile's region, if it has one.
    #[getter]
    fn region(&self) -> Option<String> {
        self.region.clone()
    }

    /// Fresh credentials (from memory, the cache or STS), without the GIL while waiting.
    fn credentials(&self, py: Python<'_>) -> PyResult<CredentialTuple> {
        let rt = runtime()?;
        let result = py.detach(|| rt.block_on(self.inner.credentials()));
        match result {
            Ok(c) => Ok((
                c.access_key_id.clone(),
                c.secret_access_key.expose_secret().to_string(),
                c.session_token_str().map(str::to_string),
                c.expiration.map(|e| e.timestamp_millis() as f64 / 1000.0),
            )),
            Err(e) => match self.raised.lock().ok().and_then(|mut s| s.take()) {
                Some(raised) => Err(raised),
                None => Err(to_py(e)),
            },
        }
    }

    fn __repr__(&self) -> String {
        format!("Provider(profile={:?})", self.inner.profile())
    }
}
