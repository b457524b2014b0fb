//! `exec --ecs-server`: the command gets its credentials from a local container-credentials
//! server (boto3 finds it through `AWS_CONTAINER_CREDENTIALS_FULL_URI`); the server refuses
//! requests without the token or with a foreign `Host`, and the command's exit code is ours.

use stsvault_test_support::{Emulator, IamUser, Sandbox, assert_success, python};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const PROFILE: &str = "deployer";

const CHILD: &str = r#"
import json, os, urllib.error, urllib.request, boto3
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
def status(headers):
    try:
        return urllib.request.urlopen(urllib.request.Request(uri, headers=headers), timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code
results = {"no_token": status({}), "wrong_token": status({"Authorization": "x" * len(token)}),
           "foreign_host": status({"Authorization": token, "Host": "attacker.example"}),
           "ok": status({"Authorization": token})}
ident = boto3.client("sts").get_caller_identity()
print("ECS " + json.dumps({"results": results, "arn": ident["Arn"],
      "keys_in_env": "AWS_ACCESS_KEY_ID" in os.environ or "AWS_SECRET_ACCESS_KEY" in os.environ}))
"#;

fn setup() -> (Emulator, IamUser, Sandbox) {
    Sandbox::mfa_process_world(BIN, PROFILE, "us-east-1")
}

#[test]
fn boto3_reads_credentials_from_the_local_server_which_refuses_strangers() {
    let (emulator, user, sandbox) = setup();
    let out = sandbox
        .command(BIN)
        .args(["exec", "--ecs-server", PROFILE, "--"])
        .arg(python())
        .args(["-c", CHILD])
        .output()
        .unwrap();
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("ECS "))
        .unwrap_or_else(|| panic!("no ECS line: {text}"));
    let seen: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(
        seen["results"],
        serde_json::json!({"no_token": 403, "wrong_token": 403, "foreign_host": 403, "ok": 200})
    );
    assert_eq!(
        seen["arn"],
        format!("arn:aws:iam::{}:user/{PROFILE}", user.account_id)
    );
    assert_eq!(
        seen["keys_in_env"], false,
        "no keys in the command's environment"
    );
    let gst = emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1);
    let ident = emulator.sts_calls("GetCallerIdentity");
    assert_eq!(ident[0].access_key_id, gst[0].issued_access_key_id);
}

#[test]
fn the_commands_exit_code_is_returned() {
    let (_emulator, _user, sandbox) = setup();
    let out = sandbox
        .command(BIN)
        .args(["exec", "--server", "--lazy", PROFILE, "--"])
        .arg(python())
        .args(["-c", "import sys; sys.exit(7)"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
}
