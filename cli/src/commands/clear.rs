//! `stsvault clear [PROFILE]`: delete cached sessions, of one profile or all of them.

use super::CliResult;
use crate::args::ClearArgs;
use crate::context::Context;

pub fn run(ctx: &Context, args: ClearArgs) -> CliResult<()> {
    let vault = ctx.vault()?;
    let n = match args.profile.as_deref().filter(|p| !p.is_empty()) {
        Some(profile) => vault.remove_sessions_for(profile)?,
        None => vault.remove_all_sessions()?,
    };
    println!("Cleared {n} sessions.");
    Ok(())
}
