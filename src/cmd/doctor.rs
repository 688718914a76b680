//! `mfa-env doctor [PROFILE]`: one line per check, ✓ (fine), ! (a warning) or ✗ (stops
//! authentication), each with what to do. Exit 3 when something stops authentication.
//!
//! Only what needs no MFA code is called: GetCallerIdentity and ListMFADevices, signed with the
//! long-term keys (the DenyAllExceptListedIfNoMFA policy allows both without MFA).

use std::path::PathBuf;

use crate::cli::DoctorArgs;
use crate::error::Exit;
use crate::profile::{KeySource, Profiles, Resolved};
use crate::sts::{CaBundle, Limits, Signer, Sts, StsError};

/// How far the local clock may be from STS's: TOTP codes made on this machine (`mfa_process`, a
/// desktop authenticator) are refused past about 30 s, signatures past 5 minutes.
const CLOCK_TOLERANCE: i64 = 30;

#[derive(Default)]
struct Report {
    text: String,
    problems: usize,
    warnings: usize,
}

impl Report {
    fn ok(&mut self, what: impl AsRef<str>) {
        self.text.push_str(&format!("✓ {}\n", what.as_ref()));
    }

    fn warn(&mut self, what: impl AsRef<str>) {
        self.warnings += 1;
        self.text.push_str(&format!("! {}\n", what.as_ref()));
    }

    fn fail(&mut self, what: impl AsRef<str>) {
        self.problems += 1;
        self.text.push_str(&format!("✗ {}\n", what.as_ref()));
    }

    fn skip(&mut self, what: impl AsRef<str>) {
        self.text.push_str(&format!("- {}\n", what.as_ref()));
    }
}

