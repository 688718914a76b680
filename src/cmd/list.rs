//! `mfa-env list`: profiles that use MFA, their kind and device, and cached sessions.

use crate::auth::{margin, role_key, source_key};
use crate::cache::Cache;
use crate::cli::ListArgs;
use crate::error::mask_key;
use crate::profile::{KeySource, Profiles, Source};
use crate::shell::prompt::time_left;
use crate::sts::rfc3339;

/// The KEYS of a profile whose keys are in no file: the keyring's, if it holds them.
const KEYRING: &str = "keyring";
/// The KEYS of a profile that starts from an AWS Sign-In session: none, a sign-in.
const SIGN_IN: &str = "sign-in";

struct Row {
    name: String,
    kind: &'static str,
    mfa_serial: String,
    role_arn: Option<String>,
    /// Where the keys that sign its STS call come from: a masked key ID from the files,
    /// `process`, `keyring`, or `none` (the keyring holds none either).
    keys: String,
    /// The profile whose keys those are.
    source: String,
    /// Seconds left of the session this profile would use now, if cached.
    cached: Option<i64>,
    /// Roles: seconds left of the source's MFA session, which assumes the role without a code.
    mfa_session: Option<i64>,
}

/// A row whose source is a sign-in (AWS Sign-In, Identity Center): its `mfa_serial` is who
/// signed in, not a device.
fn signed_in(r: &Row) -> bool {
    r.keys == SIGN_IN || r.keys == "sso"
}

pub fn run(args: &ListArgs) -> anyhow::Result<i32> {
    let profiles = Profiles::load()?;
    let cache = Cache::existing()?;
    let margin = margin()?;
    let mut rows: Vec<Row> = profiles
        .mfa_profiles()
        .into_iter()
        .map(|s| {
            let resolved = profiles.resolve(&s.name).ok();
            let left = |keys: &[String]| -> Option<i64> {
                let cache = cache.as_ref()?;
                keys.iter()
                    .filter_map(|k| cache.get(k, margin))
                    .map(|c| c.seconds_left())
                    .max()
            };
            // A login source's credentials are in the login cache, not mfa-env's.
            let login = |r: &crate::profile::Resolved| match &r.source {
                crate::profile::Source::Login(l) => {
                    crate::login::read(&l.session, &r.source_profile)
                        .ok()
                        .flatten()
                        .map(|t| t.credentials.seconds_left())
                        .filter(|&s| s > margin)
                }
                crate::profile::Source::Mfa(_) | crate::profile::Source::Sso(_) => None,
            };
            let (cached, mfa_session) = match &resolved {
                Some(r) if r.is_role() && matches!(r.source, Source::Login(_)) => {
                    (left(&[role_key(r, false)]), login(r))
                }
                Some(r) if matches!(r.source, Source::Login(_)) => (login(r), None),
                Some(r) if r.is_role() => (
                    left(&[role_key(r, false), role_key(r, true)]),
                    left(&[source_key(r)]),
                ),
                Some(r) => (left(&[source_key(r)]), None),
                None => (None, None),
            };
            let keys = match resolved.as_ref().map(|r| &r.source) {
                Some(Source::Mfa(m)) => match &m.keys {
                    KeySource::File(k) => mask_key(&k.access_key_id),
                    KeySource::Process { .. } => "process".to_string(),
                    KeySource::Store { .. } => KEYRING.to_string(),
                },
                Some(Source::Login(_)) => SIGN_IN.to_string(),
                Some(Source::Sso(_)) => "sso".to_string(),
                None => "-".to_string(),
            };
            Row {
                keys,
                source: resolved
                    .as_ref()
                    .map_or_else(String::new, |r| r.source_profile.clone()),
                name: s.name,
                kind: s.kind,
                mfa_serial: s.mfa_serial,
                role_arn: s.role_arn,
                cached,
                mfa_session,
            }
        })
        .collect();
    // Keys in no file may be in the keyring, or nowhere: ask it once, for those rows only.
    let unfiled: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.keys == KEYRING)
        .map(|(i, _)| i)
        .collect();
    if !unfiled.is_empty() {
        let names: Vec<String> = unfiled.iter().map(|&i| rows[i].source.clone()).collect();
        match crate::keystore::which_hold(&names) {
            Ok(held) => {
                for (&i, held) in unfiled.iter().zip(held) {
                    if !held {
                        rows[i].keys = "none".to_string();
                    }
                }
            }
            Err(e) => {
                crate::debug!("the keyring was not asked: {}", crate::one_line(&e));
                for &i in &unfiled {
                    rows[i].keys = format!("{KEYRING}?");
                }
            }
        }
    }
    if args.json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "profile": r.name,
                    "kind": r.kind,
                    "mfa_serial": (!signed_in(r)).then_some(&r.mfa_serial),
                    "signed_in_as": signed_in(r).then_some(&r.mfa_serial),
                    "role_arn": r.role_arn,
                    "keys": r.keys,
                    "cached_seconds_left": r.cached,
                    "cached_expiration": r.cached.map(|s| rfc3339(crate::sts::now() + s)),
                    "mfa_session_seconds_left": r.mfa_session,
                })
            })
            .collect();
        super::print_stdout(&format!("{}\n", serde_json::Value::Array(items)))?;
        return Ok(0);
    }
    if rows.is_empty() {
        eprintln!(
            "mfa-env: no profile uses MFA yet: `mfa-env setup PROFILE` enrolls an MFA device for \
             the IAM user whose keys PROFILE holds (or finds its device) and writes mfa_serial to \
             {}; no keys yet? `mfa-env keys add PROFILE` first",
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
        "{:width$}  {:13}  {:9}  {:11}  MFA DEVICE OR SIGN-IN / ROLE\n",
        "PROFILE", "KIND", "KEYS", "CACHED"
    );
    for r in &rows {
        // A role with no session of its own but a live MFA session needs no code either.
        let cached = match (r.cached, r.mfa_session) {
            (Some(s), _) => time_left(s),
            (None, Some(s)) if r.keys == SIGN_IN => format!("login {}", time_left(s)),
            (None, Some(s)) => format!("mfa {}", time_left(s)),
            (None, None) => "-".to_string(),
        };
        let target = match &r.role_arn {
            Some(arn) => format!("{} -> {arn}", r.mfa_serial),
            None => r.mfa_serial.clone(),
        };
        text.push_str(&format!(
            "{:width$}  {:13}  {:9}  {:11}  {target}\n",
            r.name, r.kind, r.keys, cached
        ));
    }
    super::print_stdout(&text)?;
    Ok(0)
}
