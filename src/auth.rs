//! From a profile name to temporary credentials: the live session in the environment, the
//! cache, or STS — with one MFA code serving every role of a source for the session's life.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use crate::cache::Cache;
use crate::debug;
use crate::digest::digest;
use crate::duration::human;
use crate::env::EnvSession;
use crate::error::{fail, mask_key, Exit};
use crate::mfa::{Attempt, CodeSource, Guard, PROMPT_TRIES};
use crate::profile::{LoginSource, LongTermKeys, Resolved, RoleSpec, Source};
pub use crate::sts::partition;
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
/// How long the credentials of an AWS Sign-In session last before their refresh.
pub const LOGIN_LIFETIME: u32 = 900;
/// What an Identity Center role's credentials are taken to last before they are fetched (its
/// permission set decides, 1 to 12 hours): the endpoint's renewal window is set from it.
pub const SSO_LIFETIME: u32 = 3600;

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
    /// Ignore the session in the environment and the cached session of this profile. A role
    /// reached through the MFA session still uses that session while it outlives the new role
    /// credentials: no code.
    pub refresh: bool,
    /// Start a new MFA session too (a code), whatever the cache holds.
    pub refresh_mfa: bool,
    /// What to do when a code is needed and there is no terminal to ask on, when the
    /// default (`--token-code`, `mfa_process`) does not fit the caller.
    pub no_terminal: Option<String>,
    /// Say on stderr, in one line, what a code just obtained (the commands that apply a
    /// session; not renewals in the background, not the commands with reports of their own).
    pub announce: bool,
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
    /// Until when it can be renewed without a code: the end of the MFA session behind a role
    /// assumed through it, else the credentials' own expiry.
    pub renewable_until: i64,
    /// When a code was used for it: the line that says so, once the command has succeeded.
    pub announcement: Option<String>,
}

impl Session {
    /// Says on stderr what a code obtained, if one was used: after the command's own work
    /// succeeded (output written), never for a cache hit.
    pub fn announce(&self) {
        if let Some(line) = &self.announcement {
            eprintln!("{line}");
        }
    }
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
    crate::settings::margin(DEFAULT_MARGIN)
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
                    renewable_until: creds.expiration,
                    credentials: creds,
                    region: live.region,
                    announcement: None,
                });
            }
        }
    }
    let mut auth = Authenticator::new(req.clone(), margin)?;
    let (credentials, origin) = auth.credentials(0)?;
    debug!(
        "credentials from {}",
        match origin {
            Origin::Cache => "the cache",
            Origin::Sts => auth.issuer(),
        }
    );
    if origin == Origin::Cache {
        duration_not_applied(req, &credentials);
    }
    Ok(auth.session(credentials))
}

