//! nushell: it has no `eval`, so mfa-env gives it data instead of code, one JSON object
//! `{"set":{NAME:value,…},"unset":[NAME,…]}` that `from json` reads and two built-ins apply:
//! `hide-env -i` for the removals, `load-env` for the rest. JSON holds every value exactly and
//! nothing in it is ever run. The init module wraps that in `mfa`.

use std::path::Path;
use std::process::Command;

use super::{write_startup, Init};
use crate::env::Change;

pub const PROGRAM: &str = "nu";
const PROMPT: &str = include_str!("../../shell/prompt.nu");
const INIT: &str = include_str!("../../shell/init.nu");
const SESSION: &str = include_str!("../../shell/session.nu");

pub const INIT_PARTS: Init = Init {
    prompt: PROMPT,
    script: INIT,
    passthrough_separator: "\" \"",
    completion: super::CompletionShell::Nu,
    complete_wrapper: false,
    wrap_completion: None,
};

/// What applies the output in the current scope (`do --env` keeps the closure's changes). On
/// failure there is no output: `default` makes that nothing to apply.
const APPLY: &str = "from json | default {set: {}, unset: []} | do --env { let c = $in; \
                     hide-env -i ...$c.unset; load-env $c.set }";

pub fn render_all(changes: &[Change]) -> String {
    let mut set = serde_json::Map::new();
    let mut unset = Vec::new();
    for change in changes {
        match change {
            Change::Set(n, v) => {
                set.insert((*n).to_string(), serde_json::Value::from(v.as_str()));
            }
            Change::Unset(n) => unset.push(serde_json::Value::from(*n)),
        }
    }
    let object = serde_json::json!({ "set": set, "unset": unset });
    format!("{object}\n")
}

/// A string nushell reads back as it is: single quotes, which have no escapes, when the value
/// holds none; else a raw string `r#'…'#` with one more `#` than any run after a quote.
pub fn quote(value: &str) -> String {
    if !value.contains('\'') {
        return format!("'{value}'");
    }
    let mut longest = 0;
    for (i, _) in value.match_indices('\'') {
        let run = value[i + 1..].bytes().take_while(|b| *b == b'#').count();
        longest = longest.max(run);
    }
    let hashes = "#".repeat(longest + 1);
    format!("r{hashes}'{value}'{hashes}")
}

pub fn apply_hint(profile: &str) -> String {
    format!("mfa-env {profile} --shell nu | {APPLY}")
}

pub fn drop_hint() -> String {
    format!("mfa-env unset --shell nu | {APPLY}")
}

/// The user's config.nu and env.nu run as usual; the countdown is sourced after them (`-e`).
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    let rc = dir.join("session.nu");
    write_startup(&rc, &format!("{PROMPT}\n{SESSION}"))?;
    cmd.arg("-e")
        .arg(format!("source {}", quote(&rc.to_string_lossy())));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_and_removals_apart() {
        let changes = [
            Change::Set("B", "x\"\n".into()),
            Change::Unset("C"),
            Change::Set("A", "1".into()),
        ];
        let v: serde_json::Value = serde_json::from_str(&render_all(&changes)).unwrap();
        assert_eq!(v["set"]["B"], "x\"\n");
        assert_eq!(v["set"]["A"], "1");
        assert_eq!(v["unset"], serde_json::json!(["C"]));
    }

    #[test]
    fn raw_strings_outlast_the_value() {
        assert_eq!(quote("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(quote("it's"), "r#'it's'#");
        assert_eq!(quote("a'##b"), "r###'a'##b'###");
    }
}
