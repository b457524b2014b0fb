//! `stsvault`: a vault for AWS access keys that hands out MFA-backed STS sessions — a drop-in
//! for `aws-vault`. This crate only parses arguments and prints; the logic is in core.

mod args;
mod commands;
mod complete;
mod context;
mod env_defaults;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    if let Some(code) = kingpin_completion() {
        return code;
    }
    let cli = args::Cli::parse();
    init_tracing(cli.global.debug);
    let command = cli.command.name();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("stsvault: error: {command}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// aws-vault's (kingpin's) hidden completion flags, first on the command line:
/// `--completion-bash WORDS…` prints the candidates for the last word, and
/// `--completion-script-bash` / `--completion-script-zsh` print the scripts.
fn kingpin_completion() -> Option<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shell = match args.first().map(String::as_str) {
        Some("--completion-bash") => {
            let profiles = || {
                stsvault::config::Config::load()
                    .map(|c| c.profile_names())
                    .unwrap_or_default()
            };
            for candidate in complete::candidates(&args[1..], profiles) {
                println!("{candidate}");
            }
            return Some(ExitCode::SUCCESS);
        }
        Some("--completion-script-bash") => clap_complete::Shell::Bash,
        Some("--completion-script-zsh") => clap_complete::Shell::Zsh,
        _ => return None,
    };
    print!("{}", complete::script(shell).unwrap_or_default());
    Some(ExitCode::SUCCESS)
}

/// `--debug` logs to stderr; the log never contains secrets (core only logs masked key ids).
/// The filter is a fixed list of targets, not a parsed directive string, so the binary carries
/// no regex engine.
fn init_tracing(debug: bool) {
    use tracing::Level;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = if debug {
        Targets::new()
            .with_target("stsvault", Level::DEBUG)
            .with_target("stsvault_cli", Level::DEBUG)
            .with_default(Level::WARN)
    } else {
        Targets::new().with_default(Level::WARN)
    };
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time();
    let _ = tracing_subscriber::registry()
        .with(output)
        .with(filter)
        .try_init();
}
