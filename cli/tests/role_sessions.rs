//! Cached role sessions through the real binary against the TOTP-checking emulator, on the
//! layout of issue 19: `prod` assumes a role with `sls-administrator`'s MFA session. A warm
//! `exec prod` calls nothing; the item is one aws-vault's lookups never read; `--no-session`,
//! `clear`, `remove --sessions-only`, `AWS_MIN_TTL` and a changed `role_arn` treat it as they
//! treat every session. No MFA source is configured: a run that needed a code without
//! `--mfa-token` would fail, so every warm run also proves it asked for none.

use std::process::Output;
use stsvault_test_support::{
    Emulator, IamUser, Sandbox, WHOAMI_PY, assert_success, python, three_valid_codes, whoami,
};

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const SOURCE: &str = "sls-administrator";
const ROLE: &str = "prod";

struct World {
    emulator: Emulator,
    user: IamUser,
    sandbox: Sandbox,
}

fn config(user: &IamUser, role_arn: &str) -> String {
    format!(
        "[profile {SOURCE}]\nmfa_serial = {serial}\nregion = us-east-1\n\
         [profile {ROLE}]\nsource_profile = {SOURCE}\nrole_arn = {role_arn}\n\
         mfa_serial = {serial}\nregion = us-east-1\n",
        serial = user.mfa_serial,
    )
}

fn world() -> World {
    let emulator = Emulator::start();
    let user = emulator.setup_user_with_role(SOURCE, "prod-admin");
    let sandbox = Sandbox::new(Some(&emulator));
    sandbox.write_config(&config(&user, user.role_arn.as_deref().unwrap()));
    sandbox.add_keys(BIN, SOURCE, &user);
    World {
        emulator,
        user,
        sandbox,
    }
}

