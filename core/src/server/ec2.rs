//! The server behind `exec --ec2-server`: the parts of the EC2 instance metadata service
//! (IMDS) the AWS SDKs read for credentials and region. It listens on 127.0.0.1:9099; the SDKs
//! reach it either directly through `AWS_EC2_METADATA_SERVICE_ENDPOINT` or at
//! 169.254.169.254:80 through `stsvault proxy`.
//!
//! Only IMDSv2 is spoken: every read needs a session token from `PUT /latest/api/token`, the
//! way an instance with `HttpTokens=required` behaves, so a request forged through some local
//! web application (which cannot send a PUT with custom headers) gets nothing. Requests must
//! come from loopback and name the metadata address or this server in `Host` (no DNS
//! rebinding); token requests carrying `X-Forwarded-For` are refused, as AWS does.

use super::{
    Answer, EC2_METADATA_IP, bind, constant_time_eq, host_of, json, plain, random_token,
    spawn_serve,
};
use crate::export::iso8601;
use crate::provider::CredentialsProvider;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Where `exec --ec2-server` listens unless told otherwise, as aws-vault does.
pub const EC2_SERVER_ADDR: &str = "127.0.0.1:9099";

/// The name under which the role's credentials are listed.
const ROLE_NAME: &str = "local-credentials";
/// The header that asks for a session token and says how long it lives.
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// The header that carries a session token.
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// The longest a session token may live (six hours, as on EC2).
const MAX_TTL_SECONDS: u64 = 21_600;
/// Session tokens kept at once; the oldest goes first.
const MAX_TOKENS: usize = 256;
/// The lifetime announced for credentials that have none (long-term keys).
const UNDATED_CREDENTIALS_TTL: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// A running metadata server; it stops when dropped.
pub struct Ec2MetadataServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

struct State {
    provider: CredentialsProvider,
    region: Option<String>,
    addr: SocketAddr,
    tokens: Mutex<Vec<(SecretString, Instant)>>,
}

