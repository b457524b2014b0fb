//! `stsvault remove PROFILE`: delete a profile's stored keys and its cached sessions (with the
//! role sessions assumed through it).

use super::CliResult;
use crate::args::RemoveArgs;
use crate::context::Context;
use stsvault::cache::role::remove_sessions_through;
use stsvault::config::{EnvVars, ResolveOptions};
use stsvault::prompt::read_line_from_tty;

pub fn run(ctx: &Context, args: RemoveArgs) -> CliResult<()> {
    let vault = ctx.vault()?;
    // The config only says which role sessions were assumed through the profile; a config that
    // cannot be read does not stop its own sessions from going.
    let remove_sessions = || -> CliResult<usize> {
        let options = ResolveOptions {
            env: EnvVars::from_process(),
            ..Default::default()
        };
        Ok(match ctx.config() {
            Ok(config) => remove_sessions_through(&vault, &config, &options, &args.profile)?,
            Err(e) => {
                tracing::debug!(error = %e, "config unreadable; removing only the profile's own sessions");
                vault.remove_sessions_for(&args.profile)?
            }
        })
    };
    if args.sessions_only {
        let n = remove_sessions()?;
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
    let n = remove_sessions()?;
    if n > 0 {
        println!("Deleted {n} sessions.");
    }
    Ok(())
}
