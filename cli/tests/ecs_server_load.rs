//! The local credential server of `exec --ecs-server` under load and at its edges, driven as a
//! user drives it: the real binary against the emulator, the command a program that talks to
//! the server. (`ecs_server.rs` covers boto3, a missing token, a wrong token of the right
//! length and a foreign `Host`.)
//!
//! - 10,000 requests from 50 concurrent connections (40 keep-alive, 10 opening a connection
//!   per request) all get the session: the same AccessKeyId (the one STS issued, after one
//!   GetSessionToken), SecretAccessKey, Token and a future Expiration;
//! - refused: tokens that are longer, shorter, decorated or differ in case, `Host` headers
//!   naming another port, no port, a rebound DNS name, or missing; a 403 never carries
//!   credentials; only GET is answered;
//! - the server listens on 127.0.0.1 alone (not 0.0.0.0, not another loopback address), so no
//!   peer outside loopback can reach it — the server's own decision refuses them too, which
//!   only a unit test can show, since no such peer can connect;
//! - a server that cannot get a session (no terminal to ask for the MFA code, no
//!   `mfa_process`) answers each request at once with the prompt's error and otherwise idles:
//!   over 30 s of requests every 2 s it uses next to no CPU (aws-vault #779: `--ec2-server`
//!   spinning in a detached terminal);
//! - it stops with the command: once the command exits (with a code, or killed by a signal),
//!   or stsvault gets SIGTERM, or the terminal's Ctrl-C (SIGINT to the process group) ends the
//!   command, stsvault exits with the command's status and the port refuses connections.
//!
//! The command is this test binary run again (`ecs_child_process`, which does nothing unless
//! `STSVAULT_ECS_CHILD` is set). Nothing here prints a secret.

// Unix only: signals (SIGTERM, SIGINT to the process group) and the listening sockets in
// /proc/net/tcp.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use stsvault_test_support::{Emulator, IamUser, Sandbox, assert_success};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "loaded";
const CONNECTIONS: usize = 50;
/// Connections (of the 50) that open a new TCP connection for every request.
const RECONNECTING: usize = 10;
const REQUESTS: usize = 10_000;
const IO_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The command: a small HTTP/1.1 client of the server.

/// The server's address and token, from the variables `exec --ecs-server` sets.
fn server_from_env() -> (SocketAddr, String) {
    let uri = std::env::var("AWS_CONTAINER_CREDENTIALS_FULL_URI").expect("the server's URI");
    let authority = uri
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .expect("an http URI");
    let addr: SocketAddr = authority.parse().expect("an IP:port URI");
    assert!(
        addr.ip().is_loopback(),
        "the server is named by a loopback address"
    );
    let token = std::env::var("AWS_CONTAINER_AUTHORIZATION_TOKEN").expect("the token");
    (addr, token)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect to the server");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// Sends `request` (a whole HTTP/1.1 request) and reads one response: status and body.
fn exchange(reader: &mut BufReader<TcpStream>, request: &str) -> (u16, Vec<u8>) {
    reader
        .get_mut()
        .write_all(request.as_bytes())
        .expect("send a request");
    let mut line = String::new();
    reader.read_line(&mut line).expect("read the status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"));
    let mut length = None;
    loop {
        line.clear();
        reader.read_line(&mut line).expect("read a header");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length.expect("a Content-Length")];
    reader.read_exact(&mut body).expect("read the body");
    (status, body)
}

fn get_request(host: &str, authorization: Option<&str>, close: bool) -> String {
    let mut r = format!("GET / HTTP/1.1\r\nHost: {host}\r\n");
    if let Some(a) = authorization {
        r.push_str(&format!("Authorization: {a}\r\n"));
    }
    if close {
        r.push_str("Connection: close\r\n");
    }
    r.push_str("\r\n");
    r
}

