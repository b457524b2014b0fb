//! Child processes: running a configured command line through the platform's shell, as
//! aws-vault does (`/bin/sh -c` on Unix, `cmd.exe /C` on Windows), and how a child failed, in
//! words.

use std::process::Command;

/// A command that runs the command line `line` through the shell: `/bin/sh -c LINE` on Unix;
/// on Windows `%ComSpec%` (`cmd.exe`) `/d /s /c "LINE"`, the line passed as it is written
/// (cmd.exe does not parse arguments the way programs do, so it must not be quoted for them),
/// without the user's AutoRun commands, which could print into the output we read.
pub(crate) fn shell_command(line: &str) -> Command {
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        let comspec = std::env::var_os("ComSpec")
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "cmd.exe".into());
        let mut cmd = Command::new(comspec);
        cmd.raw_arg("/d /s /c").raw_arg(format!("\"{line}\""));
        cmd
    }
    #[cfg(not(windows))]
    {
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(line);
        cmd
    }
}

/// "exited with exit status: 3: what it printed" (the stderr part only when it printed
/// something).
pub(crate) fn exit_failure(status: std::process::ExitStatus, stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    match stderr.trim() {
        "" => format!("exited with {status}"),
        said => format!("exited with {status}: {said}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_runs_the_line_with_its_arguments_and_redirections() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.txt");
        // Both shells: words, a redirection to a path, and `&&`.
        let line = format!("echo first> \"{}\" && echo second", file.display());
        let out = shell_command(&line).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "second");
        assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), "first");
    }

    #[test]
    fn the_shell_reports_the_lines_exit_code() {
        let out = shell_command("exit 3").output().unwrap();
        assert_eq!(out.status.code(), Some(3));
    }
}
