//! `stsvault login` against the emulator's console federation endpoint: role sessions go to it
//! as they are, an IAM user's own keys through GetFederationToken; the link is printed with
//! `--stdout` or handed to the browser.

use std::io::{Read, Write};
use stsvault_test_support::{BrowserAction, Call, Emulator, IamUser, Sandbox, assert_success};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");

fn setup() -> (Emulator, IamUser, Sandbox) {
    let emulator = Emulator::start();
    let user = emulator.setup_user_with_role("deployer", "console-admin");
    let admin = format!(
        "[profile admin]\nsource_profile = base\nrole_arn = {role}\nmfa_serial = {serial}\nregion = us-east-1\n",
        serial = user.mfa_serial,
        role = user.role_arn.as_deref().unwrap_or_default(),
    );
    let mut sandbox =
        Sandbox::with_mfa_process_profile(&emulator, BIN, "base", &user, "eu-west-1", &admin);
    sandbox.set_env(
        "STSVAULT_FEDERATION_URL",
        format!("{}/federation", emulator.endpoint),
    );
    (emulator, user, sandbox)
}

fn signin_calls(emulator: &Emulator) -> Vec<Call> {
    emulator
        .calls()
        .into_iter()
        .filter(|c| c.service.as_deref() == Some("signin"))
        .collect()
}