impl Ec2MetadataServer {
    /// Fetches `provider`'s credentials (so an MFA prompt happens before the command starts),
    /// then serves them, and `region`, on `addr`.
    pub async fn start(
        provider: CredentialsProvider,
        region: Option<String>,
        addr: SocketAddr,
    ) -> crate::Result<Self> {
        provider.credentials().await?;
        let (listener, addr) = bind(addr).await?;
        let state = Arc::new(State {
            provider,
            region: region.filter(|r| !r.is_empty()),
            addr,
            tokens: Mutex::new(Vec::new()),
        });
        let task = spawn_serve(listener, move |peer, req| {
            let state = Arc::clone(&state);
            async move { answer(&state, peer, req).await }
        });
        Ok(Ec2MetadataServer { addr, task })
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL for `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Ec2MetadataServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The request handler of a server on `addr`, as [`Ec2MetadataServer::start`] runs it, with
/// `session_token` already issued (valid for six hours), for the fuzz targets
/// ([`crate::fuzzing`]).
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_handler(
    provider: CredentialsProvider,
    region: Option<String>,
    addr: SocketAddr,
    session_token: SecretString,
) -> impl Fn(SocketAddr, Request<Incoming>) -> super::BoxedAnswer + Clone + Send + Sync + 'static {
    let until = Instant::now() + Duration::from_secs(MAX_TTL_SECONDS);
    let state = Arc::new(State {
        provider,
        region,
        addr,
        tokens: Mutex::new(vec![(session_token, until)]),
    });
    move |peer, req| {
        let state = Arc::clone(&state);
        Box::pin(async move { answer(&state, peer, req).await })
    }
}

async fn answer(state: &State, peer: SocketAddr, req: Request<Incoming>) -> Answer {
    let host_ok = host_of(&req).is_some_and(|h| host_allowed(h, state.addr));
    if !peer.ip().is_loopback() || !host_ok {
        tracing::debug!(%peer, host_ok, "refused a metadata request");
        return plain(StatusCode::FORBIDDEN, "forbidden\n");
    }
    let path = req.uri().path().trim_end_matches('/').to_string();
    if path == "/latest/api/token" {
        return if req.method() == Method::PUT {
            issue_token(state, &req)
        } else {
            plain(StatusCode::METHOD_NOT_ALLOWED, "PUT only\n")
        };
    }
    if req.method() != Method::GET {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET only\n");
    }
    let token_ok = req
        .headers()
        .get(TOKEN_HEADER)
        .is_some_and(|t| token_valid(state, t.as_bytes()));
    if !token_ok {
        tracing::debug!(%peer, "refused a metadata request without a valid session token");
        return plain(StatusCode::UNAUTHORIZED, "unauthorized\n");
    }
    match path.as_str() {
        "/latest/meta-data/iam/security-credentials" => plain(StatusCode::OK, ROLE_NAME),
        p if p == format!("/latest/meta-data/iam/security-credentials/{ROLE_NAME}") => {
            credentials(state).await
        }
        "/latest/meta-data/instance-id" => plain(StatusCode::OK, "i-stsvault"),
        "/latest/meta-data/iam/info" => json(&Zeroizing::new(r#"{"Code":"Success"}"#.to_string())),
        "/latest/meta-data/placement/region" => match &state.region {
            Some(r) => plain(StatusCode::OK, r),
            None => plain(StatusCode::NOT_FOUND, "no region\n"),
        },
        "/latest/dynamic/instance-identity/document" => match &state.region {
            Some(r) => json(&Zeroizing::new(
                serde_json::json!({ "region": r }).to_string(),
            )),
            None => plain(StatusCode::NOT_FOUND, "no region\n"),
        },
        _ => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// `Host` may name the metadata address or this server, nothing else.
fn host_allowed(host: &str, addr: SocketAddr) -> bool {
    host == EC2_METADATA_IP
        || host == format!("{EC2_METADATA_IP}:80")
        || host == addr.to_string()
        || host == format!("localhost:{}", addr.port())
}

/// `PUT /latest/api/token`: a new session token living the seconds asked for.
fn issue_token(state: &State, req: &Request<Incoming>) -> Answer {
    if req.headers().contains_key("x-forwarded-for") {
        return plain(
            StatusCode::FORBIDDEN,
            "forwarded token requests are refused\n",
        );
    }
    let ttl = req
        .headers()
        .get(TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|t| (1..=MAX_TTL_SECONDS).contains(t));
    let Some(ttl) = ttl else {
        return plain(
            StatusCode::BAD_REQUEST,
            "x-aws-ec2-metadata-token-ttl-seconds must be 1 to 21600\n",
        );
    };
    let token = match random_token() {
        Ok(t) => t,
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    let now = Instant::now();
    if let Ok(mut tokens) = state.tokens.lock() {
        tokens.retain(|(_, until)| *until > now);
        if tokens.len() >= MAX_TOKENS {
            tokens.remove(0);
        }
        tokens.push((token.clone(), now + Duration::from_secs(ttl)));
    }
    let mut answer = plain(StatusCode::OK, token.expose_secret());
    if let Ok(v) = hyper::header::HeaderValue::from_str(&ttl.to_string()) {
        answer.headers_mut().insert(TTL_HEADER, v);
    }
    answer
}

/// True when `given` is a live session token; every live token is compared in full.
fn token_valid(state: &State, given: &[u8]) -> bool {
    let now = Instant::now();
    let Ok(tokens) = state.tokens.lock() else {
        return false;
    };
    tokens
        .iter()
        .filter(|(_, until)| *until > now)
        .fold(false, |found, (t, _)| {
            constant_time_eq(t.expose_secret().as_bytes(), given) | found
        })
}

/// The role's credentials in the metadata service's document format.
async fn credentials(state: &State) -> Answer {
    match state.provider.credentials().await {
        Ok(c) => {
            let now = chrono::Utc::now();
            let expiration = c.expiration.unwrap_or(now + UNDATED_CREDENTIALS_TTL);
            let doc = serde_json::json!({
                "Code": "Success",
                "LastUpdated": iso8601(&now),
                "Type": "AWS-HMAC",
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key.expose_secret(),
                "Token": c.session_token_str().unwrap_or_default(),
                "Expiration": iso8601(&expiration),
            });
            json(&Zeroizing::new(doc.to_string()))
        }
        Err(e) => {
            eprintln!("stsvault: metadata server: {e}");
            plain(StatusCode::GATEWAY_TIMEOUT, &format!("{e}\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_metadata_address_or_the_server_itself_may_be_named() {
        let addr: SocketAddr = "127.0.0.1:9099".parse().unwrap();
        for ok in [
            "169.254.169.254",
            "169.254.169.254:80",
            "127.0.0.1:9099",
            "localhost:9099",
        ] {
            assert!(host_allowed(ok, addr), "{ok}");
        }
        for bad in ["attacker.example", "attacker.example:9099", "127.0.0.1", ""] {
            assert!(!host_allowed(bad, addr), "{bad}");
        }
    }
}
