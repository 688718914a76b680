//! The ordered list of environment changes a session makes.
//!
//! Every command that applies a session (export, exec, shell, unset) goes through this list,
//! so what is set and unset is decided in one place. The order is fixed: never a hash map.

use crate::error::{fail, Exit};
use crate::sts::Credentials;

pub const ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
pub const CREDENTIAL_EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
pub const REGION: &str = "AWS_REGION";
pub const DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
pub const MFA_ENV_PROFILE: &str = "MFA_ENV_PROFILE";
pub const MFA_ENV_EXPIRATION: &str = "MFA_ENV_EXPIRATION";
pub const MFA_ENV_IDENTITY: &str = "MFA_ENV_IDENTITY";
/// Set only when mfa-env set the region, so `unset` removes a region it set and no other.
pub const MFA_ENV_REGION: &str = "MFA_ENV_REGION";

/// The container credentials provider's variables, which `--server` sets.
pub const CONTAINER_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
pub const CONTAINER_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// The endpoint's URL (no token), set beside them: `status`, `unset` and `mfa-env-refresh`
/// know the session is served, not in the environment.
pub const MFA_ENV_ENDPOINT: &str = "MFA_ENV_ENDPOINT";

/// What SDKs read before the container provider, or in place of its token: keys under any
/// name an SDK knows (the Java SDK's `AWS_ACCESS_KEY`/`AWS_SECRET_KEY` too), a profile
/// selection, web identity, the other container variables.
pub const SHADOWING_ENDPOINT: [&str; 14] = [
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    CREDENTIAL_EXPIRATION,
    "AWS_SECURITY_TOKEN",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Variables that would shadow the new credentials: a profile selection makes boto3 and the
/// CLI skip the environment keys, and botocore reads `AWS_SECURITY_TOKEN` before
/// `AWS_SESSION_TOKEN`.
pub const SHADOWING: [&str; 3] = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"];

/// The profile selections a session unsets, each with the variable that keeps what it held
/// before the session, so that `unset` gives it back.
pub const SAVED_PROFILES: [(&str, &str); 2] = [
    ("AWS_PROFILE", "MFA_ENV_SAVED_AWS_PROFILE"),
    ("AWS_DEFAULT_PROFILE", "MFA_ENV_SAVED_AWS_DEFAULT_PROFILE"),
];

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Records the profile selections the session is about to unset. A session applied over
/// another finds them unset already (by the first): what the first recorded stays.
fn push_saved_profiles(changes: &mut Vec<Change>) {
    let in_session = non_empty_var(MFA_ENV_PROFILE).is_some();
    for (name, saved) in SAVED_PROFILES {
        let before =
            non_empty_var(name).or_else(|| in_session.then(|| non_empty_var(saved)).flatten());
        changes.push(match before {
            Some(value) => Change::Set(saved, value),
            None => Change::Unset(saved),
        });
    }
}

/// Gives back the profile selections recorded when the session was applied, unless one was
/// set again since (the user's newer choice stays).
fn push_restored_profiles(changes: &mut Vec<Change>) {
    for (name, saved) in SAVED_PROFILES {
        if let (Some(value), None) = (non_empty_var(saved), non_empty_var(name)) {
            changes.push(Change::Set(name, value));
        }
        changes.push(Change::Unset(saved));
    }
}

/// Set by the init wrapper for its own call of mfa-env (hints then name the wrapper); never
/// passed on to what `exec` or `shell` start.
pub const WRAPPER_VAR: &str = "MFA_ENV_WRAPPER";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Set(&'static str, String),
    Unset(&'static str),
}

/// A value set may be a secret key or token: wiped from memory when the change is dropped.
impl Drop for Change {
    fn drop(&mut self) {
        if let Change::Set(_, value) = self {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

impl Change {
    pub fn name(&self) -> &'static str {
        match self {
            Change::Set(n, _) | Change::Unset(n) => n,
        }
    }
}

/// What a session needs in the environment.
pub struct SessionVars<'a> {
    pub profile: &'a str,
    pub credentials: &'a Credentials,
    pub region: Option<&'a str>,
}

/// The changes that apply a session, in output order.
pub fn session_changes(s: &SessionVars<'_>) -> Vec<Change> {
    let c = s.credentials;
    let mut changes = vec![
        Change::Set(ACCESS_KEY_ID, c.access_key_id.clone()),
        Change::Set(SECRET_ACCESS_KEY, c.secret_access_key.to_string()),
        Change::Set(SESSION_TOKEN, c.session_token.to_string()),
        Change::Set(CREDENTIAL_EXPIRATION, c.expiration_rfc3339()),
    ];
    push_region_and_markers(&mut changes, s.profile, s.region, c.expiration);
    changes.push(Change::Set(MFA_ENV_IDENTITY, c.identity.clone()));
    push_saved_profiles(&mut changes);
    changes.extend(SHADOWING.iter().map(|n| Change::Unset(n)));
    changes
}

fn push_region_and_markers(
    changes: &mut Vec<Change>,
    profile: &str,
    region: Option<&str>,
    expiration: i64,
) {
    match region {
        Some(region) => {
            changes.push(Change::Set(REGION, region.to_string()));
            changes.push(Change::Set(DEFAULT_REGION, region.to_string()));
            changes.push(Change::Set(MFA_ENV_REGION, region.to_string()));
        }
        None => changes.push(Change::Unset(MFA_ENV_REGION)),
    }
    changes.push(Change::Set(MFA_ENV_PROFILE, profile.to_string()));
    changes.push(Change::Set(MFA_ENV_EXPIRATION, expiration.to_string()));
}

/// What a child served by the credentials endpoint needs.
pub struct EndpointVars<'a> {
    pub profile: &'a str,
    pub url: &'a str,
    pub token: &'a str,
    pub region: Option<&'a str>,
    /// The end of what the endpoint can renew without a code: the prompt counts down to it.
    pub renewable_until: i64,
    /// The assumed-role ARN, or the MFA device (renewals keep it).
    pub identity: &'a str,
    /// Config files to hide from the child (`AWS_CONFIG_FILE` or `AWS_SHARED_CREDENTIALS_FILE`):
    /// their `[default]` profile has credentials SDKs would use before the endpoint.
    pub hide_files: &'a [&'static str],
}

/// The null device, where a hidden config file points.
pub const NULL_DEVICE: &str = if cfg!(windows) { "NUL" } else { "/dev/null" };

/// The changes for a child of `--server`: the endpoint instead of keys, and nothing that an
/// SDK would read before it.
pub fn endpoint_changes(s: &EndpointVars<'_>) -> Vec<Change> {
    let mut changes = vec![
        Change::Set(CONTAINER_FULL_URI, s.url.to_string()),
        Change::Set(CONTAINER_TOKEN, s.token.to_string()),
        Change::Set(MFA_ENV_ENDPOINT, s.url.to_string()),
    ];
    push_region_and_markers(&mut changes, s.profile, s.region, s.renewable_until);
    changes.push(Change::Set(MFA_ENV_IDENTITY, s.identity.to_string()));
    changes.extend(
        s.hide_files
            .iter()
            .map(|n| Change::Set(n, NULL_DEVICE.to_string())),
    );
    push_saved_profiles(&mut changes);
    changes.extend(SHADOWING_ENDPOINT.iter().map(|n| Change::Unset(n)));
    changes
}

/// Applying keys inside `shell --server`: the endpoint's variables go, so the keys are what
/// `status`, `unset` and SDKs see.
pub fn leave_endpoint(changes: &mut Vec<Change>) {
    changes.extend(
        [CONTAINER_FULL_URI, CONTAINER_TOKEN, MFA_ENV_ENDPOINT]
            .iter()
            .map(|n| Change::Unset(n)),
    );
}

/// The changes that remove a session. `region_set_by_us` is the region mfa-env exported, if
/// any: the region variables are removed only when they still hold it.
/// `served`: the session is served by mfa-env's endpoint (`shell --server`), so the container
/// variables are ours to remove; elsewhere they may be a container's own and stay. The profile
/// selections the session unset are given back (`SAVED_PROFILES`, read from this environment).
pub fn unset_changes(
    region_set_by_us: Option<&str>,
    current_region: Option<&str>,
    served: bool,
) -> Vec<Change> {
    let mut changes: Vec<Change> = [
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        SESSION_TOKEN,
        CREDENTIAL_EXPIRATION,
    ]
    .iter()
    .map(|n| Change::Unset(n))
    .collect();
    if region_set_by_us.is_some() && region_set_by_us == current_region {
        changes.push(Change::Unset(REGION));
        changes.push(Change::Unset(DEFAULT_REGION));
    }
    changes.extend(
        [
            MFA_ENV_REGION,
            MFA_ENV_PROFILE,
            MFA_ENV_EXPIRATION,
            MFA_ENV_IDENTITY,
            "AWS_SECURITY_TOKEN",
        ]
        .iter()
        .map(|n| Change::Unset(n)),
    );
    if served {
        leave_endpoint(&mut changes);
    }
    push_restored_profiles(&mut changes);
    changes
}

/// Linux refuses to start any program whose environment holds one `NAME=value` string longer
/// than this (MAX_ARG_STRLEN): a bigger value would make every later command fail.
pub const MAX_ENTRY: usize = 128 * 1024;

/// Refuses values no environment can hold: a NUL byte, or an entry over `MAX_ENTRY`.
pub fn validate(changes: &[Change]) -> anyhow::Result<()> {
    for change in changes {
        if let Change::Set(name, value) = change {
            if value.contains('\0') {
                return Err(fail(
                    Exit::Other,
                    format!(
                        "the value for {name} contains a NUL byte, which no shell can hold; \
                         nothing was applied (the STS answer was not usable)"
                    ),
                ));
            }
            let entry = name.len() + 1 + value.len() + 1;
            if entry > MAX_ENTRY {
                return Err(fail(
                    Exit::Other,
                    format!(
                        "the value for {name} is {} bytes, more than an environment variable can \
                         hold ({MAX_ENTRY} bytes); nothing was applied (the STS answer was not usable)",
                        value.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Applies changes to a command's environment (exec, shell): values go directly, no quoting.
pub fn apply_to_command(cmd: &mut std::process::Command, changes: &[Change]) {
    // Set by the init wrapper for its own call only: a child's mfa-env runs are not the wrapper's.
    cmd.env_remove(WRAPPER_VAR);
    for change in changes {
        match change {
            Change::Set(n, v) => {
                cmd.env(n, v);
            }
            Change::Unset(n) => {
                cmd.env_remove(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLEEXAMPLE12".into(),
            secret_access_key: Zeroizing::new("secret".into()),
            session_token: Zeroizing::new("token".into()),
            expiration: 1_800_000_000,
            identity: "arn:aws:sts::123456789012:assumed-role/R/s".into(),
        }
    }

    #[test]
    fn session_changes_set_then_unset_shadowing_in_fixed_order() {
        let c = creds();
        let changes = session_changes(&SessionVars {
            profile: "work",
            credentials: &c,
            region: Some("eu-west-1"),
        });
        let names: Vec<_> = changes.iter().map(Change::name).collect();
        assert_eq!(
            names,
            [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_CREDENTIAL_EXPIRATION",
                "AWS_REGION",
                "AWS_DEFAULT_REGION",
                "MFA_ENV_REGION",
                "MFA_ENV_PROFILE",
                "MFA_ENV_EXPIRATION",
                "MFA_ENV_IDENTITY",
                "MFA_ENV_SAVED_AWS_PROFILE",
                "MFA_ENV_SAVED_AWS_DEFAULT_PROFILE",
                "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE",
                "AWS_SECURITY_TOKEN",
            ]
        );
        assert!(changes.contains(&Change::Set(
            CREDENTIAL_EXPIRATION,
            "2027-01-15T08:00:00Z".into()
        )));
    }

    #[test]
    fn without_region_the_region_variables_are_left_alone() {
        let c = creds();
        let changes = session_changes(&SessionVars {
            profile: "p",
            credentials: &c,
            region: None,
        });
        assert!(!changes.iter().any(|c| c.name() == REGION));
        assert!(changes.contains(&Change::Unset(MFA_ENV_REGION)));
    }

    #[test]
    fn values_an_environment_cannot_hold_are_refused() {
        assert!(validate(&[Change::Set("A", "x".repeat(MAX_ENTRY - 3))]).is_ok());
        let err = validate(&[Change::Set("A", "x".repeat(MAX_ENTRY - 2))]).unwrap_err();
        assert!(err
            .to_string()
            .contains("more than an environment variable can hold"));
        assert!(validate(&[Change::Set("A", "a\0b".into())]).is_err());
        assert!(validate(&[Change::Unset("A")]).is_ok());
    }

    #[test]
    fn unset_removes_the_region_only_when_it_is_still_ours() {
        let ours = unset_changes(Some("eu-west-1"), Some("eu-west-1"), false);
        assert!(ours.contains(&Change::Unset(REGION)));
        let changed = unset_changes(Some("eu-west-1"), Some("us-east-1"), false);
        assert!(!changed.contains(&Change::Unset(REGION)));
        let none = unset_changes(None, Some("us-east-1"), false);
        assert!(!none.contains(&Change::Unset(REGION)));
    }
}

/// The mfa-env session visible in this process's environment, if any.
#[derive(Debug, Default)]
pub struct EnvSession {
    pub profile: Option<String>,
    pub expiration: Option<i64>,
    pub identity: Option<String>,
    pub region: Option<String>,
    /// Present only when all three credential variables are set.
    pub credentials: Option<Credentials>,
    /// The credentials endpoint serving it (`shell --server`).
    pub endpoint: Option<String>,
}

impl EnvSession {
    pub fn read() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let profile = var(MFA_ENV_PROFILE);
        let expiration = var(MFA_ENV_EXPIRATION).and_then(|v| v.trim().parse::<i64>().ok());
        let identity = var(MFA_ENV_IDENTITY);
        let credentials = match (
            profile.as_ref(),
            expiration,
            var(ACCESS_KEY_ID),
            var(SECRET_ACCESS_KEY),
            var(SESSION_TOKEN),
        ) {
            (Some(_), Some(expiration), Some(id), Some(secret), Some(token)) => Some(Credentials {
                access_key_id: id,
                secret_access_key: zeroize::Zeroizing::new(secret),
                session_token: zeroize::Zeroizing::new(token),
                expiration,
                identity: identity.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        EnvSession {
            profile,
            expiration,
            identity,
            region: var(MFA_ENV_REGION),
            credentials,
            endpoint: var(MFA_ENV_ENDPOINT),
        }
    }

    /// Seconds left, when the session has an expiry.
    pub fn seconds_left(&self) -> Option<i64> {
        self.expiration.map(|e| e - crate::sts::now())
    }
}