/// Opens `url` as a browser would; returns the status line.
fn visit(url: &str) -> String {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut conn = std::net::TcpStream::connect(host).expect("connect");
    write!(conn, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("send");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read");
    answer.lines().next().unwrap_or_default().to_string()
}

#[test]
fn a_role_session_signs_in_to_the_console() {
    let (emulator, _user, sandbox) = setup();
    let out = sandbox
        .command(BIN)
        .args([
            "login",
            "--stdout",
            "--path",
            "cloudformation/home",
            "admin",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let prefix = format!(
        "{}/federation?Action=login&Issuer=stsvault&Destination=https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fcloudformation%2Fhome%3Fregion%3Dus-east-1&SigninToken=",
        emulator.endpoint
    );
    assert!(url.starts_with(&prefix), "{url}");
    let assumed = emulator.sts_calls("AssumeRole");
    assert_eq!(assumed.len(), 1);
    assert!(emulator.sts_calls("GetFederationToken").is_empty());
    let signin = signin_calls(&emulator);
    assert_eq!(signin.len(), 1);
    assert_eq!(
        signin[0].param("sessionId"),
        assumed[0].issued_access_key_id
    );
    assert_eq!(signin[0].status, Some(200));
    assert!(visit(&url).contains(" 200 "), "the link signs in");
}

#[test]
fn a_users_own_keys_sign_in_through_a_federation_token_in_the_browser() {
    let (emulator, user, mut sandbox) = setup();
    let browser = sandbox.write_browser(BrowserAction::Approve);
    sandbox.set_env("BROWSER", browser);
    let out = sandbox
        .command(BIN)
        .args(["login", "base"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        out.stdout.is_empty(),
        "the link goes to the browser, not stdout"
    );
    assert!(
        emulator.sts_calls("GetSessionToken").is_empty(),
        "no session on the profile itself"
    );
    let federation = emulator.sts_calls("GetFederationToken");
    assert_eq!(federation.len(), 1);
    assert_eq!(
        federation[0].access_key_id.as_deref(),
        Some(user.access_key_id.as_str())
    );
    assert_eq!(federation[0].param("Name").as_deref(), Some("base"));
    // The browser runs on its own after stsvault is done: give it a moment to load the page.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut signin = signin_calls(&emulator);
    while signin.len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        signin = signin_calls(&emulator);
    }
    assert_eq!(
        signin.len(),
        2,
        "the token, then the browser's visit: {signin:?}"
    );
    assert_eq!(
        signin[0].param("sessionId"),
        federation[0].issued_access_key_id
    );
    assert_eq!(signin[1].param("Action").as_deref(), Some("login"));
    assert_eq!(signin[1].status, Some(200));
    assert_eq!(sandbox.browser_opened(), 1);
}

#[test]
fn without_a_profile_the_environments_keys_sign_in() {
    let (emulator, user, sandbox) = setup();
    // Inside `exec` of a role profile: the role session in the environment goes as it is.
    let out = sandbox
        .command(BIN)
        .args(["exec", "admin", "--", BIN, "login", "--stdout"])
        .output()
        .unwrap();
    assert_success(&out);
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(url.contains("&SigninToken="), "{url}");
    let assumed = emulator.sts_calls("AssumeRole");
    assert_eq!(assumed.len(), 1);
    assert!(emulator.sts_calls("GetFederationToken").is_empty());
    assert_eq!(
        signin_calls(&emulator)[0].param("sessionId"),
        assumed[0].issued_access_key_id
    );

    // An IAM user's own keys first become a federated session (aws-vault's `-s` prints).
    let out = sandbox
        .command(BIN)
        .args(["login", "-s", "--region", "eu-central-1"])
        .env("AWS_ACCESS_KEY_ID", &user.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &user.secret_access_key)
        .output()
        .unwrap();
    assert_success(&out);
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(url.contains("eu-central-1.console.aws.amazon.com"), "{url}");
    let federated = emulator.sts_calls("GetFederationToken");
    assert_eq!(federated.len(), 1);
    assert_eq!(
        federated[0].access_key_id.as_deref(),
        Some(user.access_key_id.as_str())
    );
    let signin = signin_calls(&emulator);
    assert_eq!(
        signin[1].param("sessionId"),
        federated[0].issued_access_key_id
    );
    assert!(visit(&url).contains(" 200 "), "the link signs in");

    // Neither a profile nor keys: one clear line.
    let out = sandbox
        .command(BIN)
        .args(["login", "--stdout"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no profile given, and no AWS_ACCESS_KEY_ID"),
        "{stderr}"
    );
}

/// Undoes percent-encoding (and `+` for a space) in a query value.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex digits"));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

const SIGN_OUT: &str = "https://us-east-1.signin.aws.amazon.com/oauth?Action=logout&redirect_uri=";

/// The sign-in link inside an `--auto-logout` link.
fn sign_in_inside(url: &str) -> String {
    let escaped = url
        .strip_prefix(SIGN_OUT)
        .unwrap_or_else(|| panic!("not a sign-out link: {url}"));
    assert!(
        !escaped.contains(['&', '?', '/', ':']),
        "escaped whole: {escaped}"
    );
    unescape(escaped)
}

#[test]
fn auto_logout_signs_out_first_then_in() {
    let (emulator, _user, mut sandbox) = setup();
    let login = |sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = sandbox.command(BIN);
        cmd.arg("login").args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let plain_prefix = format!(
        "{}/federation?Action=login&Issuer=stsvault&Destination=https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Dus-east-1&SigninToken=",
        emulator.endpoint
    );
    for (args, env) in [
        (vec!["--stdout", "--auto-logout", "admin"], vec![]),
        (vec!["-a", "-s", "admin"], vec![]),
        (
            vec!["admin"],
            vec![("AWS_VAULT_AUTO_LOGOUT", "true"), ("AWS_VAULT_STDOUT", "1")],
        ),
    ] {
        let out = login(&sandbox, &args, &env);
        assert_success(&out);
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let inner = sign_in_inside(&url);
        assert!(inner.starts_with(&plain_prefix), "{args:?}: {inner}");
        assert!(visit(&inner).contains(" 200 "), "the inner link signs in");
    }

    // `--no-auto-logout` beats the variable; without either, the plain link.
    for (args, env) in [
        (
            vec!["--stdout", "--no-auto-logout", "admin"],
            vec![("AWS_VAULT_AUTO_LOGOUT", "true")],
        ),
        (
            vec!["--stdout", "admin"],
            vec![("AWS_VAULT_AUTO_LOGOUT", "")],
        ),
    ] {
        let out = login(&sandbox, &args, &env);
        assert_success(&out);
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(url.starts_with(&plain_prefix), "{args:?}: {url}");
    }

    // Outside the commercial partition the sign-out page does not apply: a warning and the
    // plain link.
    let out = login(
        &sandbox,
        &["-s", "-a", "--region", "cn-north-1", "admin"],
        &[],
    );
    assert_success(&out);
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        url.starts_with(&format!("{}/federation?Action=login", emulator.endpoint))
            && url.contains("cn-north-1.console.amazonaws.cn"),
        "{url}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--auto-logout works only"), "{err}");

    // Not a boolean: an error naming the variable, before anything else.
    let out = login(
        &sandbox,
        &["--stdout", "admin"],
        &[("AWS_VAULT_AUTO_LOGOUT", "yes")],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AWS_VAULT_AUTO_LOGOUT=`yes`"), "{err}");

    // `--no-stdout` beats AWS_VAULT_STDOUT: the browser gets the link.
    let browser = sandbox.write_browser(BrowserAction::Approve);
    sandbox.set_env("BROWSER", browser);
    let out = login(
        &sandbox,
        &["--no-stdout", "admin"],
        &[("AWS_VAULT_STDOUT", "true")],
    );
    assert_success(&out);
    assert!(out.stdout.is_empty());
    assert_eq!(sandbox.browser_opened(), 1);
}

#[test]
fn aws_vault_duration_sets_the_federation_token_duration_below_the_flag() {
    let (emulator, _user, sandbox) = setup();
    let federation = |args: &[&str], duration: &str| {
        let out = sandbox
            .command(BIN)
            .arg("login")
            .args(args)
            .env("AWS_VAULT_DURATION", duration)
            .env("AWS_FEDERATION_TOKEN_TTL", "3h")
            .output()
            .unwrap();
        assert_success(&out);
        emulator
            .sts_calls("GetFederationToken")
            .last()
            .and_then(|c| c.param("DurationSeconds"))
    };
    assert_eq!(
        federation(&["--stdout", "base"], "").as_deref(),
        Some("10800"),
        "unset (empty): AWS_FEDERATION_TOKEN_TTL"
    );
    assert_eq!(
        federation(&["--stdout", "base"], "2h").as_deref(),
        Some("7200")
    );
    assert_eq!(
        federation(&["--stdout", "-d", "30m", "base"], "2h").as_deref(),
        Some("1800")
    );
    assert_eq!(
        federation(&["--stdout", "base"], "1d").as_deref(),
        Some("86400")
    );
    // A number without a unit, as Go refuses it: one line naming the variable.
    let out = sandbox
        .command(BIN)
        .args(["login", "--stdout", "base"])
        .env("AWS_VAULT_DURATION", "3600")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("AWS_VAULT_DURATION=`3600` is not a duration"),
        "{err}"
    );
    // Commands without --duration do not read it.
    let out = sandbox
        .command(BIN)
        .args(["list", "--credentials"])
        .env("AWS_VAULT_DURATION", "3600")
        .output()
        .unwrap();
    assert_success(&out);
}
