//! The command line's surface: `--version`, `--help` of every command (with an example), shell
//! completions that the shells accept, and usage errors as one line with a non-zero exit.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const COMMANDS: [&str; 9] = [
    "add",
    "list",
    "exec",
    "export",
    "login",
    "rotate",
    "remove",
    "clear",
    "completion",
];

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().expect("run stsvault")
}

#[test]
fn version_and_help_texts() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("stsvault {}", env!("CARGO_PKG_VERSION"))
    );
    for command in COMMANDS {
        let out = run(&[command, "--help"]);
        assert!(out.status.success(), "{command} --help");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("Example"),
            "`{command} --help` shows an example:\n{help}"
        );
    }
}

#[test]
fn completion_scripts_name_every_command_and_parse() {
    let out = run(&["completion", "bash"]);
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    for command in COMMANDS {
        assert!(
            script.contains(command),
            "bash completion knows `{command}`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stsvault.bash");
    std::fs::write(&path, script.as_bytes()).unwrap();
    let checked = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .expect("bash");
    assert!(checked.success(), "bash accepts the script");
    for shell in ["zsh", "fish"] {
        let out = run(&["completion", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("rotate"),
            "{shell}"
        );
    }
}

#[test]
fn usage_errors_exit_non_zero_without_a_backtrace() {
    let out = run(&["export", "--format", "yaml", "p"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid value 'yaml'") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
