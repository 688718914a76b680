//! From a profile name to temporary credentials: the live session in the environment, the
//! cache, or STS — with one MFA code serving every role of a source for the session's life.

use crate::cache::{digest, Cache};
use crate::debug;
use crate::duration::human;
use crate::env::EnvSession;
use crate::error::{fail, mask_key, Exit};
use crate::mfa::{Attempt, CodeSource, Guard, PROMPT_TRIES};
use crate::profile::{Resolved, RoleSpec};
use crate::sts::{CaBundle, Credentials, Limits, Signer, Sts, StsError};

/// GetSessionToken limits for IAM users.
pub const SESSION_MIN: u32 = 900;
pub const SESSION_MAX: u32 = 129_600;
pub const SESSION_DEFAULT: u32 = 43_200;
/// AssumeRole limits; roles assumed with session credentials get at most 1 h (role chaining).
pub const ROLE_MIN: u32 = 900;
pub const ROLE_MAX: u32 = 43_200;
pub const CHAINED_ROLE_MAX: u32 = 3_600;
/// Sessions with less than this left are renewed, not used (`MFA_ENV_MARGIN` overrides).
pub const DEFAULT_MARGIN: i64 = 300;

/// How a role profile is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RolePath {
    /// Via session unless the role duration asks for more than 1 h.
    #[default]
    Auto,
    /// GetSessionToken with MFA on the source, then AssumeRole with that session.
    ViaSession,
    /// AssumeRole with the MFA code itself.
    Direct,
}

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub profile: String,
    pub token_code: Option<String>,
    pub duration: Option<u32>,
    pub path: RolePath,
    pub no_cache: bool,
    /// Ignore the session in the environment and the cached session of this profile.
    pub refresh: bool,
}

/// Where the credentials of a run came from (a rejected cached session is retried once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Cache,
    Sts,
}

pub struct Session {
    pub profile: String,
    pub credentials: Credentials,
    pub region: Option<String>,
}

/// PROFILE defaults to `$AWS_PROFILE`, then the live session's profile, then `default`.
pub fn default_profile(arg: Option<&str>) -> String {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    arg.map(str::to_string)
        .or_else(|| var("AWS_PROFILE"))
        .or_else(|| var(crate::env::MFA_ENV_PROFILE))
        .unwrap_or_else(|| "default".to_string())
}

pub fn margin() -> anyhow::Result<i64> {
    match std::env::var("MFA_ENV_MARGIN") {
        Ok(v) => Ok(i64::from(crate::duration::parse(&v).map_err(|_| {
            fail(
                Exit::Config,
                "MFA_ENV_MARGIN must be a duration such as 300, 5m or 1h",
            )
        })?)),
        Err(_) => Ok(DEFAULT_MARGIN),
    }
}

pub fn authenticate(req: &Request) -> anyhow::Result<Session> {
    let margin = margin()?;
    if !req.refresh {
        let live = EnvSession::read();
        if live.profile.as_deref() == Some(req.profile.as_str()) {
            if let Some(creds) = live.credentials.filter(|c| c.seconds_left() > margin) {
                debug!(
                    "reusing the live session of '{}' from the environment ({} left)",
                    req.profile,
                    crate::shell::prompt::time_left(creds.seconds_left())
                );
                duration_not_applied(req, &creds);
                return Ok(Session {
                    profile: req.profile.clone(),
                    credentials: creds,
                    region: live.region,
                });
            }
        }
    }

    let resolved = crate::profile::resolve(&req.profile)?;
    debug!(
        "profile '{}': keys {} from '{}', MFA device {}, roles [{}], region {}, endpoint {}",
        resolved.name,
        mask_key(&resolved.keys.access_key_id),
        resolved.source_profile,
        resolved.mfa_serial,
        resolved
            .roles
            .iter()
            .map(|r| r.role_arn.as_str())
            .collect::<Vec<_>>()
            .join(" -> "),
        resolved.region.as_deref().unwrap_or("(none)"),
        resolved.endpoint_url.as_deref().unwrap_or("(SDK default)"),
    );
    let plan = Plan::new(req, &resolved)?;
    let cache = if req.no_cache {
        None
    } else {
        Some(Cache::open()?)
    };
    let mut run = Run {
        req,
        resolved: &resolved,
        plan,
        guard: Guard::new(cache.as_ref().map(Cache::dir)),
        cache,
        code: CodeSource::new(req.token_code.as_deref(), resolved.mfa_process.as_deref()),
        limits: Limits::from_env()?,
        margin,
        ca_bundle: None,
        http: std::cell::OnceCell::new(),
    };
    // A cached session needs no async runtime and no network: answer it first.
    if !req.refresh {
        if let Some(credentials) = run.cached(&run.session_key(), "the session") {
            duration_not_applied(req, &credentials);
            return Ok(Session {
                profile: req.profile.clone(),
                credentials,
                region: resolved.region.clone(),
            });
        }
    }
    run.ca_bundle = resolved
        .ca_bundle
        .as_deref()
        .map(CaBundle::load)
        .transpose()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(Exit::Other, format!("cannot start the async runtime: {e}")))?;
    let (credentials, origin) = rt.block_on(run.execute())?;
    debug!("credentials from {origin:?}");
    if origin == Origin::Cache {
        duration_not_applied(req, &credentials);
    }
    Ok(Session {
        profile: req.profile.clone(),
        credentials,
        region: resolved.region.clone(),
    })
}