/// The ARN of the IAM identity whose long-term keys `profile` uses.
pub fn caller_arn(profile: &str) -> anyhow::Result<String> {
    let req = Request {
        profile: profile.to_string(),
        no_cache: true,
        ..Request::default()
    };
    Authenticator::new(req, margin()?)?.long_term_caller_arn()
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
        if !matches!(r.source, Source::Mfa(_)) {
            return Plan::from_signed_in(req, r);
        }
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

impl Plan {
    /// A source signed in elsewhere (a login session, an Identity Center role): its
    /// credentials last what its service gives; roles are assumed with them (session
    /// credentials: at most 1 h, no code).
    fn from_signed_in(req: &Request, r: &Resolved) -> anyhow::Result<Plan> {
        let (lifetime, who_sets) = match r.source {
            Source::Sso(_) => (
                SSO_LIFETIME,
                "it is an IAM Identity Center role: its permission set sets how long its \
                 credentials last"
                    .to_string(),
            ),
            _ => (
                LOGIN_LIFETIME,
                format!(
                    "it is an AWS Sign-In session: the service sets how long its credentials \
                     last ({}, renewed without a browser until the sign-in ends)",
                    human(LOGIN_LIFETIME)
                ),
            ),
        };
        let login = Plan {
            path: RolePath::ViaSession,
            direct_by_duration: false,
            session_duration: lifetime,
            role_duration: 0,
        };
        if !r.is_role() {
            if req.duration.is_some() {
                return Err(fail(
                    Exit::Config,
                    format!(
                        "profile '{}': {who_sets}; --duration does not apply",
                        r.name
                    ),
                ));
            }
            return Ok(login);
        }
        for role in &r.roles {
            validate_role(role)?;
        }
        let role_duration = req
            .duration
            .or(r.roles.last().and_then(|role| role.duration))
            .unwrap_or(CHAINED_ROLE_MAX);
        check_range(
            role_duration,
            ROLE_MIN,
            CHAINED_ROLE_MAX,
            "a role assumed with session credentials (AssumeRole)",
        )?;
        if req.path == RolePath::Direct {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{}' starts from {}: its roles are assumed with those credentials, \
                     without a code; --direct needs long-term keys and an MFA device",
                    r.name,
                    r.source.describe(&r.source_profile)
                ),
            ));
        }
        Ok(Plan {
            role_duration,
            ..login
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
fn key_base(r: &Resolved) -> [String; 4] {
    [
        r.source.cache_identity(),
        r.source.who().to_string(),
        r.endpoint_url.clone().unwrap_or_default(),
        partition(r.region.as_deref()).to_string(),
    ]
}

/// Cache key of the MFA session of a profile's source (GetSessionToken).
pub fn source_key(r: &Resolved) -> String {
    let base = key_base(r);
    let mut parts = vec!["source-session"];
    parts.extend(base.iter().map(String::as_str));
    digest(&parts)
}

/// Every cache key a profile's sessions can be under: its MFA session (its source's), and its
/// role session by either path. What `logout` and `keys` forget.
pub fn session_keys(r: &Resolved) -> [String; 3] {
    [source_key(r), role_key(r, false), role_key(r, true)]
}

/// Cache key of a role profile's session; roles, external ids and session names count.
pub fn role_key(r: &Resolved, direct: bool) -> String {
    let base = key_base(r);
    let mut parts = vec![
        "role-session",
        if direct { "direct" } else { "via-session" },
    ];
    parts.extend(base.iter().map(String::as_str));
    for role in &r.roles {
        parts.push(&role.role_arn);
        parts.push(role.external_id.as_deref().unwrap_or("\u{1}none"));
        parts.push(role.session_name.as_deref().unwrap_or("\u{1}default"));
    }
    digest(&parts)
}

/// Authenticates one profile, as often as its caller needs: `export`/`exec` once, the
/// credentials endpoint at every renewal. The cache is consulted in one place, `through_cache`
/// (and in the look before any network in `credentials`); the runtime and the HTTP client
/// are built at the first STS call and kept, so renewals reuse the connection.
pub struct Authenticator {
    req: Request,
    resolved: Resolved,
    plan: Plan,
    cache: Option<Cache>,
    /// With `--no-cache`, what this process obtained, so a long-lived caller renews roles
    /// from the MFA session it holds.
    memory: RefCell<HashMap<String, Credentials>>,
    guard: Guard,
    code: CodeSource,
    limits: Limits,
    margin: i64,
    /// Loaded only when STS is to be called: a cache hit does not read it.
    ca_bundle: Option<CaBundle>,
    rt: Option<tokio::runtime::Runtime>,
    /// One HTTP client for every call, built at the first: the calls share its connection.
    http: OnceCell<aws_sdk_sts::config::SharedHttpClient>,
    /// The long-term keys once fetched (see `long_term_signer`).
    keys: OnceCell<LongTermKeys>,
    /// A code was accepted since the last `credentials` call returned.
    code_used: std::cell::Cell<bool>,
    /// What to say once the command has done its work (`Session::announce`).
    announcement: RefCell<Option<String>>,
}

impl Authenticator {
    pub fn new(req: Request, margin: i64) -> anyhow::Result<Authenticator> {
        let cache = if req.no_cache {
            None
        } else {
            Some(Cache::open()?)
        };
        let resolved = match &cache {
            Some(cache) => crate::profile::resolve_remembered(&req.profile, cache)?,
            None => crate::profile::resolve(&req.profile)?,
        };
        debug!(
            "profile '{}': {} from '{}'{}{}, region {}, endpoint {}",
            resolved.name,
            match &resolved.source {
                Source::Mfa(m) => m.keys.describe(),
                Source::Login(l) => format!("AWS Sign-In session {}", l.session),
                Source::Sso(s) => format!(
                    "IAM Identity Center role {} in {} ({})",
                    s.role_name, s.account_id, s.start_url
                ),
            },
            resolved.source_profile,
            match &resolved.source {
                Source::Mfa(m) => format!(", MFA device {}", m.serial),
                _ => String::new(),
            },
            if resolved.roles.is_empty() {
                String::new()
            } else {
                format!(
                    ", roles [{}]",
                    resolved
                        .roles
                        .iter()
                        .map(|r| r.role_arn.as_str())
                        .collect::<Vec<_>>()
                        .join(" -> ")
                )
            },
            resolved.region.as_deref().unwrap_or("(none)"),
            resolved.endpoint_url.as_deref().unwrap_or("(SDK default)"),
        );
        let plan = Plan::new(&req, &resolved)?;
        Ok(Authenticator {
            guard: Guard::new(cache.clone()),
            code: CodeSource::new(
                req.token_code.as_deref(),
                resolved.mfa_source().and_then(|m| m.process.as_deref()),
                req.no_terminal.as_deref(),
            ),
            limits: Limits::from_env()?,
            req,
            resolved,
            plan,
            cache,
            memory: RefCell::new(HashMap::new()),
            margin,
            ca_bundle: None,
            rt: None,
            http: OnceCell::new(),
            keys: OnceCell::new(),
            code_used: std::cell::Cell::new(false),
            announcement: RefCell::new(None),
        })
    }

    pub fn profile(&self) -> &str {
        &self.req.profile
    }

    pub fn resolved(&self) -> &Resolved {
        &self.resolved
    }

    pub fn region(&self) -> Option<&str> {
        self.resolved.region.as_deref()
    }

    pub fn is_role(&self) -> bool {
        self.resolved.is_role()
    }

    /// Whether the profile's one role is assumed with the long-term keys and a code (not with
    /// the MFA session): the only credentials AWS gives a console session length for.
    pub fn assumes_directly(&self) -> bool {
        self.plan.path == RolePath::Direct && self.resolved.roles.len() == 1
    }

    /// How long before their end the credentials endpoint renews them: a login session's 5
    /// minutes, as the SDKs refresh it; else half their life, at most `server::FRESH_FOR`.
    pub fn renew_ahead(&self) -> Option<i64> {
        (matches!(self.resolved.source, Source::Login(_)) && !self.resolved.is_role())
            .then_some(crate::login::REFRESH_AHEAD)
    }

    /// How long the credentials this profile ends with are asked to last, in seconds.
    pub fn lifetime(&self) -> i64 {
        let r = &self.resolved;
        i64::from(if !r.is_role() {
            self.plan.session_duration
        } else if self.plan.path == RolePath::Direct && r.roles.len() == 1 {
            self.plan.role_duration
        } else {
            self.plan.role_duration.min(CHAINED_ROLE_MAX)
        })
    }

    /// From here on, renewals for a caller that cannot ask the terminal: the cache is
    /// consulted again (a `--refresh` applied to the first session only), and a code comes
    /// from `mfa_process` or not at all, `no_code` being the error.
    pub fn renew_without_prompt(&mut self, no_code: String) {
        // A renewal happens beside the command's own output: it says nothing.
        self.req.announce = false;
        self.req.refresh = false;
        self.req.refresh_mfa = false;
        self.req.duration = None;
        self.code = match self.resolved.mfa_source().and_then(|m| m.process.as_ref()) {
            Some(cmd) if !cmd.trim().is_empty() => CodeSource::Process(cmd.clone()),
            _ => CodeSource::Unavailable(no_code),
        };
        // Long-term keys serve only a call made with a code: without a way to get one, they
        // are of no use to any renewal, so they are not kept in memory for hours (dropping
        // them wipes the secret) nor fetched again.
        if matches!(self.code, CodeSource::Unavailable(_)) {
            self.keys = OnceCell::new();
        }
    }

    /// Whether this run holds long-term keys in memory now.
    pub fn holds_long_term_keys(&self) -> bool {
        self.keys.get().is_some()
    }

    /// Credentials with more than `fresh_for` seconds left (and at least the margin): cached,
    /// else from STS.
    pub fn credentials(&mut self, fresh_for: i64) -> anyhow::Result<(Credentials, Origin)> {
        let keep = self.margin.max(fresh_for);
        // A cached session needs no async runtime and no network: look first.
        if !self.req.refresh {
            if let Some(c) = self.cached_final(keep) {
                return Ok((c, Origin::Cache));
            }
        }
        let rt = self.runtime()?;
        let result = rt.block_on(self.execute(keep));
        self.rt = Some(rt);
        if let Ok((creds, _)) = &result {
            if self.code_used.replace(false) && self.req.announce {
                *self.announcement.borrow_mut() = Some(self.announcement_for(creds));
            }
        }
        result
    }

    /// Who issues this profile's credentials when they are not cached, for messages.
    pub fn issuer(&self) -> &'static str {
        match (&self.resolved.source, self.resolved.is_role()) {
            (_, true) | (Source::Mfa(_), false) => "STS",
            (Source::Login(_), false) => "the Sign-In service",
            (Source::Sso(_), false) => "IAM Identity Center",
        }
    }

    /// What to say about a code used, for a caller that makes no `Session` (console).
    pub fn take_announcement(&self) -> Option<String> {
        self.announcement.borrow_mut().take()
    }

    /// The line for the user who just typed (or had `mfa_process` give) a code: what it got
    /// and for how long. Cache hits and renewals without a code have none.
    fn announcement_for(&self, creds: &Credentials) -> String {
        let who = if self.resolved.is_role() {
            format!("as {}", creds.identity)
        } else {
            format!("with MFA device {}", creds.identity)
        };
        format!(
            "mfa-env: '{}' authenticated {who} until {} ({})",
            self.req.profile,
            crate::shell::prompt::local_time(creds.expiration),
            crate::shell::prompt::time_left(creds.seconds_left())
        )
    }

    /// The async runtime of this run, made (with the CA bundle read) at the first network call.
    fn runtime(&mut self) -> anyhow::Result<tokio::runtime::Runtime> {
        if let Some(rt) = self.rt.take() {
            return Ok(rt);
        }
        self.ca_bundle = self
            .resolved
            .ca_bundle
            .as_deref()
            .map(CaBundle::load)
            .transpose()?;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(Exit::Other, format!("cannot start the async runtime: {e}")))
    }

    /// The ARN of whoever the profile's long-term keys belong to (GetCallerIdentity, which
    /// needs no permission and no MFA). No code is asked.
    pub fn long_term_caller_arn(&mut self) -> anyhow::Result<String> {
        let rt = self.runtime()?;
        let result = {
            let signer = self.long_term_signer()?;
            let sts = self.sts(&signer);
            rt.block_on(sts.caller_arn())
        };
        self.rt = Some(rt);
        result.map_err(|e| self.long_term_failure(e))
    }

    /// A failure of a call signed with the long-term keys: rejected keys are named with where
    /// they come from.
    fn long_term_failure(&self, e: StsError) -> anyhow::Error {
        match e {
            StsError::InvalidKeys {
                code,
                session: false,
            } => match self.resolved.mfa_source() {
                Some(m) => m.keys.rejected(&self.resolved.source_profile, &code),
                None => StsError::InvalidKeys {
                    code,
                    session: true,
                }
                .into_failure(),
            },
            e => e.into_failure(),
        }
    }

    /// The cached session of this profile with more than `fresh_for` seconds left, if any:
    /// no network, no code.
    pub fn cached_session(&self, fresh_for: i64) -> Option<Credentials> {
        self.cached_final(self.margin.max(fresh_for))
    }

    /// What the profile ends with, if it has more than `keep` seconds left: its role session,
    /// its session token, or its login session's credentials (read from the login cache; an
    /// unreadable one is a miss, and the refresh that follows says what is wrong).
    fn cached_final(&self, keep: i64) -> Option<Credentials> {
        match &self.resolved.source {
            Source::Login(l) if !self.resolved.is_role() => {
                let hit = crate::login::read(&l.session, &self.resolved.source_profile)
                    .ok()
                    .flatten()
                    .map(|t| t.credentials)
                    .filter(|c| c.seconds_left() > keep);
                debug!(
                    "login cache {} for the session",
                    if hit.is_some() { "hit" } else { "miss" }
                );
                hit
            }
            _ => self.cached(&self.session_key(), "the session", keep),
        }
    }

    /// The session for `credentials`, with how long it can be renewed without a code.
    pub fn session(&self, credentials: Credentials) -> Session {
        if let Source::Login(l) = &self.resolved.source {
            // Renewed from the refresh token until the sign-in ends.
            let end = crate::login::read(&l.session, &self.resolved.source_profile)
                .ok()
                .flatten()
                .map(|t| t.renewable_until());
            return Session {
                profile: self.req.profile.clone(),
                renewable_until: end.unwrap_or(0).max(credentials.expiration),
                credentials,
                region: self.resolved.region.clone(),
                announcement: self.announcement.borrow_mut().take(),
            };
        }
        // A login source's end is the sign-in's, which the cache does not record: the
        // credentials' own expiry is what is known.
        let mfa_session = (self.resolved.is_role() && self.plan.path != RolePath::Direct)
            .then(|| self.cached(&self.source_key(), "the MFA session", 0))
            .flatten();
        Session {
            profile: self.req.profile.clone(),
            renewable_until: mfa_session.map_or(credentials.expiration, |s| s.expiration),
            credentials,
            region: self.resolved.region.clone(),
            announcement: self.announcement.borrow_mut().take(),
        }
    }

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

    /// The long-term keys, fetched at the first STS call and kept for the next (a renewal of
    /// the credentials endpoint does not run a credential_process again).
    fn long_term_signer(&self) -> anyhow::Result<Signer<'_>> {
        // Every use of the keys needs a code next: without one, neither fetch them (a
        // credential_process, a keyring) nor keep them.
        if let CodeSource::Unavailable(no_code) = &self.code {
            return Err(fail(Exit::Mfa, no_code.clone()));
        }
        let keys = match self.keys.get() {
            Some(keys) => keys,
            None => {
                let loaded = self.resolved.mfa("a code")?.keys.load()?;
                debug!(
                    "long-term keys {} for '{}'",
                    mask_key(&loaded.access_key_id),
                    self.resolved.source_profile
                );
                self.keys.get_or_init(|| loaded)
            }
        };
        Ok(Signer {
            access_key_id: &keys.access_key_id,
            secret_access_key: &keys.secret_access_key,
            session_token: None,
        })
    }

    fn source_key(&self) -> String {
        source_key(&self.resolved)
    }

    fn role_key(&self) -> String {
        role_key(&self.resolved, self.plan.path == RolePath::Direct)
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
            &self.resolved.source.cache_identity(),
            self.resolved.source.who(),
        ])
    }

    /// Credentials under `key` with more than `keep` seconds left: from the cache, or from
    /// this process's memory when there is no cache.
    fn cached(&self, key: &str, what: &str, keep: i64) -> Option<Credentials> {
        let hit = match &self.cache {
            Some(cache) => cache.get(key, keep),
            None => self
                .memory
                .borrow()
                .get(key)
                .filter(|c| c.seconds_left() > keep)
                .cloned(),
        };
        debug!(
            "cache {} for {what}",
            if hit.is_some() { "hit" } else { "miss" }
        );
        hit
    }

    fn store(&self, key: &str, kind: &str, creds: &Credentials) {
        match &self.cache {
            Some(cache) => {
                if let Err(e) = cache.put(key, &self.resolved.name, kind, creds) {
                    eprintln!("mfa-env: warning: {e:#}");
                }
            }
            None => {
                self.memory
                    .borrow_mut()
                    .insert(key.to_string(), creds.clone());
            }
        }
    }

    fn forget(&self, key: &str) {
        match &self.cache {
            Some(cache) => {
                cache.remove(key);
            }
            None => {
                self.memory.borrow_mut().remove(key);
            }
        }
    }

    /// The one rule for the cache: look (unless told not to), take the device lock, look
    /// again (a parallel run may have just typed a code), else fetch and store. `rejected`:
    /// the cached session STS just refused, which is not taken again; one that another run
    /// stored while this one waited for the lock is.
    async fn through_cache(
        &self,
        key: &str,
        kind: &str,
        look: bool,
        rejected: Option<&str>,
        keep: i64,
        fetch: impl AsyncFnOnce() -> anyhow::Result<Credentials>,
    ) -> anyhow::Result<(Credentials, Origin)> {
        let what = match kind {
            "mfa-session" => "the MFA session",
            "session-token" => "the session token",
            "sso-session" => "the IAM Identity Center credentials",
            _ => "the role session",
        };
        if look {
            if let Some(c) = self.cached(key, what, keep) {
                return Ok((c, Origin::Cache));
            }
        }
        let _lock = self.lock()?;
        if look || rejected.is_some() {
            if let Some(c) = self
                .cached(key, &format!("{what} (under the lock)"), keep)
                .filter(|c| Some(c.access_key_id.as_str()) != rejected)
            {
                return Ok((c, Origin::Cache));
            }
        }
        let creds = fetch().await?;
        self.store(key, kind, &creds);
        Ok((creds, Origin::Sts))
    }

    /// Authenticates after `credentials` found no cached session for the profile.
    async fn execute(&self, keep: i64) -> anyhow::Result<(Credentials, Origin)> {
        let r = &self.resolved;
        let look = !self.req.refresh;
        if !r.is_role() {
            return match &r.source {
                Source::Sso(s) => {
                    self.through_cache(
                        &self.source_key(),
                        "sso-session",
                        look,
                        None,
                        keep,
                        async || self.sso_credentials(s).await,
                    )
                    .await
                }
                Source::Mfa(_) => {
                    self.through_cache(
                        &self.source_key(),
                        "session-token",
                        look,
                        None,
                        keep,
                        async || self.get_session_token().await,
                    )
                    .await
                }
                Source::Login(l) => self.login_session(l, look, None, keep).await,
            };
        }
        if self.plan.path == RolePath::Direct {
            return self
                .through_cache(&self.role_key(), "role", look, None, keep, async || {
                    self.assume_directly().await
                })
                .await;
        }
        // Through the MFA session. --refresh renews the role from it while it outlives the new
        // role credentials (else it is ending, and a new one needs a code); --refresh-mfa
        // starts a new one regardless.
        let source_key = self.source_key();
        let keep_mfa = if self.req.refresh {
            self.margin.max(self.lifetime())
        } else {
            self.margin
        };
        let mfa_session = async |look: bool, rejected: Option<&str>| match &r.source {
            Source::Mfa(_) => {
                self.through_cache(
                    &source_key,
                    "mfa-session",
                    look,
                    rejected,
                    keep_mfa,
                    async || self.get_session_token().await,
                )
                .await
            }
            // Refreshed when it ends within the margin, as the SDKs do: no code either way.
            Source::Login(l) => self.login_session(l, look, rejected, self.margin).await,
            Source::Sso(s) => {
                self.through_cache(
                    &source_key,
                    "sso-session",
                    look,
                    rejected,
                    self.margin,
                    async || self.sso_credentials(s).await,
                )
                .await
            }
        };
        let (source, origin) = mfa_session(!self.req.refresh_mfa, None).await?;
        let source_key_id = source.access_key_id.clone();
        let creds = match self.assume_rest(source, 0).await {
            Ok(creds) => creds,
            // A cached MFA session that STS no longer accepts (revoked, clock skew): forget
            // it and start a new one, once.
            Err(e @ (StsError::InvalidKeys { .. } | StsError::Expired))
                if origin == Origin::Cache =>
            {
                eprintln!(
                    "mfa-env: the cached {} was not accepted ({e}); {}",
                    match r.source {
                        Source::Mfa(_) => "MFA session",
                        Source::Login(_) => "AWS Sign-In session",
                        Source::Sso(_) => "IAM Identity Center credentials",
                    },
                    match r.source {
                        Source::Mfa(_) => "starting a new one",
                        Source::Login(_) => "refreshing it",
                        Source::Sso(_) => "fetching new ones",
                    }
                );
                self.forget(&source_key);
                let (source, _) = mfa_session(false, Some(&source_key_id)).await?;
                self.assume_rest(source, 0)
                    .await
                    .map_err(StsError::into_failure)?
            }
            Err(e) => return Err(e.into_failure()),
        };
        self.store(&self.role_key(), "role", &creds);
        Ok((creds, Origin::Sts))
    }

    /// The credentials of a login source: the one rule for the cache (look, lock, look again,
    /// fetch, store), with the AWS CLI's login cache as the store and a refresh (no browser,
    /// no code) as the fetch. `rejected`: the credentials STS just refused.
    async fn login_session(
        &self,
        l: &LoginSource,
        look: bool,
        rejected: Option<&str>,
        keep: i64,
    ) -> anyhow::Result<(Credentials, Origin)> {
        let profile = &self.resolved.source_profile;
        let usable = |t: &crate::login::Token| {
            t.credentials.seconds_left() > keep
                && Some(t.credentials.access_key_id.as_str()) != rejected
        };
        if look {
            if let Some(t) = crate::login::read(&l.session, profile)?.filter(usable) {
                debug!("login cache hit for the AWS Sign-In session");
                return Ok((t.credentials, Origin::Cache));
            }
        }
        let _lock = self.lock()?;
        let Some(token) = crate::login::read(&l.session, profile)? else {
            return Err(fail(
                Exit::Mfa,
                format!(
                    "profile '{profile}' has no AWS Sign-In session on this machine \
                     (login_session = {}): sign in with `mfa-env login {}` (or `aws login \
                     --profile {}`)",
                    l.session,
                    crate::shell::hint::arg(profile),
                    crate::shell::hint::arg(profile)
                ),
            ));
        };
        if (look || rejected.is_some()) && usable(&token) {
            debug!("login cache hit for the AWS Sign-In session (under the lock)");
            return Ok((token.credentials, Origin::Cache));
        }
        let key = crate::login::dpop::Key::from_pem(&token.dpop_key).ok_or_else(|| {
            fail(
                Exit::Config,
                format!(
                    "the AWS Sign-In session of '{profile}' has an unreadable DPoP key ({}): \
                     sign in again with `mfa-env login {}`",
                    crate::login::cache_path(&l.session).display(),
                    crate::shell::hint::arg(profile)
                ),
            )
        })?;
        let base = crate::signin::oauth_base(
            self.resolved.region.as_deref(),
            self.resolved.signin_endpoint_url.as_deref(),
        )?;
        debug!("CreateOAuth2Token (refresh) at {base}");
        let issued = crate::login::oauth::create_token(
            &base,
            &token.client_id,
            crate::login::oauth::Grant::Refresh(&token.refresh_token),
            &key,
            self.ca_bundle.as_ref(),
            self.limits,
        )
        .await;
        let issued = match issued {
            Ok(issued) => issued,
            Err(crate::login::oauth::TokenError::Refused(r)) if r.session_ended() => {
                return Err(fail(
                    Exit::Mfa,
                    format!(
                        "the AWS Sign-In session of '{profile}' has ended ({}): sign in again \
                         with `mfa-env login {}`",
                        r.describe(&base),
                        crate::shell::hint::arg(profile)
                    ),
                ))
            }
            Err(crate::login::oauth::TokenError::Refused(r)) => {
                return Err(fail(Exit::Denied, r.describe(&base)))
            }
            Err(crate::login::oauth::TokenError::Other(e)) => return Err(e),
        };
        let token = token.refreshed(&l.session, issued, crate::sts::now());
        crate::login::write(&l.session, &token)?;
        Ok((token.credentials, Origin::Sts))
    }

    /// An Identity Center role's credentials (GetRoleCredentials), through aws-config's SSO
    /// provider: the token `aws sso login` cached (refreshed by the provider when it can),
    /// the portal in the instance's region (`AWS_ENDPOINT_URL_SSO` moves it), the same HTTP
    /// client as STS.
    async fn sso_credentials(&self, s: &crate::profile::SsoSource) -> anyhow::Result<Credentials> {
        use aws_credential_types::provider::ProvideCredentials;
        let region = aws_types::region::Region::new(s.sso_region.clone());
        let portal = self
            .resolved
            .sso_endpoint_url
            .clone()
            .unwrap_or_else(|| format!("https://portal.sso.{}.amazonaws.com", s.sso_region));
        let config = aws_config::provider_config::ProviderConfig::default()
            .with_http_client(crate::sts::http_client(&portal, self.ca_bundle.as_ref()))
            .with_region(Some(region.clone()));
        let mut builder = aws_config::sso::SsoCredentialsProvider::builder()
            .configure(&config)
            .account_id(&s.account_id)
            .role_name(&s.role_name)
            .start_url(&s.start_url)
            .region(region);
        if let Some(session) = &s.session {
            builder = builder.session_name(session);
        }
        debug!(
            "GetRoleCredentials {} in {} at {portal}",
            s.role_name, s.account_id
        );
        let profile = &self.resolved.source_profile;
        let creds = builder.build().provide_credentials().await.map_err(|e| {
            let mut why = e.to_string();
            let mut inner: &dyn std::error::Error = &e;
            while let Some(source) = inner.source() {
                why = source.to_string();
                inner = source;
            }
            let login = match &s.session {
                Some(session) => format!("aws sso login --sso-session {session}"),
                None => format!(
                    "aws sso login --profile {}",
                    crate::shell::hint::arg(profile)
                ),
            };
            fail(
                Exit::Mfa,
                format!(
                    "cannot get {}: {}; sign in with `{login}`",
                    self.resolved.source.describe(profile),
                    crate::error::sanitize_line(&why, 300)
                ),
            )
        })?;
        let expiration = creds
            .expiry()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .unwrap_or(0);
        let Some(session_token) = creds.session_token() else {
            return Err(fail(
                Exit::Network,
                "IAM Identity Center answered without a session token",
            ));
        };
        Ok(Credentials {
            access_key_id: creds.access_key_id().to_string(),
            secret_access_key: zeroize::Zeroizing::new(creds.secret_access_key().to_string()),
            session_token: zeroize::Zeroizing::new(session_token.to_string()),
            expiration,
            identity: format!("{} in {} (IAM Identity Center)", s.role_name, s.account_id),
        })
    }

    /// GetSessionToken with a code.
    async fn get_session_token(&self) -> anyhow::Result<Credentials> {
        let sts = self.sts(&self.long_term_signer()?);
        let serial = self.resolved.source.who();
        let duration = self.plan.session_duration;
        debug!(
            "GetSessionToken for {serial} at {} ({duration}s)",
            sts.endpoint()
        );
        self.with_code(async |code: &str| sts.get_session_token(serial, code, duration).await)
            .await
    }

    /// AssumeRole on the first role with a code, then the rest of the chain.
    async fn assume_directly(&self) -> anyhow::Result<Credentials> {
        let r = &self.resolved;
        if self.plan.direct_by_duration {
            eprintln!(
                "mfa-env: {} asks for {}, more than the 1h AWS allows for roles assumed with \
                 session credentials: assuming it directly with an MFA code (one code for this \
                 role)",
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
        let sts = self.sts(&self.long_term_signer()?);
        debug!(
            "AssumeRole {} with MFA at {} ({}s)",
            first.role_arn,
            sts.endpoint(),
            duration
        );
        let creds = self
            .with_code(async |code: &str| {
                sts.assume_role(first, &session_name, Some((r.source.who(), code)), duration)
                    .await
            })
            .await?;
        self.assume_rest(creds, 1)
            .await
            .map_err(StsError::into_failure)
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
            .unwrap_or_else(|| default_session_name(self.resolved.source.who()))
    }

    fn lock(&self) -> anyhow::Result<Option<std::fs::File>> {
        match &self.cache {
            Some(cache) => Ok(Some(cache.lock(
                &self.lock_key(),
                &format!("with {}", self.resolved.source.who()),
            )?)),
            None => Ok(None),
        }
    }

    /// Gets a code and makes the call. At the prompt, three codes in all: one that cannot be
    /// sent (format, already used) and one STS rejects each cost a try and say how many are
    /// left; the last failure is the run's error, said once.
    async fn with_code(
        &self,
        mut call: impl AsyncFnMut(&str) -> Result<Credentials, StsError>,
    ) -> anyhow::Result<Credentials> {
        let serial = self.resolved.source.who();
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
                    self.code_used.set(true);
                    return Ok(creds);
                }
                Err(StsError::InvalidCode) if self.code.may_retry() && left > 0 => {
                    eprintln!(
                        "mfa-env: {}; try again ({left} left)",
                        StsError::InvalidCode
                    );
                }
                // Both calls with a code are signed with the long-term keys.
                Err(e) => return Err(self.long_term_failure(e)),
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
