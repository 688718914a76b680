//! Profile resolution on top of aws-config's own profile parser (never a hand-written INI
//! reader). The files are parsed once per run and every lookup reuses the parsed set.
//!
//! By job: this module resolves a profile (its chain of roles, MFA device, region, keys and
//! endpoints) into `Resolved`; `files` reads the files and cuts them into sections; `keys` says
//! where long-term keys come from (the files, a `credential_process`, the OS keyring);
//! `endpoints` finds the STS, IAM and Sign-In endpoints and the CA bundle; `suggest` finds close
//! names for a profile that is not there. Where the files are is `crate::aws_files`'s.
//!
//! Resolving one profile parses only the sections that can matter to it: its own, its
//! `source_profile` chain's, aws-mfa's `-long-term` twins and its `services` section. The
//! parser still reads them; the files are only cut at the lines that start a section (`[`),
//! which is where the parser itself starts one. A config with 10,000 profiles then costs a scan,
//! not a parsed copy of every profile (17 MB of heap in aws-config's structures).

mod endpoints;
mod files;
mod keys;
mod suggest;

use crate::error::{fail, Exit};
use anyhow::Context;
use aws_config::profile::{Profile, ProfileSet};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_runtime::env_config::property::PropertiesKey;
use aws_types::os_shim_internal::{Env, Fs};
use std::collections::BTreeSet;
use std::path::PathBuf;
use zeroize::Zeroizing;

use endpoints::*;
use files::*;
use suggest::*;

pub use crate::aws_files::{
    config_file_display, config_file_path, credentials_file_display, credentials_file_path,
};
use crate::aws_files::{sdk_path, SDK_FILES};
pub use crate::long_term::LongTermKeys;
pub use crate::sts::RoleSpec;
pub use endpoints::{endpoint_environment, StsPlace};
pub use files::{default_credentials_in_files, names_from_headers, FilesStamp};

/// The AWS files as they are now.
pub fn files_stamp() -> FilesStamp {
    FilesStamp::now(&Env::real())
}
pub use keys::{key_lines, KeyLine, KeyOwner, KeySource};

/// Everything needed to authenticate one profile.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The profile the user asked for.
    pub name: String,
    /// The profile at the end of the chain: the one whose keys, or login session, the first
    /// call is made with.
    pub source_profile: String,
    /// Where the chain's first credentials come from.
    pub source: Source,
    /// Roles in the order they are assumed; empty for a session-token profile.
    pub roles: Vec<RoleSpec>,
    /// `duration_seconds` of the source profile: the life of its MFA session.
    pub source_duration: Option<u32>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// The same for IAM (`AWS_ENDPOINT_URL_IAM`, the `services` section's `iam`): `keys rotate`.
    pub iam_endpoint_url: Option<String>,
    /// The same for the Sign-In service (`AWS_ENDPOINT_URL_SIGNIN`, the `services` section's
    /// `signin`): the federation endpoint of `console`.
    pub signin_endpoint_url: Option<String>,
    /// The same for IAM Identity Center's portal (`AWS_ENDPOINT_URL_SSO`): an `Sso` source.
    pub sso_endpoint_url: Option<String>,
    /// PEM file of the CAs to trust for the STS endpoint instead of the system's: `AWS_CA_BUNDLE`,
    /// else the profile's `ca_bundle`, as the AWS CLI reads them.
    pub ca_bundle: Option<String>,
}

impl Resolved {
    pub fn is_role(&self) -> bool {
        !self.roles.is_empty()
    }

    /// The keys and device of an MFA source; for a login session, the error that says `what`
    /// (a command about keys or devices) has nothing to work on.
    pub fn mfa(&self, what: &str) -> anyhow::Result<&MfaSource> {
        let how = match &self.source {
            Source::Mfa(m) => return Ok(m),
            Source::Login(l) => format!(
                "signs in with AWS Sign-In (login_session = {} in [profile {}])",
                l.session, self.source_profile
            ),
            Source::Sso(s) => format!(
                "gets its credentials from IAM Identity Center (role {} in account {}, [profile \
                 {}])",
                s.role_name, s.account_id, self.source_profile
            ),
        };
        Err(fail(
            Exit::Config,
            format!(
                "profile '{}' {how}: it has no access keys or MFA device for {what}",
                self.name
            ),
        ))
    }

    /// The MFA source, if that is what the profile has.
    pub fn mfa_source(&self) -> Option<&MfaSource> {
        match &self.source {
            Source::Mfa(m) => Some(m),
            Source::Login(_) | Source::Sso(_) => None,
        }
    }
}

