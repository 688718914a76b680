//! xonsh: quoting, rendering and hints. `execx($(mfa-env PROFILE --shell xonsh))`, or
//! `source` of a file that holds the output.

use crate::env::Change;

pub const PROGRAM: &str = "xonsh";

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
