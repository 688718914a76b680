//! What bash, zsh and POSIX sh (dash, ksh, …) share: quoting, set/unset rendering and the
//! hints. Each of them has its own module for its subshell and init.

use crate::env::Change;

/// POSIX sh, bash, zsh, dash: single quotes, each `'` written `'\''`. Not `$'…'`: dash lacks it.
/// Every value is quoted, none is passed bare because it "looks safe" (the `shell-escape` crate
/// is not used: it leaves such values unquoted and has no fish or PowerShell rules).
pub fn quote(value: &str) -> String {
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

pub fn render(change: &Change) -> String {
    match change {
        Change::Set(n, v) => format!("export {n}={}\n", quote(v)),
        Change::Unset(n) => format!("unset {n}\n"),
    }
}

pub fn apply_hint(profile: &str) -> String {
    format!("eval \"$(mfa-env {profile})\"")
}

pub fn drop_hint() -> String {
    "eval \"$(mfa-env unset)\"".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_leaves_a_value_bare() {
        assert_eq!(quote("abc"), "'abc'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a'b"), "'a'\\''b'");
        assert_eq!(quote("$(x) `y` \\"), "'$(x) `y` \\'");
    }
}
