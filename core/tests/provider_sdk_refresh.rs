//! The provider inside an AWS SDK client: the SDK asks again as the session nears its end, and
//! the provider then fetches a new session instead of handing back the old one.

use aws_sdk_sts::config::{BehaviorVersion, IdentityCache, Region};
use std::sync::Arc;
use std::time::Duration;
use stsvault::AccessKey;
use stsvault::config::{Config, EnvVars, ResolveOptions};
use stsvault::provider::CredentialsProvider;
use stsvault::vault::{MemoryBackend, Vault};
use stsvault_test_support::Emulator;

#[tokio::test]
async fn an_sdk_client_gets_a_new_session_before_the_old_one_expires() {
    let locks = tempfile::tempdir().unwrap();
    // SAFETY: nextest runs each test in its own process; nothing else reads the environment yet.
    unsafe { std::env::set_var("STSVAULT_LOCK_DIR", locks.path()) };
    let emulator = Emulator::start();
    let user = emulator.setup_user("refresher");
    let vault = Arc::new(Vault::new(Box::new(MemoryBackend::default())));
    vault
        .set_master(
            "base",
            &AccessKey::new(&user.access_key_id, user.secret_access_key.clone()),
        )
        .unwrap();
    let config = Config::from_strs("[profile base]\nregion = us-east-1\n", "").unwrap();
    // 15-minute sessions, renewed when less than 14m50s is left: ten seconds after one is
    // issued, the provider must replace it.
    let provider = CredentialsProvider::builder()
        .profile("base")
        .config(config)
        .vault(vault)
        .resolve_options(ResolveOptions {
            stored: ["base".to_string()].into_iter().collect(),
            env: EnvVars::from_pairs([
                ("AWS_ENDPOINT_URL", emulator.endpoint.as_str()),
                ("AWS_SESSION_TOKEN_TTL", "15m"),
            ]),
            ..Default::default()
        })
        .min_ttl(Duration::from_secs(14 * 60 + 50))
        .build()
        .unwrap();
    // The SDK's cache treats anything expiring within the next ~1.5 hours as due for renewal,
    // so every request asks the provider; the provider alone decides when a session is old.
    let sdk = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&emulator.endpoint)
            .credentials_provider(provider)
            .identity_cache(
                IdentityCache::lazy()
                    .buffer_time(Duration::from_secs(3 * 3600))
                    .build(),
            )
            .build(),
    );

    sdk.get_caller_identity().send().await.unwrap();
    sdk.get_caller_identity().send().await.unwrap();
    assert_eq!(
        emulator.sts_calls("GetSessionToken").len(),
        1,
        "a fresh session is reused"
    );
    tokio::time::sleep(Duration::from_secs(11)).await;
    let who = sdk.get_caller_identity().send().await.unwrap();
    let sessions = emulator.sts_calls("GetSessionToken");
    assert_eq!(sessions.len(), 2, "the aging session was replaced");
    let idents = emulator.sts_calls("GetCallerIdentity");
    let signers: Vec<_> = idents.iter().map(|c| c.access_key_id.clone()).collect();
    assert_eq!(signers[0], signers[1]);
    assert_eq!(
        signers[2], sessions[1].issued_access_key_id,
        "signed with the new session"
    );
    assert_ne!(signers[1], signers[2]);
    assert!(who.arn().unwrap_or_default().ends_with(":user/refresher"));
}