/// Where the first credentials of a profile's chain come from: the session sources the
/// `Authenticator` composes, roles (AssumeRole) going on top of any of them.
#[derive(Debug, Clone)]
pub enum Source {
    /// Long-term keys and a code from an MFA device: GetSessionToken (or AssumeRole with the
    /// code itself).
    Mfa(MfaSource),
    /// A console session from AWS Sign-In (`login_session`), signed in with whatever the
    /// account's sign-in takes (passkeys and security keys too), cached where the AWS CLI
    /// caches it and refreshed from its refresh token.
    Login(LoginSource),
    /// A role of IAM Identity Center (`sso_account_id`, `sso_role_name`, and `sso_session` or
    /// `sso_start_url`), from the token `aws sso login` cached: aws-config's SSO provider.
    Sso(SsoSource),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSource {
    pub start_url: String,
    /// The region of the Identity Center instance (its portal and OIDC endpoints).
    pub sso_region: String,
    pub account_id: String,
    pub role_name: String,
    /// The `[sso-session NAME]` the token comes from; none for the legacy layout.
    pub session: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MfaSource {
    pub keys: KeySource,
    /// The device ARN or serial; empty where a device is not needed yet (`setup`).
    pub serial: String,
    pub process: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSource {
    /// The `login_session` value: the ARN of the IAM user (or role) that signed in.
    pub session: String,
}

impl Source {
    /// What cached sessions made from this source are filed under (no secret).
    pub fn cache_identity(&self) -> String {
        match self {
            Source::Mfa(m) => m.keys.cache_identity(),
            Source::Login(l) => format!("login:{}", l.session),
            Source::Sso(s) => format!(
                "sso:{}:{}:{}:{}",
                s.start_url, s.sso_region, s.account_id, s.role_name
            ),
        }
    }

    /// Who the source stands for, in messages and default role session names: the MFA device,
    /// or the login session's ARN.
    pub fn who(&self) -> &str {
        match self {
            Source::Mfa(m) => &m.serial,
            Source::Login(l) => &l.session,
            Source::Sso(s) => &s.role_name,
        }
    }

    /// What the source is, for messages: "the AWS Sign-In session of 'p'" and the like.
    pub fn describe(&self, profile: &str) -> String {
        match self {
            Source::Mfa(_) => format!("the MFA session of '{profile}'"),
            Source::Login(_) => format!("the AWS Sign-In session of '{profile}'"),
            Source::Sso(s) => format!(
                "the IAM Identity Center role {} in account {} of '{profile}'",
                s.role_name, s.account_id
            ),
        }
    }
}

/// A profile as `login` finds it.
#[derive(Debug, Clone)]
pub struct LoginTarget {
    pub exists: bool,
    pub login_session: Option<String>,
    pub region: Option<String>,
    pub signin_endpoint_url: Option<String>,
    pub ca_bundle: Option<String>,
    /// What the profile already gets credentials from, which a login session would override.
    pub conflict: Option<&'static str>,
}

/// What `list` shows about a profile without needing its keys to be valid.
#[derive(Debug, Clone)]
pub struct Summary {
    pub name: String,
    pub kind: &'static str,
    pub mfa_serial: String,
    pub role_arn: Option<String>,
}

pub struct Profiles {
    set: ProfileSet,
    /// The environment the files were found with; settings such as `AWS_CA_BUNDLE` come from it.
    env: Env,
    /// Its endpoint variables, read once.
    endpoints: EndpointEnv,
}

const LONG_TERM_SUFFIX: &str = "-long-term";

/// Resolves `name`, reading only the sections that can matter to it; when it is not there, the
/// whole files are parsed (for the suggestions in the message).
pub fn resolve(name: &str) -> anyhow::Result<Resolved> {
    let env = Env::real();
    resolve_in(&env, &read_files(&env), name)
}

fn resolve_in(env: &Env, files: &[ConfigFile], name: &str) -> anyhow::Result<Resolved> {
    let (only, _) = Profiles::parse_for(env, files, name)?;
    if only.exists(name) {
        return only.resolve(name);
    }
    Profiles::parse(env, files, None)?.resolve(name)
}

/// As `resolve`, with what the files held for `name` remembered in `cache`: while they are
/// unchanged, a run reads only the sections the profile needs (a few hundred bytes) instead of
/// scanning files of thousands of profiles. The text parsed is the same either way.
pub fn resolve_remembered(name: &str, cache: &crate::cache::Cache) -> anyhow::Result<Resolved> {
    let env = Env::real();
    let paths: Vec<String> = SDK_FILES
        .into_iter()
        .map(|(var, default)| {
            sdk_path(&env, &env.get(var).unwrap_or_else(|_| default.to_string()))
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut parts = vec!["files", name];
    parts.extend(paths.iter().map(String::as_str));
    let key = crate::digest::digest(&parts);
    let remembered = cache
        .memo(&key)
        .and_then(|bytes| serde_json::from_slice::<Memo>(&bytes).ok())
        .and_then(|memo| memo.read_back(&env));
    if let Some(files) = remembered {
        if let Ok(profiles) = Profiles::parse_texts(&env, &files, |f| f.bytes().to_vec()) {
            if profiles.exists(name) {
                crate::debug!("profile '{name}' from the sections remembered (files unchanged)");
                return profiles.resolve(name);
            }
        }
    }
    let files = read_files(&env);
    let (only, names) = Profiles::parse_for(&env, &files, name)?;
    if !only.exists(name) {
        return Profiles::parse(&env, &files, None)?.resolve(name);
    }
    let resolved = only.resolve(name)?;
    if let Some(memo) = Memo::of(&files, &names) {
        if let Ok(bytes) = serde_json::to_vec(&memo) {
            cache.put_memo(&key, &bytes);
        }
    }
    Ok(resolved)
}

impl Profiles {
    /// Reads `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` (or the `~/.aws` defaults), every
    /// profile (`list`, completion).
    pub fn load() -> anyhow::Result<Self> {
        let env = Env::real();
        Self::parse(&env, &read_files(&env), None)
    }

    /// As `load`, with the stamps of the files as they were read (`list` remembers what it
    /// made of them while they stay so).
    pub fn load_stamped() -> anyhow::Result<(Self, FilesStamp)> {
        let env = Env::real();
        let files = read_files(&env);
        let stamp = FilesStamp::of(&env, &files);
        Ok((Self::parse(&env, &files, None)?, stamp))
    }

    /// Parses `files` (as `read_files` found them), keeping only the sections named in `only`.
    fn parse(
        env: &Env,
        files: &[ConfigFile],
        only: Option<&BTreeSet<String>>,
    ) -> anyhow::Result<Self> {
        let Some(names) = only else {
            return Self::parse_texts(env, files, |f| f.bytes().to_vec());
        };
        // The sections asked for and nothing between them: the parser reads a few lines
        // instead of the whole files. Its message for a mistake names a line, so a failure is
        // parsed again with every other line kept as an empty one, for the file's numbering.
        Self::parse_texts(env, files, |f| f.kept(names))
            .or_else(|_| Self::parse_texts(env, files, |f| f.kept_in_place(names)))
    }

    /// Parses the texts `text` makes of `files`.
    fn parse_texts(
        env: &Env,
        files: &[ConfigFile],
        text: impl Fn(&ConfigFile) -> Vec<u8>,
    ) -> anyhow::Result<Self> {
        let map = files
            .iter()
            .map(|f| (f.path.clone().into_os_string(), text(f)))
            .collect();
        let set = block_on(aws_config::profile::load(
            &Fs::from_raw_map(map),
            env,
            &EnvConfigFiles::default(),
            None,
        ))?
        .map_err(|e| {
            // The parser's own words are in the innermost error: file, line and what is wrong.
            let mut inner: &dyn std::error::Error = &e;
            while let Some(source) = inner.source() {
                inner = source;
            }
            let words: Vec<String> = inner
                .to_string()
                .split_whitespace()
                .map(str::to_string)
                .collect();
            // Editors on Windows save a byte-order mark, which the parser reads as text.
            let said = words.join(" ");
            let bom = files
                .iter()
                .find(|f| {
                    f.bytes().starts_with(b"\xEF\xBB\xBF")
                        && said.contains(&*f.path.to_string_lossy())
                })
                .map(|f| {
                    format!(
                        "; {} starts with a UTF-8 byte-order mark: save it as UTF-8 without one",
                        f.path.display()
                    )
                })
                .unwrap_or_default();
            fail(
                Exit::Config,
                format!(
                    "cannot read the AWS config files: {}{bom}",
                    crate::error::sanitize_line(&said, 300)
                ),
            )
        })?;
        Ok(Profiles {
            set,
            env: env.clone(),
            endpoints: EndpointEnv::read(env),
        })
    }

    /// The files as the SDK would read them if the config file held `config` (the credentials
    /// file as it is now): `setup` checks its change with this before writing it.
    pub fn with_config_text(config: &str) -> anyhow::Result<Self> {
        let env = Env::real();
        let path = config_file_path();
        let mut files: Vec<ConfigFile> = read_files(&env)
            .into_iter()
            .filter(|f| f.path != path)
            .collect();
        files.insert(0, ConfigFile::new(path, config.as_bytes().to_vec()));
        Self::parse(&env, &files, None)
    }

    /// The value of `key` in profile `name`, as the SDK reads it.
    pub fn setting(&self, name: &str, key: &str) -> Option<&str> {
        self.profile(name)?.get(key)
    }

    /// The sections `name` can need: its own, then, until nothing new turns up, those named by
    /// `source_profile` and `services` in what was kept (each with its aws-mfa twin).
    fn parse_for(
        env: &Env,
        files: &[ConfigFile],
        name: &str,
    ) -> anyhow::Result<(Self, BTreeSet<String>)> {
        let mut wanted = BTreeSet::new();
        add_profile_name(&mut wanted, name);
        loop {
            let profiles = Self::parse(env, files, Some(&wanted))?;
            let before = wanted.len();
            for p in profiles.set.profiles().filter_map(|n| profiles.profile(n)) {
                if let Some(source) = p.get("source_profile") {
                    add_profile_name(&mut wanted, source);
                }
                for named in ["services", "sso_session"] {
                    if let Some(section) = p.get(named) {
                        wanted.insert(section.to_string());
                        wanted.insert(section.trim().to_string());
                    }
                }
            }
            if wanted.len() == before {
                return Ok((profiles, wanted));
            }
        }
    }

    /// Profile names a user can pass, sorted; aws-mfa's `x-long-term` is offered as `x`.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .set
            .profiles()
            .map(|n| n.strip_suffix(LONG_TERM_SUFFIX).unwrap_or(n).to_string())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn profile(&self, name: &str) -> Option<&Profile> {
        self.set.get_profile(name)
    }

    fn exists(&self, name: &str) -> bool {
        self.profile(name).is_some() || self.long_term(name).is_some()
    }

    fn long_term(&self, name: &str) -> Option<&Profile> {
        self.profile(&format!("{name}{LONG_TERM_SUFFIX}"))
    }

    /// The profiles that use MFA or a login session, directly or through their source, for
    /// `list` (`mfa_serial` of a login profile: its session's ARN).
    pub fn mfa_profiles(&self) -> Vec<Summary> {
        self.names()
            .into_iter()
            .filter_map(|name| {
                let chain = self.walk(&name).ok()?;
                let role_arn = chain.roles.last().map(|r| r.role_arn.clone());
                let signed_in = match (chain.sso, chain.login_session) {
                    (Some(sso), _) => {
                        Some(("sso", format!("{} in {}", sso.role_name, sso.account_id)))
                    }
                    (None, Some(session)) => Some(("login", session)),
                    (None, None) => None,
                };
                let (kind, mfa_serial) = match (signed_in, role_arn.is_some()) {
                    (Some((kind, who)), false) => (kind, who),
                    (Some((_, who)), true) => ("role", who),
                    (None, true) => ("role", chain.mfa_serial?),
                    (None, false) => ("session-token", chain.mfa_serial?),
                };
                Some(Summary {
                    kind,
                    mfa_serial,
                    role_arn,
                    name,
                })
            })
            .collect()
    }

    /// The role profiles whose keys come from `source` (for advice: `console` of a
    /// session-token profile).
    pub fn roles_of(&self, source: &str) -> Vec<String> {
        self.names()
            .into_iter()
            .filter(|name| {
                self.walk(name)
                    .is_ok_and(|chain| !chain.roles.is_empty() && chain.source_profile == source)
            })
            .collect()
    }

    /// Resolves a profile completely: chain, MFA device, keys, region, endpoint.
    pub fn resolve(&self, name: &str) -> anyhow::Result<Resolved> {
        self.resolve_with(name, true)
    }

    /// As `resolve`, for a profile that may have no MFA device yet (`setup`, `device`, the
    /// account of `policy`): `mfa_serial` is then empty.
    pub fn resolve_without_device(&self, name: &str) -> anyhow::Result<Resolved> {
        self.resolve_with(name, false)
    }

    /// As `resolve_without_device`, for a profile in neither file whose keys were stored first
    /// (`keys add`, then `setup`): it resolves as an empty section would, its keys from the
    /// keyring, until `setup` writes its section.
    pub fn resolve_new(&self, name: &str) -> anyhow::Result<Resolved> {
        self.resolve_chain(name, false)
    }

    fn resolve_with(&self, name: &str, need_device: bool) -> anyhow::Result<Resolved> {
        if !self.exists(name) {
            return Err(self.unknown_profile(name));
        }
        self.resolve_chain(name, need_device)
    }

    fn resolve_chain(&self, name: &str, need_device: bool) -> anyhow::Result<Resolved> {
        let mut chain = self.walk(name)?;
        // As the SDKs choose: Identity Center, then a sign-in, then keys.
        let signed_in = match (chain.sso.take(), chain.login_session.take()) {
            (Some(sso), _) => Some((Source::Sso(sso), "the IAM Identity Center role")),
            (None, Some(session)) => Some((
                Source::Login(LoginSource { session }),
                "the AWS Sign-In session",
            )),
            (None, None) => None,
        };
        if let Some((source, what)) = signed_in {
            if chain.mfa_serial.is_some() && chain.serial_from != chain.source_profile {
                return Err(fail(
                    Exit::Config,
                    format!(
                        "profile '{}' has mfa_serial, but its chain starts from {what} of \
                         [profile {}], signed in with MFA already, which asks no code: remove \
                         mfa_serial from [profile {}]",
                        chain.serial_from, chain.source_profile, chain.serial_from
                    ),
                ));
            }
            return self.resolved(name, chain, source);
        }
        if !need_device && chain.mfa_serial.is_none() {
            chain.mfa_serial = Some(String::new());
        }
        let Some(mfa_serial) = chain.mfa_serial.take() else {
            if let Some(wrapped) = self
                .profile(name)
                .and_then(|p| p.get("credential_process"))
                .and_then(wrapped_by_mfa_env)
            {
                if wrapped == name {
                    return Err(fail(
                        Exit::Config,
                        format!(
                            "profile '{name}' has credential_process = mfa-env credential-process \
                             {name}, which would run itself: point it at the profile that has \
                             mfa_serial, and give mfa-env that profile"
                        ),
                    ));
                }
                return Err(fail(
                    Exit::Config,
                    format!(
                        "profile '{name}' gets its credentials from mfa-env itself \
                         (credential_process = mfa-env credential-process {wrapped}): it is for \
                         tools that read {}; give mfa-env the profile it wraps: '{wrapped}'",
                        config_file_display()
                    ),
                ));
            }
            return Err(no_mfa_device(
                name,
                &chain.source_profile,
                chain.roles.is_empty(),
            ));
        };
        if need_device || !mfa_serial.is_empty() {
            validate_serial(&mfa_serial, &chain.serial_from)?;
        }
        let source = Source::Mfa(MfaSource {
            keys: self.keys_of(&chain.source_profile)?,
            serial: mfa_serial,
            process: chain.mfa_process.take(),
        });
        self.resolved(name, chain, source)
    }

    /// The rest of a profile's resolution, the same for every source: durations, region,
    /// endpoints.
    fn resolved(&self, name: &str, chain: Chain, source: Source) -> anyhow::Result<Resolved> {
        // The profile's own section (aws-mfa's long-term one when it has none), found once.
        let named = self.profile(name).or_else(|| self.long_term(name));
        let region = chain.region;
        if let Some(region) = &region {
            validate_region(region, name)?;
        }
        let iam_endpoint_url = endpoint_url(&self.endpoints, named, &self.set, Service::Iam);
        let signin_endpoint_url = endpoint_url(&self.endpoints, named, &self.set, Service::Signin);
        let sso_endpoint_url = endpoint_url(&self.endpoints, named, &self.set, Service::Sso);
        let endpoint_url = endpoint_url(&self.endpoints, named, &self.set, Service::Sts);
        let ca_bundle = ca_bundle(&self.env, &self.endpoints, named);
        Ok(Resolved {
            name: name.to_string(),
            source_duration: parse_duration_key(
                self.section_for_keys(&chain.source_profile),
                &chain.source_profile,
            )?,
            source_profile: chain.source_profile,
            source,
            roles: chain.roles,
            region,
            endpoint_url,
            iam_endpoint_url,
            signin_endpoint_url,
            sso_endpoint_url,
            ca_bundle,
        })
    }

    /// Follows `role_arn` / `source_profile` from `name` to the profile with the keys.
    fn walk(&self, name: &str) -> anyhow::Result<Chain> {
        let mut visited = vec![name.to_string()];
        let mut current = name.to_string();
        let mut roles_rev = Vec::new();
        let mut mfa_serial: Option<(String, String)> = None;
        let mut mfa_process = None;
        let mut region = None;
        loop {
            let short = self.profile(&current);
            let long = self.long_term(&current);
            for p in [short, long].into_iter().flatten() {
                if mfa_serial.is_none() {
                    let serial = p.get("mfa_serial").or_else(|| p.get("aws_mfa_device"));
                    mfa_serial = serial.map(|s| (s.trim().to_string(), p.name().to_string()));
                }
                mfa_process = mfa_process.or_else(|| p.get("mfa_process").map(str::to_string));
                region = region.or_else(|| p.get("region").map(str::to_string));
            }
            // aws-mfa keeps the role in the long-term section (`assume_role`) and writes its
            // short-term output into [name]; the long-term section is the truth.
            let role = match long {
                Some(l) => l.get("assume_role").map(|arn| (l, arn)),
                None => short.and_then(|s| s.get("role_arn").map(|arn| (s, arn))),
            };
            let Some((role_profile, role_arn)) = role else {
                break;
            };
            roles_rev.push(RoleSpec {
                profile: current.clone(),
                role_arn: role_arn.trim().to_string(),
                external_id: role_profile.get("external_id").map(str::to_string),
                session_name: role_profile.get("role_session_name").map(str::to_string),
                duration: parse_duration_key(Some(role_profile), &current)?,
            });
            if long.is_some() {
                // aws-mfa: the long-term section holds the keys for its own role.
                break;
            }
            let Some(source) = short.and_then(|s| s.get("source_profile")) else {
                let hint = if short.and_then(|s| s.get("credential_source")).is_some() {
                    "credential_source is not supported: mfa-env needs long-term keys; \
                     use source_profile"
                } else {
                    "add source_profile = <profile with the IAM user's keys>"
                };
                return Err(fail(
                    Exit::Config,
                    format!("profile '{current}' has role_arn but no source_profile: {hint}"),
                ));
            };
            let source = source.trim().to_string();
            if source == current {
                // A profile that names itself as source uses its own keys (as the AWS CLI does).
                break;
            }
            if visited.contains(&source) {
                visited.push(source);
                return Err(fail(
                    Exit::Config,
                    format!(
                        "source_profile chain loops: {}; break the cycle in your AWS config",
                        visited.join(" -> ")
                    ),
                ));
            }
            if !self.exists(&source) {
                return Err(fail(
                    Exit::Config,
                    format!(
                        "profile '{current}' names source_profile '{source}', which does not \
                         exist in your AWS config or credentials file"
                    ),
                ));
            }
            visited.push(source.clone());
            current = source;
        }
        roles_rev.reverse();
        // As the SDKs read it: the profile at the end of the chain signs in with its
        // `login_session` before any key it also holds.
        let login_session = [self.profile(&current), self.long_term(&current)]
            .into_iter()
            .flatten()
            .find_map(|p| p.get("login_session").map(str::trim))
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let sso = self.sso_of(&current)?;
        let (mfa_serial, serial_from) = match mfa_serial {
            Some((s, from)) => (Some(s), from),
            None => (None, String::new()),
        };
        Ok(Chain {
            source_profile: current,
            roles: roles_rev,
            mfa_serial,
            serial_from,
            mfa_process,
            region,
            login_session,
            sso,
        })
    }

    /// The IAM Identity Center role profile `name` names, if it names one: as aws-config reads
    /// it (an `sso_session` and its `[sso-session]` section, or the legacy `sso_start_url` and
    /// `sso_region` in the profile). A profile with an `sso_session` and no role is a token's,
    /// not a source of credentials.
    fn sso_of(&self, name: &str) -> anyhow::Result<Option<SsoSource>> {
        // Looked up once: `list` asks this of every profile.
        let sections = [self.profile(name), self.long_term(name)];
        let get = |k: &str| {
            sections
                .into_iter()
                .flatten()
                .find_map(|p| p.get(k))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (Some(account_id), Some(role_name)) = (get("sso_account_id"), get("sso_role_name"))
        else {
            if get("sso_account_id").is_some() || get("sso_role_name").is_some() {
                return Err(fail(
                    Exit::Config,
                    format!(
                        "profile '{name}' needs both sso_account_id and sso_role_name for an IAM \
                         Identity Center role"
                    ),
                ));
            }
            return Ok(None);
        };
        let session = get("sso_session");
        let (start_url, sso_region) = match &session {
            Some(session) => {
                let Some(section) = self.set.sso_session(session) else {
                    return Err(fail(
                        Exit::Config,
                        format!(
                            "profile '{name}' names sso_session {session}, but there is no \
                             [sso-session {session}] section in {}",
                            config_file_display()
                        ),
                    ));
                };
                let key = |k: &str| section.get(k).map(|v| v.trim().to_string());
                (key("sso_start_url"), key("sso_region"))
            }
            None => (get("sso_start_url"), get("sso_region")),
        };
        let missing = |k: &str| {
            fail(
                Exit::Config,
                format!(
                    "profile '{name}' is an IAM Identity Center role without {k} (in its \
                     [sso-session] section, or the profile)"
                ),
            )
        };
        Ok(Some(SsoSource {
            start_url: start_url.ok_or_else(|| missing("sso_start_url"))?,
            sso_region: sso_region.ok_or_else(|| missing("sso_region"))?,
            account_id,
            role_name,
            session,
        }))
    }

    /// The section that holds the keys of `name`: aws-mfa's long-term one when present.
    fn section_for_keys(&self, name: &str) -> Option<&Profile> {
        self.long_term(name).or_else(|| self.profile(name))
    }

    fn keys_of(&self, name: &str) -> anyhow::Result<KeySource> {
        let section = self.section_for_keys(name);
        let get = |k: &str| section.and_then(|p| p.get(k)).map(str::trim);
        let keys = (get("aws_access_key_id"), get("aws_secret_access_key"));
        if let (None, None, Some(command)) = (keys.0, keys.1, get("credential_process")) {
            if !command.is_empty() && wrapped_by_mfa_env(command).is_none() {
                return Ok(KeySource::Process {
                    profile: name.to_string(),
                    command: command.to_string(),
                });
            }
        }
        match keys {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
                if get("aws_session_token").is_some() {
                    // Not usable to sign GetSessionToken: the keyring may hold the real ones.
                    return Ok(KeySource::Store {
                        profile: name.to_string(),
                        temporary_in_file: true,
                    });
                }
                Ok(KeySource::File(LongTermKeys {
                    access_key_id: id.to_string(),
                    secret_access_key: Zeroizing::new(secret.to_string()),
                }))
            }
            _ => {
                let other = ["sso_session", "sso_start_url", "credential_process"]
                    .into_iter()
                    .find(|k| get(k).is_some());
                let why = match other {
                    // Only mfa-env's own wrapper gets here: any other command is a key source.
                    Some("credential_process") => {
                        " (its credential_process runs mfa-env, which gives temporary credentials)"
                            .to_string()
                    }
                    Some(k) => format!(
                        " (it has {k} but no sso_account_id and sso_role_name: not an IAM \
                         Identity Center role to get credentials for)"
                    ),
                    None => String::new(),
                };
                if other.is_none() && keys == (None, None) {
                    // Nothing in the files: the OS store, looked up when STS is called.
                    return Ok(KeySource::Store {
                        profile: name.to_string(),
                        temporary_in_file: false,
                    });
                }
                Err(fail(
                    Exit::Config,
                    format!(
                        "profile '{name}' has no long-term keys{why}: add aws_access_key_id and \
                         aws_secret_access_key to [{name}] in {}",
                        credentials_file_display()
                    ),
                ))
            }
        }
    }

    /// Where STS is for the keys of `name`: its region, endpoint and CA bundle, whether or not
    /// the profile exists or has an MFA device yet (`keys add` checks keys typed for a profile
    /// that may come later).
    pub fn sts_place(&self, name: &str) -> anyhow::Result<StsPlace> {
        let sections = [self.profile(name), self.long_term(name)];
        let region = sections
            .into_iter()
            .flatten()
            .find_map(|p| p.get("region"))
            .map(str::to_string);
        if let Some(region) = &region {
            validate_region(region, name)?;
        }
        let named = self.profile(name).or(self.long_term(name));
        Ok(StsPlace {
            region,
            endpoint_url: endpoint_url(&self.endpoints, named, &self.set, Service::Sts),
            ca_bundle: ca_bundle(&self.env, &self.endpoints, named),
        })
    }

    /// What `login` needs to know of profile `name`, which may not exist yet.
    pub fn login_target(&self, name: &str) -> anyhow::Result<LoginTarget> {
        let named = self.profile(name).or(self.long_term(name));
        let get = |k: &str| {
            [self.profile(name), self.long_term(name)]
                .into_iter()
                .flatten()
                .find_map(|p| p.get(k))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let region = get("region");
        if let Some(region) = &region {
            validate_region(region, name)?;
        }
        let conflict = [
            ("aws_access_key_id", "long-term keys (aws_access_key_id)"),
            (
                "mfa_serial",
                "long-term keys and an MFA device (mfa_serial)",
            ),
            ("role_arn", "a role (role_arn)"),
            ("credential_process", "a credential_process"),
            ("sso_session", "IAM Identity Center (sso_session)"),
            ("sso_start_url", "IAM Identity Center (sso_start_url)"),
            ("web_identity_token_file", "a web identity token"),
        ]
        .into_iter()
        .find(|(k, _)| get(k).is_some())
        .map(|(_, what)| what);
        Ok(LoginTarget {
            exists: self.exists(name),
            login_session: get("login_session"),
            region,
            signin_endpoint_url: endpoint_url(&self.endpoints, named, &self.set, Service::Signin),
            ca_bundle: ca_bundle(&self.env, &self.endpoints, named),
            conflict,
        })
    }

    /// The error for a profile in neither file, with the names it may have meant.
    pub fn not_found(&self, name: &str) -> anyhow::Error {
        self.unknown_profile(name)
    }

    /// The profile whose keys `keys VERB name` manages: `name` itself (aws-mfa's
    /// `x-long-term` stands for `x`), refused for a profile that takes its keys from another
    /// (a role's source profile). A name in neither file is accepted: keys may come first.
    pub fn key_owner(&self, name: &str, verb: &str) -> anyhow::Result<KeyOwner> {
        let name = match name.strip_suffix(LONG_TERM_SUFFIX) {
            Some(base) if self.exists(base) => base,
            _ => name,
        };
        if !self.exists(name) {
            return Ok(KeyOwner {
                profile: name.to_string(),
                known: false,
                in_files: None,
                temporary_in_file: false,
            });
        }
        let source = self.walk(name)?.source_profile;
        if source != name {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{name}' takes its long-term keys from its source profile \
                     '{source}': run `mfa-env {verb} {}`",
                    crate::shell::hint::arg(&source)
                ),
            ));
        }
        let (in_files, temporary_in_file) = match self.keys_of(name) {
            Ok(KeySource::Store {
                temporary_in_file, ..
            }) => (None, temporary_in_file),
            Err(_) => (None, false),
            Ok(other) => (Some(other), false),
        };
        Ok(KeyOwner {
            profile: name.to_string(),
            known: true,
            in_files,
            temporary_in_file,
        })
    }

    fn unknown_profile(&self, name: &str) -> anyhow::Error {
        let names = self.names();
        let suggestions = closest(name, &names);
        // A new user's first profile: the keys, then setup, which writes the rest.
        let start = format!(
            "to start one, store its IAM user's access key with `mfa-env keys add {n}` (or in {}), \
             then run `mfa-env setup {n}`",
            credentials_file_display(),
            n = crate::shell::hint::arg(name)
        );
        let hint = if suggestions.is_empty() {
            if names.is_empty() {
                format!(
                    "no profiles found in {} or {}; {start}",
                    config_file_display(),
                    credentials_file_display()
                )
            } else {
                format!("`mfa-env list` shows the profiles that use MFA; {start}")
            }
        } else {
            format!("did you mean {}?", quoted_list(&suggestions))
        };
        fail(Exit::Config, format!("profile '{name}' not found: {hint}"))
    }
}

fn add_profile_name(wanted: &mut BTreeSet<String>, name: &str) {
    for n in [name, name.trim()] {
        wanted.insert(n.to_string());
        wanted.insert(format!("{n}{LONG_TERM_SUFFIX}"));
    }
}

struct Chain {
    source_profile: String,
    roles: Vec<RoleSpec>,
    mfa_serial: Option<String>,
    serial_from: String,
    mfa_process: Option<String>,
    region: Option<String>,
    /// The source profile's `login_session`.
    login_session: Option<String>,
    /// The source profile's Identity Center role.
    sso: Option<SsoSource>,
}

/// The profile a `credential_process` command hands to `mfa-env credential-process`, if that is
/// what it runs: the wrapper profile a user writes for other tools.
fn wrapped_by_mfa_env(command: &str) -> Option<String> {
    let mut words = command.split_whitespace();
    words.find(|w| {
        let base = w
            .trim_matches(['"', '\''])
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("");
        base == "mfa-env" || base == "mfa-env.exe"
    })?;
    words.find(|w| *w == "credential-process")?;
    while let Some(w) = words.next() {
        match w {
            // The options that take a value (as a separate word).
            "-t" | "--token-code" | "-d" | "--duration" => {
                words.next();
            }
            w if w.starts_with('-') => {}
            w => return Some(w.trim_matches(['"', '\'']).to_string()),
        }
    }
    None
}

fn no_mfa_device(name: &str, source: &str, session_token: bool) -> anyhow::Error {
    let key = "mfa_serial = arn:aws:iam::ACCOUNT_ID:mfa/DEVICE_NAME";
    let where_ = if session_token || source == name {
        format!("[profile {name}] in {}", config_file_display())
    } else {
        format!(
            "[profile {name}] or its source [profile {source}] in {}",
            config_file_display()
        )
    };
    // setup finds the IAM user's device (or enrolls one) and writes the line on the profile
    // with the keys, which a role inherits it from.
    fail(
        Exit::Config,
        format!(
            "profile '{name}' has no MFA device: run `mfa-env setup {}` to enroll one (or find \
             the user's) and write it, or add '{key}' to {where_} yourself; a passkey or \
             security key signs in with `mfa-env login` instead",
            crate::shell::hint::arg(source)
        ),
    )
}

/// Whether `serial` can be an MFA device's SerialNumber: 9–256 characters of `[\w+=/:,.@-]`
/// (STS's own rule).
pub fn is_serial(serial: &str) -> bool {
    let ok_chars = serial
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c));
    (9..=256).contains(&serial.len()) && ok_chars
}

/// A configured serial, checked before any call.
fn validate_serial(serial: &str, profile: &str) -> anyhow::Result<()> {
    if is_serial(serial) {
        Ok(())
    } else {
        Err(fail(
            Exit::Config,
            format!(
                "the mfa_serial of profile '{profile}' is not a valid MFA device ARN or serial \
                 (9-256 characters of letters, digits and _+=/:,.@-); \
                 expected arn:aws:iam::ACCOUNT_ID:mfa/DEVICE_NAME"
            ),
        ))
    }
}

/// A region is a host label (the SDK builds the endpoint from it): letters, digits, dashes.
pub fn validate_region(region: &str, profile: &str) -> anyhow::Result<()> {
    let ok = (1..=64).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !region.starts_with('-');
    if ok {
        return Ok(());
    }
    Err(fail(
        Exit::Config,
        format!(
            "profile '{profile}': region must be a region name such as eu-west-1 \
             (letters, digits and dashes)"
        ),
    ))
}

fn parse_duration_key(p: Option<&Profile>, name: &str) -> anyhow::Result<Option<u32>> {
    let Some(raw) = p.and_then(|p| p.get("duration_seconds")) else {
        return Ok(None);
    };
    raw.trim().parse::<u32>().map(Some).map_err(|_| {
        fail(
            Exit::Config,
            format!("profile '{name}': duration_seconds must be a whole number of seconds"),
        )
    })
}

/// Runs the profile loader's future. It reads files synchronously, so one poll finishes it;
/// a runtime is started only if it ever has to wait.
fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
        return Ok(out);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(rt.block_on(f))
}

