//! `stsvault exec PROFILE [--] [CMD [ARGS…]]`: run a command with the profile's session in its
//! environment, replacing this process (as aws-vault does on Unix), so the command's exit code
//! and signals are its own. With `--profile-env` the command gets `AWS_PROFILE` instead of
//! keys, once the profile's credentials have been fetched (so an MFA prompt or a failure comes
//! before the command starts, not inside it).

use super::CliResult;
use crate::args::ExecArgs;
use crate::context::Context;
use crate::env_defaults;
use std::io::IsTerminal;
#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};
use stsvault::export;
use stsvault::server::{Ec2MetadataServer, EcsServer, proxy};

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

pub fn run(ctx: &Context, mut args: ExecArgs) -> CliResult<ExitCode> {
    env_defaults::apply_to_session(&mut args.session)?;
    let profile_env = env_defaults::flag_or_env(
        args.profile_env,
        args.no_profile_env,
        env_defaults::PROFILE_ENV,
    )?;
    ctx.refuse_nested()?;
    let serves = args.ec2_server || args.server || args.ecs_server;
    let request = ctx.credential_request(&args.profile, &args.session, serves)?;
    let region = request.region.clone();
    // As in the aws-vault fork, --profile-env has no effect with a credential server (the
    // command gets its credentials from the server); said aloud when the flag itself was given.
    if serves && args.profile_env {
        eprintln!(
            "stsvault: --profile-env is ignored with a credential server; the command gets its credentials from the server"
        );
    }
    if args.ec2_server {
        return with_ec2_server(ctx, &args, request.provider, region);
    }
    if args.server || args.ecs_server {
        return with_ecs_server(ctx, &args, request.provider, region.as_deref());
    }
    let creds = ctx.runtime()?.block_on(request.provider.credentials())?;
    if args.json {
        print!("{}", export::credential_process_json(&creds).as_str());
        println!();
        return Ok(ExitCode::SUCCESS);
    }
    // With --profile-env the credentials were fetched only to prove they work (and to cache
    // the session); the command finds them itself through AWS_PROFILE.
    let pairs = if profile_env {
        drop(creds);
        tracing::debug!("--profile-env: setting AWS_PROFILE instead of keys");
        export::profile_env_pairs(&args.profile, region.as_deref())
    } else {
        export::env_pairs(&creds, region.as_deref())
    };

    #[cfg(unix)]
    {
        let program = program_of(&args);
        let mut cmd = Command::new(&program);
        cmd.args(&args.args);
        set_env(&mut cmd, &args.profile, &pairs);
        drop(pairs);
        tracing::debug!(program = %program, "exec");
        let err = cmd.exec();
        Err(format!("couldn't run `{program}`: {err}").into())
    }
    // Windows has no exec(2): the command runs as a child, as aws-vault runs it there, and its
    // exit code becomes ours.
    #[cfg(not(unix))]
    {
        let env: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_child(&ctx.runtime()?, &args, None, &env, &[])
    }
}

/// The command to run: the one given, else the user's shell.
fn program_of(args: &ExecArgs) -> String {
    match &args.cmd {
        Some(c) => c.clone(),
        None => {
            let shell = shell_or_default(std::env::var("SHELL").ok());
            eprintln!("Starting subshell {shell}, use `exit` to exit the subshell");
            shell
        }
    }
}

/// `$SHELL` when set, else aws-vault's default: `cmd.exe` on Windows, `/bin/sh` elsewhere.
fn shell_or_default(shell: Option<String>) -> String {
    shell
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| if cfg!(windows) { "cmd.exe" } else { "/bin/sh" }.to_string())
}

