//! The credential engine end to end against the TOTP-checking emulator: every way a profile
//! gets credentials — GetSessionToken with MFA, roles on top of it, MFA on the AssumeRole
//! itself, role chains, `credential_process` and web identity sources — with the exact STS calls
//! and parameters read back from the emulator's log, and the credentials checked with
//! GetCallerIdentity. STS's refusals come back as our errors naming the profile.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use stsvault::config::plan::PlanOptions;
use stsvault::config::{Config, EnvVars, ResolveOptions};
use stsvault::prompt::Callback;
use stsvault::provider::CredentialsProvider;
use stsvault::sts::{StsError, StsTarget, caller_identity};
use stsvault::vault::{MemoryBackend, Vault};
use stsvault::{AccessKey, Credentials, Error};
use stsvault_test_support::{Emulator, IamUser, three_valid_codes, totp};

/// One user's world: the emulator, the user (with a role), a vault holding the user's keys,
/// and a config written by each test.
struct World {
    _locks: tempfile::TempDir,
    emulator: Emulator,
    user: IamUser,
    vault: Arc<Vault>,
    prompts: Arc<AtomicUsize>,
    /// More environment for the providers (beyond the endpoint).
    env: Vec<(String, String)>,
}

impl World {
    fn new() -> World {
        // Lock files of this test only (the emulator's users all have the same MFA serial).
        let locks = tempfile::tempdir().unwrap();
        // SAFETY: nextest runs each test in its own process, and this current-thread runtime
        // has no other thread reading the environment.
        unsafe { std::env::set_var("STSVAULT_LOCK_DIR", locks.path()) };
        let emulator = Emulator::start();
        let user = emulator.setup_user_with_role("deployer", "prod-admin");
        let vault = Arc::new(Vault::new(Box::new(MemoryBackend::default())));
        vault
            .set_master(
                "base",
                &AccessKey::new(&user.access_key_id, user.secret_access_key.clone()),
            )
            .unwrap();
        World {
            _locks: locks,
            emulator,
            user,
            vault,
            prompts: Arc::new(AtomicUsize::new(0)),
            env: Vec::new(),
        }
    }

    fn role_arn(&self) -> &str {
        self.user.role_arn.as_deref().unwrap()
    }

    /// `[profile base]` with the endpoint, then `extra`.
    fn config(&self, extra: &str) -> Arc<Config> {
        Arc::new(
            Config::from_strs(
                &format!("[default]\nregion = us-east-1\n[profile base]\n{extra}"),
                "",
            )
            .unwrap(),
        )
    }

