//! `--shell json`: the changes as one JSON object, in their order, for scripts and editors:
//! `{"AWS_ACCESS_KEY_ID":"…",…,"AWS_PROFILE":null}` (null: remove the variable).

use crate::env::Change;

/// The whole object: unlike a shell's code it is not a line per change.
pub fn render_all(changes: &[Change]) -> String {
    let members: Vec<String> = changes
        .iter()
        .map(|change| match change {
            Change::Set(n, v) => format!("{}:{}", string(n), string(v)),
            Change::Unset(n) => format!("{}:null", string(n)),
        })
        .collect();
    format!("{{{}}}\n", members.join(","))
}

/// A JSON string (serde_json's escaping: quotes, backslashes and control characters).
fn string(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

pub fn apply_hint(profile: &str) -> String {
    format!("mfa-env {profile} --shell json")
}

pub fn drop_hint() -> String {
    "mfa-env unset --shell json".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_in_order_with_null_for_removal() {
        let changes = [
            Change::Set("B", "x\"\\\n".into()),
            Change::Set("A", "1".into()),
            Change::Unset("C"),
        ];
        assert_eq!(
            render_all(&changes),
            "{\"B\":\"x\\\"\\\\\\n\",\"A\":\"1\",\"C\":null}\n"
        );
    }
}