/// `--ecs-server`: serve the credentials from 127.0.0.1 while the command runs as a child.
fn with_ecs_server(
    ctx: &Context,
    args: &ExecArgs,
    provider: stsvault::CredentialsProvider,
    region: Option<&str>,
) -> CliResult<ExitCode> {
    use secrecy::ExposeSecret;
    let runtime = ctx.runtime()?;
    let server = runtime.block_on(EcsServer::start(provider, args.lazy))?;
    let env = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url()),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            server.token().expose_secret(),
        ),
    ];
    run_child(&runtime, args, region, &env, &[])
}

/// `--ec2-server`: serve the credentials as the EC2 metadata service while the command runs
/// as a child, on 127.0.0.1:9099 and, through `stsvault proxy`, on 169.254.169.254:80.
fn with_ec2_server(
    ctx: &Context,
    args: &ExecArgs,
    provider: stsvault::CredentialsProvider,
    region: Option<String>,
) -> CliResult<ExitCode> {
    let runtime = ctx.runtime()?;
    let server = runtime.block_on(Ec2MetadataServer::start(
        provider,
        region.clone(),
        args.ec2_server_addr,
    ))?;
    eprintln!(
        "Warning: serving EC2 instance metadata credentials on {} (and 169.254.169.254:80 with the proxy); any local process can read them while the command runs",
        server.addr()
    );
    let proxy = Ec2Proxy::start(&runtime, server.addr());
    let endpoint = server.endpoint_url();
    let env = [("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.as_str())];
    // Variables that would send the SDKs elsewhere first, or nowhere.
    let removed = [
        "AWS_EC2_METADATA_DISABLED",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    ];
    let status = run_child(&runtime, args, region.as_deref(), &env, &removed);
    proxy.stop(&runtime);
    status
}

/// The proxy on 169.254.169.254:80 this run started, if it started one.
enum Ec2Proxy {
    /// Not started here: already running, or no way to become root.
    NotOurs,
    /// Started by `sudo -b`, so only reachable through `/stop`.
    Detached,
    /// Our own child, run as root already.
    Child(std::process::Child),
}

impl Ec2Proxy {
    /// Starts `stsvault proxy` forwarding to `upstream`: directly when running as root, with
    /// `sudo -b` (which may ask for a password) when a terminal can answer it.
    fn start(runtime: &tokio::runtime::Runtime, upstream: std::net::SocketAddr) -> Self {
        if runtime.block_on(proxy::is_running()) {
            eprintln!(
                "stsvault: 169.254.169.254:80 is already served; if that is not `stsvault proxy`, only SDKs that read AWS_EC2_METADATA_SERVICE_ENDPOINT reach the metadata server"
            );
            return Ec2Proxy::NotOurs;
        }
        let exe = match std::env::current_exe() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("stsvault: could not start the metadata proxy: {e}");
                return Ec2Proxy::NotOurs;
            }
        };
        let upstream = upstream.to_string();
        // SAFETY: geteuid(2) has no preconditions and touches no memory.
        #[cfg(unix)]
        let root = unsafe { libc::geteuid() } == 0;
        #[cfg(not(unix))]
        let root = false;
        let started = if root {
            Command::new(&exe)
                .args(["proxy", "--upstream", &upstream])
                .stdin(std::process::Stdio::null())
                .spawn()
                .map(Ec2Proxy::Child)
        } else if std::io::stdin().is_terminal() {
            Command::new("sudo")
                .arg("-b")
                .arg(&exe)
                .args(["proxy", "--upstream", &upstream])
                .status()
                .and_then(|s| {
                    if s.success() {
                        Ok(Ec2Proxy::Detached)
                    } else {
                        Err(std::io::Error::other(format!("sudo exited with {s}")))
                    }
                })
        } else {
            Err(std::io::Error::other(
                "it needs root, and there is no terminal to ask sudo's password on",
            ))
        };
        let proxy = match started {
            Ok(p) => p,
            Err(e) => {
                eprintln!(
                    "stsvault: no metadata proxy on 169.254.169.254:80 ({e}); only SDKs that read AWS_EC2_METADATA_SERVICE_ENDPOINT reach the metadata server"
                );
                return Ec2Proxy::NotOurs;
            }
        };
        let up = runtime.block_on(async {
            for _ in 0..30 {
                if proxy::is_running().await {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            false
        });
        if !up {
            eprintln!(
                "stsvault: the metadata proxy did not come up on 169.254.169.254:80; only SDKs that read AWS_EC2_METADATA_SERVICE_ENDPOINT reach the metadata server"
            );
        }
        proxy
    }

    /// Stops the proxy if this run started it.
    fn stop(self, runtime: &tokio::runtime::Runtime) {
        match self {
            Ec2Proxy::NotOurs => {}
            Ec2Proxy::Detached => {
                runtime.block_on(proxy::stop());
            }
            Ec2Proxy::Child(mut child) => {
                #[cfg(unix)]
                send_signal(Some(child.id()), libc::SIGTERM);
                #[cfg(not(unix))]
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Runs the command as a child with the profile's variables, `env` added and `removed`
/// taken away, then exits with its status (a command killed by a signal exits with 128 + the
/// signal). SIGTERM is passed on; Ctrl-C reaches the command from the terminal itself.
fn run_child(
    runtime: &tokio::runtime::Runtime,
    args: &ExecArgs,
    region: Option<&str>,
    env: &[(&str, &str)],
    removed: &[&str],
) -> CliResult<ExitCode> {
    let program = program_of(args);
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&args.args);
    for var in CLEARED.iter().chain(removed) {
        cmd.env_remove(var);
    }
    cmd.env("AWS_VAULT", &args.profile);
    for (name, value) in env {
        cmd.env(name, value);
    }
    if let Some(region) = region.filter(|r| !r.is_empty()) {
        cmd.env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region);
    }
    let status = runtime.block_on(async {
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("couldn't run `{program}`: {e}"))?;
        Ok::<_, Box<dyn std::error::Error>>(wait_passing_signals(&mut child).await?)
    })?;
    let code = status.code();
    #[cfg(unix)]
    let code = code.or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        status.signal().map(|s| 128 + s)
    });
    Ok(ExitCode::from(u8::try_from(code.unwrap_or(1)).unwrap_or(1)))
}

/// Waits for the child, passing SIGTERM on to it.
#[cfg(unix)]
async fn wait_passing_signals(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            status = child.wait() => return status,
            _ = term.recv() => send_signal(child.id(), libc::SIGTERM),
            // The terminal sends Ctrl-C to the command too; the command decides.
            _ = interrupt.recv() => {}
        }
    }
}