impl World {
    /// `stsvault exec ARGS -- printenv AWS_ACCESS_KEY_ID` with `env`.
    fn exec_output(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.sandbox.command(BIN);
        cmd.arg("exec")
            .args(args)
            .args(["--", "printenv", "AWS_ACCESS_KEY_ID"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// The access key id `exec ARGS` hands its command; the run must succeed.
    fn exec(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.exec_output(args, env);
        assert_success(&out);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// (GetSessionToken, AssumeRole) calls so far.
    fn calls(&self) -> (usize, usize) {
        (
            self.emulator.sts_calls("GetSessionToken").len(),
            self.emulator.sts_calls("AssumeRole").len(),
        )
    }

    fn lines(&self, args: &[&str]) -> Vec<String> {
        let out = self.sandbox.command(BIN).args(args).output().unwrap();
        assert_success(&out);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The vault's item names, from the file backend's file names (`%XX`-escaped).
    fn item_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.sandbox.vault_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().replace("%2F", "/"))
            .collect();
        names.sort();
        names
    }

    /// The role sessions stsvault keeps, as `list --sessions` prints them.
    fn role_sessions(&self) -> Vec<String> {
        self.lines(&["list", "--sessions"])
            .into_iter()
            .filter(|l| l.starts_with("stsvault.AssumeRole:"))
            .collect()
    }
}

/// Base64url without padding, as aws-vault encodes the profile and serial in session names.
fn b64url(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[test]
fn a_warm_exec_of_the_role_calls_nothing_and_aws_vault_finds_no_entry_of_its_own() {
    let w = world();
    let [_, code, _] = three_valid_codes(&w.user.seed);
    let cold = w
        .sandbox
        .command(BIN)
        .args(["exec", ROLE, "--mfa-token", &code, "--"])
        .arg(python())
        .args(["-c", WHOAMI_PY])
        .output()
        .unwrap();
    assert_success(&cold);
    let who = whoami(&cold);
    assert!(
        who["arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/prod-admin/"),
        "{who}"
    );
    assert_eq!(w.calls(), (1, 1));
    let role_key = who["key"].as_str().unwrap().to_string();
    assert_eq!(
        w.emulator.sts_calls("AssumeRole")[0]
            .issued_access_key_id
            .as_deref(),
        Some(role_key.as_str())
    );

    // The second and third exec within the session's life: no STS call, no MFA, the same
    // role session.
    assert_eq!(w.exec(&[ROLE], &[]), role_key);
    assert_eq!(w.exec(&[ROLE], &[]), role_key);
    assert_eq!(w.calls(), (1, 1), "a warm exec of the role calls nothing");

    // `list` shows the role session under the role profile, as aws-vault would show it.
    let table = w.lines(&["list"]).join("\n");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(ROLE) && l.contains("stsvault.AssumeRole:")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(SOURCE) && l.contains("sts.GetSessionToken:")),
        "{table}"
    );
    assert_eq!(w.role_sessions().len(), 1);
    assert_eq!(w.lines(&["list", "--credentials"]), vec![SOURCE]);

    // aws-vault's view of the same vault, byte for byte: its session pattern
    // `^([^,]+),([^,]+),([^,]*),([0-9]+)$` takes the role item for a session of `prod` (so
    // `aws-vault list` shows it, `aws-vault clear` removes it, and it never counts as keys),
    // and its lookups of `prod` (`TYPE,b64(profile),b64(serial),` prefixes of its own types)
    // find nothing.
    let names = w.item_names();
    assert_eq!(names.len(), 3, "{names:?}");
    let role_items: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with(&format!("stsvault.AssumeRole,{},", b64url(ROLE))))
        .collect();
    assert_eq!(role_items.len(), 1, "{names:?}");
    let fields: Vec<&str> = role_items[0].split(',').collect();
    assert_eq!(fields.len(), 4);
    assert!(fields[3].bytes().all(|b| b.is_ascii_digit()) && !fields[3].is_empty());
    assert!(!role_items[0].contains(' ') && !role_items[0].starts_with("session"));
    for kind in [
        "sts.GetSessionToken",
        "sts.AssumeRole",
        "sts.AssumeRoleWithWebIdentity",
        "sso.GetRoleCredentials",
        "credential_process",
    ] {
        for serial in ["", w.user.mfa_serial.as_str()] {
            let prefix = format!("{kind},{},{},", b64url(ROLE), b64url(serial));
            assert!(
                !names.iter().any(|n| n.starts_with(&prefix)),
                "aws-vault's lookup {prefix} found an entry in {names:?}"
            );
        }
    }
}

#[test]
fn no_session_bypasses_the_cached_role_and_leaves_it_in_place() {
    let w = world();
    let [_, first, second] = three_valid_codes(&w.user.seed);
    let role_key = w.exec(&[ROLE, "--mfa-token", &first], &[]);
    assert_eq!(w.calls(), (1, 1));

    // aws-vault's --no-session: the MFA code goes on an AssumeRole made with the master keys.
    let direct = w.exec(&["--no-session", ROLE, "--mfa-token", &second], &[]);
    assert_ne!(direct, role_key);
    assert_eq!(w.calls(), (1, 2));
    let assumed = w.emulator.sts_calls("AssumeRole");
    assert_eq!(
        assumed[1].access_key_id.as_deref(),
        Some(w.user.access_key_id.as_str()),
        "signed with the master keys"
    );
    assert_eq!(
        assumed[1].param("SerialNumber").as_deref(),
        Some(w.user.mfa_serial.as_str())
    );

    // The session-based role session is still there and still served.
    assert_eq!(w.exec(&[ROLE], &[]), role_key);
    assert_eq!(w.calls(), (1, 2));
}

#[test]
fn clear_and_remove_sessions_only_drop_role_sessions_too() {
    let w = world();
    let [_, first, second] = three_valid_codes(&w.user.seed);
    w.exec(&[ROLE, "--mfa-token", &first], &[]);
    assert_eq!(w.calls(), (1, 1));

    // Removing the MFA session of the source drops the role session assumed with it.
    assert_eq!(
        w.lines(&["remove", "--sessions-only", SOURCE]),
        vec!["Deleted 2 sessions."]
    );
    assert!(w.lines(&["list", "--sessions"]).is_empty());
    let refused = w.exec_output(&[ROLE], &[]);
    assert!(
        !refused.status.success(),
        "with both sessions gone the role needs an MFA code again"
    );
    assert_eq!(w.calls(), (1, 1));

    let role_key = w.exec(&[ROLE, "--mfa-token", &second], &[]);
    assert_eq!(w.calls(), (2, 2));

    // The role profile's own sessions: the role session only; the MFA session stays and
    // serves a new role session without a code.
    assert_eq!(
        w.lines(&["remove", "--sessions-only", ROLE]),
        vec!["Deleted 1 sessions."]
    );
    assert!(w.role_sessions().is_empty());
    let renewed = w.exec(&[ROLE], &[]);
    assert_ne!(renewed, role_key);
    assert_eq!(w.calls(), (2, 3));

    assert_eq!(w.lines(&["clear", ROLE]), vec!["Cleared 1 sessions."]);
    w.exec(&[ROLE], &[]);
    assert_eq!(w.calls(), (2, 4));
    assert_eq!(w.lines(&["clear", SOURCE]), vec!["Cleared 2 sessions."]);
    assert!(w.lines(&["list", "--sessions"]).is_empty());
}

#[test]
fn aws_min_ttl_beyond_the_role_sessions_life_refreshes_it_without_mfa() {
    let w = world();
    let [_, code, _] = three_valid_codes(&w.user.seed);
    let role_key = w.exec(&[ROLE, "--mfa-token", &code], &[]);
    assert_eq!(w.calls(), (1, 1));
    // The role session lasts an hour, the chained MFA session eight: 2h renews the role only.
    let renewed = w.exec(&[ROLE], &[("AWS_MIN_TTL", "2h")]);
    assert_ne!(renewed, role_key);
    assert_eq!(w.calls(), (1, 2));
    let again = w.exec(&[ROLE], &[("AWS_MIN_TTL", "2h")]);
    assert_ne!(again, renewed, "a fresh role session is still under 2h");
    assert_eq!(w.calls(), (1, 3));
    // Under the default margin the last one serves.
    assert_eq!(w.exec(&[ROLE], &[]), again);
    assert_eq!(w.calls(), (1, 3));
    assert_eq!(w.role_sessions().len(), 1, "one role session kept");
    // `clear` with no profile takes it with the MFA session.
    assert_eq!(w.lines(&["clear"]), vec!["Cleared 2 sessions."]);
    assert!(w.lines(&["list", "--sessions"]).is_empty());
}

#[test]
fn a_changed_role_arn_never_reuses_the_old_role_session() {
    let w = world();
    let other = w.emulator.setup_user_with_role("reader", "prod-reader");
    let other_role = other.role_arn.clone().unwrap();
    let [_, code, _] = three_valid_codes(&w.user.seed);
    let first = w.exec(&[ROLE, "--mfa-token", &code], &[]);
    assert_eq!(w.calls(), (1, 1));

    w.sandbox.write_config(&config(&w.user, &other_role));
    let changed = w.exec(&[ROLE], &[]);
    assert_ne!(changed, first);
    assert_eq!(
        w.calls(),
        (1, 2),
        "a new AssumeRole on the cached MFA session"
    );
    let assumed = w.emulator.sts_calls("AssumeRole");
    assert_eq!(
        assumed[1].param("RoleArn").as_deref(),
        Some(other_role.as_str())
    );
    assert_eq!(w.role_sessions().len(), 1, "the old role session is gone");
    assert_eq!(w.exec(&[ROLE], &[]), changed);
    assert_eq!(w.calls(), (1, 2));

    // Back to the first role: the first session was dropped, so a new one.
    w.sandbox
        .write_config(&config(&w.user, w.user.role_arn.as_deref().unwrap()));
    let back = w.exec(&[ROLE], &[]);
    assert!(back != first && back != changed);
    assert_eq!(w.calls(), (1, 3));
}
