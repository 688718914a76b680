//! Every `MFA_ENV_*` setting a user can give in the environment, read and checked here and
//! nowhere else: one table (`SETTINGS`, which the README's and `--help`'s lists follow: a test
//! checks them against it), one parser per kind, one wording for a bad value.
//!
//! (The variables mfa-env sets itself — the session's `MFA_ENV_PROFILE` and the like, the init
//! wrapper's and the subshell's markers, the completion scripts' `MFA_ENV_COMPLETE` — are state
//! it passes to itself, not settings: they live with the code that writes them.)

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{fail, Exit};

/// One setting: its variable and what it does (with its default), as the help lists it.
pub struct Setting {
    pub name: &'static str,
    pub meaning: &'static str,
}

pub const CACHE_DIR: &str = "MFA_ENV_CACHE_DIR";
pub const MARGIN: &str = "MFA_ENV_MARGIN";
pub const TIMEOUT: &str = "MFA_ENV_TIMEOUT";
pub const PROCESS_TIMEOUT: &str = "MFA_ENV_PROCESS_TIMEOUT";
pub const LOCK_TIMEOUT: &str = "MFA_ENV_LOCK_TIMEOUT";
pub const KEYRING_TIMEOUT: &str = "MFA_ENV_KEYRING_TIMEOUT";
pub const NEW_KEY_TIMEOUT: &str = "MFA_ENV_NEW_KEY_TIMEOUT";
pub const LOGIN_TIMEOUT: &str = "MFA_ENV_LOGIN_TIMEOUT";
pub const TOKEN_CODE: &str = "MFA_ENV_TOKEN_CODE";
pub const VERBOSE: &str = "MFA_ENV_VERBOSE";
pub const SERVER: &str = "MFA_ENV_SERVER";

/// Every setting, in the order the help lists them.
pub const SETTINGS: [Setting; 11] = [
    Setting {
        name: CACHE_DIR,
        meaning: "cache directory (default $XDG_RUNTIME_DIR/mfa-env or ~/.cache/mfa-env)",
    },
    Setting {
        name: MARGIN,
        meaning: "sessions with less left are renewed, not used (default 5m)",
    },
    Setting {
        name: TIMEOUT,
        meaning: "seconds for one attempt of an AWS call (default 10)",
    },
    Setting {
        name: PROCESS_TIMEOUT,
        meaning: "seconds mfa_process or a credential_process may take (default 120)",
    },
    Setting {
        name: LOCK_TIMEOUT,
        meaning: "seconds to wait for another run's code prompt (default 120)",
    },
    Setting {
        name: KEYRING_TIMEOUT,
        meaning: "seconds one call to the OS keyring may take (default 120)",
    },
    Setting {
        name: NEW_KEY_TIMEOUT,
        meaning: "seconds keys rotate waits for a new key to be accepted (default 120)",
    },
    Setting {
        name: LOGIN_TIMEOUT,
        meaning: "seconds login waits for the sign-in in the browser (default 600)",
    },
    Setting {
        name: TOKEN_CODE,
        meaning: "the MFA code, as --token-code",
    },
    Setting {
        name: VERBOSE,
        meaning: "1 acts like --verbose",
    },
    Setting {
        name: SERVER,
        meaning: "1 acts like --server for exec and shell",
    },
];

/// The settings for `--help` (a macro, so that the help's text can be joined to it at compile
/// time): written out here, checked against the table by a test.
macro_rules! help_text {
    () => {
        "SETTINGS (environment):
  MFA_ENV_CACHE_DIR        cache directory (default $XDG_RUNTIME_DIR/mfa-env or ~/.cache/mfa-env)
  MFA_ENV_MARGIN           sessions with less left are renewed, not used (default 5m)
  MFA_ENV_TIMEOUT          seconds for one attempt of an AWS call (default 10)
  MFA_ENV_PROCESS_TIMEOUT  seconds mfa_process or a credential_process may take (default 120)
  MFA_ENV_LOCK_TIMEOUT     seconds to wait for another run's code prompt (default 120)
  MFA_ENV_KEYRING_TIMEOUT  seconds one call to the OS keyring may take (default 120)
  MFA_ENV_NEW_KEY_TIMEOUT  seconds keys rotate waits for a new key to be accepted (default 120)
  MFA_ENV_LOGIN_TIMEOUT    seconds login waits for the sign-in in the browser (default 600)
  MFA_ENV_TOKEN_CODE       the MFA code, as --token-code
  MFA_ENV_VERBOSE          1 acts like --verbose
  MFA_ENV_SERVER           1 acts like --server for exec and shell"
    };
}
pub(crate) use help_text;

pub const HELP: &str = help_text!();

