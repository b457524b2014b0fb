//! `stsvault remove PROFILE`: delete a profile's stored keys and its cached sessions.

use super::CliResult;
use crate::args::RemoveArgs;
use crate::context::Context;
use stsvault::prompt::read_line_from_tty;

pub fn run(ctx: &Context, args: RemoveArgs) -> CliResult<()> {
    let vault = ctx.vault()?;
    if args.sessions_only {
        let n = vault.remove_sessions_for(&args.profile)?;
        println!("Deleted {n} sessions.");
        return Ok(());
    }
    if !vault.has_master(&args.profile)? {
        return Err(format!(
            "no credentials are stored for profile `{}`; `stsvault list --credentials` shows the stored ones",
            args.profile
        )
        .into());
    }
    if !args.force {
        let question = format!("Delete credentials for profile {:?}? (y|N) ", args.profile);
        let answer = read_line_from_tty(
            &question,
            "confirmation",
            "pass --force to delete without asking",
        )?;
        if !answer.eq_ignore_ascii_case("y") && !answer.eq_ignore_ascii_case("yes") {
            return Ok(());
        }
    }
    vault.remove_master(&args.profile)?;
    println!("Deleted credentials.");
    let n = vault.remove_sessions_for(&args.profile)?;
    if n > 0 {
        println!("Deleted {n} sessions.");
    }
    Ok(())
}