    /// A provider for `profile`; its MFA prompt answers `code` and counts the prompts.
    fn provider(
        &self,
        config: &Arc<Config>,
        profile: &str,
        code: &str,
        opts: PlanOptions,
    ) -> CredentialsProvider {
        let (prompts, code) = (Arc::clone(&self.prompts), code.to_string());
        CredentialsProvider::builder()
            .profile(profile)
            .config(Arc::clone(config))
            .vault(Arc::clone(&self.vault))
            .resolve_options(ResolveOptions {
                stored: ["base".to_string()].into_iter().collect(),
                env: EnvVars::from_pairs(
                    [
                        ("AWS_EC2_METADATA_DISABLED", "true"),
                        ("AWS_ENDPOINT_URL", self.emulator.endpoint.as_str()),
                    ]
                    .into_iter()
                    .chain(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                ),
                ..Default::default()
            })
            .plan_options(opts)
            .mfa(Callback::new(move |_| {
                prompts.fetch_add(1, Ordering::SeqCst);
                Ok(code.clone())
            }))
            .build()
            .unwrap()
    }

    /// `profile`'s credentials with the default plan options, the prompt answering `code`.
    async fn credentials(
        &self,
        config: &Arc<Config>,
        profile: &str,
        code: &str,
    ) -> Result<Credentials, Error> {
        self.provider(config, profile, code, PlanOptions::default())
            .credentials()
            .await
    }

    async fn whoami(&self, creds: &Credentials) -> String {
        let target = StsTarget {
            region: Some("us-east-1".into()),
            regional_endpoints: None,
            endpoint_url: Some(self.emulator.endpoint.clone()),
        };
        caller_identity("test", &target, creds).await.unwrap().arn
    }

    /// Every STS call that issued credentials, in order.
    fn issuing_calls(&self) -> Vec<Issued> {
        self.emulator
            .calls()
            .into_iter()
            .filter(|c| c.service.as_deref() == Some("sts") && c.issued_access_key_id.is_some())
            .map(|c| Issued {
                action: c.action.clone().unwrap_or_default(),
                role_arn: c.param("RoleArn"),
                mfa: c.param("SerialNumber").is_some(),
                duration: c.param("DurationSeconds"),
                external_id: c.param("ExternalId"),
                session_name: c.param("RoleSessionName"),
            })
            .collect()
    }
}

/// What the emulator logged of one STS call that issued credentials.
#[derive(Debug, PartialEq, Eq)]
struct Issued {
    action: String,
    role_arn: Option<String>,
    /// `SerialNumber` (and so `TokenCode`) was sent.
    mfa: bool,
    duration: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
}

#[tokio::test]
async fn a_role_sharing_the_sources_mfa_rides_one_mfa_session() {
    let w = World::new();
    let config = w.config(&format!(
        "mfa_serial = {serial}\n\
         [profile prod]\nsource_profile = base\nrole_arn = {role}\nmfa_serial = {serial}\nexternal_id = ext-42\nrole_session_name = deploy-bot\nduration_seconds = 1800\n\
         [profile staging]\nsource_profile = base\nrole_arn = {role}\nmfa_serial = {serial}\n",
        serial = w.user.mfa_serial,
        role = w.role_arn()
    ));
    let code = totp(&w.user.seed, 0);
    let prod = w.credentials(&config, "prod", &code).await.unwrap();
    let staging = w.credentials(&config, "staging", &code).await.unwrap();
    assert_eq!(
        w.prompts.load(Ordering::SeqCst),
        1,
        "one MFA code serves both roles"
    );
    let calls = w.issuing_calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[0].action, "GetSessionToken");
    assert!(calls[0].mfa, "the MFA code goes on GetSessionToken");
    assert_eq!(
        calls[1],
        Issued {
            action: "AssumeRole".into(),
            role_arn: Some(w.role_arn().to_string()),
            mfa: false,
            duration: Some("1800".into()),
            external_id: Some("ext-42".into()),
            session_name: Some("deploy-bot".into()),
        }
    );
    assert_eq!(calls[2].action, "AssumeRole");
    assert!(!calls[2].mfa);
    let session_name = calls[2].session_name.clone().unwrap();
    assert!(
        session_name.len() >= 18 && session_name.chars().all(|c| c.is_ascii_digit()),
        "aws-vault's default session name is the time in nanoseconds: {session_name}"
    );
    assert_eq!(
        calls[2].duration.as_deref(),
        Some("3600"),
        "aws-vault's default role duration"
    );
    for creds in [&prod, &staging] {
        let arn = w.whoami(creds).await;
        assert!(arn.contains(":assumed-role/prod-admin/"), "{arn}");
    }
}

#[tokio::test]
async fn without_a_session_the_mfa_code_goes_on_assume_role() {
    let w = World::new();
    let config = w.config(&format!(
        "[profile prod]\nsource_profile = base\nrole_arn = {}\nmfa_serial = {}\n",
        w.role_arn(),
        w.user.mfa_serial
    ));
    let opts = PlanOptions {
        no_session: true,
        ..Default::default()
    };
    let creds = w
        .provider(&config, "prod", &totp(&w.user.seed, 0), opts)
        .credentials()
        .await
        .unwrap();
    let calls = w.issuing_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "AssumeRole");
    assert!(calls[0].mfa, "SerialNumber and TokenCode on AssumeRole");
    assert!(w.whoami(&creds).await.contains(":assumed-role/prod-admin/"));
}

