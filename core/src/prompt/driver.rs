//! Choosing the MFA prompt: `--prompt` / `AWS_VAULT_PROMPT` drivers, and aws-vault's order of
//! precedence (a given code, then `mfa_process`, then the driver).

use super::{CommandPrompt, Fixed, MfaProcess, MfaPrompt, PromptError, Terminal};
use std::str::FromStr;
use std::sync::Arc;

/// A prompt driver selectable by name, as aws-vault's `--prompt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Driver {
    /// Ask on `/dev/tty`, the console on Windows (the default).
    #[default]
    Terminal,
    /// A program that asks or computes the code.
    Command(CommandPrompt),
    /// The Windows credentials dialog.
    #[cfg(windows)]
    WinCredUi,
}

const ALL: [(&str, Driver); 5] = [
    ("terminal", Driver::Terminal),
    ("kdialog", Driver::Command(CommandPrompt::Kdialog)),
    ("osascript", Driver::Command(CommandPrompt::Osascript)),
    ("ykman", Driver::Command(CommandPrompt::Ykman)),
    ("zenity", Driver::Command(CommandPrompt::Zenity)),
];

/// Drivers that exist only on this platform.
#[cfg(windows)]
const PLATFORM: [(&str, Driver); 1] = [("wincredui", Driver::WinCredUi)];
#[cfg(not(windows))]
const PLATFORM: [(&str, Driver); 0] = [];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| in_dirs(program, std::env::split_paths(&paths)))
}

/// True when one of `dirs` holds `program` as the OS runs it: on Windows `program.exe`, the
/// name `Command` looks for there (`ykman.exe`).
fn in_dirs(program: &str, mut dirs: impl Iterator<Item = std::path::PathBuf>) -> bool {
    let file = format!("{program}{}", std::env::consts::EXE_SUFFIX);
    dirs.any(|dir| dir.join(&file).is_file())
}

impl Driver {
    /// The drivers usable here: `terminal`, plus each program found on `PATH`.
    pub fn available() -> Vec<&'static str> {
        ALL.iter()
            .chain(PLATFORM.iter())
            .filter(|(_, d)| match d {
                Driver::Terminal => true,
                Driver::Command(c) => on_path(c.program()),
                #[cfg(windows)]
                Driver::WinCredUi => true,
            })
            .map(|(name, _)| *name)
            .collect()
    }

    /// This driver as a prompt.
    pub fn prompt(self) -> Arc<dyn MfaPrompt> {
        match self {
            Driver::Terminal => Arc::new(Terminal),
            Driver::Command(c) => Arc::new(c),
            #[cfg(windows)]
            Driver::WinCredUi => Arc::new(super::wincredui::WinCredUi),
        }
    }
}

impl FromStr for Driver {
    type Err = PromptError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let found = ALL
            .iter()
            .chain(PLATFORM.iter())
            .find(|(n, _)| *n == name)
            .map(|(_, d)| *d);
        match found {
            Some(Driver::Command(c)) if !on_path(c.program()) => Err(PromptError::UnknownDriver {
                name: format!("{name}` (`{}` is not installed", c.program()),
                available: Driver::available().join(", "),
            }),
            Some(d) => Ok(d),
            None => Err(PromptError::UnknownDriver {
                name: name.to_string(),
                available: Driver::available().join(", "),
            }),
        }
    }
}

/// The prompt aws-vault would use for one MFA step: a code given up front wins, then the
/// profile's `mfa_process`, then `fallback` (the selected driver or a caller's callback).
pub fn mfa_prompt_for(
    mfa_token: Option<&str>,
    mfa_process: Option<&str>,
    fallback: Arc<dyn MfaPrompt>,
) -> Arc<dyn MfaPrompt> {
    if let Some(code) = mfa_token {
        return Arc::new(Fixed::new(code.to_string()));
    }
    if let Some(cmd) = mfa_process {
        return Arc::new(MfaProcess::new(cmd));
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_is_always_available() {
        assert_eq!("terminal".parse::<Driver>().unwrap(), Driver::Terminal);
        assert!(Driver::available().contains(&"terminal"));
    }

    #[test]
    #[cfg(not(windows))]
    fn wincredui_exists_only_on_windows() {
        assert!(!Driver::available().contains(&"wincredui"));
        let err = "wincredui".parse::<Driver>().unwrap_err();
        assert!(matches!(err, PromptError::UnknownDriver { .. }), "{err}");
    }

    #[test]
    fn programs_are_found_under_the_name_the_os_runs() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = || std::iter::once(dir.path().to_path_buf());
        assert!(!in_dirs("ykman", dirs()));
        std::fs::write(
            dir.path()
                .join(format!("ykman{}", std::env::consts::EXE_SUFFIX)),
            "",
        )
        .unwrap();
        assert!(in_dirs("ykman", dirs()));
        assert!(!in_dirs("zenity", dirs()));
    }

    #[test]
    fn unknown_driver_lists_the_available_ones() {
        let err = "pigeon".parse::<Driver>().unwrap_err().to_string();
        assert!(err.contains("pigeon") && err.contains("terminal"), "{err}");
    }
}
