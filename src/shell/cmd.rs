//! cmd.exe: no quoting for `%` or `!`, and no eval. mfa-env prints `"NAME=value"` lines and
//! the apply line runs `set` on each: `for /f "delims=" %i in ('mfa-env PROFILE --shell cmd')
//! do @set %i`. The command is always `set`: cmd expands the loop variable after it has parsed
//! `&`, `|`, `<`, `>` and `^`, so those stay literal, and nothing in the output can start a
//! program. `"NAME="` removes a variable. Refused with nothing printed: `%` and `!` (expanded
//! again in a batch file or with delayed expansion), `"` (which would end the quotes early),
//! line breaks (one line a variable) and anything but ASCII (`for /f` decodes a program's
//! output in the console's code page). STS's keys and tokens hold none of these.

use std::path::Path;
use std::process::Command;

use super::write_startup;
use crate::env::Change;
use crate::error::{fail, Exit};

pub const PROGRAM: &str = "cmd.exe";

/// Why cmd cannot take `value` exactly, if so.
fn unfit(value: &str) -> Option<&'static str> {
    value.chars().find_map(|c| match c {
        '%' => Some("a %"),
        '!' => Some("a !"),
        '"' => Some("a double quote"),
        '\n' | '\r' => Some("a line break"),
        c if !c.is_ascii() => Some("a character outside ASCII"),
        c if c.is_ascii_control() => Some("a control character"),
        _ => None,
    })
}

pub fn render_all(changes: &[Change]) -> anyhow::Result<String> {
    let mut out = String::new();
    for change in changes {
        match change {
            Change::Set(n, v) => {
                if let Some(what) = unfit(v) {
                    return Err(fail(
                        Exit::Other,
                        format!(
                            "the value of {n} holds {what}, which cmd.exe cannot take exactly; \
                             nothing was printed (use PowerShell or --shell json)"
                        ),
                    ));
                }
                out.push_str(&format!("\"{n}={v}\"\r\n"));
            }
            Change::Unset(n) => out.push_str(&format!("\"{n}=\"\r\n")),
        }
    }
    Ok(out)
}

/// Profile names in hints, as cmd reads a word: in double quotes when they need them.
pub fn quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+/:".contains(c))
    {
        value.to_string()
    } else {
        format!("\"{value}\"")
    }
}

pub fn apply_hint(profile: &str) -> String {
    format!("for /f \"delims=\" %i in ('mfa-env {profile} --shell cmd') do @set %i")
}

pub fn drop_hint() -> String {
    "for /f \"delims=\" %i in ('mfa-env unset --shell cmd') do @set %i".to_string()
}

/// `mfa-env shell` in cmd.exe: its prompt cannot compute a countdown, so it shows the profile,
/// as sh's does, in front of the user's PROMPT (`$` is a PROMPT code: doubled). cmd.exe takes
/// PROMPT from its environment, and `/k` runs `prompt` from our startup file too (Wine's cmd
/// sets its own at start). The file expands a variable that holds the text: a value with a
/// character cmd would parse is left to the environment alone.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    let profile = cmd
        .get_envs()
        .find(|(name, _)| *name == "MFA_ENV_PROFILE")
        .and_then(|(_, value)| value)
        .map(|v| v.to_string_lossy().replace('$', "$$"));
    let Some(profile) = profile else {
        return Ok(());
    };
    let user = std::env::var("PROMPT")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "$P$G".to_string());
    // $S, not a blank: a space (Wine's `prompt` keeps only the first word).
    let prompt = format!("[{profile}]$S{user}");
    cmd.env("PROMPT", &prompt);
    if prompt.contains(['&', '|', '<', '>', '^', '"', '%', '!', '\n', '\r']) {
        return Ok(());
    }
    let startup = dir.join("session.cmd");
    write_startup(
        &startup,
        "@prompt %MFA_ENV_PROMPT%\r\n@set MFA_ENV_PROMPT=\r\n",
    )?;
    cmd.env("MFA_ENV_PROMPT", &prompt).arg("/k").arg(startup);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_assignments_and_refusals() {
        assert_eq!(
            render_all(&[Change::Set("A", "a&b^c|d".into()), Change::Unset("B")]).unwrap(),
            "\"A=a&b^c|d\"\r\n\"B=\"\r\n"
        );
        for bad in ["50%", "hi!", "a\"b", "a\nb", "café", "a\tb"] {
            let err = render_all(&[Change::Set("A", bad.into())]).unwrap_err();
            assert!(err.to_string().contains("cmd.exe cannot"), "{bad}: {err}");
        }
        assert_eq!(quote("work"), "work");
        assert_eq!(quote("my work"), "\"my work\"");
    }
}
