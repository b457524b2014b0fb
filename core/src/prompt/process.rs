//! Prompts that run a program: the profile's `mfa_process` (through `/bin/sh -c`, `cmd.exe /c`
//! on Windows, as aws-vault does) and the GUI/hardware drivers `zenity`, `kdialog`, `osascript` and `ykman`.

use super::{MfaPrompt, MfaRequest, PromptError, non_empty};
use secrecy::SecretString;
use std::process::{Command, Stdio};

/// Runs `command` and returns its trimmed standard output. Its stderr goes to ours, so the
/// user sees its messages; its output (the code) is never logged.
fn run(driver: &str, shown: &str, mut cmd: Command) -> Result<String, PromptError> {
    let failed = |reason: String| PromptError::CommandFailed {
        driver: driver.to_string(),
        command: shown.to_string(),
        reason,
    };
    let out = cmd
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| failed(e.to_string()))?;
    if !out.status.success() {
        return Err(failed(out.status.to_string()));
    }
    String::from_utf8(out.stdout).map_err(|_| failed("its output is not UTF-8".to_string()))
}

/// The profile's `mfa_process`: a shell command whose output is the code.
#[derive(Debug, Clone)]
pub struct MfaProcess {
    command: String,
}

impl MfaProcess {
    /// Uses the shell command `command`.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
        }
    }
}

impl MfaPrompt for MfaProcess {
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError> {
        tracing::debug!(profile = %request.profile, "running mfa_process");
        let cmd = crate::child::shell_command(&self.command);
        let out = run("mfa_process", &self.command, cmd)?;
        non_empty(
            out,
            &format!("MFA code from mfa_process for {}", request.serial),
        )
    }
}

/// A prompt driver that runs a well-known program (`zenity`, `kdialog`, `osascript`, `ykman`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandPrompt {
    /// GNOME dialog.
    Zenity,
    /// KDE dialog.
    Kdialog,
    /// macOS dialog.
    Osascript,
    /// YubiKey OATH code (`ykman oath accounts code --single`).
    Ykman,
}

impl CommandPrompt {
    /// The program this driver runs.
    pub fn program(self) -> &'static str {
        match self {
            Self::Zenity => "zenity",
            Self::Kdialog => "kdialog",
            Self::Osascript => "osascript",
            Self::Ykman => "ykman",
        }
    }

    fn command(self, request: &MfaRequest) -> Command {
        let message = request.message();
        let mut cmd = Command::new(self.program());
        match self {
            Self::Zenity => {
                cmd.args(["--entry", "--title", "stsvault", "--text", &message]);
            }
            Self::Kdialog => {
                cmd.args(["--inputbox", &message, "--title", "stsvault"]);
            }
            Self::Osascript => {
                let script = format!(
                    "display dialog {:?} default answer \"\" with title \"stsvault\" buttons {{\"Cancel\", \"OK\"}} default button \"OK\"\ntext returned of result",
                    message
                );
                cmd.args(["-e", &script]);
            }
            Self::Ykman => {
                let name = std::env::var("YKMAN_OATH_CREDENTIAL_NAME")
                    .unwrap_or_else(|_| request.serial.clone());
                if let Ok(device) = std::env::var("YKMAN_OATH_DEVICE_SERIAL") {
                    cmd.args(["--device", &device]);
                }
                match std::env::var("AWS_VAULT_YKMAN_VERSION").as_deref() {
                    Ok("1" | "2" | "3") => cmd.args(["oath", "code", "--single", &name]),
                    _ => cmd.args(["oath", "accounts", "code", "--single", &name]),
                };
            }
        }
        cmd
    }
}

impl MfaPrompt for CommandPrompt {
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError> {
        let out = run(self.program(), self.program(), self.command(request))?;
        non_empty(out, &format!("MFA code for {}", request.serial))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn request() -> MfaRequest {
        MfaRequest {
            profile: "p".into(),
            serial: "arn:aws:iam::1:mfa/u".into(),
        }
    }

    #[test]
    fn mfa_process_output_is_trimmed() {
        let code = MfaProcess::new("echo '  123456  '")
            .mfa_code(&request())
            .unwrap();
        assert_eq!(code.expose_secret(), "123456");
    }

    #[test]
    fn failing_mfa_process_is_an_error_without_output() {
        let err = MfaProcess::new("expr 111111 \\* 9; exit 3")
            .mfa_code(&request())
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("mfa_process"), "{text}");
        assert!(!text.contains("999999"), "{text}");
    }

    #[test]
    fn empty_mfa_process_output_is_an_error() {
        let err = MfaProcess::new("true").mfa_code(&request()).unwrap_err();
        assert!(matches!(err, PromptError::Empty { .. }), "{err}");
    }
}