#[tokio::test]
async fn a_role_longer_than_an_hour_takes_the_mfa_code_itself() {
    // Role chaining caps a role session at one hour, so aws-vault puts no MFA session under a
    // role asking for more: the code goes on the AssumeRole.
    let w = World::new();
    let config = w.config(&format!(
        "mfa_serial = {serial}\n\
         [profile prod]\nsource_profile = base\nrole_arn = {role}\nmfa_serial = {serial}\nduration_seconds = 7200\n",
        serial = w.user.mfa_serial,
        role = w.role_arn()
    ));
    w.credentials(&config, "prod", &totp(&w.user.seed, 0))
        .await
        .unwrap();
    let calls = w.issuing_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "AssumeRole");
    assert!(calls[0].mfa, "the MFA code goes on AssumeRole");
    assert_eq!(calls[0].duration.as_deref(), Some("7200"));
}

#[tokio::test]
async fn a_role_chain_assumes_each_role_in_turn() {
    let w = World::new();
    let config = w.config(&format!(
        "mfa_serial = {serial}\n\
         [profile admin]\nsource_profile = base\nrole_arn = {role}\nmfa_serial = {serial}\n\
         [profile audit]\nsource_profile = admin\nrole_arn = {role}\nrole_session_name = chained\n",
        serial = w.user.mfa_serial,
        role = w.role_arn()
    ));
    let creds = w
        .credentials(&config, "audit", &totp(&w.user.seed, 0))
        .await
        .unwrap();
    let calls = w.issuing_calls();
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole", "AssumeRole"]);
    assert_eq!(calls[2].session_name.as_deref(), Some("chained"));
    assert_eq!(calls[2].role_arn.as_deref(), Some(w.role_arn()));
    assert!(!calls[2].mfa, "no MFA on the chained role");
    assert!(
        w.whoami(&creds)
            .await
            .contains(":assumed-role/prod-admin/chained")
    );
}

#[tokio::test]
async fn credential_process_is_a_source_for_a_role() {
    let w = World::new();
    let json = format!(
        r#"{{"Version":1,"AccessKeyId":"{}","SecretAccessKey":"{}"}}"#,
        w.user.access_key_id, w.user.secret_access_key
    );
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("creds.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncat <<'EOF'\n{json}\nEOF\n")).unwrap();
    let config = w.config(&format!(
        "[profile external]\ncredential_process = sh {}\n\
         [profile prod]\nsource_profile = external\nrole_arn = {}\nmfa_serial = {}\n",
        script.display(),
        w.role_arn(),
        w.user.mfa_serial
    ));
    let creds = w
        .credentials(&config, "prod", &totp(&w.user.seed, 0))
        .await
        .unwrap();
    let calls = w.emulator.sts_calls("AssumeRole");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].access_key_id.as_deref(),
        Some(w.user.access_key_id.as_str()),
        "signed with the keys the process printed"
    );
    assert!(w.whoami(&creds).await.contains(":assumed-role/prod-admin/"));
}

