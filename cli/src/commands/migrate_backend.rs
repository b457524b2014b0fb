//! `stsvault migrate-backend --from B1 --to B2 [--profile P] [--dry-run] [--overwrite]
//! [--delete-source]`: move stored keys between backends (the ByteNess aws-vault fork's
//! command), printing a line per profile and a summary. The work is core's
//! `vault::migrate`; this parses the backends and prints.

use super::CliResult;
use crate::args::MigrateBackendArgs;
use crate::context::Context;
use std::io::Write;
use stsvault::vault::BackendKind;
use stsvault::vault::migrate::{self, ItemReport, MigrateError, MigrateOptions, Outcome, Progress};

pub fn run(ctx: &Context, args: MigrateBackendArgs) -> CliResult<()> {
    let from = backend(&args.from_backend, "--from")?;
    let to = backend(&args.to_backend, "--to")?;
    if from == to {
        return Err(MigrateError::SameBackend {
            backend: from.name(),
        }
        .into());
    }
    let source = ctx
        .vault_on(from)
        .map_err(|e| format!("cannot open the source backend `{}`: {e}", from.name()))?;
    let profiles = migrate::profiles_to_migrate(&source, args.profile.as_deref())?;
    if profiles.is_empty() {
        println!(
            "No credentials are stored in the `{}` backend; nothing to migrate.",
            from.name()
        );
        return Ok(());
    }
    if args.dry_run {
        println!(
            "Would migrate the credentials of {} profile(s) from `{}` to `{}`:",
            profiles.len(),
            from.name(),
            to.name()
        );
        for p in &profiles {
            println!("  {p}");
        }
        println!();
        println!("Nothing was changed (--dry-run).");
        return Ok(());
    }
    let destination = ctx
        .vault_on(to)
        .map_err(|e| format!("cannot open the destination backend `{}`: {e}", to.name()))?;
    let options = MigrateOptions {
        overwrite: args.overwrite,
        delete_source: args.delete_source,
    };
    let mut out = std::io::stdout();
    // A profile started and not finished: its line ends in "failed" if the run stops.
    let mut pending = false;
    let result = migrate::migrate(
        &source,
        &destination,
        &profiles,
        &options,
        &mut |progress| match progress {
            Progress::Started(profile) => {
                pending = true;
                let _ = write!(out, "Migrating {profile}... ");
                let _ = out.flush();
            }
            Progress::Finished(report) => {
                pending = false;
                let _ = writeln!(out, "{}", describe(report));
            }
        },
    );
    let summary = match result {
        Ok(summary) => summary,
        Err(err) => {
            if pending {
                println!("failed");
            }
            return Err(err.into());
        }
    };
    println!();
    println!("Migration summary:");
    println!("  copied: {}", summary.copied);
    println!("  overwritten: {}", summary.overwritten);
    println!("  skipped: {}", summary.skipped);
    println!("  deleted from source: {}", summary.deleted);
    Ok(())
}

/// A backend named on the command line; one this platform has, not the tests' `memory`.
fn backend(name: &str, flag: &str) -> CliResult<BackendKind> {
    let kind: BackendKind = name.parse().map_err(|e| format!("{flag}: {e}"))?;
    if !BackendKind::supported().contains(&kind) {
        let names: Vec<&str> = BackendKind::supported().iter().map(|k| k.name()).collect();
        return Err(format!(
            "{flag}: `{name}` keeps nothing between runs; use one of: {}",
            names.join(", ")
        )
        .into());
    }
    Ok(kind)
}

/// What happened to one profile, for its line.
fn describe(report: &ItemReport) -> String {
    let what = match report.outcome {
        Outcome::Copied => "copied, verified",
        Outcome::Overwritten => "overwritten, verified",
        Outcome::AlreadyThere => "skipped, the destination already holds the same credentials",
        Outcome::Conflict => {
            "skipped, the destination holds other credentials under this name (--overwrite replaces them); the source keeps its copy"
        }
    };
    if report.source_deleted {
        format!("{what}, deleted from source")
    } else {
        what.to_string()
    }
}
