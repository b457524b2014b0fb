//! `whoami PROFILE`: an AWS SDK for Rust program whose credentials come from stsvault.
//!
//! `CredentialsProvider::from_env` opens the vault aws-vault's way (`AWS_VAULT_BACKEND`, `AWS_VAULT_FILE_DIR`, …),
//! resolves PROFILE in `~/.aws/config`, and asks for an MFA code (terminal, or the profile's
//! `mfa_process`) only when no cached session is fresh. The SDK calls it again by itself when
//! the session nears expiry. The program calls STS GetCallerIdentity twice, and prints the ARN.

use aws_config::BehaviorVersion;
use stsvault::CredentialsProvider;

#[tokio::main]
async fn main() {
    let profile = std::env::args().nth(1).unwrap_or_else(|| "default".into());
    if let Err(e) = run(&profile).await {
        eprintln!("whoami: {e}");
        std::process::exit(1);
    }
}

async fn run(profile: &str) -> Result<(), Box<dyn std::error::Error>> {
    // The config, the vault and the prompts, found as the `stsvault` command finds them.
    let provider = CredentialsProvider::from_env(profile)?;

    // Any AWS SDK client: the provider is its credentials provider.
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(provider)
        .load()
        .await;
    let sts = aws_sdk_sts::Client::new(&sdk);
    for _ in 0..2 {
        let me = sts.get_caller_identity().send().await?;
        println!("{}", me.arn().unwrap_or("?"));
    }
    Ok(())
}
