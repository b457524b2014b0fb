//! Entry points for the cargo-fuzz targets in `fuzz/` (built only with the `fuzzing` feature,
//! never part of the public API): each takes arbitrary bytes and pushes them through the code
//! that reads hostile input — the config parser and resolver, the file vault's JWE and item
//! decoders, the `credential_process` JSON reader and the local credential servers' request
//! handling — exactly as the rest of the crate calls it. A panic, a hang or an answer that
//! leaks credentials to an unauthorised request is a bug; the targets assert the last one with
//! [`answer_leaks_credentials`].

use crate::CredentialsProvider;
use crate::config::plan::{Plan, PlanOptions};
use crate::config::{Config, ResolveOptions};
use crate::sources::ProcessCredentials;
use crate::vault::{Backend, FileBackend, Item, MemoryBackend, SessionKey, SessionMeta, Vault};
use secrecy::SecretString;
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::OnceLock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The passphrase of the fuzz targets' file vault (the seed JWE in `fuzz/corpus/vault_file/`
/// is encrypted with it).
pub const VAULT_PASSPHRASE: &str = "fuzz-passphrase";
/// The item name the file-vault target writes its input under.
pub const VAULT_ITEM: &str = "fuzz";
/// The port the credential servers pretend to listen on (what `Host` must name).
pub const SERVER_PORT: u16 = 34567;
/// The ECS server's `Authorization` token.
pub const ECS_TOKEN: &str = "fuzz-ecs-authorization-token";
/// An IMDSv2 session token the EC2 server has already issued.
pub const EC2_SESSION_TOKEN: &str = "fuzz-ec2-session-token";
/// The secret key the servers hand out; it must appear only in answers to authorised requests.
pub const SERVED_SECRET: &str = "FUZZSERVEDSECRETKEY";
/// The largest input worth reading: bigger ones only slow the fuzzer down.
pub const MAX_INPUT: usize = 64 * 1024;

/// Splits `data` at NUL bytes into at most `N` texts (missing ones empty), invalid UTF-8
/// replaced.
fn texts<const N: usize>(data: &[u8]) -> [String; N] {
    let mut parts = data.splitn(N, |b| *b == 0);
    std::array::from_fn(|_| String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned())
}

/// Config target: `data` is `CONFIG\0CREDENTIALS\0PROFILE-TO-ADD`. Parses both files, resolves
/// and plans every profile they name (and `default`), and adds a profile in memory, checking
/// that the edited config still parses and has it.
pub fn config(data: &[u8]) {
    let [config_text, credentials_text, add] = texts::<3>(data);
    let Ok(mut config) = Config::from_strs(&config_text, &credentials_text) else {
        return;
    };
    let mut names = config.profile_names();
    names.extend(config.credentials_profile_names());
    names.push("default".into());
    names.truncate(32);
    let stored: BTreeSet<String> = names.iter().step_by(2).cloned().collect();
    for with_stored in [false, true] {
        let opts = ResolveOptions {
            stored: if with_stored {
                stored.clone()
            } else {
                BTreeSet::new()
            },
            ..ResolveOptions::default()
        };
        for name in &names {
            let _ = config.has_file_keys(name);
            let _ = config.profile_value(name, "region");
            let Ok(profile) = config.resolve(name, &opts) else {
                continue;
            };
            let has = |n: &str| opts.stored.contains(n);
            for no_session in [false, true] {
                let plan_options = PlanOptions {
                    no_session,
                    ..PlanOptions::default()
                };
                if let Ok(plan) = Plan::build(&profile, &has, &plan_options) {
                    let _ = plan.describe();
                    let _ = plan.cache_key();
                    let _ = plan.needs_mfa();
                    let _ = plan.steps().len();
                }
            }
        }
    }
    let (name, value) = add.split_once('=').unwrap_or((&add, "eu-west-1"));
    if config
        .add_profile(name, &[("region", value), ("mfa_serial", "arn:m")])
        .is_ok()
    {
        assert!(
            config.has_profile(name),
            "add_profile succeeded but the profile is not there"
        );
    }
}

