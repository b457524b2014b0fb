//! `stsvault exec PROFILE [--] [CMD [ARGS…]]`: run a command with the profile's session in its
//! environment, replacing this process (as aws-vault does on Unix), so the command's exit code
//! and signals are its own.

use super::CliResult;
use crate::args::ExecArgs;
use crate::context::Context;
use secrecy::ExposeSecret;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};
use stsvault::Credentials;

/// Variables that could carry other credentials into the child; removed as aws-vault does.
const CLEARED: [&str; 8] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_FILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_PROFILE",
    "AWS_SDK_LOAD_CONFIG",
];

pub fn run(ctx: &Context, args: ExecArgs) -> CliResult<ExitCode> {
    if let Ok(current) = std::env::var("AWS_VAULT")
        && !current.is_empty()
    {
        return Err(format!(
                "already running inside `stsvault exec {current}` (AWS_VAULT={current}); 'exit' from that subshell or unset AWS_VAULT to force"
            )
            .into());
    }
    let request = ctx.credential_request(&args.profile, &args.session)?;
    let region = request.region.clone();
    let creds = ctx.runtime()?.block_on(request.provider.credentials())?;

    let program = match args.cmd {
        Some(c) => c,
        None => {
            let shell = std::env::var("SHELL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".to_string());
            eprintln!("Starting subshell {shell}, use `exit` to exit the subshell");
            shell
        }
    };
    let mut cmd = Command::new(&program);
    cmd.args(&args.args);
    set_env(&mut cmd, &args.profile, region.as_deref(), &creds);
    tracing::debug!(program = %program, "exec");
    let err = cmd.exec();
    Err(format!("couldn't run `{program}`: {err}").into())
}

/// The child's environment: ours minus other credentials, plus the session.
fn set_env(cmd: &mut Command, profile: &str, region: Option<&str>, creds: &Credentials) {
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("AWS_VAULT", profile);
    if let Some(region) = region.filter(|r| !r.is_empty()) {
        cmd.env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region);
    }
    cmd.env("AWS_ACCESS_KEY_ID", &creds.access_key_id);
    cmd.env(
        "AWS_SECRET_ACCESS_KEY",
        creds.secret_access_key.expose_secret(),
    );
    if let Some(token) = creds.session_token_str() {
        cmd.env("AWS_SESSION_TOKEN", token);
    }
    if let Some(exp) = creds.expiration {
        cmd.env(
            "AWS_CREDENTIAL_EXPIRATION",
            exp.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        );
    }
}