/// `--duration` sets the length of a session that starts now; a live one is used as it is.
/// Say so, rather than let the user believe the session lasts what they asked.
fn duration_not_applied(req: &Request, creds: &Credentials) {
    if let Some(asked) = req.duration {
        eprintln!(
            "mfa-env: using the cached session of '{}' ({} left); --duration {} applies to a new \
             session: add --refresh to start one",
            req.profile,
            crate::shell::prompt::time_left(creds.seconds_left()),
            human(asked)
        );
    }
}

/// Durations and path, validated before anything is asked or sent.
#[derive(Debug)]
struct Plan {
    path: RolePath,
    /// The duration, not a flag, chose the direct path: say so when a code is asked for it.
    direct_by_duration: bool,
    session_duration: u32,
    role_duration: u32,
}

impl Plan {
    fn new(req: &Request, r: &Resolved) -> anyhow::Result<Plan> {
        if !r.is_role() {
            let d = req
                .duration
                .or(r.source_duration)
                .unwrap_or(SESSION_DEFAULT);
            check_range(
                d,
                SESSION_MIN,
                SESSION_MAX,
                "a session token (GetSessionToken)",
            )?;
            return Ok(Plan {
                path: RolePath::Auto,
                direct_by_duration: false,
                session_duration: d,
                role_duration: 0,
            });
        }
        let session_duration = r.source_duration.unwrap_or(SESSION_DEFAULT);
        check_range(
            session_duration,
            SESSION_MIN,
            SESSION_MAX,
            "the source session (GetSessionToken)",
        )?;
        let asked = req
            .duration
            .or(r.roles.last().and_then(|role| role.duration));
        let role_duration = asked.unwrap_or(CHAINED_ROLE_MAX);
        check_range(
            role_duration,
            ROLE_MIN,
            ROLE_MAX,
            "a role session (AssumeRole)",
        )?;
        for role in &r.roles {
            validate_role(role)?;
        }
        let path = match req.path {
            RolePath::Auto if role_duration > CHAINED_ROLE_MAX => RolePath::Direct,
            RolePath::Auto => RolePath::ViaSession,
            RolePath::ViaSession if role_duration > CHAINED_ROLE_MAX => {
                return Err(fail(
                    Exit::Config,
                    format!(
                        "--via-session limits the role to 1h (AWS's rule for roles assumed with \
                         session credentials), but {} was asked: use --direct or a shorter --duration",
                        human(role_duration)
                    ),
                ));
            }
            other => other,
        };
        if path == RolePath::Direct && r.roles.len() > 1 && role_duration > CHAINED_ROLE_MAX {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{}' chains {} roles; every role after the first is assumed with \
                     session credentials and lasts at most 1h",
                    r.name,
                    r.roles.len()
                ),
            ));
        }
        Ok(Plan {
            direct_by_duration: req.path == RolePath::Auto && path == RolePath::Direct,
            path,
            session_duration,
            role_duration,
        })
    }
}

fn check_range(d: u32, min: u32, max: u32, what: &str) -> anyhow::Result<()> {
    if (min..=max).contains(&d) {
        return Ok(());
    }
    Err(fail(
        Exit::Config,
        format!(
            "a duration of {} ({d}s) is outside what AWS allows for {what}: {}s ({}) to {}s ({})",
            human(d),
            min,
            human(min),
            max,
            human(max)
        ),
    ))
}

