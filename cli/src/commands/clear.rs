//! `stsvault clear [PROFILE]`: delete cached sessions and IAM Identity Center tokens, of one
//! profile (its sessions, the role sessions assumed through it, and the token of its
//! `sso_start_url`) or all of them.

use super::CliResult;
use crate::args::ClearArgs;
use crate::context::Context;
use stsvault::cache::role::remove_sessions_through;
use stsvault::config::{EnvVars, ResolveOptions};

pub fn run(ctx: &Context, args: ClearArgs) -> CliResult<()> {
    let vault = ctx.vault()?;
    let (sessions, tokens) = match args.profile.as_deref().filter(|p| !p.is_empty()) {
        Some(profile) => {
            let options = ResolveOptions {
                env: EnvVars::from_process(),
                ..Default::default()
            };
            let config = ctx.config()?;
            // A profile missing from the config can still have sessions; it has no SSO token.
            let start_url = config
                .resolve(profile, &options)
                .ok()
                .and_then(|p| p.sso_start_url);
            let tokens = match start_url {
                Some(url) => usize::from(vault.remove_oidc_token(&url)?),
                None => 0,
            };
            (
                remove_sessions_through(&vault, &config, &options, profile)?,
                tokens,
            )
        }
        None => {
            let mut tokens = 0;
            for url in vault.oidc_token_urls()? {
                tokens += usize::from(vault.remove_oidc_token(&url)?);
            }
            (vault.remove_all_sessions()?, tokens)
        }
    };
    if tokens > 0 {
        println!("Cleared {sessions} sessions and {tokens} IAM Identity Center tokens.");
    } else {
        println!("Cleared {sessions} sessions.");
    }
    Ok(())
}
