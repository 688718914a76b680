//! xonsh: quoting, rendering and hints. `execx($(mfa-env PROFILE --shell xonsh))`, or
//! `source` of a file that holds the output.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{write_startup, Init};
use crate::env::Change;

pub const PROGRAM: &str = "xonsh";
const PROMPT: &str = include_str!("../../shell/prompt.xsh");
const INIT: &str = include_str!("../../shell/init.xsh");
const SESSION: &str = include_str!("../../shell/session.xsh");

pub const INIT_PARTS: Init = Init {
    prompt: PROMPT,
    script: INIT,
    passthrough_separator: "\", \"",
    completion: super::CompletionShell::Xonsh,
    complete_wrapper: true,
    wrap_completion: None,
};

/// A Python string literal in double quotes, plain ASCII: `\` and `"` escaped, everything
/// outside printable ASCII as `\uXXXX` / `\UXXXXXXXX`. (A plain Python string: xonsh
/// expands `$NAME` only in its subprocess mode and in p- and f-strings.)
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

pub fn render(change: &Change) -> String {
    match change {
        Change::Set(n, v) => format!("${n} = {}\n", quote(v)),
        // `del $N` fails when N is not set; pop with a default does not.
        Change::Unset(n) => format!("${{...}}.pop(\"{n}\", None)\n"),
    }
}

pub fn apply_hint(profile: &str) -> String {
    format!("execx($(mfa-env {profile} --shell xonsh))")
}

pub fn drop_hint() -> String {
    "execx($(mfa-env unset --shell xonsh))".to_string()
}

/// xonsh's own rc files and directories (as 0.13 has them by default), those that exist.
fn user_rcs() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    [
        Some(PathBuf::from("/etc/xonsh/xonshrc")),
        config.as_ref().map(|c| c.join("xonsh/rc.xsh")),
        home.map(|h| h.join(".xonshrc")),
        Some(PathBuf::from("/etc/xonsh/rc.d")),
        config.map(|c| c.join("xonsh/rc.d")),
    ]
    .into_iter()
    .flatten()
    .filter(|p| p.exists())
    .collect()
}

/// `--rc` replaces xonsh's list of rc files: it gets the user's (those that exist), then ours.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    let rc = dir.join("session.xsh");
    write_startup(&rc, &format!("{PROMPT}\n{SESSION}"))?;
    cmd.arg("-i").arg("--rc").args(user_rcs()).arg(rc);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_ascii_python_literal() {
        assert_eq!(quote("a\"b\\c$d"), "\"a\\\"b\\\\c$d\"");
        assert_eq!(quote("é\n🚀"), "\"\\u00e9\\u000a\\U0001f680\"");
        assert_eq!(render(&Change::Unset("B")), "${...}.pop(\"B\", None)\n");
    }
}
