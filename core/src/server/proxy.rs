//! `stsvault proxy`: puts the metadata server of `exec --ec2-server` on the address every SDK
//! tries by default, 169.254.169.254:80. Run as root, it adds that address to the loopback
//! interface (unless it is already there), listens on it, forwards each request unchanged to
//! the metadata server, and on `GET /stop` or when told to end takes the address away again.
//! Only connections from this machine are forwarded.

use super::{Answer, EC2_METADATA_IP, ServerError, bind, plain, spawn_serve};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The metadata address and port.
pub const EC2_METADATA_ADDR: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)), 80);

/// Serves the proxy, forwarding to `upstream`, until `/stop` is asked for or `until`
/// completes; then removes the address if this call added it.
pub async fn run(upstream: SocketAddr, until: impl Future<Output = ()>) -> crate::Result<()> {
    let added = if address_present() {
        false
    } else {
        alias(true)?;
        true
    };
    let served = serve(upstream, until).await;
    if added && let Err(e) = alias(false) {
        eprintln!("stsvault: {e}");
    }
    served
}

async fn serve(upstream: SocketAddr, until: impl Future<Output = ()>) -> crate::Result<()> {
    let (listener, _) = bind(EC2_METADATA_ADDR).await?;
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopper = Arc::clone(&stop);
    let task = spawn_serve(listener, move |peer, req| {
        let stopper = Arc::clone(&stopper);
        async move { answer(upstream, &stopper, peer, req).await }
    });
    tracing::info!(%upstream, "EC2 metadata proxy on {EC2_METADATA_ADDR}");
    tokio::select! {
        () = stop.notified() => {}
        () = until => {}
    }
    task.abort();
    Ok(())
}

/// True when 169.254.169.254 is an address of this machine and something accepts connections
/// on its port 80 (elsewhere the address belongs to the network: a real metadata service, or a
/// gateway that answers everything).
pub async fn is_running() -> bool {
    address_present()
        && matches!(
            tokio::time::timeout(
                Duration::from_millis(200),
                tokio::net::TcpStream::connect(EC2_METADATA_ADDR)
            )
            .await,
            Ok(Ok(_))
        )
}

/// Asks a running proxy to stop; true when it said it would.
pub async fn stop() -> bool {
    let req = Request::get("/stop")
        .header(hyper::header::HOST, EC2_METADATA_IP)
        .body(Empty::<Bytes>::new());
    match req {
        Ok(req) => send(EC2_METADATA_ADDR, req)
            .await
            .is_ok_and(|r| r.status().is_success()),
        Err(_) => false,
    }
}

async fn answer(
    upstream: SocketAddr,
    stop: &tokio::sync::Notify,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Answer {
    let local = peer.ip().is_loopback() || peer.ip() == EC2_METADATA_ADDR.ip();
    if !local {
        tracing::debug!(%peer, "refused a metadata request from another machine");
        return plain(StatusCode::FORBIDDEN, "forbidden\n");
    }
    if req.uri().path() == "/stop" {
        stop.notify_one();
        return plain(StatusCode::OK, "stopping\n");
    }
    match send(upstream, req).await {
        Ok(r) => r,
        Err(e) => plain(
            StatusCode::BAD_GATEWAY,
            &format!("no metadata server at {upstream}: {e}\n"),
        ),
    }
}

/// Sends `req` as it is (path, headers and body) over a new connection to `addr`.
async fn send<B>(addr: SocketAddr, req: Request<B>) -> Result<Answer, String>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let response = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// True when 169.254.169.254 is already an address of this machine.
fn address_present() -> bool {
    std::net::TcpListener::bind((EC2_METADATA_ADDR.ip(), 0)).is_ok()
}

/// Adds (`add`) or removes 169.254.169.254 on the loopback interface.
fn alias(add: bool) -> crate::Result<()> {
    let (program, args) = alias_command(add)?;
    let output = std::process::Command::new(program)
        .args(&args)
        .output()
        .map_err(|e| ServerError::Alias(format!("{program}: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(ServerError::Alias(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
        .into())
    }
}

#[cfg(target_os = "linux")]
fn alias_command(add: bool) -> crate::Result<(&'static str, Vec<&'static str>)> {
    let verb = if add { "add" } else { "del" };
    Ok((
        "ip",
        vec![
            "addr",
            verb,
            "169.254.169.254/32",
            "dev",
            "lo",
            "label",
            "lo:stsvault",
        ],
    ))
}

#[cfg(any(
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
))]
fn alias_command(add: bool) -> crate::Result<(&'static str, Vec<&'static str>)> {
    let verb = if add { "alias" } else { "-alias" };
    Ok(("ifconfig", vec!["lo0", verb, EC2_METADATA_IP]))
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
)))]
fn alias_command(_add: bool) -> crate::Result<(&'static str, Vec<&'static str>)> {
    Err(ServerError::Alias(
        "this system has no supported way to add it; add 169.254.169.254 to the loopback interface by hand"
            .into(),
    )
    .into())
}