fn validate_role(role: &RoleSpec) -> anyhow::Result<()> {
    if !role.role_arn.starts_with("arn:") || role.role_arn.len() < 20 {
        return Err(fail(
            Exit::Config,
            format!(
                "profile '{}': role_arn must be a role ARN such as arn:aws:iam::123456789012:role/NAME",
                role.profile
            ),
        ));
    }
    if let Some(name) = &role.session_name {
        if !valid_session_name(name) {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{}': role_session_name must be 2-64 characters of letters, digits and _+=,.@-",
                    role.profile
                ),
            ));
        }
    }
    if let Some(id) = &role.external_id {
        if !(2..=1224).contains(&id.len()) {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{}': external_id must be 2-1224 characters",
                    role.profile
                ),
            ));
        }
    }
    Ok(())
}

fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// A RoleSessionName that says who: `mfa-env-alice` from `arn:aws:iam::1:mfa/alice`.
pub fn default_session_name(serial: &str) -> String {
    let who: String = serial
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .collect();
    let name = if who.is_empty() {
        format!("mfa-env-{}", crate::sts::now())
    } else {
        format!("mfa-env-{who}")
    };
    name.chars().take(64).collect()
}

/// What a cached session depends on: the long-term key, the device and where STS is — an
/// explicit endpoint, else the partition. Not the region: STS credentials are valid in every
/// region of their partition, so one MFA session serves roles in every region.
fn key_base(r: &Resolved) -> Vec<&str> {
    vec![
        r.keys.access_key_id.as_str(),
        r.mfa_serial.as_str(),
        r.endpoint_url.as_deref().unwrap_or(""),
        partition(r.region.as_deref()),
    ]
}

/// The AWS partition a region belongs to (credentials never cross partitions).
pub fn partition(region: Option<&str>) -> &'static str {
    let region = region.unwrap_or("");
    const PREFIXES: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// Cache key of the MFA session of a profile's source (GetSessionToken).
pub fn source_key(r: &Resolved) -> String {
    let mut parts = vec!["source-session"];
    parts.extend(key_base(r));
    digest(&parts)
}

/// Cache key of a role profile's session; roles, external ids and session names count.
pub fn role_key(r: &Resolved, direct: bool) -> String {
    let mut parts = vec![
        "role-session",
        if direct { "direct" } else { "via-session" },
    ];
    parts.extend(key_base(r));
    for role in &r.roles {
        parts.push(&role.role_arn);
        parts.push(role.external_id.as_deref().unwrap_or("\u{1}none"));
        parts.push(role.session_name.as_deref().unwrap_or("\u{1}default"));
    }
    digest(&parts)
}

/// How `source_session` consults the cache for the MFA session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// Not at all (--refresh, or a cached session STS just rejected).
    Ignore,
    /// Only under the lock: the caller looked before.
    AfterLock,
    /// Before taking the lock, and again under it.
    BeforeAndAfterLock,
}

struct Run<'a> {
    req: &'a Request,
    resolved: &'a Resolved,
    plan: Plan,
    cache: Option<Cache>,
    guard: Guard,
    code: CodeSource,
    limits: Limits,
    margin: i64,
    /// Loaded only when STS is to be called: a cache hit does not read it.
    ca_bundle: Option<CaBundle>,
    /// One HTTP client for every call of the run, built at the first: the calls share its
    /// connection.
    http: std::cell::OnceCell<aws_sdk_sts::config::SharedHttpClient>,
}

