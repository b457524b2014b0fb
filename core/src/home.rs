//! The user's home directory, found as aws-vault finds it (Go's `os.UserHomeDir`): `HOME` on
//! Unix, `USERPROFILE` on Windows — each falling back to the other — so `~/.aws/config`,
//! `~/.awsvault/keys` and the lock files are where aws-vault, botocore and the AWS CLI look.

use std::ffi::OsString;
use std::path::PathBuf;

/// The variables that name the home directory, in the order this platform trusts them.
const VARIABLES: [&str; 2] = if cfg!(windows) {
    ["USERPROFILE", "HOME"]
} else {
    ["HOME", "USERPROFILE"]
};

/// The home directory from the process environment; `None` when no variable names one.
pub(crate) fn home_dir() -> Option<PathBuf> {
    home_dir_from(|name| std::env::var_os(name))
}

/// The home directory as `var` reports the environment: the first of [`VARIABLES`] that is
/// set and not empty.
pub(crate) fn home_dir_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    VARIABLES
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_platforms_own_variable_wins_and_the_other_is_the_fallback() {
        let both = [("HOME", "/home/u"), ("USERPROFILE", r"C:\Users\u")];
        let own = if cfg!(windows) {
            r"C:\Users\u"
        } else {
            "/home/u"
        };
        assert_eq!(home_dir_from(env(&both)), Some(PathBuf::from(own)));
        assert_eq!(
            home_dir_from(env(&[("USERPROFILE", r"C:\Users\u")])),
            Some(PathBuf::from(r"C:\Users\u"))
        );
        assert_eq!(
            home_dir_from(env(&[("HOME", "/home/u")])),
            Some(PathBuf::from("/home/u"))
        );
    }

    #[test]
    fn empty_or_missing_variables_name_no_home() {
        assert_eq!(home_dir_from(env(&[])), None);
        assert_eq!(
            home_dir_from(env(&[("HOME", ""), ("USERPROFILE", "")])),
            None
        );
        let own_empty = if cfg!(windows) {
            [("USERPROFILE", ""), ("HOME", "/home/u")]
        } else {
            [("HOME", ""), ("USERPROFILE", "/home/u")]
        };
        assert_eq!(
            home_dir_from(env(&own_empty)),
            Some(PathBuf::from("/home/u")),
            "an empty variable is skipped, as if unset"
        );
    }
}
