//! `stsvault` for Node: the native addon under the npm package's JavaScript layer. A thin layer
//! over core's [`OpenOptions`](stsvault::embed::OpenOptions): it turns a JS options object into
//! options, runs everything that waits (the vault, STS, a prompt) on napi's tokio runtime so the
//! event loop never blocks, calls a JS `mfaCodeProvider` through a threadsafe function, and
//! answers with either the result or a [`Failure`](errors::Failure) that `index.js` turns into
//! an `Error` subclass. The JavaScript surface (`credentials`, `fromVault`, the Serverless plugin)
//! is in `index.js` and `serverless.js`.

mod errors;
mod options;
mod prompt;
mod provider;

pub use errors::Failure;
pub use options::Options;
pub use provider::{Provider, SessionCredentials};
