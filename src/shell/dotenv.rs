//! `--shell dotenv`: `NAME=value` lines for `docker run --env-file` and systemd's
//! `EnvironmentFile=`. The two read a value differently (docker takes the rest of the line as
//! it is; systemd strips blanks and reads quotes and backslashes), so only values both read the
//! same are written, unquoted; anything else (a newline, quotes, a backslash, a blank at either
//! end, a control character) is refused. STS's keys and tokens never contain those. The files
//! cannot remove a variable: removals are left out (a container or unit starts without them).

use crate::env::Change;
use crate::error::{fail, Exit};

pub fn render_all(changes: &[Change]) -> anyhow::Result<String> {
    let mut out = String::new();
    for change in changes {
        if let Change::Set(n, v) = change {
            if let Some(bad) = v.chars().find(|c| !holds(*c)) {
                return Err(fail(
                    Exit::Other,
                    format!(
                        "the value of {n} holds {} which a dotenv file cannot hold the same way \
                         for docker and systemd; nothing was printed (use --shell json)",
                        describe(bad)
                    ),
                ));
            }
            if v.starts_with(' ') || v.ends_with(' ') {
                return Err(fail(
                    Exit::Other,
                    format!(
                        "the value of {n} starts or ends with a blank, which systemd would strip; \
                         nothing was printed (use --shell json)"
                    ),
                ));
            }
            out.push_str(&format!("{n}={v}\n"));
        }
    }
    Ok(out)
}

fn holds(c: char) -> bool {
    !c.is_control() && !matches!(c, '"' | '\'' | '\\')
}

fn describe(c: char) -> String {
    match c {
        '\n' => "a newline".to_string(),
        '"' | '\'' => format!("a quote ({c})"),
        '\\' => "a backslash".to_string(),
        c => format!("the character U+{:04X}", c as u32),
    }
}

pub fn apply_hint(profile: &str) -> String {
    format!("mfa-env {profile} --shell dotenv > FILE")
}

pub fn drop_hint() -> String {
    "remove the file".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_only() {
        let ok = [
            Change::Set("A", "wJalr/K7+MDENG=".into()),
            Change::Unset("B"),
            Change::Set("C", "a b$c#d".into()),
        ];
        assert_eq!(render_all(&ok).unwrap(), "A=wJalr/K7+MDENG=\nC=a b$c#d\n");
        for bad in [
            "a\nb",
            "it's",
            "\"q\"",
            "back\\",
            " lead",
            "trail ",
            "esc\u{1b}",
        ] {
            let err = render_all(&[Change::Set("A", bad.into())])
                .unwrap_err()
                .to_string();
            assert!(err.contains("nothing was printed"), "{bad:?}: {err}");
        }
    }
}
