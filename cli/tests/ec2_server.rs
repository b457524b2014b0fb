//! `exec --ec2-server`: the command reads its credentials from a local EC2 instance metadata
//! server (IMDSv2 only) — boto3 finds it through `AWS_EC2_METADATA_SERVICE_ENDPOINT`, and,
//! when stsvault runs as root, at 169.254.169.254:80 through the `stsvault proxy` it starts and
//! stops. Requests without a session token, with a foreign `Host` or a forwarded token request
//! are refused.

use stsvault_test_support::{Sandbox, assert_success, python};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "deployer";

const CHILD: &str = r#"
import json, os, urllib.error, urllib.request, boto3
def call(url, method="GET", headers=None):
    try:
        r = urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers or {}), timeout=10)
        return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""
def probe(base):
    creds = base + "/latest/meta-data/iam/security-credentials/"
    ttl = {"x-aws-ec2-metadata-token-ttl-seconds": "60"}
    seen = {"no_token": call(creds)[0],
            "forwarded": call(base + "/latest/api/token", "PUT", {**ttl, "X-Forwarded-For": "10.1.2.3"})[0]}
    status, token = call(base + "/latest/api/token", "PUT", ttl)
    seen["token"] = status
    auth = {"x-aws-ec2-metadata-token": token}
    seen["wrong_token"] = call(creds, headers={"x-aws-ec2-metadata-token": "x" * len(token)})[0]
    seen["foreign_host"] = call(creds, headers={**auth, "Host": "attacker.example"})[0]
    seen["role"] = call(creds, headers=auth)[1]
    seen["region"] = call(base + "/latest/meta-data/placement/region", headers=auth)[1]
    return seen
out = {"direct": probe(os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"].rstrip("/")),
       "keys_in_env": "AWS_ACCESS_KEY_ID" in os.environ,
       "arn": boto3.client("sts").get_caller_identity()["Arn"]}
if os.environ.get("EXPECT_PROXY"):
    del os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
    out["proxy"] = probe("http://169.254.169.254")
    out["proxy_arn"] = boto3.session.Session().client("sts").get_caller_identity()["Arn"]
print("EC2 " + json.dumps(out))
"#;

/// A port of 127.0.0.1 nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// True when this test may take 169.254.169.254 (it runs as root on Linux).
#[cfg(target_os = "linux")]
fn can_run_proxy() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Elsewhere the test never takes 169.254.169.254.
#[cfg(not(target_os = "linux"))]
fn can_run_proxy() -> bool {
    false
}

fn metadata_address_present() -> bool {
    std::net::TcpListener::bind("169.254.169.254:0").is_ok()
}

#[test]
fn boto3_reads_credentials_from_the_metadata_server_which_refuses_strangers() {
    let (emulator, user, mut sandbox) = Sandbox::mfa_process_world(BIN, PROFILE, "eu-west-2");
    let addr = format!("127.0.0.1:{}", free_port());
    sandbox.set_env("STSVAULT_EC2_SERVER_ADDR", addr.clone());
    let proxy = can_run_proxy() && !metadata_address_present();
    if proxy {
        sandbox.set_env("EXPECT_PROXY", "1");
    }
    let out = sandbox
        .command(BIN)
        .args(["exec", "--ec2-server", PROFILE, "--"])
        .arg(python())
        .args(["-c", CHILD])
        .output()
        .unwrap();
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("credentials on {addr}")),
        "{stderr}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("EC2 "))
        .unwrap_or_else(|| panic!("no EC2 line: {text}\n{stderr}"));
    let seen: serde_json::Value = serde_json::from_str(line).unwrap();
    let expected = serde_json::json!({
        "no_token": 401, "forwarded": 403, "token": 200, "wrong_token": 401,
        "foreign_host": 403, "role": "local-credentials", "region": "eu-west-2"
    });
    assert_eq!(seen["direct"], expected);
    let arn = format!("arn:aws:iam::{}:user/{PROFILE}", user.account_id);
    assert_eq!(seen["arn"], arn);
    assert_eq!(seen["keys_in_env"], false);
    if proxy {
        assert_eq!(seen["proxy"], expected, "through 169.254.169.254:80");
        assert_eq!(seen["proxy_arn"], arn);
        assert!(
            !metadata_address_present(),
            "the proxy took 169.254.169.254 away again"
        );
    } else {
        assert!(stderr.contains("only SDKs that read"), "{stderr}");
    }
    // One MFA session served every request, and the identity calls were signed with it.
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1);
    for call in emulator.sts_calls("GetCallerIdentity") {
        assert_eq!(call.access_key_id, gst[0].issued_access_key_id);
    }
}

#[test]
fn ec2_server_refuses_flags_it_cannot_serve() {
    let sandbox = Sandbox::new(None);
    for extra in ["--ecs-server", "--json", "--no-session"] {
        let out = sandbox
            .command(BIN)
            .args(["exec", "--ec2-server", extra, PROFILE])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot be used with"), "{extra}: {stderr}");
    }
}
