//! `stsvault exec PROFILE [--] [CMD [ARGS…]]`: run a command with the profile's session in its
//! environment, replacing this process (as aws-vault does on Unix), so the command's exit code
//! and signals are its own.

use super::CliResult;
use crate::args::ExecArgs;
use crate::context::Context;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};
use stsvault::{Credentials, export};

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
    ctx.refuse_nested()?;
    let request = ctx.credential_request(&args.profile, &args.session)?;
    let region = request.region.clone();
    let creds = ctx.runtime()?.block_on(request.provider.credentials())?;
    if args.json {
        print!("{}", export::credential_process_json(&creds).as_str());
        println!();
        return Ok(ExitCode::SUCCESS);
    }

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
    for (name, value) in export::env_pairs(creds, region) {
        cmd.env(name, value.as_str());
    }
}