fn value(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn bad(name: &str, what: &str) -> anyhow::Error {
    fail(Exit::Config, format!("{name} must be {what}"))
}

/// `MFA_ENV_CACHE_DIR`, when set and not empty.
pub fn cache_dir() -> Option<PathBuf> {
    std::env::var_os(CACHE_DIR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `MFA_ENV_MARGIN` in seconds (default 5 minutes).
pub fn margin(default: i64) -> anyhow::Result<i64> {
    match value(MARGIN) {
        None => Ok(default),
        Some(v) => crate::duration::parse(&v)
            .map(i64::from)
            .map_err(|_| bad(MARGIN, "a duration such as 300, 5m or 1h")),
    }
}

/// `MFA_ENV_TIMEOUT`: one attempt of an AWS call (default 10 s, at most 600).
pub fn timeout() -> anyhow::Result<Duration> {
    seconds(TIMEOUT, value(TIMEOUT).as_deref(), 10.0, 600.0)
}

/// A bound on something that may wait on the user (a touch, an unlock, another terminal's
/// code, a sign-in): `MFA_ENV_PROCESS_TIMEOUT`, `_LOCK_TIMEOUT`, `_KEYRING_TIMEOUT`,
/// `_NEW_KEY_TIMEOUT` (default 120 s), `_LOGIN_TIMEOUT` (default 600 s); at most 3600.
pub fn wait(name: &'static str) -> anyhow::Result<Duration> {
    let default = if name == LOGIN_TIMEOUT { 600.0 } else { 120.0 };
    seconds(name, value(name).as_deref(), default, 3600.0)
}

/// Seconds above 0 and at most `max`; `default` when unset.
fn seconds(name: &str, value: Option<&str>, default: f64, max: f64) -> anyhow::Result<Duration> {
    let Some(v) = value else {
        return Ok(Duration::from_secs_f64(default));
    };
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0 && *s <= max)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| bad(name, &format!("a number of seconds above 0, at most {max}")))
}

/// `MFA_ENV_VERBOSE`: anything but empty or 0.
pub fn verbose() -> bool {
    value(VERBOSE).is_some_and(|v| !v.is_empty() && v != "0")
}

/// `MFA_ENV_SERVER`: 1/true/yes/on or 0/false/no/off (unset: off).
pub fn server() -> anyhow::Result<bool> {
    match value(SERVER)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("" | "0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(_) => Err(bad(
            SERVER,
            "1 (serve the credentials from an endpoint) or 0",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_checked_one_way() {
        assert_eq!(
            seconds("X", None, 120.0, 3600.0).unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(
            seconds("X", Some(" 0.5 "), 120.0, 3600.0).unwrap(),
            Duration::from_millis(500)
        );
        for bad in ["0", "-1", "3601", "soon", "", "NaN", "inf"] {
            let err = seconds("MFA_ENV_PROCESS_TIMEOUT", Some(bad), 120.0, 3600.0)
                .unwrap_err()
                .to_string();
            assert_eq!(
                err, "MFA_ENV_PROCESS_TIMEOUT must be a number of seconds above 0, at most 3600",
                "{bad}"
            );
        }
    }

    /// The help lists every setting of the table, with its meaning, and nothing else.
    #[test]
    fn the_help_lists_the_table() {
        let lines: Vec<&str> = HELP.lines().skip(1).collect();
        assert_eq!(lines.len(), SETTINGS.len());
        for (line, s) in lines.iter().zip(SETTINGS.iter()) {
            let (name, meaning) = line.trim().split_once(' ').unwrap();
            assert_eq!(name, s.name);
            assert_eq!(meaning.trim(), s.meaning);
        }
    }

    /// Each setting is read here and nowhere else: no other file of the program names one as a
    /// string of its own (messages may mention them inside their text).
    #[test]
    fn settings_are_read_here_only() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    files(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut all = Vec::new();
        files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut all,
        );
        for path in all.iter().filter(|p| !p.ends_with("settings.rs")) {
            let text = std::fs::read_to_string(path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for s in &SETTINGS {
                assert!(
                    !code.contains(&format!("\"{}\"", s.name)),
                    "{} reads {} itself: use crate::settings",
                    path.display(),
                    s.name
                );
            }
        }
    }

    /// The README's table of settings names every setting, and every `MFA_ENV_*` row it has is
    /// a setting or one of the variables mfa-env sets itself.
    #[test]
    fn the_readme_documents_the_table() {
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"),
        )
        .unwrap();
        let rows: Vec<&str> = readme
            .lines()
            .filter_map(|l| l.strip_prefix("| `MFA_ENV_"))
            .filter_map(|l| l.split('`').next())
            .collect();
        const SET_BY_MFA_ENV: [&str; 3] = ["COMPLETE", "SUBSHELL", "WRAPPER"];
        for s in &SETTINGS {
            let short = s.name.trim_start_matches("MFA_ENV_");
            assert!(rows.contains(&short), "README's settings lack {}", s.name);
        }
        for row in rows {
            let name = format!("MFA_ENV_{row}");
            assert!(
                SETTINGS.iter().any(|s| s.name == name) || SET_BY_MFA_ENV.contains(&row),
                "README documents {name}, which src/settings.rs does not know"
            );
        }
    }
}
