//! Local credential servers for commands that read credentials over HTTP instead of from their
//! environment: the ECS container-credentials endpoint ([`EcsServer`]), the EC2 instance
//! metadata service ([`Ec2MetadataServer`]) and the root-run proxy that puts the latter on
//! 169.254.169.254:80 ([`proxy`]). This module holds what they share: the accept loop, plain
//! answers, constant-time comparison and random tokens.

mod ec2;
mod ecs;
pub mod proxy;

pub use ec2::{EC2_SERVER_ADDR, Ec2MetadataServer};
pub use ecs::EcsServer;
#[cfg(feature = "fuzzing")]
pub(crate) use {ec2::fuzz_handler as ec2_fuzz_handler, ecs::fuzz_handler as ecs_fuzz_handler};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use secrecy::SecretString;
use std::future::Future;
use std::net::SocketAddr;
use zeroize::Zeroizing;

/// The IPv4 address the EC2 instance metadata service answers on.
pub const EC2_METADATA_IP: &str = "169.254.169.254";

/// A problem starting or running a server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be listened on.
    #[error(
        "could not start the local credential server on {addr}: {reason}; is another `stsvault exec` with a server running?"
    )]
    Bind {
        /// The address tried.
        addr: String,
        /// Why it failed.
        reason: String,
    },
    /// No random token could be made.
    #[error("could not make a random token for the local credential server: {0}")]
    Random(String),
    /// 169.254.169.254 could not be added to the loopback interface.
    #[error(
        "could not add 169.254.169.254 to the loopback interface ({0}); `stsvault proxy` must run as root"
    )]
    Alias(String),
}

/// An answer a handler gives.
pub(crate) type Answer = Response<Full<Bytes>>;

/// A handler's answer still to come, as the fuzz targets' handlers return it.
#[cfg(feature = "fuzzing")]
pub(crate) type BoxedAnswer = std::pin::Pin<Box<dyn Future<Output = Answer> + Send>>;

/// Serves HTTP/1 on `listener` until the returned task is aborted, handing each request and
/// its peer's address to `handler`.
pub(crate) fn spawn_serve<H, F>(
    listener: tokio::net::TcpListener,
    handler: H,
) -> tokio::task::JoinHandle<()>
where
    H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Answer> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(serve_connection(stream, peer, handler.clone()));
        }
    })
}

/// Serves HTTP/1 on one connection from `peer` until it closes. The accept loop runs it for
/// every TCP connection; the fuzz targets ([`crate::fuzzing`]) run it over in-memory pipes.
pub(crate) async fn serve_connection<IO, H, F>(io: IO, peer: SocketAddr, handler: H)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    H: Fn(SocketAddr, Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Answer> + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let answer = handler(peer, req);
        async move { Ok::<_, std::convert::Infallible>(answer.await) }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service);
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "credential server connection");
    }
}

/// Binds a TCP listener on `addr`, naming the address in the error; also returns the address
/// actually bound (the port chosen when `addr` asks for port 0).
pub(crate) async fn bind(addr: SocketAddr) -> crate::Result<(tokio::net::TcpListener, SocketAddr)> {
    let failed = |e: std::io::Error| ServerError::Bind {
        addr: addr.to_string(),
        reason: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

/// The `Host` header of `req`, if it is text.
pub(crate) fn host_of<B>(req: &Request<B>) -> Option<&str> {
    req.headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
}

/// A text answer with `status`.
pub(crate) fn plain(status: StatusCode, text: &str) -> Answer {
    let mut r = Response::new(Full::new(Bytes::copy_from_slice(text.as_bytes())));
    *r.status_mut() = status;
    r
}

/// A 200 JSON answer; the text may hold a secret and is wiped by the caller.
pub(crate) fn json(body: &Zeroizing<String>) -> Answer {
    let mut response = Response::new(Full::new(Bytes::copy_from_slice(body.as_bytes())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Equal slices compare in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes, base64url: per-run authorization tokens and metadata session tokens.
pub(crate) fn random_token() -> crate::Result<SecretString> {
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
    use secrecy::ExposeSecret;

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
