//! `stsvault completion SHELL`: the shell completion script, generated from the argument
//! definitions so it always matches them.

use super::CliResult;
use crate::args::{Cli, CompletionArgs};
use clap::CommandFactory;

pub fn run(args: CompletionArgs) -> CliResult<()> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "stsvault", &mut std::io::stdout());
    Ok(())
}
