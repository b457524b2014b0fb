//! Single flight for in-process callers: eight providers, each with its own connection to the
//! same Secret Service (as eight bindings or processes would have), ask for the same MFA session
//! at once on a cold cache. Exactly one MFA prompt is answered, the TOTP-checking emulator sees
//! exactly one GetSessionToken, and all eight get that session.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use stsvault::AccessKey;
use stsvault::config::{Config, EnvVars, ResolveOptions};
use stsvault::prompt::Callback;
use stsvault::provider::CredentialsProvider;
use stsvault::vault::{SecretServiceBackend, Vault};
use stsvault_test_support::services::{GnomeKeyring, SessionBus};
use stsvault_test_support::{Emulator, totp};

const PROFILE: &str = "sls-administrator";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_in_process_callers_share_one_prompt_and_one_sts_call() {
    let locks = tempfile::tempdir().unwrap();
    // SAFETY: set before any other thread of this test process reads the environment (nextest
    // runs each test in its own process).
    unsafe { std::env::set_var("STSVAULT_LOCK_DIR", locks.path()) };

    let bus = SessionBus::start();
    let _keyring = GnomeKeyring::start(&bus);
    GnomeKeyring::create_collection(&bus, "awsvault", "collection password");
    let emulator = Emulator::start();
    let user = emulator.setup_user(PROFILE);
    let vault_for = || {
        Arc::new(Vault::new(Box::new(SecretServiceBackend::new(
            "awsvault",
            Some(bus.address().to_string()),
        ))))
    };
    vault_for()
        .set_master(
            PROFILE,
            &AccessKey::new(&user.access_key_id, user.secret_access_key.clone()),
        )
        .unwrap();
    let config = Arc::new(
        Config::from_strs(
            &format!(
                "[profile {PROFILE}]\nregion = us-east-1\nmfa_serial = {}\nendpoint_url = {}\n",
                user.mfa_serial, emulator.endpoint
            ),
            "",
        )
        .unwrap(),
    );

    let prompts = Arc::new(AtomicUsize::new(0));
    let code = totp(&user.seed, 0);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (prompts, code) = (Arc::clone(&prompts), code.clone());
        let provider = CredentialsProvider::builder()
            .profile(PROFILE)
            .config(Arc::clone(&config))
            .vault(vault_for())
            .resolve_options(ResolveOptions {
                env: EnvVars::from_pairs([("AWS_EC2_METADATA_DISABLED", "true")]),
                ..Default::default()
            })
            .mfa(Callback::new(move |_| {
                prompts.fetch_add(1, Ordering::SeqCst);
                // Slow enough that the others are surely waiting on the lock.
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok(code.clone())
            }))
            .build()
            .unwrap();
        tasks.push(tokio::spawn(async move { provider.credentials().await }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let creds = t.await.unwrap().unwrap_or_else(|e| panic!("{e}"));
        ids.push(creds.access_key_id.clone());
    }
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "one MFA prompt");
    assert_eq!(
        emulator.sts_calls("GetSessionToken").len(),
        1,
        "one STS call"
    );
    assert!(
        ids.iter().all(|id| id == &ids[0] && id.starts_with("ASIA")),
        "{ids:?}"
    );
}
