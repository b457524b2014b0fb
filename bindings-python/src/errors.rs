//! The exception hierarchy: `stsvault.Error` and one subclass per kind of thing a user fixes,
//! each carrying core's message (what happened and what to do).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    stsvault,
    Error,
    PyException,
    "Any stsvault error; the message says what happened and what to do."
);
create_exception!(
    stsvault,
    ConfigError,
    Error,
    "A problem with ~/.aws/config, ~/.aws/credentials or a profile in them."
);
create_exception!(
    stsvault,
    VaultError,
    Error,
    "A problem opening, reading or writing the vault."
);
create_exception!(
    stsvault,
    MfaError,
    Error,
    "No MFA code could be had, or STS rejected the one given."
);
create_exception!(
    stsvault,
    StsError,
    Error,
    "STS (or IAM Identity Center) refused or failed a call."
);
create_exception!(
    stsvault,
    CredentialSourceError,
    Error,
    "A credential_process, web identity token or SSO sign-in failed."
);

/// Adds the classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("VaultError", py.get_type::<VaultError>())?;
    m.add("MfaError", py.get_type::<MfaError>())?;
    m.add("StsError", py.get_type::<StsError>())?;
    m.add(
        "CredentialSourceError",
        py.get_type::<CredentialSourceError>(),
    )?;
    Ok(())
}

/// The exception for `e`.
pub fn to_py(e: stsvault::Error) -> PyErr {
    use stsvault::ErrorKind as K;
    let message = e.to_string();
    match e.kind() {
        K::Config => ConfigError::new_err(message),
        K::Vault => VaultError::new_err(message),
        K::Mfa => MfaError::new_err(message),
        K::Sts => StsError::new_err(message),
        K::CredentialSource => CredentialSourceError::new_err(message),
        K::Other => Error::new_err(message),
    }
}
