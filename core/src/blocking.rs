//! Running blocking work (vault I/O, the cross-process lock, prompts) from async code, off the
//! runtime's worker threads. Shared by the provider, SSO and rotation, so none of them needs
//! another for it.

use crate::Result;

/// Runs `f` on tokio's blocking pool and returns its result; a panic in `f` is resumed here.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
