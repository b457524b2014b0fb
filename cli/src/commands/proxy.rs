//! `stsvault proxy [--stop]` (hidden, as in aws-vault): serve 169.254.169.254:80 for `exec
//! --ec2-server`, forwarding to its metadata server, until stopped, interrupted or terminated.

use super::CliResult;
use crate::args::ProxyArgs;
use crate::context::Context;
use stsvault::server::proxy;

pub fn run(ctx: &Context, args: ProxyArgs) -> CliResult<()> {
    let runtime = ctx.runtime()?;
    if args.stop {
        if !runtime.block_on(proxy::stop()) {
            return Err("no `stsvault proxy` answered on 169.254.169.254:80".into());
        }
        return Ok(());
    }
    runtime.block_on(async {
        #[cfg(unix)]
        let until = {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
        };
        #[cfg(not(unix))]
        let until = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        proxy::run(args.upstream, until).await?;
        Ok(())
    })
}
