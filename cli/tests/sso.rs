//! IAM Identity Center end to end: `stsvault exec` on an SSO profile signs in with the device
//! flow (a stand-in browser approves or denies the request on the emulator's verification
//! page), fetches the role's credentials from the portal, and keeps both the role session and
//! the access token in the vault, as aws-vault does.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Output, Stdio};
use stsvault_test_support::{
    BrowserAction, Call, Emulator, IamUser, Sandbox, WHOAMI_PY, assert_success, python, whoami,
};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const START_URL: &str = "https://corp.awsapps.example/start";

struct World {
    emulator: Emulator,
    admin: IamUser,
    sandbox: Sandbox,
}

/// Two SSO profiles sharing one `[sso-session]`, each with its own role in the account, and a
/// profile whose role the user is not given.
fn world(action: BrowserAction) -> World {
    let emulator = Emulator::start();
    let admin = emulator.setup_user_with_role("sso-admin", "SsoAdmin");
    emulator.setup_user_with_role("sso-reader", "SsoReader");
    let mut sandbox = Sandbox::new(Some(&emulator));
    let browser = sandbox.write_browser(action);
    sandbox.set_env("BROWSER", browser);
    let account = &admin.account_id;
    sandbox.write_config(&format!(
        "[profile admin]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = SsoAdmin\nregion = eu-west-1\n\n\
         [profile reader]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = SsoReader\nregion = us-east-2\n\n\
         [profile stranger]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\nsso_account_id = {account}\nsso_role_name = NotAssigned\nregion = us-east-2\n\n\
         [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
    ));
    World {
        emulator,
        admin,
        sandbox,
    }
}

fn exec(w: &World, profile: &str, extra: &[&str]) -> Output {
    w.sandbox
        .command(BIN)
        .arg("exec")
        .args(extra)
        .args([profile, "--"])
        .arg(python())
        .args(["-c", WHOAMI_PY])
        .output()
        .expect("run stsvault exec")
}

fn list(w: &World) -> String {
    let out = w
        .sandbox
        .command(BIN)
        .arg("list")
        .output()
        .expect("run stsvault list");
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sso_calls(w: &World, action: &str) -> Vec<Call> {
    w.emulator
        .calls()
        .into_iter()
        .filter(|c| {
            matches!(c.service.as_deref(), Some("sso" | "sso-oidc"))
                && c.action.as_deref() == Some(action)
        })
        .collect()
}

fn assumed_role_arn(w: &World, role: &str) -> String {
    format!("arn:aws:sts::{}:assumed-role/{role}/", w.admin.account_id)
}

#[test]
fn signs_in_once_then_reuses_the_role_session_and_the_token() {
    let w = world(BrowserAction::Approve);

    let out = exec(&w, "admin", &[]);
    assert_success(&out);
    let who = whoami(&out);
    let arn = who["arn"].as_str().unwrap_or_default();
    assert!(arn.starts_with(&assumed_role_arn(&w, "SsoAdmin")), "{who}");
    assert_eq!(who["region"], "eu-west-1");
    assert!(who["exp"].as_str().is_some_and(|e| !e.is_empty()), "{who}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("opening the IAM Identity Center sign-in page for profile `admin`"),
        "{stderr}"
    );
    assert_eq!(w.sandbox.browser_opened(), 1);
    let register = sso_calls(&w, "RegisterClient");
    assert_eq!(register.len(), 1);
    assert_eq!(register[0].param("clientType").as_deref(), Some("public"));
    assert_eq!(
        register[0].params["scopes"],
        serde_json::json!(["sso:account:access"])
    );
    let started = sso_calls(&w, "StartDeviceAuthorization");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].param("startUrl").as_deref(), Some(START_URL));
    let roles = sso_calls(&w, "GetRoleCredentials");
    assert_eq!(roles.len(), 1);
    assert_eq!(
        roles[0].param("account_id").as_deref(),
        Some(w.admin.account_id.as_str())
    );
    assert_eq!(roles[0].param("role_name").as_deref(), Some("SsoAdmin"));
    assert_eq!(
        roles[0].issued_access_key_id,
        who["key"].as_str().map(String::from)
    );

    let listing = list(&w);
    let admin_row = listing
        .lines()
        .find(|l| l.starts_with("admin "))
        .unwrap_or_default();
    assert!(
        admin_row.contains("sso.GetRoleCredentials:")
            && admin_row.contains(&format!("oidc:{START_URL}")),
        "{listing}"
    );

    // The role session is cached: no call at all the second time.
    let again = exec(&w, "admin", &[]);
    assert_success(&again);
    assert_eq!(whoami(&again)["key"], who["key"]);
    assert_eq!(sso_calls(&w, "GetRoleCredentials").len(), 1);

    // Another role behind the same start URL: the kept token serves, no second sign-in.
    let reader = exec(&w, "reader", &[]);
    assert_success(&reader);
    let arn = whoami(&reader)["arn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(arn.starts_with(&assumed_role_arn(&w, "SsoReader")), "{arn}");
    assert_eq!(sso_calls(&w, "StartDeviceAuthorization").len(), 1);
    assert_eq!(sso_calls(&w, "GetRoleCredentials").len(), 2);
    assert_eq!(w.sandbox.browser_opened(), 1);

    // `clear` drops the sessions and the token, so the next exec signs in again.
    let cleared = w.sandbox.command(BIN).arg("clear").output().expect("clear");
    assert_success(&cleared);
    assert_eq!(
        String::from_utf8_lossy(&cleared.stdout).trim(),
        "Cleared 2 sessions and 1 IAM Identity Center tokens."
    );
    assert_success(&exec(&w, "admin", &[]));
    assert_eq!(sso_calls(&w, "StartDeviceAuthorization").len(), 2);
    assert_eq!(w.sandbox.browser_opened(), 2);
}

