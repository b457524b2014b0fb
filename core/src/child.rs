//! How a child process failed, in words: its exit status and what it said on stderr.

/// "exited with exit status: 3: what it printed" (the stderr part only when it printed
/// something).
pub(crate) fn exit_failure(status: std::process::ExitStatus, stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    match stderr.trim() {
        "" => format!("exited with {status}"),
        said => format!("exited with {status}: {said}"),
    }
}
