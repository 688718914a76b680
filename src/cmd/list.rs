//! `mfa-env list`: profiles that use MFA, their kind and device, and cached sessions.

use crate::auth::{margin, role_key, source_key};
use crate::cache::Cache;
use crate::cli::ListArgs;
use crate::profile::Profiles;
use crate::shell::prompt::time_left;
use crate::sts::rfc3339;

struct Row {
    name: String,
    kind: &'static str,
    mfa_serial: String,
    role_arn: Option<String>,
    /// Seconds left of the session this profile would use now, if cached.
    cached: Option<i64>,
}

pub fn run(args: &ListArgs) -> anyhow::Result<i32> {
    let profiles = Profiles::load()?;
    let cache = Cache::existing()?;
    let margin = margin()?;
    let rows: Vec<Row> = profiles
        .mfa_profiles()
        .into_iter()
        .map(|s| {
            let cached = cache.as_ref().and_then(|cache| {
                let r = profiles.resolve(&s.name).ok()?;
                let keys = if r.is_role() {
                    vec![role_key(&r, false), role_key(&r, true)]
                } else {
                    vec![source_key(&r)]
                };
                keys.iter()
                    .filter_map(|k| cache.get(k, margin))
                    .map(|c| c.seconds_left())
                    .max()
            });
            Row {
                name: s.name,
                kind: s.kind,
                mfa_serial: s.mfa_serial,
                role_arn: s.role_arn,
                cached,
            }
        })
        .collect();
    if args.json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "profile": r.name,
                    "kind": r.kind,
                    "mfa_serial": r.mfa_serial,
                    "role_arn": r.role_arn,
                    "cached_seconds_left": r.cached,
                    "cached_expiration": r.cached.map(|s| rfc3339(crate::sts::now() + s)),
                })
            })
            .collect();
        super::print_stdout(&format!("{}\n", serde_json::Value::Array(items)))?;
        return Ok(0);
    }
    if rows.is_empty() {
        eprintln!(
            "mfa-env: no profile uses MFA: add mfa_serial to a profile in {}",
            crate::profile::config_file_display()
        );
        return Ok(0);
    }
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut text = format!(
        "{:width$}  {:13}  {:9}  MFA DEVICE / ROLE\n",
        "PROFILE", "KIND", "CACHED"
    );
    for r in &rows {
        let cached = r.cached.map_or_else(|| "-".to_string(), time_left);
        let target = match &r.role_arn {
            Some(arn) => format!("{} -> {arn}", r.mfa_serial),
            None => r.mfa_serial.clone(),
        };
        text.push_str(&format!(
            "{:width$}  {:13}  {:9}  {target}\n",
            r.name, r.kind, cached
        ));
    }
    super::print_stdout(&text)?;
    Ok(0)
}
