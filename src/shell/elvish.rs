//! elvish: quoting, rendering and hints. `eval (mfa-env PROFILE --shell elvish | slurp)`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{write_startup, Init};
use crate::env::Change;

pub const PROGRAM: &str = "elvish";
const PROMPT: &str = include_str!("../../shell/prompt.elv");
const INIT: &str = include_str!("../../shell/init.elv");
const SESSION: &str = include_str!("../../shell/session.elv");

pub const INIT_PARTS: Init = Init {
    prompt: PROMPT,
    script: INIT,
    passthrough_separator: " ",
    completion: super::CompletionShell::Elvish,
    complete_wrapper: true,
    wrap_completion: Some(in_the_editor),
};

/// The registrations set `edit:completion:arg-completer`, which only the interactive editor
/// has: compiled there, through `eval`, and skipped in scripts.
fn in_the_editor(registrations: &str) -> String {
    format!(
        "if $__mfa_env_add {{\n  eval {}\n}}\n",
        quote(registrations)
    )
}

/// Single quotes, in which every character stands for itself but the single quote, doubled
/// (elvish's only rule inside them; newlines included).
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

pub fn render(change: &Change) -> String {
    match change {
        Change::Set(n, v) => format!("set-env {n} {}\n", quote(v)),
        // unset-env of a variable that is not set is not an error.
        Change::Unset(n) => format!("unset-env {n}\n"),
    }
}

pub fn apply_hint(profile: &str) -> String {
    format!("eval (mfa-env {profile} --shell elvish | slurp)")
}

pub fn drop_hint() -> String {
    "eval (mfa-env unset --shell elvish | slurp)".to_string()
}

/// The user's rc.elv, where elvish 0.19 looks for it.
fn user_rc() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    [
        config.map(|c| c.join("elvish/rc.elv")),
        home.map(|h| h.join(".elvish/rc.elv")),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file())
}

/// `-rc` replaces the user's rc.elv: ours holds theirs first, as its text (definitions made
/// through `eval` would stay out of the REPL), then the countdown.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    let mut text = String::new();
    if let Some(rc) = user_rc() {
        let user = std::fs::read_to_string(&rc).map_err(|e| {
            crate::error::fail(
                crate::error::Exit::Other,
                format!("cannot read {}: {e}", rc.display()),
            )
        })?;
        text.push_str(&user);
        text.push('\n');
    }
    text.push_str(PROMPT);
    text.push_str(SESSION);
    let rc = dir.join("rc.elv");
    write_startup(&rc, &text)?;
    cmd.arg("-rc").arg(rc);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_single_quotes_only() {
        assert_eq!(quote("it's $x \\ \"y\"\n"), "'it''s $x \\ \"y\"\n'");
        assert_eq!(render(&Change::Set("A", "'".into())), "set-env A ''''\n");
    }
}
