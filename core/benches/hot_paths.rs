//! Criterion benches of the paths every `stsvault export` / `credential_process` run takes:
//! reading and resolving a profile in configs of 10, 1,000 and 10,000 profiles, looking up a
//! cached session in the file vault (directory listing + JWE decrypt), decrypting a stored key,
//! and rendering the credential_process JSON. Results: benches/README.md.

use chrono::{Duration as ChronoDuration, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use secrecy::SecretString;
use std::hint::black_box;
use std::time::Duration;
use stsvault::cache::SessionCache;
use stsvault::config::{EnvVars, ResolveOptions};
use stsvault::export::credential_process_json;
use stsvault::vault::{FileBackend, SessionKey};
use stsvault::{AccessKey, Config, Credentials, Vault};

/// A config of `n` profiles, each with an MFA device, every tenth a role on the one before.
fn config_text(n: usize) -> String {
    let mut text = String::from("[default]\nregion = us-east-1\n");
    for i in 0..n {
        text.push_str(&format!(
            "[profile p{i}]\nmfa_serial = arn:aws:iam::123456789012:mfa/p{i}\nregion = eu-west-1\n"
        ));
        if i % 10 == 9 {
            text.push_str(&format!(
                "role_arn = arn:aws:iam::123456789012:role/r{i}\nsource_profile = p{}\n",
                i - 1
            ));
        }
    }
    text
}

fn profile_resolution(c: &mut Criterion) {
    let mut group = c.benchmark_group("config");
    for n in [10usize, 1_000, 10_000] {
        let text = config_text(n);
        let target = format!("p{}", n - 1); // a role profile near the end of the file
        let opts = ResolveOptions {
            env: EnvVars::from_pairs(Vec::<(String, String)>::new()),
            ..Default::default()
        };
        group.bench_with_input(BenchmarkId::new("parse_and_resolve", n), &n, |b, _| {
            b.iter(|| {
                let config = Config::from_strs(black_box(&text), "").expect("config parses");
                black_box(config.resolve(&target, &opts).expect("profile resolves"))
            })
        });
    }
    group.finish();
}

fn session_credentials() -> Credentials {
    Credentials {
        access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
        secret_access_key: SecretString::from("s".repeat(40)),
        session_token: Some(SecretString::from("t".repeat(700))),
        expiration: Some(Utc::now() + ChronoDuration::hours(1)),
    }
}

fn file_vault(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ask: stsvault::vault::PassphraseFn =
        Box::new(|_| Ok(SecretString::from("bench passphrase")));
    let vault = Vault::new(Box::new(FileBackend::new(dir.path(), ask)));
    // A vault as a user's looks: a few profiles' keys and sessions.
    for i in 0..20 {
        let key = AccessKey::new(format!("AKIAEXAMPLE{i:09}"), "k".repeat(40));
        vault.set_master(&format!("p{i}"), &key).expect("stored");
        let session = SessionKey::new("sts.GetSessionToken", format!("p{i}"), format!("mfa/p{i}"));
        vault
            .set_session(&session, &session_credentials())
            .expect("stored");
    }
    let key = SessionKey::new("sts.GetSessionToken", "p7", "mfa/p7");
    let cache = SessionCache::new(&vault, Duration::from_secs(300));
    let mut group = c.benchmark_group("file_vault");
    group.bench_function("cached_session_lookup", |b| {
        b.iter(|| black_box(cache.get(black_box(&key)).expect("read").expect("cached")))
    });
    group.bench_function("master_key_decrypt", |b| {
        b.iter(|| {
            black_box(
                vault
                    .get_master(black_box("p7"))
                    .expect("read")
                    .expect("stored"),
            )
        })
    });
    group.finish();
}

fn credential_process(c: &mut Criterion) {
    let creds = session_credentials();
    c.bench_function("export/credential_process_json", |b| {
        b.iter(|| black_box(credential_process_json(black_box(&creds))))
    });
}

criterion_group!(benches, profile_resolution, file_vault, credential_process);
criterion_main!(benches);