#[tokio::test]
async fn plain_keys_in_the_credentials_file_serve_profiles_the_vault_has_no_keys_for() {
    let w = World::new();
    let (id, secret) = (&w.user.access_key_id, &w.user.secret_access_key);
    let config = Arc::new(
        Config::from_strs(
            &format!(
                "[default]\nregion = us-east-1\n[profile base]\n\
                 [profile filekeys]\nmfa_serial = {serial}\n\
                 [profile prod]\nsource_profile = plain\nrole_arn = {role}\nmfa_serial = {serial}\n\
                 [profile from-base]\nsource_profile = base\nrole_arn = {role}\nmfa_serial = {serial}\n",
                serial = w.user.mfa_serial,
                role = w.role_arn()
            ),
            // `plain` exists only here; `base`'s keys here are stale: the vault's win.
            &format!(
                "[filekeys]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n\
                 [plain]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n\
                 [base]\naws_access_key_id = AKIASTALESTALESTALE0\naws_secret_access_key = stale\n"
            ),
        )
        .unwrap(),
    );
    // Each MFA call needs its own code; the three stay valid while the test runs.
    let [earlier, code, later] = three_valid_codes(&w.user.seed);

    // A profile with MFA and file keys gets a GetSessionToken, as with vault keys.
    let session = w.credentials(&config, "filekeys", &code).await.unwrap();
    let gst = w.emulator.sts_calls("GetSessionToken");
    assert_eq!(gst.len(), 1);
    assert_eq!(gst[0].access_key_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        gst[0].param("SerialNumber").as_deref(),
        Some(w.user.mfa_serial.as_str())
    );
    assert!(session.session_token.is_some());

    // A source profile that exists only in the credentials file.
    let prod = w.credentials(&config, "prod", &later).await.unwrap();
    let assumed = w.emulator.sts_calls("AssumeRole");
    assert_eq!(assumed.len(), 1);
    assert_eq!(assumed[0].access_key_id.as_deref(), Some(id.as_str()));
    assert!(
        assumed[0].param("SerialNumber").is_some(),
        "MFA on the AssumeRole itself"
    );
    assert!(w.whoami(&prod).await.contains(":assumed-role/prod-admin/"));

    // The vault's keys for `base` beat the stale ones in the file.
    w.credentials(&config, "from-base", &earlier).await.unwrap();
    let assumed = w.emulator.sts_calls("AssumeRole");
    assert_eq!(assumed.len(), 2);
    assert_eq!(assumed[1].access_key_id.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn credential_source_environment_assumes_the_role_with_the_environment_keys() {
    let mut w = World::new();
    let config = w.config(&format!(
        "[profile ci]\nrole_arn = {role}\ncredential_source = Environment\nmfa_serial = {serial}\n\
         [profile ec2]\nrole_arn = {role}\ncredential_source = Ec2InstanceMetadata\n",
        role = w.role_arn(),
        serial = w.user.mfa_serial
    ));
    let code = totp(&w.user.seed, 0);

    let missing = w.credentials(&config, "ci", &code).await.unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("profile `ci` takes its keys from the environment"),
        "{missing}"
    );
    let unsupported = w.credentials(&config, "ec2", &code).await.unwrap_err();
    assert!(
        unsupported
            .to_string()
            .contains("`credential_source = Ec2InstanceMetadata`"),
        "{unsupported}"
    );

    w.env
        .push(("AWS_ACCESS_KEY_ID".into(), w.user.access_key_id.clone()));
    w.env.push((
        "AWS_SECRET_ACCESS_KEY".into(),
        w.user.secret_access_key.clone(),
    ));
    let creds = w.credentials(&config, "ci", &code).await.unwrap();
    assert!(w.emulator.sts_calls("GetSessionToken").is_empty());
    let assumed = w.emulator.sts_calls("AssumeRole");
    assert_eq!(assumed.len(), 1);
    assert_eq!(
        assumed[0].access_key_id.as_deref(),
        Some(w.user.access_key_id.as_str())
    );
    assert_eq!(
        assumed[0].param("SerialNumber").as_deref(),
        Some(w.user.mfa_serial.as_str())
    );
    assert!(w.whoami(&creds).await.contains(":assumed-role/prod-admin/"));
}

#[tokio::test]
async fn web_identity_assumes_the_role_with_the_token() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2ln\n").unwrap();
    let config = w.config(&format!(
        "[profile ci]\nrole_arn = {}\nweb_identity_token_file = {}\nrole_session_name = ci-run\n",
        w.role_arn(),
        token.display()
    ));
    let creds = w.credentials(&config, "ci", "unused").await.unwrap();
    assert_eq!(
        w.prompts.load(Ordering::SeqCst),
        0,
        "no MFA for web identity"
    );
    let calls = w.emulator.sts_calls("AssumeRoleWithWebIdentity");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].param("RoleArn").as_deref(), Some(w.role_arn()));
    assert_eq!(calls[0].param("RoleSessionName").as_deref(), Some("ci-run"));
    assert!(
        creds.access_key_id.starts_with("ASIA"),
        "{}",
        creds.access_key_id
    );
}

