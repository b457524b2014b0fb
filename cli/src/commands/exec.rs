//! `stsvault exec PROFILE [--] [CMD [ARGS…]]`: run a command with the profile's session in its
//! environment, replacing this process (as aws-vault does on Unix), so the command's exit code
//! and signals are its own.

use super::CliResult;
use crate::args::ExecArgs;
use crate::context::Context;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};
use stsvault::server::CredentialServer;
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
    if args.ec2_server {
        return Err("--ec2-server is not supported: the EC2 metadata address 169.254.169.254 needs root to set up; use --ecs-server, which every AWS SDK and the CLI read".into());
    }
    let request = ctx.credential_request(&args.profile, &args.session)?;
    let region = request.region.clone();
    if args.server || args.ecs_server {
        return with_server(ctx, args, request.provider, region.as_deref());
    }
    let creds = ctx.runtime()?.block_on(request.provider.credentials())?;
    if args.json {
        print!("{}", export::credential_process_json(&creds).as_str());
        println!();
        return Ok(ExitCode::SUCCESS);
    }

    let program = program_of(&args);
    let mut cmd = Command::new(&program);
    cmd.args(&args.args);
    set_env(&mut cmd, &args.profile, region.as_deref(), &creds);
    tracing::debug!(program = %program, "exec");
    let err = cmd.exec();
    Err(format!("couldn't run `{program}`: {err}").into())
}

/// The command to run: the one given, else the user's shell.
fn program_of(args: &ExecArgs) -> String {
    match &args.cmd {
        Some(c) => c.clone(),
        None => {
            let shell = std::env::var("SHELL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".to_string());
            eprintln!("Starting subshell {shell}, use `exit` to exit the subshell");
            shell
        }
    }
}

/// `--ecs-server`: serve the credentials from 127.0.0.1 while the command runs as a child,
/// then exit with its status (a command killed by a signal exits with 128 + the signal).
fn with_server(
    ctx: &Context,
    args: ExecArgs,
    provider: stsvault::CredentialsProvider,
    region: Option<&str>,
) -> CliResult<ExitCode> {
    use secrecy::ExposeSecret;
    use std::os::unix::process::ExitStatusExt;
    let runtime = ctx.runtime()?;
    let server = runtime.block_on(CredentialServer::start(provider, args.lazy))?;
    let program = program_of(&args);
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&args.args);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("AWS_VAULT", &args.profile)
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url())
        .env(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            server.token().expose_secret(),
        );
    if let Some(region) = region.filter(|r| !r.is_empty()) {
        cmd.env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region);
    }
    let status = runtime.block_on(async {
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("couldn't run `{program}`: {e}"))?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        loop {
            tokio::select! {
                status = child.wait() => return Ok::<_, Box<dyn std::error::Error>>(status?),
                _ = term.recv() => forward(&child, libc::SIGTERM),
                // The terminal sends Ctrl-C to the command too; the command decides.
                _ = interrupt.recv() => {}
            }
        }
    })?;
    drop(server);
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

fn forward(child: &tokio::process::Child, signal: i32) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) on our own child's pid; no memory is touched.
        unsafe {
            libc::kill(pid, signal);
        }
    }
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