/// FNV-1a, 64 bits: compares secrets between responses without printing them.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Checks one credentials document; returns its AccessKeyId and Expiration.
fn check_credentials(body: &[u8]) -> (String, String) {
    let doc: serde_json::Value = serde_json::from_slice(body).expect("a JSON body");
    let field = |name: &str| {
        doc[name]
            .as_str()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| panic!("no {name} in the credentials"))
            .to_string()
    };
    let _ = (field("SecretAccessKey"), field("Token"));
    (field("AccessKeyId"), field("Expiration"))
}

/// `STSVAULT_ECS_CHILD=load`: 10,000 requests over 50 connections, every answer checked.
fn load() {
    let (addr, token) = server_from_env();
    let host = addr.to_string();
    let per_connection = REQUESTS / CONNECTIONS;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(CONNECTIONS + 1));
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|n| {
            let (token, host, barrier) = (token.clone(), host.clone(), barrier.clone());
            std::thread::spawn(move || {
                let reconnecting = n < RECONNECTING;
                let mut reader = BufReader::new(connect(addr));
                barrier.wait();
                let mut bodies = std::collections::BTreeSet::new();
                let mut identity = None;
                for _ in 0..per_connection {
                    if reconnecting {
                        reader = BufReader::new(connect(addr));
                    }
                    let (status, body) =
                        exchange(&mut reader, &get_request(&host, Some(&token), reconnecting));
                    assert_eq!(status, 200, "every request is answered");
                    if bodies.insert(fingerprint(&body)) {
                        identity = Some(check_credentials(&body));
                    }
                }
                (bodies, identity.expect("at least one answer"))
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let mut distinct = std::collections::BTreeSet::new();
    let mut identities = std::collections::BTreeSet::new();
    for t in threads {
        let (bodies, identity) = t.join().expect("a client thread");
        distinct.extend(bodies);
        identities.insert(identity);
    }
    let elapsed = started.elapsed();
    let (key, expiration) = identities.into_iter().next().expect("an identity");
    println!(
        "LOAD {}",
        serde_json::json!({
            "requests": per_connection * CONNECTIONS,
            "distinct_bodies": distinct.len(),
            "access_key_id": key,
            "expiration": expiration,
            "seconds": elapsed.as_secs_f64(),
        })
    );
}

/// `STSVAULT_ECS_CHILD=refusals`: requests the server must refuse, and two it must answer.
fn refusals() {
    let (addr, token) = server_from_env();
    let host = addr.to_string();
    let port = addr.port();
    let other_port = if port == 65535 { 1 } else { port + 1 };
    let cases: Vec<(&str, String)> = vec![
        ("ok", get_request(&host, Some(&token), true)),
        (
            "ok_localhost",
            get_request(&format!("localhost:{port}"), Some(&token), true),
        ),
        (
            "token_longer",
            get_request(&host, Some(&format!("{token}x")), true),
        ),
        (
            "token_shorter",
            get_request(&host, Some(&token[..token.len() - 1]), true),
        ),
        (
            "token_bearer",
            get_request(&host, Some(&format!("Bearer {token}")), true),
        ),
        (
            "token_upper",
            get_request(&host, Some(&token.to_ascii_uppercase()), true),
        ),
        ("token_empty", get_request(&host, Some(""), true)),
        (
            "host_other_port",
            get_request(&format!("127.0.0.1:{other_port}"), Some(&token), true),
        ),
        ("host_no_port", get_request("127.0.0.1", Some(&token), true)),
        (
            "host_rebound",
            get_request(&format!("attacker.example:{port}"), Some(&token), true),
        ),
        (
            "host_lookalike",
            get_request(
                &format!("localhost.attacker.example:{port}"),
                Some(&token),
                true,
            ),
        ),
        (
            "host_missing",
            format!("GET / HTTP/1.1\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"),
        ),
        (
            "post",
            format!(
                "POST / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            ),
        ),
    ];
    let mut results = serde_json::Map::new();
    for (name, request) in cases {
        let (status, body) = exchange(&mut BufReader::new(connect(addr)), &request);
        let leaked = String::from_utf8_lossy(&body).contains("SecretAccessKey");
        results.insert(
            name.to_string(),
            serde_json::json!({"status": status, "credentials": leaked}),
        );
    }
    // Another loopback address: nothing listens there, so the server is bound to 127.0.0.1
    // alone, not to every address.
    let elsewhere = SocketAddr::from(([127, 0, 0, 2], port));
    results.insert(
        "other_loopback_address_connects".to_string(),
        TcpStream::connect_timeout(&elsewhere, IO_TIMEOUT)
            .is_ok()
            .into(),
    );
    println!("REFUSALS {}", serde_json::Value::Object(results));
}

/// `STSVAULT_ECS_CHILD=probe`: one request, `UP port pid`, then `STSVAULT_ECS_CHILD_THEN`:
/// `exit:N`, `signal:N` (killed by signal N) or `wait` (until a signal ends it, at most 2 min).
fn probe() {
    let (addr, token) = server_from_env();
    let (status, body) = exchange(
        &mut BufReader::new(connect(addr)),
        &get_request(&addr.to_string(), Some(&token), true),
    );
    assert_eq!(status, 200);
    check_credentials(&body);
    println!("UP {} {}", addr.port(), std::process::id());
    std::io::stdout().flush().expect("flush");
    let then = std::env::var("STSVAULT_ECS_CHILD_THEN").unwrap_or_default();
    if let Some(code) = then.strip_prefix("exit:") {
        std::process::exit(code.parse().expect("an exit code"));
    } else if let Some(sig) = then.strip_prefix("signal:") {
        // SAFETY: raise(3) takes a plain integer.
        unsafe { libc::raise(sig.parse().expect("a signal number")) };
    }
    std::thread::sleep(Duration::from_secs(120));
    std::process::exit(99);
}

/// CPU time (user + system, all threads) process `pid` has used so far, from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // The fields after the command name, which is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf takes a plain integer.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 / per_second
}

/// `STSVAULT_ECS_CHILD=stale`: for 30 s, one request every 2 s to a server that cannot get
/// credentials; reports each answer's status and time, and the CPU the server (this
/// command's parent, stsvault) used meanwhile.
fn stale() {
    let (addr, token) = server_from_env();
    let server = std::os::unix::process::parent_id();
    let window = Duration::from_secs(30);
    let started = Instant::now();
    let cpu_before = cpu_seconds(server);
    let mut statuses = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut bodies = std::collections::BTreeSet::new();
    while started.elapsed() < window {
        let asked = Instant::now();
        let (status, body) = exchange(
            &mut BufReader::new(connect(addr)),
            &get_request(&addr.to_string(), Some(&token), true),
        );
        slowest = slowest.max(asked.elapsed());
        statuses.push(status);
        bodies.insert(String::from_utf8_lossy(&body).trim().to_string());
        std::thread::sleep(Duration::from_secs(2).saturating_sub(asked.elapsed()));
    }
    let cpu = cpu_seconds(server) - cpu_before;
    let report = serde_json::json!({
        "statuses": statuses,
        "bodies": bodies,
        "slowest_ms": slowest.as_millis() as u64,
        "cpu_seconds": cpu,
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("STALE {report}");
}

/// The command's entry point: does nothing in a normal test run.
#[test]
fn ecs_child_process() {
    let mode = std::env::var("STSVAULT_ECS_CHILD").unwrap_or_default();
    if !mode.is_empty() {
        // End the test harness's "test ecs_child_process ... " line: reports have their own.
        println!();
    }
    match mode.as_str() {
        "load" => load(),
        "refusals" => refusals(),
        "probe" => probe(),
        "stale" => stale(),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// The tests.

fn setup() -> (Emulator, IamUser, Sandbox) {
    Sandbox::mfa_process_world(BIN, PROFILE, "us-east-1")
}

/// `stsvault exec --ecs-server PROFILE -- <this binary as the command in `mode`>`.
fn exec_child(sandbox: &Sandbox, mode: &str, then: &str) -> Command {
    exec_child_with(sandbox, &[], mode, then)
}

/// [`exec_child`] with more of exec's `flags`.
fn exec_child_with(sandbox: &Sandbox, flags: &[&str], mode: &str, then: &str) -> Command {
    let mut cmd = sandbox.command(BIN);
    cmd.args(["exec", "--ecs-server"])
        .args(flags)
        .args([PROFILE, "--"])
        .arg(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "ecs_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STSVAULT_ECS_CHILD", mode)
        .env("STSVAULT_ECS_CHILD_THEN", then);
    cmd
}

fn line_after<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in: {text}"))
}

#[test]
fn ten_thousand_requests_from_fifty_connections_all_get_the_session() {
    let (emulator, _user, sandbox) = setup();
    let out = exec_child(&sandbox, "load", "").output().expect("run exec");
    assert_success(&out);
    let report: serde_json::Value =
        serde_json::from_str(line_after(&String::from_utf8_lossy(&out.stdout), "LOAD "))
            .expect("LOAD JSON");
    assert_eq!(report["requests"], REQUESTS);
    assert_eq!(
        report["distinct_bodies"], 1,
        "every answer is the same session"
    );
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1, "one STS call for all of them");
    assert_eq!(
        report["access_key_id"].as_str(),
        gst[0].issued_access_key_id.as_deref(),
        "the session STS issued"
    );
    let expiration =
        chrono::DateTime::parse_from_rfc3339(report["expiration"].as_str().expect("an expiration"))
            .expect("an RFC 3339 expiration");
    assert!(expiration > chrono::Utc::now(), "a session still valid");
    let seconds = report["seconds"].as_f64().unwrap_or_default();
    eprintln!(
        "{REQUESTS} requests over {CONNECTIONS} connections in {seconds:.2} s ({:.0} requests/s)",
        REQUESTS as f64 / seconds.max(1e-9)
    );
}

#[test]
fn a_server_that_cannot_get_a_session_answers_at_once_and_idles() {
    let (emulator, user, sandbox) = setup();
    // The same profile without its mfa_process: a new session needs a code typed at a
    // terminal, and the command runs with none. `--lazy` starts the server without one.
    sandbox.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {}\nregion = us-east-1\n",
        user.mfa_serial
    ));
    let out = exec_child_with(&sandbox, &["--lazy"], "stale", "")
        .output()
        .expect("run exec");
    assert_success(&out);
    let report: serde_json::Value =
        serde_json::from_str(line_after(&String::from_utf8_lossy(&out.stdout), "STALE "))
            .expect("STALE JSON");
    let statuses = report["statuses"].as_array().expect("statuses");
    assert!(
        statuses.len() >= 10,
        "a request every 2 s for 30 s: {report}"
    );
    assert!(
        statuses.iter().all(|s| s == 500),
        "every request gets an error, none credentials: {report}"
    );
    let bodies = report["bodies"].as_array().expect("bodies");
    assert_eq!(bodies.len(), 1, "the same error each time: {report}");
    assert!(
        bodies[0].as_str().unwrap_or_default().contains("terminal"),
        "the error says a terminal was needed: {report}"
    );
    assert!(
        report["slowest_ms"].as_u64().unwrap_or(u64::MAX) < 5_000,
        "each answer comes at once, none waits on a prompt: {report}"
    );
    let cpu = report["cpu_seconds"].as_f64().expect("cpu_seconds");
    eprintln!("server CPU over 30 s of failing requests: {cpu:.2} s");
    assert!(
        cpu < 1.0,
        "the server idles between requests (a spinning loop would use ~30 s): {report}"
    );
    assert!(
        emulator.sts_calls("GetSessionToken").is_empty(),
        "no STS call without an MFA code"
    );
}

#[test]
fn strangers_are_refused_and_the_server_listens_on_127_0_0_1_alone() {
    let (_emulator, _user, sandbox) = setup();
    let out = exec_child(&sandbox, "refusals", "")
        .output()
        .expect("run exec");
    assert_success(&out);
    let seen: serde_json::Value = serde_json::from_str(line_after(
        &String::from_utf8_lossy(&out.stdout),
        "REFUSALS ",
    ))
    .expect("REFUSALS JSON");
    eprintln!("answers: {seen}");
    let results = seen.as_object().expect("an object");
    for (name, result) in results {
        if name == "other_loopback_address_connects" {
            assert_eq!(result, false, "nothing listens on 127.0.0.2");
            continue;
        }
        let status = result["status"].as_u64().expect("a status");
        let want = match name.as_str() {
            "ok" | "ok_localhost" => 200,
            "post" => 405,
            _ => 403,
        };
        assert_eq!(status, want, "{name}");
        assert_eq!(
            result["credentials"],
            want == 200,
            "{name}: credentials only in answers to admitted requests"
        );
    }
    assert!(results.len() >= 14, "every case ran: {seen}");
}

/// True when something accepts connections on 127.0.0.1:`port`.
fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(5),
    )
    .is_ok()
}

