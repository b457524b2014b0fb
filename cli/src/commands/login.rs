//! `stsvault login PROFILE`: open the AWS Management Console signed in with the profile's
//! session, or print the link with `--stdout`.

use super::CliResult;
use crate::args::LoginArgs;
use crate::context::Context;
use stsvault::login::{self, LoginOptions};

pub fn run(ctx: &Context, mut args: LoginArgs) -> CliResult<()> {
    args.session.console = true;
    let request = ctx.credential_request(&args.profile, &args.session)?;
    let options = LoginOptions {
        path: args.path.clone(),
        duration: match args.session.duration.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => Some(stsvault::config::parse_go_duration(d).map_err(|e| {
                format!("invalid --duration `{d}`: {e}; use e.g. 1h, 30m or 3600s")
            })?),
            None => None,
        },
    };
    let url = ctx
        .runtime()?
        .block_on(login::login_url(&request.provider, &options))?;
    if args.session.stdout {
        println!("{}", url.as_str());
        return Ok(());
    }
    stsvault::browser::open(&url).map_err(|reason| {
        format!("could not open a browser ({reason}); run `stsvault login --stdout {}` and open the link yourself", args.profile)
    })?;
    Ok(())
}
