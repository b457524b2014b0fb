//! `stsvault`: a vault for AWS access keys that hands out MFA-backed STS sessions — a drop-in
//! for `aws-vault`. This crate only parses arguments and prints; the logic is in core.

mod args;
mod commands;
mod context;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
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

/// `--debug` logs to stderr; the log never contains secrets (core only logs masked key ids).
fn init_tracing(debug: bool) {
    let filter = if debug {
        "stsvault=debug,stsvault_cli=debug"
    } else {
        "warn"
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .without_time()
        .try_init();
}
