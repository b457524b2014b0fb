//! The AWS config as a script inspects it: which profiles exist, and what one resolves to
//! (after `source_profile`, `include_profile`, `[default]` and the environment).

use crate::errors::to_py;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use stsvault::config::{EnvVars, ResolveOptions};
use stsvault::embed::OpenOptions;

fn options(config_file: Option<PathBuf>) -> OpenOptions {
    OpenOptions {
        config_file,
        ..OpenOptions::default()
    }
}

/// The config file's path, the credentials file's path and the profile names.
#[pyfunction]
#[pyo3(signature = (config_file=None))]
pub fn load_config(
    py: Python<'_>,
    config_file: Option<PathBuf>,
) -> PyResult<(PathBuf, PathBuf, Vec<String>)> {
    let config = py
        .detach(|| options(config_file).load_config())
        .map_err(to_py)?;
    Ok((
        config.config_path().to_path_buf(),
        config.credentials_path().to_path_buf(),
        config.profile_names(),
    ))
}

/// The resolved settings of `profile` that a script may want, as a dict.
#[pyfunction]
#[pyo3(signature = (profile, config_file=None))]
pub fn resolve_profile<'py>(
    py: Python<'py>,
    profile: String,
    config_file: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let p = py
        .detach(|| {
            let config = options(config_file).load_config()?;
            let resolve = ResolveOptions {
                env: EnvVars::from_process(),
                ..ResolveOptions::default()
            };
            Ok::<_, stsvault::Error>(config.resolve(&profile, &resolve)?)
        })
        .map_err(to_py)?;
    let d = PyDict::new(py);
    d.set_item("name", &p.name)?;
    d.set_item("region", &p.region)?;
    d.set_item("mfa_serial", &p.mfa_serial)?;
    d.set_item("role_arn", &p.role_arn)?;
    d.set_item("source_profile", &p.source_profile_name)?;
    d.set_item("role_session_name", &p.role_session_name)?;
    d.set_item("sso_start_url", &p.sso_start_url)?;
    d.set_item("sso_account_id", &p.sso_account_id)?;
    d.set_item("sso_role_name", &p.sso_role_name)?;
    d.set_item("credential_process", &p.credential_process)?;
    d.set_item(
        "session_token_duration",
        p.session_token_duration.as_secs_f64(),
    )?;
    d.set_item("assume_role_duration", p.assume_role_duration.as_secs_f64())?;
    Ok(d)
}
