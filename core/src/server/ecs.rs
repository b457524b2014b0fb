//! The server behind `exec --ecs-server`: the container-credentials endpoint the AWS SDKs and
//! CLI read through `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
//! It listens on 127.0.0.1 only, answers only requests that come from loopback, name this
//! server in `Host` and carry the random per-run token (compared in constant time), and asks
//! the provider on every request, so sessions are renewed as they near expiry.

use super::{Answer, bind, constant_time_eq, host_of, json, plain, random_token, spawn_serve};
use crate::export::iso8601;
use crate::provider::CredentialsProvider;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use zeroize::Zeroizing;

/// A running ECS credential server; it stops when dropped.
pub struct EcsServer {
    url: String,
    token: SecretString,
    task: tokio::task::JoinHandle<()>,
}

struct State {
    provider: CredentialsProvider,
    token: SecretString,
    port: u16,
}

impl EcsServer {
    /// Starts serving `provider`'s credentials on a free port of 127.0.0.1. Unless `lazy`, the
    /// credentials are fetched first, so an MFA prompt happens before the command starts.
    pub async fn start(provider: CredentialsProvider, lazy: bool) -> crate::Result<Self> {
        if !lazy {
            provider.credentials().await?;
        }
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let (listener, bound) = bind(addr).await?;
        let port = bound.port();
        let token = random_token()?;
        let state = Arc::new(State {
            provider,
            token: token.clone(),
            port,
        });
        let task = spawn_serve(listener, move |peer, req| {
            let state = Arc::clone(&state);
            async move { answer(&state, peer, req).await }
        });
        Ok(EcsServer {
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

impl Drop for EcsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The request handler of a server on `port` with the authorization `token`, as
/// [`EcsServer::start`] runs it, for the fuzz targets ([`crate::fuzzing`]).
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_handler(
    provider: CredentialsProvider,
    token: SecretString,
    port: u16,
) -> impl Fn(SocketAddr, Request<Incoming>) -> super::BoxedAnswer + Clone + Send + Sync + 'static {
    let state = Arc::new(State {
        provider,
        token,
        port,
    });
    move |peer, req| {
        let state = Arc::clone(&state);
        Box::pin(async move { answer(&state, peer, req).await })
    }
}

/// Whether a request may have the credentials: it comes from a loopback peer, names this
/// server (`127.0.0.1:PORT` or `localhost:PORT`) in `Host` — so a page whose DNS name was
/// rebound to 127.0.0.1 is refused — and carries the token.
fn admitted(
    peer: SocketAddr,
    host: Option<&str>,
    authorization: Option<&[u8]>,
    port: u16,
    token: &str,
) -> bool {
    let host_ok =
        host.is_some_and(|h| h == format!("127.0.0.1:{port}") || h == format!("localhost:{port}"));
    let token_ok = authorization.is_some_and(|v| constant_time_eq(v, token.as_bytes()));
    let admitted = peer.ip().is_loopback() && host_ok && token_ok;
    if !admitted {
        tracing::debug!(%peer, host_ok, token_ok, "refused a credential request");
    }
    admitted
}

async fn answer(state: &State, peer: SocketAddr, req: Request<Incoming>) -> Answer {
    let authorization = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    if !admitted(
        peer,
        host_of(&req),
        authorization,
        state.port,
        state.token.expose_secret(),
    ) {
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
            json(&Zeroizing::new(doc.to_string()))
        }
        Err(e) => {
            eprintln!("stsvault: credential server: {e}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "the-token";
    const PORT: u16 = 4321;

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 50000)
    }

    #[test]
    fn only_loopback_peers_naming_this_server_with_the_token_are_admitted() {
        let ok = |p: &str, host: Option<&str>, auth: Option<&str>| {
            admitted(peer(p), host, auth.map(str::as_bytes), PORT, TOKEN)
        };
        let host = Some("127.0.0.1:4321");
        assert!(ok("127.0.0.1", host, Some(TOKEN)));
        assert!(ok("127.0.0.1", Some("localhost:4321"), Some(TOKEN)));
        assert!(
            ok("127.8.9.10", host, Some(TOKEN)),
            "all of 127/8 is loopback"
        );
        assert!(ok("::1", host, Some(TOKEN)));
        // Peers that are not loopback, whatever they send.
        for p in [
            "192.0.2.7",
            "10.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "::ffff:192.0.2.7",
            "2001:db8::1",
        ] {
            assert!(!ok(p, host, Some(TOKEN)), "{p} refused");
        }
        // A missing, wrong, truncated, extended or decorated token.
        for auth in [
            None,
            Some(""),
            Some("the-tokem"),
            Some("the-toke"),
            Some("the-token "),
            Some("Bearer the-token"),
            Some("THE-TOKEN"),
        ] {
            assert!(!ok("127.0.0.1", host, auth), "{auth:?} refused");
        }
        // Host headers a rebound DNS name, another port or no port would send.
        for h in [
            None,
            Some(""),
            Some("attacker.example:4321"),
            Some("127.0.0.1"),
            Some("127.0.0.1:80"),
            Some("localhost"),
            Some("127.0.0.1.attacker.example:4321"),
            Some("localhost.attacker.example:4321"),
            Some("127.0.0.1:43210"),
        ] {
            assert!(!ok("127.0.0.1", h, Some(TOKEN)), "{h:?} refused");
        }
    }
}
