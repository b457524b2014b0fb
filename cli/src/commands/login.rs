//! `stsvault login [PROFILE]`: open the AWS Management Console signed in with the profile's
//! session (or, without a profile, with the keys in the environment), or print the link with
//! `--stdout`.

use super::CliResult;
use crate::args::LoginArgs;
use crate::context::Context;
use crate::env_defaults;
use stsvault::config::ResolveOptions;
use stsvault::login::{self, LoginOptions};

pub fn run(ctx: &Context, mut args: LoginArgs) -> CliResult<()> {
    args.session.console = true;
    args.session.stdout |= args.stdout_short;
    env_defaults::apply_to_session(&mut args.session)?;
    let auto_logout = env_defaults::flag_or_env(
        args.auto_logout,
        args.no_auto_logout,
        env_defaults::AUTO_LOGOUT,
    )?;
    let (env, overrides) = Context::environment(&args.session)?;
    let options = LoginOptions {
        path: args.path.clone(),
        duration: overrides.session_duration,
        auto_logout,
    };
    let url = match &args.profile {
        Some(profile) => {
            let request = ctx.credential_request(profile, &args.session, false)?;
            ctx.runtime()?
                .block_on(login::login_url(&request.provider, &options))?
        }
        None => {
            let resolve = ResolveOptions {
                stored: Default::default(),
                env,
                overrides,
            };
            ctx.runtime()?
                .block_on(login::login_url_from_environment(&resolve, &options))?
        }
    };
    if args.session.stdout {
        println!("{}", url.as_str());
        return Ok(());
    }
    let retry = match &args.profile {
        Some(p) => format!("stsvault login --stdout {p}"),
        None => "stsvault login --stdout".to_string(),
    };
    stsvault::browser::open(&url).map_err(|reason| {
        format!("could not open a browser ({reason}); run `{retry}` and open the link yourself")
    })?;
    Ok(())
}