/// True while process `pid` exists.
fn alive(pid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// The addresses the kernel lists as listening on `port` (`/proc/net/tcp` and `tcp6`, hex).
fn listening_addresses(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
                continue;
            };
            let Some((ip, p)) = local.rsplit_once(':') else {
                continue;
            };
            if *state == "0A" && u16::from_str_radix(p, 16).ok() == Some(port) {
                found.push(ip.to_string());
            }
        }
    }
    found
}

/// Starts `exec` with a probing command that then does `then`, waits for its `UP` line while
/// checking the listening socket, and returns stsvault, the port and the command's pid.
fn start_probe(sandbox: &Sandbox, then: &str) -> (std::process::Child, u16, i32) {
    let mut child = exec_child(sandbox, "probe", then)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run exec");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("UP ") {
                let _ = tx.send(rest.to_string());
            }
        }
    });
    let up = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(up) => up,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the command never reported the server up");
        }
    };
    let mut parts = up.split_whitespace();
    let port: u16 = parts.next().and_then(|p| p.parse().ok()).expect("port");
    let pid: i32 = parts.next().and_then(|p| p.parse().ok()).expect("pid");
    (child, port, pid)
}

fn wait_bounded(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait for stsvault") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("stsvault did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_server_stops_with_the_command_however_it_ends() {
    let (_emulator, _user, sandbox) = setup();
    // (what the command does, or what we do to stsvault; the exit code stsvault must give)
    let scenarios: [(&str, i32); 5] = [
        ("exit:0", 0),
        ("exit:3", 3),
        ("signal:9", 128 + 9),
        ("sigterm-to-stsvault", 128 + libc::SIGTERM),
        ("ctrl-c", 128 + libc::SIGINT),
    ];
    for (scenario, code) in scenarios {
        let then = if scenario.contains(':') {
            scenario
        } else {
            "wait"
        };
        let (mut child, port, pid) = start_probe(&sandbox, then);
        if then == "wait" {
            // While the command runs: the server listens on 127.0.0.1 only.
            let listening = listening_addresses(port);
            assert_eq!(
                listening,
                ["0100007F"],
                "{scenario}: one listening socket, on 127.0.0.1"
            );
            let stsvault = i32::try_from(child.id()).expect("pid");
            // SAFETY: kill(2)/killpg(2) on our own child and its process group (the sandbox
            // runs it in a new session, so the group is its own and its command's).
            unsafe {
                if scenario == "ctrl-c" {
                    libc::killpg(stsvault, libc::SIGINT);
                } else {
                    libc::kill(stsvault, libc::SIGTERM);
                }
            }
        }
        let status = wait_bounded(&mut child);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.code(),
            Some(code),
            "{scenario}: stsvault exits with the command's status ({status:?}, signal {:?})",
            status.signal()
        );
        assert!(!port_open(port), "{scenario}: the port is closed");
        assert!(!alive(pid), "{scenario}: the command is gone");
    }
}
