//! tcsh and csh: quoting, rendering and hints. Both `eval "`mfa-env PROFILE --shell tcsh`"`
//! and `source` of a file that holds the output work.
//!
//! Inside csh's single quotes `$`, backquotes and `\` are literal, but `!` still starts a
//! history substitution and a newline ends the command. So `!` and `'` are written outside
//! the quotes (`'\!'`, `'\''`), every command ends with `;` (the backquotes in `eval "`…`"`
//! join the lines into one), and a newline, which `eval "`…`"` cannot carry, is refused: STS's
//! keys and tokens never hold one.

use crate::env::Change;
use crate::error::{fail, Exit};

pub const PROGRAM: &str = "tcsh";

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
