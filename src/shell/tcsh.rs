//! tcsh and csh: quoting, rendering and hints. Both `eval "`mfa-env PROFILE --shell tcsh`"`
//! and `source` of a file that holds the output work.
//!
//! Inside csh's single quotes `$`, backquotes and `\` are literal, but `!` still starts a
//! history substitution and a newline ends the command. So `!` and `'` are written outside
//! the quotes (`'\!'`, `'\''`), every command ends with `;` (the backquotes in `eval "`…`"`
//! join the lines into one), and a newline, which `eval "`…`"` cannot carry, is refused: STS's
//! keys and tokens never hold one.

use std::path::Path;
use std::process::Command;

use super::{write_startup, Init};
use crate::env::Change;
use crate::error::{fail, Exit};

pub const PROGRAM: &str = "tcsh";
const PROMPT: &str = include_str!("../../shell/prompt.tcsh");
/// `eval "`mfa-env init tcsh`"` joins the lines into one: each command ends with `;`, and
/// there are no comments.
const INIT: &str = include_str!("../../shell/init.tcsh");
const SESSION: &str = include_str!("../../shell/session.tcsh");

/// The alias cannot branch on its arguments: `mfa-env wrap` routes them (from the same list
/// the other wrappers have), so there is no placeholder to fill.
pub const INIT_PARTS: Init = Init {
    prompt: PROMPT,
    script: INIT,
    passthrough_separator: " ",
    completion: super::CompletionShell::Tcsh,
    complete_wrapper: true,
    wrap_completion: None,
};

pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '!' => out.push_str("'\\!'"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

pub fn render_all(changes: &[Change]) -> anyhow::Result<String> {
    let mut out = String::new();
    for change in changes {
        match change {
            Change::Set(n, v) => {
                if v.contains('\n') {
                    return Err(fail(
                        Exit::Other,
                        format!(
                            "the value of {n} holds a line break, which tcsh cannot take from \
                             eval; nothing was printed (use --shell json)"
                        ),
                    ));
                }
                out.push_str(&format!("setenv {n} {};\n", quote(v)));
            }
            Change::Unset(n) => out.push_str(&format!("unsetenv {n};\n")),
        }
    }
    Ok(out)
}

pub fn apply_hint(profile: &str) -> String {
    format!("eval \"`mfa-env {profile} --shell tcsh`\"")
}

pub fn drop_hint() -> String {
    "eval \"`mfa-env unset --shell tcsh`\"".to_string()
}

/// tcsh reads only ~/.tcshrc (or ~/.cshrc): HOME names our directory until our .tcshrc has
/// put it back and sourced the user's.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    write_startup(&dir.join(".tcshrc"), &format!("{PROMPT}\n{SESSION}"))?;
    if let Some(home) = std::env::var_os("HOME") {
        cmd.env("MFA_ENV_USER_HOME", home);
    }
    cmd.env("HOME", dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bangs_and_quotes_go_outside_the_quotes() {
        assert_eq!(quote("a!b'c$d`e`"), "'a'\\!'b'\\''c$d`e`'");
        let err = render_all(&[Change::Set("A", "x\ny".into())]).unwrap_err();
        assert!(err.to_string().contains("line break"), "{err}");
        assert_eq!(
            render_all(&[Change::Set("A", "v".into()), Change::Unset("B")]).unwrap(),
            "setenv A 'v';\nunsetenv B;\n"
        );
    }
}
