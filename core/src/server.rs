//! The local credential server behind `exec --ecs-server`: the container-credentials endpoint
//! the AWS SDKs and CLI read through `AWS_CONTAINER_CREDENTIALS_FULL_URI` and
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`. It listens on 127.0.0.1 only, answers only requests that
//! come from loopback, name this server in `Host` and carry the random per-run token (compared
//! in constant time), and asks the provider on every request, so sessions are renewed as they
//! near expiry.

use crate::export::iso8601;
use crate::provider::CredentialsProvider;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A running credential server; it stops when dropped.
pub struct CredentialServer {
    url: String,
    token: SecretString,
    task: tokio::task::JoinHandle<()>,
}

struct State {
    provider: CredentialsProvider,
    token: SecretString,
    port: u16,
}

impl CredentialServer {
    /// Starts serving `provider`'s credentials on a free port of 127.0.0.1. Unless `lazy`, the
    /// credentials are fetched first, so an MFA prompt happens before the command starts.
    pub async fn start(provider: CredentialsProvider, lazy: bool) -> crate::Result<Self> {
        if !lazy {
            provider.credentials().await?;
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| ServerError::Bind(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| ServerError::Bind(e.to_string()))?
            .port();
        let token = random_token()?;
        let state = Arc::new(State {
            provider,
            token: token.clone(),
            port,
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, std::convert::Infallible>(answer(&state, peer, req).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "credential server connection");
                    }
                });
            }
        });
        Ok(CredentialServer {
            url: format!("http://127.0.0.1:{port}/"),
            token,
            task,
        })
    }

    /// The URL for `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The token for `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub fn token(&self) -> &SecretString {
        &self.token
    }
}

impl Drop for CredentialServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A problem starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// No local port could be opened.
    #[error("could not start the local credential server on 127.0.0.1: {0}")]
    Bind(String),
    /// No random token could be made.
    #[error("could not make a random token for the local credential server: {0}")]
    Random(String),
}

async fn answer(state: &State, peer: SocketAddr, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let host_ok = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| {
            h == format!("127.0.0.1:{}", state.port) || h == format!("localhost:{}", state.port)
        });
    let token_ok = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .is_some_and(|v| constant_time_eq(v.as_bytes(), state.token.expose_secret().as_bytes()));
    if !peer.ip().is_loopback() || !host_ok || !token_ok {
        tracing::debug!(%peer, host_ok, token_ok, "refused a credential request");
        return plain(StatusCode::FORBIDDEN, "forbidden\n");
    }
    if req.method() != hyper::Method::GET {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET only\n");
    }
    match state.provider.credentials().await {
        Ok(c) => {
            let mut doc = serde_json::json!({
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key.expose_secret(),
                "Token": c.session_token_str().unwrap_or_default(),
            });
            if let Some(exp) = c.expiration {
                doc["Expiration"] = iso8601(&exp).into();
            }
            let body = Zeroizing::new(doc.to_string());
            let mut response = Response::new(Full::new(Bytes::copy_from_slice(body.as_bytes())));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => {
            eprintln!("stsvault: credential server: {e}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n"))
        }
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::copy_from_slice(text.as_bytes())));
    *r.status_mut() = status;
    r
}

/// Equal slices compare in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes, base64url: the per-run authorization token.
fn random_token() -> crate::Result<SecretString> {
    use base64::Engine;
    let mut bytes = Zeroizing::new([0u8; 32]);
    rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(bytes.as_mut())
        .map_err(|e| ServerError::Random(format!("{e:?}")))?;
    Ok(SecretString::from(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.expose_secret().len(), 43);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
