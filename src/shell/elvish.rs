//! elvish: quoting, rendering and hints. `eval (mfa-env PROFILE --shell elvish | slurp)`.

use crate::env::Change;

pub const PROGRAM: &str = "elvish";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_single_quotes_only() {
        assert_eq!(quote("it's $x \\ \"y\"\n"), "'it''s $x \\ \"y\"\n'");
        assert_eq!(render(&Change::Set("A", "'".into())), "set-env A ''''\n");
    }
}