#[test]
fn a_kept_token_the_portal_refuses_leads_to_a_new_sign_in() {
    let w = world(BrowserAction::Approve);
    assert_success(&exec(&w, "admin", &[]));
    w.emulator
        .inject_fault("GetRoleCredentials", "UnauthorizedException", 401, 1);

    let out = exec(&w, "reader", &[]);
    assert_success(&out);
    let arn = whoami(&out)["arn"].as_str().unwrap_or_default().to_string();
    assert!(arn.starts_with(&assumed_role_arn(&w, "SsoReader")), "{arn}");
    let roles = sso_calls(&w, "GetRoleCredentials");
    let statuses: Vec<Option<u16>> = roles.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [Some(200), Some(401), Some(200)]);
    assert_eq!(sso_calls(&w, "StartDeviceAuthorization").len(), 2);
    assert_eq!(w.sandbox.browser_opened(), 2);
}

#[test]
fn a_denied_sign_in_and_an_unassigned_role_fail_saying_what_to_do() {
    let w = world(BrowserAction::Deny);
    let out = exec(&w, "admin", &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "the IAM Identity Center sign-in for profile `admin` (https://corp.awsapps.example/start) was denied in the browser; run the command again and choose Allow"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(sso_calls(&w, "GetRoleCredentials").is_empty());
    assert!(
        !list(&w).contains("oidc:"),
        "no token is kept after a denied sign-in"
    );

    let w = world(BrowserAction::Approve);
    let out = exec(&w, "stranger", &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "IAM Identity Center gives your user no access to role `NotAssigned` in account {} (profile `stranger`",
            w.admin.account_id
        )),
        "{stderr}"
    );
}

#[test]
fn stdout_prints_the_link_and_opens_no_browser() {
    let w = world(BrowserAction::Approve);
    let mut cmd = w.sandbox.command(BIN);
    cmd.args(["exec", "--stdout", "admin", "--"])
        .arg(python())
        .args(["-c", WHOAMI_PY]);
    let out = sign_in_through_the_printed_link(&w, cmd);
    let arn = whoami(&out)["arn"].as_str().unwrap_or_default().to_string();
    assert!(arn.starts_with(&assumed_role_arn(&w, "SsoAdmin")), "{arn}");
}

#[test]
fn aws_vault_stdout_prints_the_link_for_export() {
    let w = world(BrowserAction::Approve);
    let mut cmd = w.sandbox.command(BIN);
    cmd.args(["export", "--format", "json", "admin"])
        .env("AWS_VAULT_STDOUT", "true");
    let out = sign_in_through_the_printed_link(&w, cmd);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(json["AccessKeyId"].as_str().is_some(), "{json}");
}

/// Runs `cmd`, which must print the device sign-in link on stderr instead of opening the
/// browser, opens the link as the user would, and returns how `cmd` ended (successfully).
fn sign_in_through_the_printed_link(w: &World, mut cmd: std::process::Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stsvault");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("read stderr") == 0 {
            panic!("stsvault printed no sign-in link: {seen}");
        }
        seen.push_str(&line);
        if let Some(url) = line.trim().strip_prefix(&w.emulator.endpoint) {
            break url.to_string();
        }
    };
    assert!(seen.contains("open this page in a browser"), "{seen}");
    // The user opens the link themselves.
    approve(&w.emulator.endpoint, &url);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("read stderr");
    let out = child.wait_with_output().expect("wait for stsvault");
    assert!(out.status.success(), "{seen}{rest}");
    assert_eq!(w.sandbox.browser_opened(), 0);
    out
}

/// GET `path` from the emulator, as a browser would.
fn approve(endpoint: &str, path: &str) {
    let host = endpoint.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(host).expect("connect to the emulator");
    write!(conn, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("send request");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read answer");
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
}
