//! The commands mfa-env suggests, written for the shell that will read them: `eval "$(…)"` in
//! bash, `| source` in fish, `| Invoke-Expression` in PowerShell, and `mfa PROFILE` / `mfa off`
//! when the call came through the init wrapper (which says so in `MFA_ENV_WRAPPER`).

use super::Shell;

/// The variable the init wrappers set for the one call they make: the function's name.
pub use crate::env::WRAPPER_VAR;

/// The wrapper function's name, when this run was started by it (a plain function name only).
pub fn wrapper() -> Option<String> {
    let name = std::env::var(WRAPPER_VAR).ok()?;
    let plain = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    plain.then_some(name)
}

/// Whether every shell reads `word` as itself, unquoted: letters, digits and `_ . / : -` (not
/// `,` or `@`, which PowerShell reads as operators), not starting with `-`.
fn plain(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with('-')
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:-".contains(&b))
}

/// A word of a command shown in a message, for any shell: as it is when it is plain, else in
/// single quotes (POSIX, which most readers type into).
pub fn arg(word: &str) -> String {
    if plain(word) {
        word.to_string()
    } else {
        super::posix::quote(word)
    }
}

/// A word of a command written for `shell`: as it is when plain, else quoted its way.
pub fn arg_for(shell: Shell, word: &str) -> String {
    if plain(word) {
        word.to_string()
    } else {
        shell.quote(word)
    }
}

/// How to apply a session of `profile` in this shell (`None`: the word PROFILE).
pub fn apply(shell: Shell, profile: Option<&str>) -> String {
    // Quoted only when this shell needs it: `eval "$(mfa-env work)"`, not `'work'`.
    let p = profile.map_or_else(|| "PROFILE".to_string(), |p| arg_for(shell, p));
    match wrapper() {
        Some(wrapper) => format!("{wrapper} {p}"),
        None => shell.apply_hint(&p),
    }
}

/// How to drop the session applied to this shell.
pub fn drop_session(shell: Shell) -> String {
    match wrapper() {
        Some(wrapper) => format!("{wrapper} off"),
        None => shell.drop_hint(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_per_shell() {
        // The unit tests do not run under the wrapper.
        assert!(std::env::var_os(WRAPPER_VAR).is_none());
        assert_eq!(
            apply(Shell::Bash, Some("it's")),
            "eval \"$(mfa-env 'it'\\''s')\""
        );
        assert_eq!(apply(Shell::Bash, Some("demo")), "eval \"$(mfa-env demo)\"");
        assert_eq!(apply(Shell::Fish, None), "mfa-env PROFILE | source");
        assert_eq!(
            drop_session(Shell::Powershell),
            "mfa-env unset | Out-String | Invoke-Expression"
        );
        assert_eq!(drop_session(Shell::Zsh), "eval \"$(mfa-env unset)\"");
        assert_eq!(
            apply(Shell::Elvish, Some("work")),
            "eval (mfa-env work --shell elvish | slurp)"
        );
        assert_eq!(
            apply(Shell::Tcsh, Some("work")),
            "eval \"`mfa-env work --shell tcsh`\""
        );
        assert_eq!(
            drop_session(Shell::Xonsh),
            "execx($(mfa-env unset --shell xonsh))"
        );
    }
}
