//! The command line's surface: `--version`, `--help` of every command (with an example), shell
//! completions that the shells accept, and usage errors as one line with a non-zero exit.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_stsvault");
const COMMANDS: [&str; 11] = [
    "add",
    "list",
    "exec",
    "export",
    "login",
    "rotate",
    "remove",
    "clear",
    "migrate-backend",
    "lock",
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
fn completion_scripts_parse_and_complete_commands_and_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[profile dev]\nregion = eu-west-1\n[profile prod]\n",
    )
    .unwrap();
    let script = dir.path().join("stsvault.bash");
    let out = run(&["completion", "bash"]);
    assert!(out.status.success());
    std::fs::write(&script, &out.stdout).unwrap();
    assert_eq!(
        run(&["--completion-script-bash"]).stdout,
        out.stdout,
        "aws-vault's flag prints the same script"
    );
    for shell in ["zsh", "fish"] {
        let out = run(&["completion", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("--completion-bash"), "{shell}: {text}");
        let path = dir.path().join(format!("stsvault.{shell}"));
        std::fs::write(&path, &out.stdout).unwrap();
        // Checked for syntax where the shell is installed.
        if let Ok(status) = Command::new(shell).arg("-n").arg(&path).status() {
            assert!(status.success(), "{shell} accepts the script");
        }
    }
    // Tab in the shells themselves: on Unix, where they run with this PATH and config.
    #[cfg(unix)]
    tab_completes_commands_and_profiles(dir.path(), &config);
    let out = run(&["completion", "powershell"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("rotate"));
}

/// Tab in bash (and fish, where installed) with the scripts in `dir`, as the shell calls
/// the completion: `stsvault <Tab>`, `stsvault exec <Tab>`…
#[cfg(unix)]
fn tab_completes_commands_and_profiles(dir: &std::path::Path, config: &std::path::Path) {
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let tab = |words: &str, cword: usize| {
        let program = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; _stsvault_complete; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            dir.join("stsvault.bash").display()
        );
        let out = Command::new("bash")
            .args(["--norc", "-c", &program])
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
            .env("AWS_CONFIG_FILE", config)
            .output()
            .expect("bash");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let commands = tab("stsvault ''", 1);
    for command in COMMANDS {
        assert!(
            commands.lines().any(|l| l == command),
            "`{command}` in {commands}"
        );
    }
    assert_eq!(tab("stsvault exec ''", 2), "dev\nprod\n");
    assert_eq!(tab("stsvault login --stdout p", 3), "prod\n");
    assert_eq!(tab("stsvault export --format e", 3), "env\nexport-env\n");
    // Tab in fish, where installed.
    let fish = format!(
        "source {}; complete -C 'stsvault exec '",
        dir.join("stsvault.fish").display()
    );
    if let Ok(out) = Command::new("fish")
        .args(["-c", &fish])
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("AWS_CONFIG_FILE", config)
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&out.stdout), "dev\nprod\n");
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