#[tokio::test]
async fn a_wrong_or_reused_mfa_code_is_an_invalid_code_error_naming_the_profile() {
    let w = World::new();
    let config = w.config(&format!("mfa_serial = {}\n", w.user.mfa_serial));
    let err = w.credentials(&config, "base", "000000").await.unwrap_err();
    assert!(
        matches!(err, Error::Sts(StsError::InvalidMfaCode { ref profile, .. }) if profile == "base"),
        "{err:?}"
    );
    assert!(err.to_string().contains("wait for the next code"), "{err}");
    // A code accepted once is refused the second time, as STS does.
    let code = totp(&w.user.seed, 0);
    let uncached = PlanOptions {
        no_cache: true,
        ..Default::default()
    };
    let fresh = || w.provider(&config, "base", &code, uncached.clone());
    fresh().credentials().await.unwrap();
    let again = fresh().credentials().await.unwrap_err();
    assert!(
        matches!(again, Error::Sts(StsError::InvalidMfaCode { .. })),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_role_that_requires_mfa_without_it_is_access_denied_naming_the_profile() {
    let w = World::new();
    let config = w.config(&format!(
        "[profile prod]\nsource_profile = base\nrole_arn = {}\n",
        w.role_arn()
    ));
    let err = w.credentials(&config, "prod", "unused").await.unwrap_err();
    assert!(
        matches!(err, Error::Sts(StsError::AccessDenied { ref profile, .. }) if profile == "prod"),
        "{err:?}"
    );
    assert!(err.to_string().contains("check the IAM policies"), "{err}");
}

#[tokio::test]
async fn throttling_is_a_throttled_error_naming_the_profile() {
    let w = World::new();
    let config = w.config(&format!("mfa_serial = {}\n", w.user.mfa_serial));
    // More faults than the SDK's retries.
    w.emulator
        .inject_fault("GetSessionToken", "Throttling", 400, 10);
    let err = w
        .credentials(&config, "base", &totp(&w.user.seed, 0))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Sts(StsError::Throttled { ref profile, .. }) if profile == "base"),
        "{err:?}"
    );
    assert!(err.to_string().contains("wait a moment"), "{err}");
}

#[tokio::test]
async fn an_expired_source_session_is_an_expired_token_error_saying_to_clear() {
    let w = World::new();
    let config = w.config(&format!(
        "mfa_serial = {serial}\n[profile prod]\nsource_profile = base\nrole_arn = {role}\nmfa_serial = {serial}\n",
        serial = w.user.mfa_serial,
        role = w.role_arn()
    ));
    w.emulator
        .inject_fault("AssumeRole", "ExpiredToken", 400, 1);
    let err = w
        .credentials(&config, "prod", &totp(&w.user.seed, 0))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Sts(StsError::ExpiredToken { ref profile }) if profile == "prod"),
        "{err:?}"
    );
    assert!(err.to_string().contains("stsvault clear prod"), "{err}");
}

/// `inline_blocking`, as the CLI runs: the vault reads and the MFA prompt run on the thread
/// that asks, not on tokio's blocking pool, with the same outcome — one prompt, one
/// GetSessionToken, and the next provider served from the cached session without a prompt.
#[tokio::test]
async fn inline_blocking_prompts_on_the_asking_thread_with_the_same_outcome() {
    let w = World::new();
    let config = w.config(&format!("mfa_serial = {}\n", w.user.mfa_serial));
    let code = totp(&w.user.seed, 0);
    let threads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let inline = |threads: &Arc<std::sync::Mutex<Vec<std::thread::ThreadId>>>| {
        let (threads, code) = (Arc::clone(threads), code.clone());
        CredentialsProvider::builder()
            .profile("base")
            .config(Arc::clone(&config))
            .vault(Arc::clone(&w.vault))
            .resolve_options(ResolveOptions {
                stored: ["base".to_string()].into_iter().collect(),
                env: EnvVars::from_pairs([
                    ("AWS_EC2_METADATA_DISABLED", "true"),
                    ("AWS_ENDPOINT_URL", w.emulator.endpoint.as_str()),
                ]),
                ..Default::default()
            })
            .mfa(Callback::new(move |_| {
                threads.lock().unwrap().push(std::thread::current().id());
                Ok(code.clone())
            }))
            .inline_blocking(true)
            .build()
            .unwrap()
    };
    let creds = inline(&threads).credentials().await.unwrap();
    assert_eq!(
        *threads.lock().unwrap(),
        [std::thread::current().id()],
        "one prompt, on the asking thread"
    );
    assert!(w.whoami(&creds).await.ends_with(":user/deployer"));
    let again = inline(&threads).credentials().await.unwrap();
    assert_eq!(
        again.access_key_id, creds.access_key_id,
        "the cached session"
    );
    assert_eq!(threads.lock().unwrap().len(), 1, "no second prompt");
    let calls = w.issuing_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].action, "GetSessionToken");
    assert!(calls[0].mfa);
}
