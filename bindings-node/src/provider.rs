//! `Provider`: one profile's credentials through core's provider — memoized, read from and
//! written to the shared session cache, single-flight — so every call after the first is
//! answered without STS or a prompt while the session lasts. Constructing one does no I/O; the
//! config is read and the vault opened on the first call, off the JS thread.

use crate::errors::Failure;
use crate::options::Options;
use crate::prompt::{CodeFunction, JsPrompt};
use napi::Either;
use napi::bindgen_prelude::{FnArgs, Function, Promise};
use napi_derive::napi;
use secrecy::ExposeSecret;
use std::sync::Arc;
use stsvault::CredentialsProvider;
use stsvault::embed::OpenOptions;
use tokio::sync::OnceCell;

/// Credentials as the AWS SDK for JavaScript's identity holds them; `expiration` in
/// milliseconds since the epoch (the JS layer makes it a `Date`).
#[napi(object)]
pub struct SessionCredentials {
    /// The access key id (`ASIA…` for sessions).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
    /// When temporary credentials stop working.
    pub expiration: Option<f64>,
}

/// The state a provider opens on first use.
struct Opening {
    profile: String,
    options: Result<OpenOptions, Failure>,
    provider: OnceCell<CredentialsProvider>,
}

/// A profile's credentials provider.
#[napi]
pub struct Provider {
    opening: Arc<Opening>,
}

#[napi]
impl Provider {
    /// A provider for `profile`; `mfaCodeProvider(serial, profile)` answers MFA prompts
    /// (the terminal when absent).
    #[napi(constructor)]
    // Spelled out, not `prompt::CodeArgs`: napi's type generator needs it to write
    // `(arg0: string, arg1: string) => Promise<string>` into native.d.ts.
    #[allow(clippy::type_complexity)]
    pub fn new(
        profile: String,
        options: Option<Options>,
        mfa_code_provider: Option<Function<FnArgs<(String, String)>, Promise<String>>>,
    ) -> napi::Result<Self> {
        let mut options = options.unwrap_or_default().to_open_options();
        if let (Ok(o), Some(f)) = (&mut options, mfa_code_provider) {
            let function: CodeFunction = f
                .build_threadsafe_function()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?;
            o.prompt = Some(Arc::new(JsPrompt::new(function)));
        }
        Ok(Provider {
            opening: Arc::new(Opening {
                profile,
                options,
                provider: OnceCell::new(),
            }),
        })
    }

    /// The profile served.
    #[napi(getter)]
    pub fn profile(&self) -> String {
        self.opening.profile.clone()
    }

    /// Fresh credentials (from memory, the cache or STS), or the failure.
    #[napi]
    pub async fn credentials(&self) -> napi::Result<Either<SessionCredentials, Failure>> {
        let opening = Arc::clone(&self.opening);
        let provider = match opening.provider.get_or_try_init(|| open(&opening)).await {
            Ok(p) => p,
            Err(f) => return Ok(Either::B(f)),
        };
        Ok(match provider.credentials().await {
            Ok(c) => Either::A(SessionCredentials {
                access_key_id: c.access_key_id.clone(),
                secret_access_key: c.secret_access_key.expose_secret().to_string(),
                session_token: c.session_token_str().map(str::to_string),
                expiration: c.expiration.map(|e| e.timestamp_millis() as f64),
            }),
            Err(e) => Either::B(e.into()),
        })
    }
}

/// Reads the config and opens the vault on a blocking thread. Concurrent first calls share one
/// opening; a failed one is tried again by the next call (a vault unlocked meanwhile).
async fn open(opening: &Opening) -> Result<CredentialsProvider, Failure> {
    let options = opening.options.clone()?;
    let profile = opening.profile.clone();
    tokio::task::spawn_blocking(move || options.provider(&profile))
        .await
        .map_err(|e| Failure::new("StsvaultError", format!("opening the vault failed: {e}")))?
        .map_err(Failure::from)
}