/// File-vault target: writes `data` as an item file of a file vault and reads it back with
/// [`VAULT_PASSPHRASE`] (JWE shape check, PBES2 decryption, item JSON, master-key JSON).
pub fn vault_file(data: &[u8]) {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("stsvault-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    });
    if std::fs::write(dir.join(VAULT_ITEM), data).is_err() {
        return;
    }
    let backend = FileBackend::new(
        dir.clone(),
        Box::new(|_| Ok(SecretString::from(VAULT_PASSPHRASE))),
    );
    let vault = Vault::new(Box::new(backend));
    let _ = vault.get_master(VAULT_ITEM);
}

/// Vault-item target: decodes `data` as keyring's Item JSON, and reads both `data` itself and
/// the decoded item's data as each kind of item aws-vault stores (master keys, a cached
/// session, an SSO token), and as an item name.
pub fn vault_item(data: &[u8]) {
    let decoded = crate::vault::decode_item_json(data).ok();
    read_as_every_item(data);
    if let Some(item) = &decoded {
        let _ = SessionMeta::parse(&item.key);
        let _ = crate::vault::names::oidc_start_url_of(&item.key);
        read_as_every_item(item.data());
    }
    let name = String::from_utf8_lossy(data);
    if let Some(meta) = SessionMeta::parse(&name) {
        let _ = meta.key().matching_prefix();
    }
    let _ = crate::vault::names::oidc_start_url_of(&name);
}

fn read_as_every_item(data: &[u8]) {
    let session = SessionKey::new("sts.GetSessionToken", "fuzz", "arn:aws:iam::1:mfa/fuzz");
    let start_url = "https://fuzz.awsapps.com/start";
    let backend = MemoryBackend::default();
    for name in [
        "fuzz".to_string(),
        session.item_name(chrono::Utc::now()),
        crate::vault::names::oidc_item_name(start_url),
    ] {
        if backend
            .set(&Item::new(
                name,
                data.to_vec(),
                String::new(),
                String::new(),
            ))
            .is_err()
        {
            return;
        }
    }
    let vault = Vault::new(Box::new(backend));
    let _ = vault.get_master("fuzz");
    let _ = vault.get_session(&session);
    let _ = vault.get_oidc_token(start_url);
    let _ = vault.sessions();
}

/// `credential_process` target: reads `data` as a process's output.
pub fn credential_process(data: &[u8]) {
    if let Ok(c) = ProcessCredentials::parse("fuzz", data) {
        assert!(!c.access_key_id.is_empty(), "accepted an empty AccessKeyId");
    }
}

/// Which local credential server to send a request to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// `exec --ecs-server`.
    Ecs,
    /// `exec --ec2-server`.
    Ec2,
}

/// Server target: feeds `raw` (one or more HTTP/1 requests, as a client would send them on one
/// connection) to `server`'s request handling, the peer on loopback or not, and returns
/// everything the server sent back.
pub fn server_request(server: Server, raw: &[u8], peer_is_loopback: bool) -> Vec<u8> {
    let peer_ip = if peer_is_loopback {
        Ipv4Addr::LOCALHOST
    } else {
        Ipv4Addr::new(192, 0, 2, 7)
    };
    let peer = SocketAddr::from((peer_ip, 40000));
    let provider = served_provider().clone();
    let (client, server_io) = tokio::io::duplex(16 * 1024);
    let raw = raw.to_vec();
    let exchange = async move {
        let (mut reader, mut writer) = tokio::io::split(client);
        let write = async move {
            let _ = writer.write_all(&raw).await;
            let _ = writer.shutdown().await;
        };
        let mut out = Vec::new();
        let read = reader.read_to_end(&mut out);
        let serve = async move {
            match server {
                Server::Ecs => {
                    let handler = crate::server::ecs_fuzz_handler(
                        provider,
                        SecretString::from(ECS_TOKEN),
                        SERVER_PORT,
                    );
                    crate::server::serve_connection(server_io, peer, handler).await;
                }
                Server::Ec2 => {
                    let handler = crate::server::ec2_fuzz_handler(
                        provider,
                        Some("eu-west-1".into()),
                        SocketAddr::from((Ipv4Addr::LOCALHOST, SERVER_PORT)),
                        SecretString::from(EC2_SESSION_TOKEN),
                    );
                    crate::server::serve_connection(server_io, peer, handler).await;
                }
            }
        };
        let ((), (), _) = tokio::join!(write, serve, read);
        out
    };
    runtime().block_on(exchange)
}

/// True when `answer` (from [`server_request`]) holds the served credentials although the
/// request `raw` could not have been authorised: it came from outside loopback, or it does not
/// carry the server's token. (An EC2 token issued during the same exchange cannot be guessed by
/// the fuzzer, so only [`EC2_SESSION_TOKEN`] counts.)
pub fn answer_leaks_credentials(
    server: Server,
    raw: &[u8],
    peer_is_loopback: bool,
    answer: &[u8],
) -> bool {
    let token = match server {
        Server::Ecs => ECS_TOKEN,
        Server::Ec2 => EC2_SESSION_TOKEN,
    };
    contains(answer, SERVED_SECRET.as_bytes())
        && (!peer_is_loopback || !contains(raw, token.as_bytes()))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        // The fuzz harness's own set-up: without a runtime nothing can be fuzzed.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for the fuzz targets")
    })
}

/// A provider serving long-term keys from a credentials file (`--no-session`), so answering
/// never calls STS.
fn served_provider() -> &'static CredentialsProvider {
    static PROVIDER: OnceLock<CredentialsProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let credentials = format!(
            "[fuzz]\naws_access_key_id = AKIAFUZZ\naws_secret_access_key = {SERVED_SECRET}\n"
        );
        let config = Config::from_strs("[profile fuzz]\nregion = eu-west-1\n", &credentials)
            .expect("the fuzz targets' config parses");
        CredentialsProvider::builder()
            .profile("fuzz")
            .config(config)
            .vault(Vault::new(Box::new(MemoryBackend::default())))
            .plan_options(PlanOptions {
                no_session: true,
                ..PlanOptions::default()
            })
            .build()
            .expect("the fuzz targets' provider builds")
    })
}
