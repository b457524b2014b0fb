//! No secret in `Debug` or `Display`: every public type that can hold a secret — access keys,
//! credentials, vault items, SSO tokens, environment snapshots, the config (whose credentials
//! file holds plain keys), resolved profiles and plans carrying an MFA code, `OpenOptions`,
//! the provider — is built holding known secrets and formatted with `{:?}` (and `{}` where it
//! has `Display`), and so is every error produced from input that holds secrets: a wrong
//! passphrase, an item whose JSON is broken around the secret, a credentials file with a
//! stray secret line, a `credential_process` or `mfa_process` that prints secrets and fails,
//! and an STS call that cannot be made (with the MFA code and master keys on the request).
//! None of them may show a secret. The types' fields are checked to be `SecretString` /
//! `Zeroizing` where that is public (a test that only compiles while they are).

use secrecy::{ExposeSecret, SecretString};
use stsvault::config::plan::{Plan, PlanOptions};
use stsvault::config::{Config, EnvVars, MfaToken, ProfileOverrides, ResolveOptions};
use stsvault::embed::OpenOptions;
use stsvault::prompt::{Fixed, MfaProcess, MfaPrompt, MfaRequest};
use stsvault::sources::ProcessCredentials;
use stsvault::sso::OidcToken;
use stsvault::vault::{Backend, FileBackend, Item, MemoryBackend, VaultError};
use stsvault::{AccessKey, Credentials, CredentialsProvider, Vault};

const MASTER: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYMASTERKEY";
const SESSION: &str = "sessionSecretAccessKeyValue/EXAMPLE+0123";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENVALUE";
const PASSPHRASE: &str = "correct horse battery staple";
const CODE: &str = "864213";
const SSO: &str = "aoaAAAAAGEXAMPLESSOACCESSTOKEN";

const SECRETS: [&str; 6] = [MASTER, SESSION, TOKEN, PASSPHRASE, CODE, SSO];

/// Asserts that `shown` holds none of the secrets.
#[track_caller]
fn clean(what: &str, shown: &str) {
    for secret in SECRETS {
        assert!(
            !shown.contains(secret),
            "{what} shows the secret {secret:?}: {shown}"
        );
    }
}

fn debug<T: std::fmt::Debug>(what: &str, value: &T) {
    clean(what, &format!("{value:?}"));
    clean(what, &format!("{value:#?}"));
}

fn both<T: std::fmt::Debug + std::fmt::Display>(what: &str, value: &T) {
    debug(what, value);
    clean(what, &value.to_string());
}

fn session() -> Credentials {
    Credentials {
        access_key_id: "ASIAEXAMPLESESSION".into(),
        secret_access_key: SecretString::from(SESSION),
        session_token: Some(SecretString::from(TOKEN)),
        expiration: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
    }
}

/// A provider for profile `prod` of `config`, whose master secret is [`MASTER`] in a memory
/// vault and whose MFA code is [`CODE`].
fn prod_provider(config: Config, resolve: ResolveOptions) -> CredentialsProvider {
    let vault = Vault::new(Box::new(MemoryBackend::default()));
    vault
        .set_master("prod", &AccessKey::new("AKIA", SecretString::from(MASTER)))
        .unwrap();
    CredentialsProvider::builder()
        .profile("prod")
        .config(config)
        .vault(vault)
        .resolve_options(resolve)
        .mfa(Fixed::new(SecretString::from(CODE)))
        .build()
        .unwrap()
}

