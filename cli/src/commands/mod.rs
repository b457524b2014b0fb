//! One module per command; each turns parsed arguments into calls on core and prints.

mod add;
mod clear;
mod completion;
mod exec;
mod export;
mod list;
mod lock;
mod login;
mod migrate_backend;
mod proxy;
mod remove;
mod rotate;

use crate::args::{Cli, Command};
use crate::context::Context;
use std::process::ExitCode;

/// Any error a command reports: core's errors, plus the CLI's own usage errors.
pub type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CliResult<ExitCode> {
    let ctx = Context::new(cli.global);
    match cli.command {
        Command::Add(a) => add::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::List(a) => list::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::Exec(a) => exec::run(&ctx, a),
        Command::Export(a) => export::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::Completion(a) => completion::run(a).map(|()| ExitCode::SUCCESS),
        Command::Login(a) => login::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::Rotate(a) => rotate::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::Remove(a) => remove::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::Clear(a) => clear::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::MigrateBackend(a) => migrate_backend::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::Lock(a) => lock::run(&ctx, a).map(|()| ExitCode::SUCCESS),
        Command::Proxy(a) => proxy::run(&ctx, a).map(|()| ExitCode::SUCCESS),
    }
}