#[cfg(test)]
mod tests {
    use super::keys::{key_lines_in, parse_process_answer};
    use super::*;
    use crate::aws_files::expand_home;

    #[test]
    fn suggests_close_names() {
        let names: Vec<String> = ["work", "work-admin", "personal", "prod"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("wrok", &names), ["work", "prod"]);
        assert_eq!(levenshtein("wrok", "work"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(closest("admin", &names), ["work-admin"]);
        assert!(closest("zzzzzzzz", &names).is_empty());
        assert_eq!(quoted_list(&names[..2]), "'work' or 'work-admin'");
    }

    #[test]
    fn serials_follow_sts_rules() {
        assert!(validate_serial("arn:aws:iam::123456789012:mfa/alice", "p").is_ok());
        assert!(validate_serial("GAHT12345678", "p").is_ok());
        assert!(validate_serial("short", "p").is_err());
        assert!(validate_serial("arn:aws:iam::1:mfa/a b", "p").is_err());
    }

    use proptest::prelude::*;

    const NAMES: &[&str] = &["a", "b", "dev", "dev-long-term", "default", "prod"];

    fn env() -> Env {
        Env::from_slice(&[
            ("AWS_CONFIG_FILE", "/t/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/t/credentials"),
            ("HOME", "/h"),
        ])
    }

    fn files(config: &str, credentials: &str) -> Vec<ConfigFile> {
        vec![
            ConfigFile::new("/t/config".into(), config.as_bytes().to_vec()),
            ConfigFile::new("/t/credentials".into(), credentials.as_bytes().to_vec()),
        ]
    }

    /// The outcome of resolving `name`, secrets included, comparable as text.
    fn outcome(r: anyhow::Result<Resolved>) -> String {
        match r {
            Ok(r) => match r.mfa_source().map(|m| &m.keys) {
                Some(KeySource::File(keys)) => {
                    format!("{r:?} {}", keys.secret_access_key.as_str())
                }
                _ => format!("{r:?}"),
            },
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn credential_process_answers_follow_the_sdk_rules() {
        let what = "credential_process of profile 'p'";
        let keys = parse_process_answer(
            br#"{"Version": 1, "AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": " s/ecret+ "}"#,
            what,
        )
        .unwrap();
        assert_eq!(keys.access_key_id, "AKIAEXAMPLE");
        assert_eq!(keys.secret_access_key.as_str(), "s/ecret+");
        for (answer, says) in [
            (&br#"{"Version": 1, "AccessKeyId": "ASIAX", "SecretAccessKey": "s", "SessionToken": "t"}"#[..], "temporary credentials"),
            (br#"{"Version": 2, "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#, "Version"),
            (br#"{"AccessKeyId": "AKIAX", "SecretAccessKey": "s"}"#, "Version"),
            (br#"{"Version": 1, "AccessKeyId": "AKIAX"}"#, "no AccessKeyId and SecretAccessKey"),
            (b"AKIAX sEcReT", "did not print a JSON object"),
            (b"", "did not print a JSON object"),
        ] {
            let err = parse_process_answer(answer, what).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
            assert!(!err.contains("sEcReT"), "{err}");
        }
    }

    #[test]
    fn key_lines_are_found_in_the_profile_sections_only() {
        let text = "[default]\naws_access_key_id = A\n[dev]\nregion = x\naws_access_key_id=B\n  \
                    aws_secret_access_key = C\n[dev-long-term] # aws-mfa\naws_secret_access_key=D\n\
                    aws_secret_access_key = F\n\
                    [profile devx]\naws_access_key_id = E\n";
        let names = ["dev".to_string(), "dev-long-term".to_string()];
        assert_eq!(
            key_lines_in(text, &names),
            vec![
                (5, "aws_access_key_id"),
                (8, "aws_secret_access_key"),
                (9, "aws_secret_access_key")
            ]
        );
    }

    #[test]
    fn section_names_as_the_parser_reads_them() {
        assert_eq!(section_name("[profile dev]"), Some("dev"));
        assert_eq!(section_name("[ profile \t dev ] # note"), Some("dev"));
        assert_eq!(section_name("[dev];x"), Some("dev"));
        assert_eq!(section_name("[services s]"), Some("s"));
        assert_eq!(section_name("[profile dev"), None);
        let names: BTreeSet<String> = ["dev".to_string()].into();
        let text =
            "# top\n[profile a]\nregion = x\n[profile dev]\r\nregion = y\r\n  continued\n[a]\n";
        assert_eq!(
            keep_sections(text, &names),
            "# top\n\n\n[profile dev]\r\nregion = y\r\n  continued\n\n"
        );
    }

    /// The sections picked from the index are those `keep_sections` keeps, without the lines
    /// between them; a mistake in one is still reported at the file's own line.
    #[test]
    fn picked_sections_are_the_kept_ones_and_mistakes_keep_their_line() {
        let names: BTreeSet<String> = ["dev".to_string()].into();
        let text = "# top\n[profile a]\nregion = x\n[profile dev]\r\nregion = y\r\n  continued\n[broken\nk = v\n[a]\n[dev]\nlast = 1";
        let file = ConfigFile::new("/t/config".into(), text.as_bytes().to_vec());
        assert_eq!(
            String::from_utf8(file.kept(&names)).unwrap(),
            "# top\n[profile dev]\r\nregion = y\r\n  continued\n[broken\nk = v\n[dev]\nlast = 1"
        );
        let padded = keep_sections(text, &names);
        assert_eq!(
            padded.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>(),
            String::from_utf8(file.kept(&names))
                .unwrap()
                .lines()
                .collect::<Vec<_>>()
        );
        let bad =
            "[profile a]\nx = 1\n[profile a2]\ny = 2\n[profile dev]\nregion = y\n[profile b\n";
        let err = Profiles::parse(
            &env(),
            &[ConfigFile::new("/t/config".into(), bad.as_bytes().to_vec())],
            Some(&names),
        )
        .err()
        .expect("a parse error")
        .to_string();
        assert!(err.contains("line 7"), "{err}");
    }

    /// The names a header scan finds are the names the parser finds.
    #[test]
    fn names_from_headers_are_the_parsers() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let credentials = dir.path().join("credentials");
        std::fs::write(
            &config,
            "[default]\n[profile a]\n[profile  b ] # c\n[c]\n[sso-session s]\n[services x]\n\
             [profile bad name]\n[profile d-long-term]\n[profile default]\n[profile e%f]\n\
             [profile g\n",
        )
        .unwrap();
        std::fs::write(
            &credentials,
            "[h]\n[profile i]\n[j k]\n[a]\n[l-long-term]\n",
        )
        .unwrap();
        let env = [
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
        ];
        // The parser refuses the unterminated header; the scan skips it, with all else equal.
        let parsed = {
            let mut files = read_files(&Env::from_slice(&env));
            let text = String::from_utf8(files[0].bytes().to_vec()).unwrap();
            files[0] = ConfigFile::new(
                files[0].path.clone(),
                text.replace("[profile g\n", "").into_bytes(),
            );
            Profiles::parse(&Env::from_slice(&env), &files, None)
                .unwrap()
                .names()
        };
        let scanned = names_from_headers_in(&Env::from_slice(&env));
        assert_eq!(scanned, parsed);
        assert_eq!(parsed, ["a", "b", "d", "default", "e%f", "h", "l"]);
    }

    /// A file on disk, indexed in chunks and read back by section, gives the sections a text in
    /// memory gives: headers across chunk boundaries, CRLF, a header that cannot be read, a
    /// last line without a newline; and a file changed after it was indexed is read again.
    #[test]
    fn sections_read_back_from_disk_are_those_of_the_text() {
        let mut text = String::from("# preamble\n");
        for i in 0..8000 {
            let eol = if i % 7 == 0 { "\r\n" } else { "\n" };
            text.push_str(&format!(
                "[profile p{i}]{eol}region = r{i}{eol}source_profile = p{}{eol}",
                i / 2
            ));
            if i % 500 == 0 {
                text.push_str("[broken header\nk = v\n");
            }
        }
        text.push_str("[last]\nx = 1");
        assert!(text.len() > 3 * 64 * 1024, "crosses several chunks");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, &text).unwrap();
        let on_disk = ConfigFile::open(path.clone()).unwrap();
        let in_memory = ConfigFile::new(path.clone(), text.clone().into_bytes());
        for names in [
            vec!["p0", "p1"],
            vec!["p3999", "p7999", "last"],
            vec!["nothing"],
            vec!["p12", "p6", "p3", "p1", "p0"],
        ] {
            let names: BTreeSet<String> = names.into_iter().map(str::to_string).collect();
            let kept = on_disk.kept(&names);
            assert_eq!(kept, in_memory.kept(&names), "{names:?}");
            // And what the slow way keeps, less the empty lines standing in for the rest.
            let padded = keep_sections(&text, &names);
            assert_eq!(
                String::from_utf8(kept).unwrap().lines().collect::<Vec<_>>(),
                padded.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>(),
                "{names:?}"
            );
        }
        // Changed in place after the index was made: what it holds now is read.
        std::fs::write(&path, "[profile p0]\nregion = changed\n").unwrap();
        let names: BTreeSet<String> = ["p0".to_string()].into();
        assert_eq!(
            String::from_utf8(on_disk.kept(&names)).unwrap(),
            "[profile p0]\nregion = changed\n"
        );
        // Not UTF-8: the whole file, for the parser to judge.
        std::fs::write(&path, b"[profile p0]\nregion = \xff\n[profile p1]\n").unwrap();
        let bad = ConfigFile::open(path.clone()).unwrap();
        assert_eq!(
            bad.kept(&names),
            b"[profile p0]\nregion = \xff\n[profile p1]\n"
        );
    }

    /// The quick reading of a header agrees with the full one.
    #[test]
    fn header_names_read_quickly_agree_with_the_full_reading() {
        fn full(line: &str) -> Option<&str> {
            section_pair_in_full(line).map(|(_, name)| name)
        }
        for line in [
            "[profile dev]",
            "[dev]",
            "[]",
            "[ dev]",
            "[dev ]",
            "[profile  dev]",
            "[profile dev x]",
            "[profile\tdev]",
            "[profile dev] # c",
            "[profile dev];c",
            "[sso-session s]",
            "[services x]",
            "[profile dev",
            "profile dev]",
            "[a b c]",
            "[ ]",
            "[p ]",
            "[ p]",
        ] {
            assert_eq!(section_name(line), full(line), "{line:?}");
        }
    }

    #[test]
    fn only_the_chain_is_parsed() {
        let config = "[profile admin]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = dev\n\
                      services = s\n\
                      [profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
                      [services s]\nsts =\n  endpoint_url = http://127.0.0.1:1\n\
                      [profile other]\nregion = eu-west-1\n";
        let credentials =
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n[other]\n";
        let f = files(config, credentials);
        let (only, _) = Profiles::parse_for(&env(), &f, "admin").unwrap();
        let mut names: Vec<&str> = only.set.profiles().collect();
        names.sort();
        assert_eq!(names, ["admin", "dev"]);
        let r = only.resolve("admin").unwrap();
        assert_eq!(r.endpoint_url.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(outcome(Ok(r)), outcome(resolve_in(&env(), &f, "admin")));
    }

    #[test]
    fn a_memo_reads_back_the_same_text_until_a_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let credentials = dir.path().join("credentials");
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("[profile p{i}]\nregion = eu-west-1\n\n"));
        }
        text.push_str(
            "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = dev\n\
             [profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
        );
        std::fs::write(&config, &text).unwrap();
        std::fs::write(
            &credentials,
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n",
        )
        .unwrap();
        let env = Env::from_slice(&[
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
            ("HOME", "/h"),
        ]);
        let files = read_files(&env);
        let (only, names) = Profiles::parse_for(&env, &files, "admin").unwrap();
        let memo = Memo::of(&files, &names).unwrap();
        // Through JSON, as the cache keeps it.
        let memo: Memo = serde_json::from_slice(&serde_json::to_vec(&memo).unwrap()).unwrap();
        let back = memo.read_back(&env).expect("unchanged files read back");
        for (kept, original) in back.iter().zip(&files) {
            assert_eq!(kept.bytes(), &original.kept(&names)[..]);
        }
        let again = Profiles::parse_texts(&env, &back, |f| f.bytes().to_vec()).unwrap();
        assert_eq!(
            outcome(again.resolve("admin")),
            outcome(only.resolve("admin"))
        );
        // Another file named by the environment: not these.
        let other = Env::from_slice(&[
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
            ("HOME", "/h"),
        ]);
        assert!(memo.read_back(&other).is_none());
        // A file written again, even to the same length: not the same file any more.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&config, text.replace("eu-west-1", "eu-west-2")).unwrap();
        assert!(memo.read_back(&env).is_none());
    }

    #[test]
    fn login_sessions_are_a_source_roles_go_on_top_of() {
        let arn = "arn:aws:iam::123456789012:user/alice";
        // login_session wins over keys and a device in the same profile, as in the SDKs.
        let config = format!(
            "[profile web]\nlogin_session = {arn} \nmfa_serial = arn:aws:iam::123456789012:mfa/a\n\
             region = eu-west-1\n\
             [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = web\n\
             [profile coded]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = web\n\
             mfa_serial = arn:aws:iam::123456789012:mfa/a\n"
        );
        let credentials = "[web]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n";
        let f = files(&config, credentials);
        let web = resolve_in(&env(), &f, "web").unwrap();
        assert!(matches!(&web.source, Source::Login(l) if l.session == arn));
        assert!(!web.is_role());
        assert_eq!(web.region.as_deref(), Some("eu-west-1"));
        assert!(web.mfa("`mfa-env setup`").is_err());
        let admin = resolve_in(&env(), &f, "admin").unwrap();
        assert!(matches!(&admin.source, Source::Login(l) if l.session == arn));
        assert_eq!(admin.source_profile, "web");
        assert_eq!(admin.roles.len(), 1);
        assert_eq!(admin.source.who(), arn);
        assert_eq!(admin.source.cache_identity(), format!("login:{arn}"));
        // A code asked on a role whose source already signed in with MFA: said, not ignored.
        let err = outcome(resolve_in(&env(), &f, "coded"));
        assert!(
            err.contains("remove mfa_serial from [profile coded]"),
            "{err}"
        );
        // `list` names the session where a device would be.
        let profiles = Profiles::parse(&env(), &f, None).unwrap();
        let kinds: Vec<(String, &str, String)> = profiles
            .mfa_profiles()
            .into_iter()
            .map(|s| (s.name, s.kind, s.mfa_serial))
            .collect();
        assert!(
            kinds.contains(&("web".into(), "login", arn.into())),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("admin".into(), "role", arn.into())),
            "{kinds:?}"
        );
        // An empty login_session is no session: the keys and device are used.
        let blank =
            "[profile web]\nlogin_session =\nmfa_serial = arn:aws:iam::123456789012:mfa/a\n";
        let r = resolve_in(&env(), &files(blank, credentials), "web").unwrap();
        assert!(r.mfa_source().is_some());
    }

    #[test]
    fn a_wrapper_profile_points_to_the_profile_it_wraps() {
        assert_eq!(
            wrapped_by_mfa_env("mfa-env credential-process work-admin").as_deref(),
            Some("work-admin")
        );
        assert_eq!(
            wrapped_by_mfa_env("/home/a/.cargo/bin/mfa-env -v credential-process -t 1 'w'")
                .as_deref(),
            Some("w")
        );
        assert_eq!(
            wrapped_by_mfa_env("\"C:\\bin\\mfa-env.exe\" credential-process w").as_deref(),
            Some("w")
        );
        assert_eq!(wrapped_by_mfa_env("op read op://x"), None);
        assert_eq!(wrapped_by_mfa_env("mfa-env export w"), None);
        let config = "[profile self]\ncredential_process = mfa-env credential-process self\n";
        let err = outcome(resolve_in(&env(), &files(config, ""), "self"));
        assert!(err.contains("which would run itself"), "{err}");
        let config = "[profile tf]\ncredential_process = mfa-env credential-process work\n";
        let err = outcome(resolve_in(&env(), &files(config, ""), "tf"));
        assert!(
            err.contains("gets its credentials from mfa-env itself")
                && err.contains("give mfa-env the profile it wraps: 'work'"),
            "{err}"
        );
    }

    /// Each service's endpoint and the CA bundle by the SDK's precedence, the environment read
    /// once for all profiles: the service's variable, then `AWS_ENDPOINT_URL`, then the
    /// profile's `services` section, then its `endpoint_url`; a blank variable is unset;
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, when set, decides over the profile's setting.
    #[test]
    fn endpoints_follow_the_sdk_precedence() {
        let config = "[profile a]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
                      endpoint_url = http://a-profile\nservices = s\nca_bundle = ~/ca.pem\n\
                      [services s]\nsts =\n  endpoint_url = http://s-sts\n\
                      [profile b]\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n\
                      endpoint_url = http://b-profile\nignore_configured_endpoint_urls = true\n";
        let credentials = "[a]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = s\n\
                           [b]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = s\n";
        let places = |vars: &[(&str, &str)]| {
            let mut all = vec![
                ("AWS_CONFIG_FILE", "/t/config"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/t/credentials"),
                ("HOME", "/h"),
            ];
            all.extend_from_slice(vars);
            let profiles =
                Profiles::parse(&Env::from_slice(&all), &files(config, credentials), None).unwrap();
            ["a", "b"].map(|name| {
                let r = profiles.resolve(name).unwrap();
                [
                    r.endpoint_url,
                    r.iam_endpoint_url,
                    r.signin_endpoint_url,
                    r.sso_endpoint_url,
                    r.ca_bundle,
                ]
                .map(|v| v.unwrap_or_else(|| "-".into()))
                .join(" ")
            })
        };
        assert_eq!(
            places(&[]),
            [
                "http://s-sts http://a-profile http://a-profile http://a-profile /h/ca.pem",
                "- - - - -"
            ]
        );
        assert_eq!(
            places(&[
                ("AWS_ENDPOINT_URL", "http://any"),
                ("AWS_CA_BUNDLE", " /x.pem ")
            ]),
            [
                "http://any http://any http://any http://any /x.pem",
                "- - - - /x.pem"
            ]
        );
        assert_eq!(
            places(&[
                ("AWS_ENDPOINT_URL", "http://any"),
                ("AWS_ENDPOINT_URL_STS", "http://sts"),
                ("AWS_ENDPOINT_URL_IAM", " "),
                ("AWS_ENDPOINT_URL_SIGNIN", "http://signin"),
                ("AWS_ENDPOINT_URL_SSO", "http://sso"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"),
            ]),
            [
                "http://sts http://any http://signin http://sso /h/ca.pem",
                "http://sts http://any http://signin http://sso -"
            ]
        );
        assert_eq!(
            places(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")])[1],
            "http://b-profile http://b-profile http://b-profile http://b-profile -"
        );
        assert_eq!(
            places(&[
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", " TRUE "),
                ("AWS_ENDPOINT_URL_STS", "http://sts"),
            ])[0],
            "- - - - /h/ca.pem"
        );
        // Blank: unset, so b's own setting holds.
        assert_eq!(
            places(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "  ")])[1],
            "- - - - -"
        );
    }

    #[test]
    fn the_home_is_expanded_as_the_sdk_does() {
        assert_eq!(
            expand_home("~/.aws/config", Some("/h/")),
            PathBuf::from("/h/.aws/config")
        );
        assert_eq!(
            expand_home("~/.aws/config", None),
            PathBuf::from("~/.aws/config")
        );
        assert_eq!(
            expand_home("/etc/aws", Some("/h")),
            PathBuf::from("/etc/aws")
        );
        assert_eq!(expand_home("~x/y", Some("/h")), PathBuf::from("~x/y"));
    }

    /// Files the parser refuses: a mistake inside the sections a profile needs fails it with
    /// the parser's message; one in an unrelated section does not stop it (it resolves as if that
    /// section were not there); a header that does not close stops everything, as it may hide
    /// where any section starts.
    #[test]
    fn unparsable_files_fail_where_it_matters() {
        let good = "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
                    region = eu-west-1\n";
        let credentials = "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
                           aws_secret_access_key = s\n";
        let clean = outcome(resolve_in(&env(), &files(good, credentials), "dev"));
        assert!(
            clean.contains("eu-west-1") && clean.contains("ca_bundle: None"),
            "{clean}"
        );
        // (the lines, the line of the mistake once they follow "[profile X]", the parser's words)
        let broken_bodies = [
            ("no equals sign", 1, "Expected an '=' sign"),
            ("  continued", 1, "found continuation"),
            (
                "sts =\n  continued",
                2,
                "Expected an '=' sign defining a sub-property",
            ),
        ];
        for (lines, at, message) in broken_bodies {
            // After an unrelated section of two lines and `good` (three): line numbers count
            // from the file's start, not from what was kept.
            let inside = format!("[profile other]\nregion = x\n{good}[profile dev]\n{lines}\n");
            let err = outcome(resolve_in(&env(), &files(&inside, credentials), "dev"));
            let want = format!(
                "error: cannot read the AWS config files: error parsing /t/config on line {}: ",
                6 + at
            );
            assert!(
                err.starts_with(&want) && err.contains(message),
                "{lines:?} inside: {err}"
            );
            let elsewhere = format!("{good}[profile other]\n{lines}\n");
            let f = files(&elsewhere, credentials);
            assert!(
                Profiles::parse(&env(), &f, None).is_err(),
                "{lines:?} parses"
            );
            assert_eq!(
                outcome(resolve_in(&env(), &f, "dev")),
                clean,
                "{lines:?} elsewhere"
            );
        }
        let bom = format!("\u{feff}{good}");
        let err = outcome(resolve_in(&env(), &files(&bom, credentials), "dev"));
        assert!(
            err.contains("on line 1: ")
                && err.ends_with(
                    "/t/config starts with a UTF-8 byte-order mark: save it as UTF-8 without one"
                ),
            "{err}"
        );
        for at in ["[profile other\n", "[profile dev\n"] {
            let text = format!("{good}{at}region = x\n");
            let err = outcome(resolve_in(&env(), &files(&text, credentials), "dev"));
            assert!(err.contains("must end with ']'"), "{at:?}: {err}");
        }
    }

    fn name() -> impl Strategy<Value = String> {
        prop::sample::select(NAMES).prop_map(str::to_string)
    }

    /// A section header. The spacing inside the brackets is fixed per name: aws-config merges
    /// sections that normalize to one name (`[profile a]`, `[ profile  a ]`) in the order of a
    /// HashMap, so two such spellings with conflicting keys resolve differently from one run to
    /// the next even when everything is parsed. Same spelling repeated merges in file order.
    fn header(config: bool) -> impl Strategy<Value = String> {
        // Every header here parses; broken ones are `unparsable_files_*`'s business.
        let kinds: Vec<&'static str> = if config {
            vec!["profile", "bare", "services", "sso-session"]
        } else {
            vec!["bare", "profile"]
        };
        let comments = prop::sample::select(vec!["", " # note", ";note"]);
        (prop::sample::select(kinds), name(), comments).prop_map(|(kind, n, comment)| {
            let pad = if n.len() % 2 == 0 { " \t" } else { "" };
            let inner = match kind {
                "bare" => format!("{pad}{n}{pad}"),
                prefix => format!("{pad}{prefix} {pad}{n}{pad}"),
            };
            format!("[{inner}]{comment}")
        })
    }

    fn body_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("mfa_serial = arn:aws:iam::123456789012:mfa/alice".to_string()),
            Just("role_arn = arn:aws:iam::123456789012:role/R".to_string()),
            Just("assume_role = arn:aws:iam::123456789012:role/L".to_string()),
            name().prop_map(|n| format!("source_profile = {n}")),
            name().prop_map(|n| format!("source_profile = {n}  ")),
            name().prop_map(|n| format!("services = {n}")),
            Just("sts =\n  endpoint_url = http://127.0.0.1:9".to_string()),
            Just("region = eu-west-1".to_string()),
            Just("region = us-east-2 ; comment".to_string()),
            Just("duration_seconds = 3600".to_string()),
            Just("aws_access_key_id = AKIAIOSFODNN7EXAMPLE".to_string()),
            Just("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG".to_string()),
            Just("# [profile dev] in a comment".to_string()),
            // A continuation only after a property with a value: anywhere else it is an error.
            Just("mfa_process = echo 123456\n  continued".to_string()),
            Just(String::new()),
        ]
    }

    fn file(config: bool) -> impl Strategy<Value = String> {
        let section = (header(config), prop::collection::vec(body_line(), 0..5));
        (
            prop::collection::vec(section, 0..8),
            prop::bool::ANY,
            prop::option::of(Just("# prelude".to_string())),
        )
            .prop_map(|(sections, crlf, prelude)| {
                let eol = if crlf { "\r\n" } else { "\n" };
                let mut lines: Vec<String> = prelude.into_iter().collect();
                for (h, body) in sections {
                    lines.push(h);
                    lines.extend(body);
                }
                lines.join(eol).replace('\n', eol).replace("\r\r", "\r")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Parsing only the sections a profile needs resolves it exactly as parsing everything
        /// does. The generated files always parse, so every case is compared.
        #[test]
        fn resolving_from_the_kept_sections_matches_the_whole_files(
            config in file(true),
            credentials in file(false),
        ) {
            let f = files(&config, &credentials);
            let whole = Profiles::parse(&env(), &f, None);
            prop_assert!(whole.is_ok(), "the generator made an unparsable file: {:?}", whole.err());
            let whole = whole.map_err(|e| TestCaseError::fail(e.to_string()))?;
            for n in NAMES.iter().copied().chain(["dev ", "missing"]) {
                let fast = outcome(resolve_in(&env(), &f, n));
                prop_assert_eq!(outcome(whole.resolve(n)), fast, "profile {:?}", n);
            }
        }
    }
}