#[test]
fn value_types_never_show_their_secrets() {
    let key = AccessKey::new("AKIAEXAMPLEMASTER", SecretString::from(MASTER));
    debug("AccessKey", &key);
    debug("AccessKey::to_credentials", &key.to_credentials());
    debug("Credentials", &session());
    debug(
        "Credentials::from_plain",
        &Credentials::from_plain(Some("AKIA"), Some(MASTER), Some(TOKEN)),
    );
    debug("the SDK's Credentials", &session().to_sdk());
    let item = Item::new(
        "prod",
        format!("{{\"SecretAccessKey\":\"{MASTER}\"}}").into_bytes(),
        "label".into(),
        "description".into(),
    );
    debug("Item", &item);
    debug(
        "OidcToken",
        &OidcToken {
            access_token: SecretString::from(SSO),
            token_type: "Bearer".into(),
            expires_at: chrono::Utc::now(),
            refresh_token: Some(SecretString::from(TOKEN)),
        },
    );
    let env = EnvVars::from_pairs([
        ("AWS_SECRET_ACCESS_KEY", MASTER),
        ("AWS_SESSION_TOKEN", TOKEN),
        ("AWS_VAULT_FILE_PASSPHRASE", PASSPHRASE),
    ]);
    debug("EnvVars", &env);
    debug("MfaToken", &MfaToken::new(CODE));
    debug(
        "OpenOptions",
        &OpenOptions {
            file_passphrase: Some(SecretString::from(PASSPHRASE)),
            mfa_code: Some(SecretString::from(CODE)),
            ..OpenOptions::default()
        },
    );
    debug(
        "ProcessCredentials",
        &serde_json::from_str::<ProcessCredentials>(&format!(
            r#"{{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"{SESSION}","SessionToken":"{TOKEN}"}}"#
        ))
        .unwrap(),
    );
}

/// The config with plain keys in its credentials file, resolved with an MFA code given up
/// front and secrets in the environment, then planned, then turned into a provider.
#[test]
fn config_profiles_plans_and_providers_never_show_secrets() {
    let config = Config::from_strs(
        "[profile prod]\nmfa_serial = arn:aws:iam::123456789012:mfa/u\nsource_profile = base\n\
         role_arn = arn:aws:iam::123456789012:role/r\n",
        &format!(
            "[base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = {MASTER}\n\
             aws_session_token = {TOKEN}\n"
        ),
    )
    .unwrap();
    debug("Config", &config);
    let resolve = ResolveOptions {
        stored: Default::default(),
        env: EnvVars::from_pairs([
            ("AWS_SECRET_ACCESS_KEY", SESSION),
            ("AWS_VAULT_FILE_PASSPHRASE", PASSPHRASE),
        ]),
        overrides: ProfileOverrides {
            mfa_token: Some(MfaToken::new(CODE)),
            ..ProfileOverrides::default()
        },
    };
    debug("ResolveOptions", &resolve);
    let profile = config.resolve("prod", &resolve).unwrap();
    debug("ProfileConfig", &profile);
    let plan = Plan::build(&profile, &|_| false, &PlanOptions::default()).unwrap();
    debug("Plan", &plan);
    clean("Plan::describe", &plan.describe());

    let provider = prod_provider(config, resolve);
    debug("CredentialsProvider", &provider);
}

