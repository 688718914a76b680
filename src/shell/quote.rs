//! Quoting, the security core: every value is quoted, none is passed bare because it "looks
//! safe". Proven by round trips through the real shells (tests/integration/shells.rs).
//!
//! The `shell-escape` crate is not used: it leaves "safe" values unquoted and has no fish or
//! PowerShell rules.

/// POSIX sh, bash, zsh, dash: single quotes, each `'` written `'\''`. Not `$'…'`: dash lacks it.
pub fn quote_posix(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// fish: single quotes, with `\` and `'` escaped (fish treats both specially inside them).
pub fn quote_fish(value: &str) -> String {
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

/// PowerShell: single quotes, with every quote character doubled. PowerShell treats the
/// curly quotes U+2018–U+201B as single quotes too, so they are doubled as well.
pub fn quote_powershell(value: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_never_leaves_a_value_bare() {
        assert_eq!(quote_posix("abc"), "'abc'");
        assert_eq!(quote_posix(""), "''");
        assert_eq!(quote_posix("a'b"), "'a'\\''b'");
        assert_eq!(quote_posix("$(x) `y` \\"), "'$(x) `y` \\'");
    }

    #[test]
    fn fish_escapes_backslash_and_quote() {
        assert_eq!(quote_fish("abc"), "'abc'");
        assert_eq!(quote_fish("a\\'b"), "'a\\\\\\'b'");
    }

    #[test]
    fn powershell_doubles_every_quote_kind() {
        assert_eq!(quote_powershell("a'b"), "'a''b'");
        assert_eq!(
            quote_powershell("\u{2018}x\u{2019}\u{201A}\u{201B}"),
            "'\u{2018}\u{2018}x\u{2019}\u{2019}\u{201A}\u{201A}\u{201B}\u{201B}'"
        );
        assert_eq!(quote_powershell("\"$x\""), "'\"$x\"'");
    }
}
