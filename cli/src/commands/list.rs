//! `stsvault list`: profiles, which have stored credentials, and cached sessions.

use super::CliResult;
use crate::args::ListArgs;
use crate::context::Context;
use chrono::Utc;
use stsvault::config::{EnvVars, ResolveOptions};
use stsvault::vault::SessionMeta;

pub fn run(ctx: &Context, args: ListArgs) -> CliResult<()> {
    let vault = ctx.vault()?;
    if args.credentials {
        for name in vault.master_names()? {
            println!("{name}");
        }
        return Ok(());
    }
    let config = ctx.config()?;
    if args.profiles {
        for name in config.profile_names() {
            println!("{name}");
        }
        return Ok(());
    }
    let sessions = vault.sessions()?;
    if args.sessions {
        for s in &sessions {
            println!("{}", label(s));
        }
        return Ok(());
    }
    let stored = vault.master_names()?;
    let mut rows = vec![
        [
            "Profile".to_string(),
            "Credentials".to_string(),
            "Sessions".to_string(),
        ],
        [
            "=======".to_string(),
            "===========".to_string(),
            "========".to_string(),
        ],
    ];
    let profiles = config.profile_names();
    let tokens = vault.oidc_token_urls()?;
    let resolve = ResolveOptions {
        env: EnvVars::from_process(),
        ..Default::default()
    };
    for name in &profiles {
        let cred = if stored.contains(name) {
            name.clone()
        } else {
            "-".to_string()
        };
        let mut labels = labels_for(&sessions, Some(name));
        // As aws-vault: an SSO profile whose start URL has a kept token shows `oidc:URL`.
        let start_url = match tokens.is_empty() {
            true => None,
            false => config
                .resolve(name, &resolve)
                .ok()
                .and_then(|p| p.sso_start_url),
        };
        if let Some(url) = start_url.filter(|u| tokens.contains(u)) {
            let token = format!("oidc:{url}");
            labels = if labels == "-" {
                token
            } else {
                format!("{labels}, {token}")
            };
        }
        rows.push([name.clone(), cred, labels]);
    }
    for name in stored.iter().filter(|n| !profiles.contains(n)) {
        rows.push([
            "-".to_string(),
            name.clone(),
            labels_for(&sessions, Some(name)),
        ]);
    }
    let orphans: Vec<String> = sessions
        .iter()
        .filter(|s| !profiles.contains(&s.profile) && !stored.contains(&s.profile))
        .map(label)
        .collect();
    for o in orphans {
        rows.push(["-".to_string(), "-".to_string(), o]);
    }
    print_table(&rows);
    Ok(())
}

fn labels_for(sessions: &[SessionMeta], profile: Option<&String>) -> String {
    let labels: Vec<String> = sessions
        .iter()
        .filter(|s| Some(&s.profile) == profile)
        .map(label)
        .collect();
    if labels.is_empty() {
        "-".to_string()
    } else {
        labels.join(", ")
    }
}

/// `type:time-left`, as aws-vault shows a session (e.g. `sts.GetSessionToken:55m12s`).
fn label(s: &SessionMeta) -> String {
    let left = (s.expiration - Utc::now()).num_seconds();
    let (sign, left) = if left < 0 { ("-", -left) } else { ("", left) };
    let (h, m, sec) = (left / 3600, (left % 3600) / 60, left % 60);
    let time = if h > 0 {
        format!("{sign}{h}h{m}m{sec}s")
    } else if m > 0 {
        format!("{sign}{m}m{sec}s")
    } else {
        format!("{sign}{sec}s")
    };
    format!("{}:{time}", s.kind)
}

fn print_table(rows: &[[String; 3]]) {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(23)
            + 2
    };
    let (w0, w1) = (width(0), width(1));
    for r in rows {
        println!("{:<w0$}{:<w1$}{}", r[0], r[1], r[2]);
    }
}
