//! The terminal prompt: reads from `/dev/tty` (the console, `CONIN$` and `CONOUT$`, on
//! Windows), so it works when stdin and stdout are pipes (`credential_process`,
//! `exec … | tee`). MFA codes are echoed like aws-vault's; passphrases are not.

use super::{MfaPrompt, MfaRequest, PromptError, non_empty};
use secrecy::SecretString;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};

/// Asks on the controlling terminal.
#[derive(Debug, Default, Clone, Copy)]
pub struct Terminal;

/// Where answers are read from.
#[cfg(not(windows))]
const TTY_IN: &str = "/dev/tty";
/// Where questions are written to.
#[cfg(not(windows))]
const TTY_OUT: &str = "/dev/tty";
#[cfg(windows)]
const TTY_IN: &str = "CONIN$";
#[cfg(windows)]
const TTY_OUT: &str = "CONOUT$";

fn no_tty(what: &str, device: &str, err: std::io::Error, hint: &str) -> PromptError {
    PromptError::NoTerminal {
        what: what.to_string(),
        reason: format!("{device}: {err}"),
        hint: hint.to_string(),
    }
}

/// The terminal opened for reading and for writing, or why there is none.
fn open_tty(what: &str, hint: &str) -> Result<(File, File), PromptError> {
    let input = OpenOptions::new()
        .read(true)
        .write(true)
        .open(TTY_IN)
        .map_err(|e| no_tty(what, TTY_IN, e, hint))?;
    let output = if TTY_OUT == TTY_IN {
        input.try_clone()
    } else {
        OpenOptions::new().write(true).open(TTY_OUT)
    }
    .map_err(|e| no_tty(what, TTY_OUT, e, hint))?;
    Ok((input, output))
}

const MFA_HINT: &str = "pass the code with --mfa-token, set `mfa_process` in the profile, or choose another --prompt driver";

impl MfaPrompt for Terminal {
    fn mfa_code(&self, request: &MfaRequest) -> Result<SecretString, PromptError> {
        let what = format!("MFA code for {}", request.serial);
        let line = read_line_from_tty(&request.message(), &what, MFA_HINT)?;
        non_empty(line, &what)
    }
}

/// Shows `message` on the terminal and reads one echoed line (trimmed). `hint` says how to
/// supply the answer without a terminal.
pub fn read_line_from_tty(message: &str, what: &str, hint: &str) -> Result<String, PromptError> {
    let (input, mut out) = open_tty(what, hint)?;
    let io = |e: std::io::Error| PromptError::Io {
        what: what.to_string(),
        reason: e.to_string(),
    };
    out.write_all(message.as_bytes()).map_err(io)?;
    out.flush().map_err(io)?;
    let mut line = String::new();
    BufReader::new(input).read_line(&mut line).map_err(io)?;
    Ok(line.trim().to_string())
}

/// Reads a secret (a passphrase, a secret access key) from the terminal without echo.
/// `hint` says how to supply it without a terminal.
pub fn read_secret_from_tty(
    message: &str,
    what: &str,
    hint: &str,
) -> Result<SecretString, PromptError> {
    // Open first, so "no terminal" gets its own clear error rather than an I/O one.
    open_tty(what, hint)?;
    let answer = rpassword::prompt_password(message).map_err(|e| PromptError::Io {
        what: what.to_string(),
        reason: e.to_string(),
    })?;
    let answer = zeroize::Zeroizing::new(answer);
    if answer.is_empty() {
        return Err(PromptError::Empty {
            what: what.to_string(),
        });
    }
    Ok(SecretString::from(answer.as_str().to_string()))
}
