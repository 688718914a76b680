//! PowerShell: quoting, rendering, hints, the subshell's startup and the init scripts.

use std::path::Path;
use std::process::Command;

use super::{write_startup, Init};
use crate::env::Change;

pub const PROGRAM: &str = "pwsh";
const PROMPT: &str = include_str!("../../shell/prompt.ps1");
const INIT: &str = include_str!("../../shell/init.ps1");
const SESSION: &str = include_str!("../../shell/session.ps1");

pub const INIT_PARTS: Init = Init {
    prompt: PROMPT,
    script: INIT,
    // The placeholder stands inside quotes there: @('__mfa_env_passthrough').
    passthrough_separator: "', '",
    completion: super::CompletionShell::Powershell,
    complete_wrapper: true,
    wrap_completion: None,
};

/// Single quotes, with every quote character doubled. PowerShell treats the curly quotes
/// U+2018–U+201B as single quotes too, so they are doubled as well.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

pub fn render(change: &Change) -> String {
    match change {
        Change::Set(n, v) => format!("$Env:{n} = {}\n", quote(v)),
        Change::Unset(n) => {
            format!("Remove-Item -LiteralPath Env:{n} -ErrorAction SilentlyContinue\n")
        }
    }
}

pub fn apply_hint(profile: &str) -> String {
    format!("mfa-env {profile} | Out-String | Invoke-Expression")
}

pub fn drop_hint() -> String {
    "mfa-env unset | Out-String | Invoke-Expression".to_string()
}

/// The user's profile runs first; the countdown is dot-sourced after it.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    let rc = dir.join("session.ps1");
    write_startup(&rc, &format!("{PROMPT}\n{SESSION}"))?;
    let init = format!(". {}", quote(&rc.to_string_lossy()));
    cmd.args(["-NoExit", "-NoLogo", "-Command"]).arg(init);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_every_quote_kind() {
        assert_eq!(quote("a'b"), "'a''b'");
        assert_eq!(
            quote("\u{2018}x\u{2019}\u{201A}\u{201B}"),
            "'\u{2018}\u{2018}x\u{2019}\u{2019}\u{201A}\u{201A}\u{201B}\u{201B}'"
        );
        assert_eq!(quote("\"$x\""), "'\"$x\"'");
    }
}