pub fn run(args: &DoctorArgs) -> anyhow::Result<i32> {
    let mut report = Report::default();
    let name = crate::auth::default_profile(args.profile_arg());
    check(&mut report, &name);
    let summary = match (report.problems, report.warnings) {
        (0, 0) => "no problem found".to_string(),
        (0, w) => format!("nothing stops authentication ({w} warning{})", plural(w)),
        (p, _) => format!(
            "{p} problem{} stop{} authentication",
            plural(p),
            if p == 1 { "s" } else { "" }
        ),
    };
    report.text.push_str(&format!("{summary}\n"));
    super::print_stdout(&report.text)?;
    Ok(if report.problems > 0 {
        Exit::Config.code()
    } else {
        0
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn one_line(e: &anyhow::Error) -> String {
    crate::one_line(e)
}

fn check(report: &mut Report, name: &str) {
    // The files.
    let files: Vec<(&str, PathBuf)> = vec![
        ("config file", crate::profile::config_file_path()),
        ("credentials file", crate::profile::credentials_file_path()),
    ];
    for (what, path) in &files {
        if path.is_file() {
            match open_to_others(path) {
                Some(mode) if *what == "credentials file" => report.warn(format!(
                    "{what} {} is readable by others (mode {mode:04o}): chmod 600 it, or move \
                     the keys to the keyring (`mfa-env keys import`)",
                    path.display()
                )),
                _ => report.ok(format!("{what} {}", path.display())),
            }
        } else {
            report.warn(format!(
                "no {what} at {} (set {} if yours is elsewhere)",
                path.display(),
                if *what == "config file" {
                    "AWS_CONFIG_FILE"
                } else {
                    "AWS_SHARED_CREDENTIALS_FILE"
                }
            ));
        }
    }
    let profiles = match Profiles::load() {
        Ok(p) => p,
        Err(e) => {
            report.fail(one_line(&e));
            return;
        }
    };
    report.ok("the files parse");

    // The profile.
    let resolved = match profiles.resolve(name) {
        Ok(r) if r.mfa_source().is_none() => {
            cache(report);
            shell_integration(report);
            console(report, &r);
            login(report, &r);
            return;
        }
        Ok(r) => {
            let serial = r.source.who();
            let what = if r.is_role() {
                format!(
                    "profile '{name}': role {} through '{}', MFA device {}",
                    r.roles
                        .iter()
                        .map(|r| r.role_arn.as_str())
                        .collect::<Vec<_>>()
                        .join(" -> "),
                    r.source_profile,
                    serial
                )
            } else {
                format!("profile '{name}': session token, MFA device {serial}")
            };
            report.ok(what);
            r
        }
        Err(e) => {
            report.fail(one_line(&e));
            // Without a device the keys and the endpoint can still be checked.
            match profiles.resolve_without_device(name) {
                Ok(r) => r,
                Err(_) => return,
            }
        }
    };

    cache(report);
    shell_integration(report);
    console(report, &resolved);

    // The keys, then STS with them: reachable, trusted, the keys valid, its clock.
    let Some(mfa) = resolved.mfa_source() else {
        return;
    };
    let keys = match mfa.keys.load() {
        Ok(k) => {
            let from = match &mfa.keys {
                KeySource::File(_) => "the files".to_string(),
                KeySource::Process { .. } => "its credential_process".to_string(),
                KeySource::Store { .. } => crate::keystore::store_name().to_string(),
            };
            report.ok(format!(
                "long-term keys of '{}': {} from {from}",
                resolved.source_profile,
                crate::error::mask_key(&k.access_key_id)
            ));
            k
        }
        Err(e) => {
            report.fail(one_line(&e));
            report.skip("STS, the clock and the MFA device: not checked without keys");
            return;
        }
    };
    network(report, &resolved, mfa, &keys);
}

/// A profile whose chain starts from an AWS Sign-In session: the session in the login cache,
/// its credentials (refreshed if they are ending, as any use would), STS with them, the clock.
fn login(report: &mut Report, r: &Resolved) {
    let l = match &r.source {
        crate::profile::Source::Login(l) => l,
        crate::profile::Source::Sso(s) => {
            report.ok(format!(
                "profile '{}': {}IAM Identity Center role {} in account {} ({}, {})",
                r.name,
                if r.is_role() {
                    format!("role {} through the ", r.roles[r.roles.len() - 1].role_arn)
                } else {
                    String::new()
                },
                s.role_name,
                s.account_id,
                s.start_url,
                s.sso_region
            ));
            source_credentials(report, r, "the IAM Identity Center credentials");
            return;
        }
        crate::profile::Source::Mfa(_) => return,
    };
    let roles = r
        .roles
        .iter()
        .map(|r| r.role_arn.as_str())
        .collect::<Vec<_>>()
        .join(" -> ");
    report.ok(if r.is_role() {
        format!(
            "profile '{}': role {roles} through the AWS Sign-In session of '{}' ({})",
            r.name, r.source_profile, l.session
        )
    } else {
        format!("profile '{}': AWS Sign-In session {}", r.name, l.session)
    });
    match crate::signin::oauth_base(r.region.as_deref(), r.signin_endpoint_url.as_deref()) {
        Ok(base) => report.ok(format!("Sign-In service: {base}")),
        Err(e) => {
            report.fail(one_line(&e));
            return;
        }
    }
    let path = crate::login::cache_path(&l.session);
    let token = match crate::login::read(&l.session, &r.source_profile) {
        Ok(Some(t)) => t,
        Ok(None) => {
            report.fail(format!(
                "no AWS Sign-In session at {}: sign in with `mfa-env login {}`",
                path.display(),
                crate::shell::hint::arg(&r.source_profile)
            ));
            return;
        }
        Err(e) => {
            report.fail(one_line(&e));
            return;
        }
    };
    match open_to_others(&path) {
        Some(mode) => report.warn(format!(
            "login session {} is readable by others (mode {mode:04o}): chmod 600 it",
            path.display()
        )),
        None => report.ok(format!("login session {}", path.display())),
    }
    let left = token.credentials.seconds_left();
    if left > 0 {
        report.ok(format!(
            "its credentials: {} left, then refreshed without a browser",
            crate::shell::prompt::time_left(left)
        ));
    } else {
        report.ok("its credentials have expired: the next use refreshes them");
    }
    drop(token);
    if source_credentials(report, r, "the session's credentials") {
        report.skip(format!(
            "MFA conditions: whether a Sign-In session satisfies aws:MultiFactorAuthPresent in \
             this account's policies is not visible from here; run a call they guard, e.g. \
             `mfa-env exec {} -- aws iam list-users`: an explicit deny means it does not",
            crate::shell::hint::arg(&r.name)
        ));
    }
}

/// The credentials of a source signed in elsewhere, as any use gets them (refreshed or
/// fetched when due), then STS and the clock with them. Whether STS took them.
fn source_credentials(report: &mut Report, r: &Resolved, whose: &str) -> bool {
    let mut auth = match crate::auth::Authenticator::new(
        crate::auth::Request {
            profile: r.source_profile.clone(),
            ..Default::default()
        },
        crate::auth::DEFAULT_MARGIN,
    ) {
        Ok(a) => a,
        Err(e) => {
            report.fail(one_line(&e));
            return false;
        }
    };
    let creds = match auth.credentials(0) {
        Ok((creds, origin)) => {
            if origin == crate::auth::Origin::Sts {
                report.ok(match r.source {
                    crate::profile::Source::Login(_) => {
                        "the refresh token works: the credentials were just refreshed"
                    }
                    _ => "the sign-in works: the credentials were just fetched",
                });
            }
            creds
        }
        Err(e) => {
            report.fail(one_line(&e));
            return false;
        }
    };
    let signer = Signer {
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        session_token: Some(&creds.session_token),
    };
    let Some(net) = Net::new(report, r) else {
        return false;
    };
    let again = match r.source {
        crate::profile::Source::Sso(_) => "sign in again with `aws sso login`".to_string(),
        _ => format!(
            "sign in again with `mfa-env login {}`",
            crate::shell::hint::arg(&r.source_profile)
        ),
    };
    let (arn, _) = sts_and_clock(report, r, &net, &signer, whose, |code| {
        format!("STS refused {whose} ({code}): {again}")
    });
    arn.is_some()
}

fn network(
    report: &mut Report,
    r: &Resolved,
    mfa: &crate::profile::MfaSource,
    keys: &crate::profile::LongTermKeys,
) {
    let signer = Signer {
        access_key_id: &keys.access_key_id,
        secret_access_key: &keys.secret_access_key,
        session_token: None,
    };
    let Some(net) = Net::new(report, r) else {
        return;
    };
    let (arn, why_not) = sts_and_clock(report, r, &net, &signer, "the keys", |code| {
        one_line(&mfa.keys.rejected(&r.source_profile, code))
    });
    let Net { rt, limits, ca } = net;
    let Some(arn) = arn else {
        report.skip(format!("MFA device: not checked ({why_not})"));
        return;
    };
    let Some(user) = crate::iam::user_name(&arn) else {
        report.skip(format!("MFA device: {arn} is not an IAM user; not checked"));
        return;
    };
    let iam = crate::iam::Iam::new(
        &signer,
        r.region.as_deref(),
        r.iam_endpoint_url.as_deref(),
        ca.as_ref(),
        limits,
    );
    device(report, r, mfa, &rt, &iam, &user);
}

/// What the network checks share: the runtime, the limits, the CA bundle.
struct Net {
    rt: tokio::runtime::Runtime,
    limits: Limits,
    ca: Option<CaBundle>,
}

impl Net {
    fn new(report: &mut Report, r: &Resolved) -> Option<Net> {
        let setup = || -> anyhow::Result<Net> {
            let limits = Limits::from_env()?;
            let ca = r.ca_bundle.as_deref().map(CaBundle::load).transpose()?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            Ok(Net { rt, limits, ca })
        };
        match setup() {
            Ok(net) => Some(net),
            Err(e) => {
                report.fail(one_line(&e));
                None
            }
        }
    }
}

/// STS with `signer` (GetCallerIdentity): reachable, trusted, `whose` valid (`rejected` words
/// a refusal), and the clock against its Date. The ARN, or why there is none.
fn sts_and_clock(
    report: &mut Report,
    r: &Resolved,
    net: &Net,
    signer: &Signer<'_>,
    whose: &str,
    rejected: impl Fn(&str) -> String,
) -> (Option<String>, &'static str) {
    let endpoint = crate::sts::endpoint(r.region.as_deref(), r.endpoint_url.as_deref());
    let sts = Sts::new(
        signer,
        r.region.as_deref(),
        r.endpoint_url.as_deref(),
        &crate::sts::http_client(&endpoint, net.ca.as_ref()),
        net.limits,
    );
    let started = crate::sts::now();
    let (arn, why_not) = match net.rt.block_on(sts.caller_arn()) {
        Ok(arn) => {
            report.ok(format!("STS at {endpoint} answers; {whose} are {arn}'s"));
            (Some(arn), "")
        }
        // The message says what to check (the network or VPN, the endpoint).
        Err(e @ (StsError::Unreachable { .. } | StsError::Timeout { .. })) => {
            report.fail(e.to_string());
            (None, "STS did not answer")
        }
        Err(StsError::InvalidKeys { code, .. }) => {
            report.fail(rejected(&code));
            (None, "STS refused the keys")
        }
        Err(e) => {
            report.fail(e.to_string());
            (None, "STS refused the keys")
        }
    };
    match sts.server_date() {
        Some(server) => {
            // The answer came between `started` and now: compare with the middle.
            let local = (started + crate::sts::now()) / 2;
            let skew = local - server;
            let how = if skew >= 0 { "ahead of" } else { "behind" };
            if skew.abs() <= CLOCK_TOLERANCE {
                report.ok(format!("clock: within {} s of STS's", skew.abs().max(1)));
            } else {
                report.fail(format!(
                    "clock: {} s {how} STS's: codes made on this machine are refused past about \
                     {CLOCK_TOLERANCE} s (and signatures past 5 minutes); set the time \
                     automatically (timedatectl set-ntp true; on macOS and Windows, the date \
                     settings), and check the phone's clock too",
                    skew.abs()
                ));
            }
        }
        None if why_not == "STS did not answer" => {
            report.skip("clock: not checked (STS did not answer)")
        }
        None => report.skip("clock: no Date in STS's answer to compare with"),
    }
    (arn, why_not)
}

/// The profile's MFA device among the IAM user's.
fn device(
    report: &mut Report,
    r: &Resolved,
    mfa: &crate::profile::MfaSource,
    rt: &tokio::runtime::Runtime,
    iam: &crate::iam::Iam,
    user: &str,
) {
    if mfa.serial.is_empty() {
        // Already counted above, with the line to add: say what IAM has for the user.
        let has = match rt.block_on(iam.list_mfa_devices(user)) {
            Ok(devices) if devices.is_empty() => "none".to_string(),
            Ok(devices) => devices.join(", "),
            Err(_) => "unknown (IAM could not be asked)".to_string(),
        };
        report.skip(format!(
            "MFA device of IAM user '{user}': {has}; `mfa-env setup {}` enrolls one or writes it",
            crate::shell::hint::arg(&r.source_profile)
        ));
        return;
    }
    match rt.block_on(iam.list_mfa_devices(user)) {
        Ok(devices) if devices.contains(&mfa.serial) => {
            report.ok(format!(
                "MFA device {} belongs to IAM user '{user}'",
                mfa.serial
            ));
        }
        Ok(devices) => report.fail(format!(
            "mfa_serial {} is not a device of IAM user '{user}' ({}): {}",
            mfa.serial,
            if devices.is_empty() {
                "it has none".to_string()
            } else {
                format!("it has {}", devices.join(", "))
            },
            if devices.is_empty() {
                format!(
                    "enroll one with `mfa-env setup {}`",
                    crate::shell::hint::arg(&r.source_profile)
                )
            } else {
                "put one of those in mfa_serial".to_string()
            }
        )),
        Err(e) => report.warn(format!(
            "MFA device: IAM could not be asked ({e}); not checked"
        )),
    }
}

/// Where `mfa-env console` would sign in (no call: the federation endpoint needs credentials).
fn console(report: &mut Report, r: &Resolved) {
    let partition = crate::auth::partition(r.region.as_deref());
    let Some(hosts) = crate::signin::hosts(partition) else {
        report.skip(format!(
            "console: mfa-env knows no console for the {partition} partition"
        ));
        return;
    };
    if !r.is_role() {
        let roles = crate::profile::Profiles::load()
            .map(|p| p.roles_of(&r.source_profile))
            .unwrap_or_default();
        let instead = match roles.first() {
            Some(role) => format!(": use a role profile of it, such as `mfa-env console {role}`"),
            None => ": add a role profile with source_profile = it".to_string(),
        };
        report.skip(format!(
            "console: '{}' has no role, and the console's sign-in takes role credentials only{instead}",
            r.name
        ));
        return;
    }
    let signin = r.signin_endpoint_url.as_deref().unwrap_or(hosts.signin);
    report.ok(format!(
        "console: `mfa-env console {}` signs in through the Sign-In service at {signin}/federation",
        crate::shell::hint::arg(&r.name)
    ));
}

fn cache(report: &mut Report) {
    match crate::cache::Cache::open() {
        Ok(c) => report.ok(format!("session cache {} is private", c.dir().display())),
        Err(e) => report.fail(one_line(&e)),
    }
}

/// Whether this shell loads `mfa-env init`: run through the `mfa` wrapper it is; else the rc file
/// of the shell that started doctor is read for it.
fn shell_integration(report: &mut Report) {
    if std::env::var_os("MFA_ENV_WRAPPER").is_some() {
        report.ok("shell integration: loaded (run through it)");
        return;
    }
    let Some((shell, _)) = crate::shell::calling_shell() else {
        report.skip("shell integration: the calling shell is unknown; not checked");
        return;
    };
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".config"));
    let rc: Vec<PathBuf> = match shell.name() {
        "bash" => vec![home.join(".bashrc"), home.join(".bash_profile")],
        "zsh" => vec![std::env::var_os("ZDOTDIR")
            .map(PathBuf::from)
            .unwrap_or(home.clone())
            .join(".zshrc")],
        "fish" => vec![config.join("fish/config.fish")],
        "elvish" => vec![config.join("elvish/rc.elv"), home.join(".elvish/rc.elv")],
        "tcsh" => vec![home.join(".tcshrc"), home.join(".cshrc")],
        "xonsh" => vec![home.join(".xonshrc"), config.join("xonsh/rc.xsh")],
        "nu" => vec![config.join("nushell/config.nu")],
        _ => Vec::new(),
    };
    if rc.is_empty() {
        report.skip(format!(
            "shell integration: not checked for {}",
            shell.name()
        ));
        return;
    }
    let found = rc.iter().find(|p| {
        std::fs::read_to_string(p)
            .is_ok_and(|t| t.contains("mfa-env init") || t.contains("mfa-env.nu"))
    });
    match found {
        Some(p) => report.ok(format!("shell integration: loaded by {}", p.display())),
        None => report.warn(format!(
            "shell integration: not in {} (optional: `mfa PROFILE`, a prompt countdown, \
             completion); see `mfa-env init {}`",
            rc[0].display(),
            shell.name()
        )),
    }
}

/// The mode of a file others can read or write, if it is one.
#[cfg(unix)]
fn open_to_others(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn open_to_others(_path: &std::path::Path) -> Option<u32> {
    None
}
