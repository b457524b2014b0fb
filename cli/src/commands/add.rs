//! `stsvault add PROFILE`: store an access key in the vault.

use super::CliResult;
use crate::args::AddArgs;
use crate::context::Context;
use secrecy::SecretString;
use stsvault::AccessKey;
use stsvault::cache::role::remove_sessions_through;
use stsvault::config::{EnvVars, ResolveOptions};
use stsvault::prompt::read_secret_from_tty;

pub fn run(ctx: &Context, args: AddArgs) -> CliResult<()> {
    let mut config = ctx.config()?;
    if let Some(source) = config.profile_value(&args.profile, "source_profile") {
        return Err(format!(
            "profile `{}` has `source_profile = {source}`, so keys stored for it would never be used; add them to `{source}` instead",
            args.profile
        )
        .into());
    }
    let key = if args.env {
        from_env()?
    } else {
        from_terminal()?
    };
    let vault = ctx.vault()?;
    vault.set_master(&args.profile, &key)?;
    println!("Added credentials to profile {:?} in vault", args.profile);
    let options = ResolveOptions {
        env: EnvVars::from_process(),
        ..Default::default()
    };
    let removed = remove_sessions_through(&vault, &config, &options, &args.profile)?;
    if removed > 0 {
        println!("Deleted {removed} existing sessions.");
    }
    let add_config = args.add_config && !args.no_add_config;
    if add_config && !config.has_profile(&args.profile) {
        tracing::debug!(profile = %args.profile, path = %config.config_path().display(), "adding profile to config");
        config.add_profile(&args.profile, &[])?;
    }
    Ok(())
}

fn from_env() -> CliResult<AccessKey> {
    let id = std::env::var("AWS_ACCESS_KEY_ID")
        .ok()
        .filter(|v| !v.is_empty());
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY")
        .ok()
        .filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(AccessKey::new(id, SecretString::from(secret))),
        (None, _) => Err("--env was given but AWS_ACCESS_KEY_ID is not set; export it or drop --env to be prompted".into()),
        (_, None) => Err("--env was given but AWS_SECRET_ACCESS_KEY is not set; export it or drop --env to be prompted".into()),
    }
}

fn from_terminal() -> CliResult<AccessKey> {
    let hint =
        "use `stsvault add --env PROFILE` with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set";
    let id = stsvault::prompt::read_line_from_tty("Enter Access Key ID: ", "access key id", hint)?;
    let secret = read_secret_from_tty("Enter Secret Access Key: ", "secret access key", hint)?;
    Ok(AccessKey::new(id.trim().to_string(), secret))
}
