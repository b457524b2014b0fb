//! Variables of the ByteNess aws-vault fork that stand in for a command's flag when the flag is
//! not on the command line: `AWS_VAULT_DURATION` (`-d/--duration` of exec, export and login),
//! `AWS_VAULT_STDOUT` (`--stdout` of exec, export and login), `AWS_VAULT_PROFILE_ENV` (exec's
//! `--profile-env`) and `AWS_VAULT_AUTO_LOGOUT` (login's `-a/--auto-logout`).
//!
//! The flag always wins, and so does its `--no-…` form over a variable set to true; an empty
//! variable counts as unset. Only the command that has the flag reads its variable, so a bad
//! value breaks `exec` but not `list`. Booleans are Go's `strconv.ParseBool` words, as the fork
//! reads them (`true`/`false`, `t`/`f`, `1`/`0`, in any case); anything else is an error that
//! names the variable.

use crate::args::SessionArgs;
use crate::commands::CliResult;
use stsvault::config::parse_duration_with_days;

/// `-d/--duration`'s variable.
pub const DURATION: &str = "AWS_VAULT_DURATION";
/// `--stdout`'s variable.
pub const STDOUT: &str = "AWS_VAULT_STDOUT";
/// exec's `--profile-env` variable.
pub const PROFILE_ENV: &str = "AWS_VAULT_PROFILE_ENV";
/// login's `--auto-logout` variable.
pub const AUTO_LOGOUT: &str = "AWS_VAULT_AUTO_LOGOUT";

/// Fills `--duration` and `--stdout` from their variables where the command line left them out.
pub fn apply_to_session(session: &mut SessionArgs) -> CliResult<()> {
    session.stdout = flag_or_env(session.stdout, session.no_stdout, STDOUT)?;
    if session.duration.as_deref().is_none_or(str::is_empty)
        && let Some(text) = var(DURATION)?
    {
        parse_duration_with_days(&text).map_err(|reason| {
            format!("{DURATION}=`{text}` is not a duration ({reason}); set it to e.g. 1h, 90m or 2d, or unset it")
        })?;
        session.duration = Some(text);
    }
    Ok(())
}

/// A boolean flag's value: true if given, false if its `--no-…` form was, else `variable`'s.
pub fn flag_or_env(given: bool, negated: bool, variable: &str) -> CliResult<bool> {
    if given || negated {
        return Ok(given);
    }
    match var(variable)? {
        None => Ok(false),
        Some(text) => parse_bool(&text).ok_or_else(|| {
            format!(
                "{variable}=`{text}` is neither true nor false; set it to true (or 1) or false (or 0), or unset it"
            )
            .into()
        }),
    }
}

/// The variable's value; `None` when unset or empty.
fn var(variable: &str) -> CliResult<Option<String>> {
    match std::env::var(variable) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{variable} is not valid UTF-8; set it again, or unset it").into())
        }
    }
}

/// Go's `strconv.ParseBool` words, in any case.
fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" => Some(true),
        "0" | "f" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bool;

    #[test]
    fn go_booleans() {
        for t in ["1", "t", "T", "true", "TRUE", "True"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "f", "F", "false", "FALSE", "False"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for bad in ["yes", "no", "on", "2", " true"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
    }
}
