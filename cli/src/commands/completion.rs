//! `stsvault completion SHELL`: the shell completion script. For bash, zsh and fish it asks
//! `stsvault --completion-bash` on every Tab, so profile names come from ~/.aws/config; for the
//! other shells it is generated from the argument definitions.

use super::CliResult;
use crate::args::{Cli, CompletionArgs};
use crate::complete;
use clap::CommandFactory;

pub fn run(args: CompletionArgs) -> CliResult<()> {
    match complete::script(args.shell) {
        Some(script) => print!("{script}"),
        None => {
            let mut cmd = Cli::command();
            clap_complete::generate(args.shell, &mut cmd, "stsvault", &mut std::io::stdout());
        }
    }
    Ok(())
}