impl Run<'_> {
    fn sts(&self, signer: &Signer<'_>) -> Sts {
        let (region, endpoint_url) = (
            self.resolved.region.as_deref(),
            self.resolved.endpoint_url.as_deref(),
        );
        let http = self.http.get_or_init(|| {
            crate::sts::http_client(
                &crate::sts::endpoint(region, endpoint_url),
                self.ca_bundle.as_ref(),
            )
        });
        Sts::new(signer, region, endpoint_url, http, self.limits)
    }

    fn long_term_signer(&self) -> Signer<'_> {
        Signer {
            access_key_id: &self.resolved.keys.access_key_id,
            secret_access_key: &self.resolved.keys.secret_access_key,
            session_token: None,
        }
    }

    fn source_key(&self) -> String {
        source_key(self.resolved)
    }

    fn role_key(&self) -> String {
        role_key(self.resolved, self.plan.path == RolePath::Direct)
    }

    /// The cache key of what this profile ends with: its role session, or its session token.
    fn session_key(&self) -> String {
        if self.resolved.is_role() {
            self.role_key()
        } else {
            self.source_key()
        }
    }

    fn lock_key(&self) -> String {
        digest(&[
            "device",
            &self.resolved.keys.access_key_id,
            &self.resolved.mfa_serial,
        ])
    }

    fn cached(&self, key: &str, what: &str) -> Option<Credentials> {
        let hit = self.cache.as_ref()?.get(key, self.margin);
        debug!(
            "cache {} for {what}",
            if hit.is_some() { "hit" } else { "miss" }
        );
        hit
    }

    fn store(&self, key: &str, kind: &str, creds: &Credentials) {
        if let Some(cache) = &self.cache {
            if let Err(e) = cache.put(key, &self.resolved.name, kind, creds) {
                eprintln!("mfa-env: warning: {e:#}");
            }
        }
    }

    /// Authenticates after `authenticate` found no cached session for the profile.
    async fn execute(&self) -> anyhow::Result<(Credentials, Origin)> {
        let r = self.resolved;
        if !r.is_role() {
            let lookup = if self.req.refresh {
                Lookup::Ignore
            } else {
                Lookup::AfterLock
            };
            return self
                .source_session(lookup, self.plan.session_duration)
                .await;
        }
        let role_key = self.role_key();
        let creds = match self.plan.path {
            RolePath::Direct => {
                let _lock = self.lock()?;
                if !self.req.refresh {
                    if let Some(c) = self.cached(&role_key, "the role session") {
                        return Ok((c, Origin::Cache));
                    }
                }
                if self.plan.direct_by_duration {
                    eprintln!(
                        "mfa-env: {} asks for {}, more than the 1h AWS allows for roles assumed \
                         with session credentials: assuming it directly with an MFA code (one \
                         code for this role)",
                        r.name,
                        human(self.plan.role_duration)
                    );
                }
                let first = &r.roles[0];
                let session_name = self.session_name(first);
                let duration = if r.roles.len() == 1 {
                    self.plan.role_duration
                } else {
                    CHAINED_ROLE_MAX
                };
                let sts = self.sts(&self.long_term_signer());
                debug!(
                    "AssumeRole {} with MFA at {} ({}s)",
                    first.role_arn,
                    sts.endpoint(),
                    duration
                );
                let creds = self
                    .with_code(async |code: &str| {
                        sts.assume_role(first, &session_name, Some((&r.mfa_serial, code)), duration)
                            .await
                    })
                    .await?;
                self.assume_rest(creds, 1)
                    .await
                    .map_err(StsError::into_failure)?
            }
            RolePath::Auto | RolePath::ViaSession => {
                // --refresh renews the MFA session behind the role too: it is what the user
                // is told to do when that session is rejected.
                let lookup = if self.req.refresh {
                    Lookup::Ignore
                } else {
                    Lookup::BeforeAndAfterLock
                };
                let (source, origin) = self
                    .source_session(lookup, self.plan.session_duration)
                    .await?;
                match self.assume_rest(source, 0).await {
                    Ok(creds) => creds,
                    // A cached MFA session that STS no longer accepts (revoked, clock skew):
                    // forget it and start a new one, once.
                    Err(e @ (StsError::InvalidKeys { .. } | StsError::Expired))
                        if origin == Origin::Cache =>
                    {
                        eprintln!("mfa-env: the cached MFA session was not accepted ({e}); starting a new one");
                        if let Some(cache) = &self.cache {
                            cache.remove(&self.source_key());
                        }
                        let (source, _) = self
                            .source_session(Lookup::Ignore, self.plan.session_duration)
                            .await?;
                        self.assume_rest(source, 0)
                            .await
                            .map_err(StsError::into_failure)?
                    }
                    Err(e) => return Err(e.into_failure()),
                }
            }
        };
        self.store(&role_key, "role", &creds);
        Ok((creds, Origin::Sts))
    }

    /// Assumes `roles[from..]`, each with the credentials of the step before.
    async fn assume_rest(
        &self,
        mut creds: Credentials,
        from: usize,
    ) -> Result<Credentials, StsError> {
        let roles = &self.resolved.roles;
        for (i, role) in roles.iter().enumerate().skip(from) {
            let duration = if i + 1 == roles.len() {
                self.plan.role_duration.min(CHAINED_ROLE_MAX)
            } else {
                CHAINED_ROLE_MAX
            };
            let sts = self.sts(&Signer {
                access_key_id: &creds.access_key_id,
                secret_access_key: &creds.secret_access_key,
                session_token: Some(&creds.session_token),
            });
            debug!(
                "AssumeRole {} with session {} at {} ({}s)",
                role.role_arn,
                mask_key(&creds.access_key_id),
                sts.endpoint(),
                duration
            );
            creds = sts
                .assume_role(role, &self.session_name(role), None, duration)
                .await?;
        }
        Ok(creds)
    }

    fn session_name(&self, role: &RoleSpec) -> String {
        role.session_name
            .clone()
            .unwrap_or_else(|| default_session_name(&self.resolved.mfa_serial))
    }

    fn lock(&self) -> anyhow::Result<Option<std::fs::File>> {
        match &self.cache {
            Some(cache) => Ok(Some(cache.lock(
                &self.lock_key(),
                &format!("with {}", self.resolved.mfa_serial),
            )?)),
            None => Ok(None),
        }
    }

    /// The MFA session of the source: cached, or GetSessionToken with a code, under the
    /// device lock so parallel runs ask for one code.
    async fn source_session(
        &self,
        lookup: Lookup,
        duration: u32,
    ) -> anyhow::Result<(Credentials, Origin)> {
        let key = self.source_key();
        if lookup == Lookup::BeforeAndAfterLock {
            if let Some(c) = self.cached(&key, "the MFA session") {
                return Ok((c, Origin::Cache));
            }
        }
        let _lock = self.lock()?;
        if lookup != Lookup::Ignore {
            if let Some(c) = self.cached(&key, "the MFA session (under the lock)") {
                return Ok((c, Origin::Cache));
            }
        }
        let sts = self.sts(&self.long_term_signer());
        let serial = &self.resolved.mfa_serial;
        debug!(
            "GetSessionToken for {serial} at {} ({duration}s)",
            sts.endpoint()
        );
        let creds = self
            .with_code(async |code: &str| sts.get_session_token(serial, code, duration).await)
            .await?;
        self.store(
            &key,
            if self.resolved.is_role() {
                "mfa-session"
            } else {
                "session-token"
            },
            &creds,
        );
        Ok((creds, Origin::Sts))
    }

    /// Gets a code and makes the call. At the prompt, three codes in all: one that cannot be
    /// sent (format, already used) and one STS rejects each cost a try and say how many are
    /// left; the last failure is the run's error, said once.
    async fn with_code(
        &self,
        mut call: impl AsyncFnMut(&str) -> Result<Credentials, StsError>,
    ) -> anyhow::Result<Credentials> {
        let serial = &self.resolved.mfa_serial;
        let mut tries = 0;
        loop {
            tries += 1;
            let left = PROMPT_TRIES.saturating_sub(tries);
            let code = match self.code.get(serial, &self.guard)? {
                Attempt::Code(code) => code,
                Attempt::Unusable(e) if left > 0 => {
                    eprintln!("mfa-env: {e}; try again ({left} left)");
                    continue;
                }
                Attempt::Unusable(e) => return Err(e),
            };
            match call(&code).await {
                Ok(creds) => {
                    self.guard.record(serial, &code);
                    return Ok(creds);
                }
                Err(StsError::InvalidCode) if self.code.may_retry() && left > 0 => {
                    eprintln!(
                        "mfa-env: {}; try again ({left} left)",
                        StsError::InvalidCode
                    );
                }
                Err(e) => return Err(e.into_failure()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_valid_and_meaningful() {
        assert_eq!(
            default_session_name("arn:aws:iam::123456789012:mfa/alice"),
            "mfa-env-alice"
        );
        assert!(valid_session_name(&default_session_name("GAHT12345678")));
        assert!(valid_session_name(&default_session_name(&format!(
            "arn:aws:iam::1:mfa/{}",
            "x".repeat(100)
        ))));
        assert!(!valid_session_name("a"));
        assert!(!valid_session_name("has space"));
    }

    #[test]
    fn regions_map_to_their_partition() {
        for (region, want) in [
            (None, "aws"),
            (Some("eu-west-2"), "aws"),
            (Some("us-west-2"), "aws"),
            (Some("cn-north-1"), "aws-cn"),
            (Some("us-gov-west-1"), "aws-us-gov"),
            (Some("us-iso-east-1"), "aws-iso"),
            (Some("us-isob-east-1"), "aws-iso-b"),
            (Some("eusc-de-east-1"), "aws-eusc"),
        ] {
            assert_eq!(partition(region), want, "{region:?}");
        }
    }

    #[test]
    fn durations_are_checked_against_aws_limits() {
        assert!(check_range(899, SESSION_MIN, SESSION_MAX, "x").is_err());
        assert!(check_range(129_600, SESSION_MIN, SESSION_MAX, "x").is_ok());
        let err = check_range(43_201, ROLE_MIN, ROLE_MAX, "a role session (AssumeRole)")
            .unwrap_err()
            .to_string();
        assert!(err.contains("900s (15m) to 43200s (12h)"), "{err}");
    }
}
