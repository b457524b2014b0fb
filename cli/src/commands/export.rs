//! `stsvault export PROFILE [--format env|export-env|ini|json]`: print the profile's session for
//! other programs; `--format json` is a `credential_process` for the AWS CLI and SDKs.

use super::CliResult;
use crate::args::ExportArgs;
use crate::context::Context;
use crate::env_defaults;
use std::io::Write;
use stsvault::export::{self, ExportFormat};

pub fn run(ctx: &Context, mut args: ExportArgs) -> CliResult<()> {
    env_defaults::apply_to_session(&mut args.session)?;
    ctx.refuse_nested()?;
    let format: ExportFormat = args.format.parse()?;
    let request = ctx.credential_request(&args.profile, &args.session, false)?;
    let creds = ctx.runtime()?.block_on(request.provider.credentials())?;
    let text = export::render(&creds, &args.profile, request.region.as_deref(), format);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
