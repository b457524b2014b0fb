//! Opening a page (an SSO or console sign-in) in a browser: the command(s) in `$BROWSER` when set (`%s` stands for
//! the URL, else it is appended; several commands are separated by `:`, by `;` on Windows, as
//! in `PATH` and Python's `webbrowser`), otherwise the desktop's opener (`xdg-open`, `open`, or
//! the Windows URL handler).

use std::process::{Command, Stdio};

/// Starts a browser on `url` without waiting for it; the error says what could not be run.
pub fn open(url: &str) -> Result<(), String> {
    let candidates = match std::env::var("BROWSER") {
        Ok(list) if !list.trim().is_empty() => entries(&list, cfg!(windows))
            .filter_map(|c| command_for(c, url))
            .collect(),
        _ => vec![desktop_opener(url)],
    };
    let mut failures = Vec::new();
    for (program, args) in candidates {
        match Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                // Reap it whenever it ends; a browser may keep running long after we are done.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => failures.push(format!("{program}: {e}")),
        }
    }
    Err(if failures.is_empty() {
        "BROWSER names no command".to_string()
    } else {
        failures.join("; ")
    })
}

/// The commands of a `$BROWSER` list: separated by `:`, or by `;` on Windows, where `:`
/// follows every drive letter (`C:\Tools\browser.exe`).
fn entries(list: &str, windows: bool) -> impl Iterator<Item = &str> {
    list.split(if windows { ';' } else { ':' })
}

/// One `$BROWSER` entry as a program and its arguments.
fn command_for(entry: &str, url: &str) -> Option<(String, Vec<String>)> {
    let mut words = entry.split_whitespace().map(String::from);
    let program = words.next()?;
    let mut args: Vec<String> = words.collect();
    if args.iter().any(|a| a.contains("%s")) {
        for a in &mut args {
            *a = a.replace("%s", url);
        }
    } else {
        args.push(url.to_string());
    }
    Some((program, args))
}

fn desktop_opener(url: &str) -> (String, Vec<String>) {
    if cfg!(target_os = "macos") {
        ("open".into(), vec![url.into()])
    } else if cfg!(windows) {
        (
            "rundll32".into(),
            vec!["url.dll,FileProtocolHandler".into(), url.into()],
        )
    } else {
        ("xdg-open".into(), vec![url.into()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_entries_take_the_url_in_place_of_percent_s_or_at_the_end() {
        let url = "http://127.0.0.1/device?user_code=AB-CD";
        assert_eq!(
            command_for("firefox --new-window", url),
            Some(("firefox".into(), vec!["--new-window".into(), url.into()]))
        );
        assert_eq!(
            command_for("w3m -o x=%s", url),
            Some(("w3m".into(), vec!["-o".into(), format!("x={url}")]))
        );
        assert_eq!(command_for("  ", url), None);
    }

    #[test]
    fn browser_lists_split_on_colons_or_on_windows_semicolons() {
        assert_eq!(
            entries("firefox:w3m %s", false).collect::<Vec<_>>(),
            ["firefox", "w3m %s"]
        );
        assert_eq!(
            entries(r"C:\Tools\py.exe C:\b.py;msedge", true).collect::<Vec<_>>(),
            [r"C:\Tools\py.exe C:\b.py", "msedge"]
        );
    }
}
