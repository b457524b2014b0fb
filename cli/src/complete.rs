//! Dynamic shell completion, as aws-vault's (kingpin's) `--completion-bash`: given the words
//! typed so far, the last one being completed, it prints the candidates one per line —
//! commands, flags, a flag's values (backends, prompt drivers, formats) and profile names
//! from ~/.aws/config. The scripts for bash, zsh and fish call it on every Tab.

use crate::args::Cli;
use clap::{Arg, CommandFactory};
use stsvault::prompt::Driver;
use stsvault::vault::BackendKind;

/// The candidates for the last of `words` (the program's name left out); `profiles` lists
/// the profile names when one is wanted.
pub fn candidates(words: &[String], profiles: impl FnOnce() -> Vec<String>) -> Vec<String> {
    let root = Cli::command();
    let (cur, done) = match words.split_last() {
        Some((cur, done)) => (cur.as_str(), done),
        None => ("", &[][..]),
    };
    let mut cmd = &root;
    let mut positionals = 0;
    let mut value_of: Option<Arg> = None;
    for word in done {
        if value_of.take().is_some() {
            continue;
        }
        if word == "--" {
            return Vec::new();
        }
        if let Some(long) = word.strip_prefix("--") {
            if !long.contains('=') {
                value_of = find_arg(cmd, &root, |a| a.get_long() == Some(long));
            }
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            let last = shorts.chars().last();
            value_of = find_arg(cmd, &root, |a| a.get_short() == last);
        } else if std::ptr::eq(cmd, &root) {
            if let Some(sub) = root.find_subcommand(word) {
                cmd = sub;
            }
        } else {
            positionals += 1;
        }
    }
    let all: Vec<String> = if let Some(arg) = value_of {
        values_of(&arg)
    } else if cur.starts_with('-') {
        cmd.get_arguments()
            .chain(root.get_arguments().filter(|a| a.is_global_set()))
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .chain(["--help".to_string()])
            .collect()
    } else if std::ptr::eq(cmd, &root) {
        root.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name().to_string())
            .collect()
    } else {
        match cmd.get_positionals().nth(positionals) {
            Some(arg) if arg.get_id() == "profile" => profiles(),
            Some(arg) => values_of(arg),
            None => Vec::new(),
        }
    };
    let mut found: Vec<String> = all.into_iter().filter(|c| c.starts_with(cur)).collect();
    found.sort();
    found.dedup();
    found
}

/// The flag of `cmd` (or a global one of `root`) that `matches`, if it takes a value.
fn find_arg(
    cmd: &clap::Command,
    root: &clap::Command,
    matches: impl Fn(&Arg) -> bool,
) -> Option<Arg> {
    cmd.get_arguments()
        .chain(root.get_arguments().filter(|a| a.is_global_set()))
        .find(|a| matches(a))
        .filter(|a| a.get_action().takes_values())
        .cloned()
}

/// What a flag's value may be.
fn values_of(arg: &Arg) -> Vec<String> {
    match arg.get_id().as_str() {
        "backend" | "from_backend" | "to_backend" => BackendKind::supported()
            .into_iter()
            .map(|k| k.name().to_string())
            .collect(),
        "prompt" => Driver::available().into_iter().map(String::from).collect(),
        _ => arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect(),
    }
}

/// The script `shell` sources to complete `stsvault` through `--completion-bash`, or `None`
/// for shells without one (their scripts are generated statically).
pub fn script(shell: clap_complete::Shell) -> Option<&'static str> {
    match shell {
        clap_complete::Shell::Bash => Some(BASH),
        clap_complete::Shell::Zsh => Some(ZSH),
        clap_complete::Shell::Fish => Some(FISH),
        _ => None,
    }
}

const BASH: &str = r#"# stsvault completion for bash: eval "$(stsvault completion bash)"
_stsvault_complete() {
    local i
    for (( i=1; i < COMP_CWORD; i++ )); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            if declare -F _command_offset >/dev/null; then
                _command_offset $((i + 1))
            fi
            return
        fi
    done
    local IFS=$'\n'
    COMPREPLY=( $("${COMP_WORDS[0]}" --completion-bash "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
}
complete -F _stsvault_complete -o default stsvault
"#;

const ZSH: &str = r#"#compdef stsvault
# stsvault completion for zsh: eval "$(stsvault completion zsh)" (after compinit)
_stsvault() {
    local i
    for (( i = 2; i < CURRENT; i++ )); do
        if [[ ${words[i]} == -- ]]; then
            words=("${(@)words[i+1,-1]}")
            (( CURRENT -= i ))
            _normal
            return
        fi
    done
    local -a candidates
    candidates=("${(@f)$(${words[1]} --completion-bash "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    compadd -- "${(@)candidates:#}"
}
compdef _stsvault stsvault
"#;

const FISH: &str = r#"# stsvault completion for fish: stsvault completion fish | source
function __stsvault_after_dashdash
    contains -- -- (commandline -opc)
end
function __stsvault_candidates
    set -l words (commandline -opc)
    set -e words[1]
    stsvault --completion-bash $words (commandline -ct) 2>/dev/null
end
function __stsvault_command
    set -l parts (string split --max 1 -- ' -- ' (commandline -pc))
    complete -C "$parts[2]"
end
complete -c stsvault -e
complete -c stsvault -n 'not __stsvault_after_dashdash' -f -a '(__stsvault_candidates)'
complete -c stsvault -n '__stsvault_after_dashdash' -f -a '(__stsvault_command)'
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(line: &[&str]) -> Vec<String> {
        let words: Vec<String> = line.iter().map(|w| w.to_string()).collect();
        candidates(&words, || {
            vec!["dev".into(), "prod".into(), "staging".into()]
        })
    }

    #[test]
    fn commands_flags_values_and_profiles() {
        let commands = complete(&[""]);
        for c in [
            "add", "exec", "export", "list", "login", "rotate", "remove", "clear",
        ] {
            assert!(commands.contains(&c.to_string()), "{c}: {commands:?}");
        }
        assert!(!commands.contains(&"proxy".to_string()), "hidden");
        assert_eq!(complete(&["ro"]), ["rotate"]);
        assert_eq!(complete(&["exec", ""]), ["dev", "prod", "staging"]);
        assert_eq!(complete(&["exec", "-d", "1h", "p"]), ["prod"]);
        assert!(
            complete(&["exec", "prod", ""]).is_empty(),
            "the command's turn"
        );
        assert!(complete(&["exec", "prod", "--", "s"]).is_empty());
        let flags = complete(&["exec", "--"]);
        for f in [
            "--duration",
            "--ecs-server",
            "--ec2-server",
            "--backend",
            "--help",
        ] {
            assert!(flags.contains(&f.to_string()), "{f}: {flags:?}");
        }
        assert!(!flags.contains(&"--ec2-server-addr".to_string()), "hidden");
        assert_eq!(
            complete(&["export", "--format", ""]),
            ["env", "export-env", "ini", "json"]
        );
        assert!(complete(&["--backend", ""]).contains(&"file".to_string()));
        assert!(complete(&["migrate-backend", "--to", ""]).contains(&"pass".to_string()));
        assert!(complete(&["exec", "--pro"]).contains(&"--profile-env".to_string()));
        assert_eq!(complete(&["--prompt", "te"]), ["terminal"]);
        assert_eq!(complete(&["--backend", "file", "li"]), ["list"]);
        assert!(complete(&["completion", ""]).contains(&"bash".to_string()));
    }
}
