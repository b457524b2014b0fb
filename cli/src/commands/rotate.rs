//! `stsvault rotate [-n] PROFILE`: replace the access key a profile's credentials start from,
//! printing each step as aws-vault does.

use super::CliResult;
use crate::args::{RotateArgs, SessionArgs};
use crate::context::Context;
use stsvault::rotate::{self, RotateEvent};

pub fn run(ctx: &Context, args: RotateArgs) -> CliResult<()> {
    let session = SessionArgs {
        no_session: args.no_session,
        no_cache: true,
        ..Default::default()
    };
    let request = ctx.credential_request(&args.profile, &session, false)?;
    let mut progress = |event: RotateEvent| match event {
        RotateEvent::Started {
            master,
            session_profile: None,
        } => println!(
            "Rotating credentials stored for profile '{master}' using master credentials (takes 10-20 seconds)"
        ),
        RotateEvent::Started {
            master,
            session_profile: Some(p),
        } => println!(
            "Rotating credentials stored for profile '{master}' using a session from profile '{p}' (takes 10-20 seconds)"
        ),
        RotateEvent::Created { key } => println!("Created new access key {key}"),
        RotateEvent::Verified { key } => println!("New access key {key} works"),
        RotateEvent::SessionsRemoved { profile, count } => {
            println!("Deleted {count} sessions for {profile}")
        }
        RotateEvent::Deleted { key } => println!("Deleted old access key {key}"),
    };
    ctx.runtime()?.block_on(rotate::rotate(
        &request.provider,
        args.no_session,
        &mut progress,
    ))?;
    println!("Finished rotating access key");
    Ok(())
}