/// Waits for the child. The console sends Ctrl-C to the command too; the command decides.
/// Without a console to listen on, only the child is waited for.
#[cfg(not(unix))]
async fn wait_passing_signals(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    loop {
        tokio::select! {
            status = child.wait() => return status,
            listening = tokio::signal::ctrl_c() => {
                if listening.is_err() {
                    return child.wait().await;
                }
            }
        }
    }
}

/// Sends `sig` to our child `pid` (`None` once it has been reaped).
#[cfg(unix)]
fn send_signal(pid: Option<u32>, sig: i32) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) on our own child's pid; no memory is touched.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// The child's environment: ours minus other credentials, plus `pairs` (the session, or
/// `AWS_PROFILE`, and the region).
#[cfg(unix)]
fn set_env<V: std::ops::Deref<Target = String>>(
    cmd: &mut Command,
    profile: &str,
    pairs: &[(&str, V)],
) {
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("AWS_VAULT", profile);
    for (name, value) in pairs {
        cmd.env(name, value.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::shell_or_default;

    #[test]
    fn without_shell_the_platforms_shell_runs() {
        assert_eq!(shell_or_default(Some("/bin/zsh".into())), "/bin/zsh");
        let default = if cfg!(windows) { "cmd.exe" } else { "/bin/sh" };
        assert_eq!(shell_or_default(None), default);
        assert_eq!(shell_or_default(Some(String::new())), default);
    }
}
