//! `stsvault lock`: forget the file vault's cached passphrase now, so the next command asks for
//! it. Says on stderr what it did; succeeds whether or not a passphrase was cached.

use super::CliResult;
use crate::args::LockArgs;
use crate::context::Context;

pub fn run(ctx: &Context, _args: LockArgs) -> CliResult<()> {
    let (dir, forgot) = ctx.forget_cached_passphrase()?;
    if forgot {
        eprintln!("Forgot the cached passphrase of {}.", dir.display());
    } else {
        eprintln!("No passphrase of {} was cached.", dir.display());
    }
    Ok(())
}