#[test]
fn vault_errors_never_show_secrets() {
    // A wrong passphrase (itself a secret) on a vault holding master keys.
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let fixed = |p: &'static str| -> stsvault::vault::PassphraseFn {
        Box::new(move |_| Ok(SecretString::from(p)))
    };
    Vault::new(Box::new(FileBackend::new(&keys, fixed("the right one"))))
        .set_master("prod", &AccessKey::new("AKIA", SecretString::from(MASTER)))
        .unwrap();
    let wrong = Vault::new(Box::new(FileBackend::new(&keys, fixed(PASSPHRASE))));
    let err = wrong.get_master("prod").unwrap_err();
    assert!(matches!(err, VaultError::WrongPassphrase { .. }), "{err}");
    both("VaultError::WrongPassphrase", &err);
    both("Error::Vault", &stsvault::Error::from(err));
    let err = wrong
        .set_master("dev", &AccessKey::new("AKIA", SecretString::from(MASTER)))
        .unwrap_err();
    both("VaultError on set", &err);

    // Items whose JSON breaks right around the secret.
    let backend = MemoryBackend::default();
    for (name, data) in [
        (
            "truncated",
            format!(r#"{{"AccessKeyID":"AKIA","SecretAccessKey":"{MASTER}"#),
        ),
        (
            "bad-type",
            format!(r#"{{"AccessKeyID":1,"SecretAccessKey":"{MASTER}"}}"#),
        ),
        (
            "trailing",
            format!(r#"{{"SecretAccessKey":"{MASTER}"}} {MASTER}"#),
        ),
    ] {
        backend
            .set(&Item::new(
                name,
                data.into_bytes(),
                String::new(),
                String::new(),
            ))
            .unwrap();
    }
    let vault = Vault::new(Box::new(backend));
    for name in ["truncated", "bad-type", "trailing"] {
        let err = vault.get_master(name).unwrap_err();
        both(&format!("VaultError for {name}"), &err);
    }
}

#[test]
fn config_errors_never_show_secrets() {
    for credentials in [
        format!("[default]\naws_access_key_id = AKIA\n{MASTER}\n"),
        format!("[default]\naws_secret_access_key: {MASTER}\n"),
        format!("[default]\n= {MASTER}\n"),
        format!("[default] aws_secret_access_key = {MASTER}\n"),
    ] {
        let err = Config::from_strs("", &credentials).unwrap_err();
        both("ConfigError::Syntax", &err);
        both("Error::Config", &stsvault::Error::from(err));
    }
}

#[test]
fn prompt_and_source_errors_never_show_what_the_programs_printed() {
    let request = MfaRequest {
        profile: "prod".into(),
        serial: "arn:aws:iam::123456789012:mfa/u".into(),
    };
    // The command is shown in errors (it is config, not a secret); what it prints is not.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("mfa.sh");
    std::fs::write(
        &script,
        format!("echo {CODE}; echo '{MASTER}' >&2; echo '{TOKEN}'; exit 3\n"),
    )
    .unwrap();
    let process = MfaProcess::new(format!("sh '{}'", script.display()));
    match process.mfa_code(&request) {
        Ok(code) => panic!(
            "a failing mfa_process gave a code: {}",
            code.expose_secret()
        ),
        Err(err) => both("PromptError from mfa_process", &err),
    }
    let bad = format!(r#"{{"Version":2,"AccessKeyId":"ASIA","SecretAccessKey":"{SESSION}"}}"#);
    let err = ProcessCredentials::parse("prod", bad.as_bytes()).unwrap_err();
    both("SourceError for version 2", &err);
    let bad = format!(r#"{{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"{SESSION}""#);
    let err = ProcessCredentials::parse("prod", bad.as_bytes()).unwrap_err();
    both("SourceError for truncated JSON", &err);
}

/// GetSessionToken signed with the master keys and carrying the MFA code, sent where nothing
/// listens: the network error (with the SDK's whole error chain) names neither.
#[test]
fn sts_errors_never_show_the_request_secrets() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let config = Config::from_strs(
        &format!(
            "[profile prod]\nmfa_serial = arn:aws:iam::123456789012:mfa/u\n\
             endpoint_url = http://127.0.0.1:{port}\nregion = us-east-1\n"
        ),
        "",
    )
    .unwrap();
    let provider = prod_provider(
        config,
        ResolveOptions {
            env: EnvVars::from_pairs([("AWS_VAULT_FILE_PASSPHRASE", PASSPHRASE)]),
            ..ResolveOptions::default()
        },
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = runtime.block_on(provider.credentials()).unwrap_err();
    assert!(
        err.to_string().contains("could not reach STS"),
        "a network error: {err}"
    );
    both("StsError::Network", &err);
}

/// Compiles only while the secret fields of the public types are secret types, which zeroize
/// their memory when dropped.
#[test]
fn secret_fields_are_zeroizing_types() {
    fn secret(_: &SecretString) {}
    fn zeroizing(_: &zeroize::Zeroizing<String>) {}
    let key = AccessKey::new("AKIA", SecretString::from(MASTER));
    secret(&key.secret_access_key);
    let creds = session();
    secret(&creds.secret_access_key);
    if let Some(t) = &creds.session_token {
        secret(t);
    }
    let token = OidcToken {
        access_token: SecretString::from(SSO),
        token_type: "Bearer".into(),
        expires_at: chrono::Utc::now(),
        refresh_token: None,
    };
    secret(&token.access_token);
    let options = OpenOptions {
        file_passphrase: Some(SecretString::from(PASSPHRASE)),
        ..OpenOptions::default()
    };
    if let Some(p) = &options.file_passphrase {
        secret(p);
    }
    let parsed: ProcessCredentials = serde_json::from_str(&format!(
        r#"{{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"{SESSION}"}}"#
    ))
    .unwrap();
    zeroizing(&parsed.secret_access_key);
}
