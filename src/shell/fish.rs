//! fish: quoting, rendering, hints, the subshell's startup and the init scripts.

use std::path::Path;
use std::process::Command;

use super::{write_startup, Init};
use crate::env::Change;

pub const PROGRAM: &str = "fish";
const PROMPT: &str = include_str!("../../shell/prompt.fish");
const INIT: &str = include_str!("../../shell/init.fish");
const SESSION: &str = include_str!("../../shell/session.fish");

pub const INIT_PARTS: Init = Init {
    prompt: PROMPT,
    script: INIT,
    passthrough_separator: " ",
    completion: super::CompletionShell::Fish,
    complete_wrapper: true,
    wrap_completion: None,
};

/// Single quotes, with `\` and `'` escaped (fish treats both specially inside them).
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

pub fn render(change: &Change) -> String {
    match change {
        Change::Set(n, v) => format!("set -gx {n} {}\n", quote(v)),
        // `set -e` of a variable that is not set fails (status 4), which would make
        // `mfa-env … | source; and …` take a success for a failure.
        Change::Unset(n) => format!("if set -q {n}; set -e {n}; end\n"),
    }
}

pub fn apply_hint(profile: &str) -> String {
    format!("mfa-env {profile} | source")
}

pub fn drop_hint() -> String {
    "mfa-env unset | source".to_string()
}

/// The user's config runs first; the countdown is sourced after it with `-C`.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    let rc = dir.join("session.fish");
    write_startup(&rc, &format!("{PROMPT}\n{SESSION}"))?;
    let init = format!("source {}", quote(&rc.to_string_lossy()));
    cmd.arg("-i").arg("-C").arg(init);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_backslash_and_quote() {
        assert_eq!(quote("abc"), "'abc'");
        assert_eq!(quote("a\\'b"), "'a\\\\\\'b'");
    }
}
