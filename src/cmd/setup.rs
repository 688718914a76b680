//! `mfa-env setup PROFILE [--role ARN [--name NAME]] [--yes] [--show-secret]`: from an IAM
//! user's keys to a working MFA profile. Finds the user, enrolls a virtual MFA device when it
//! has none (a QR code on the terminal, two consecutive codes), then shows the change to the
//! config file and writes it only after the user agrees. The only command that writes the
//! config file; the credentials file is never written, and the device's secret goes nowhere
//! but the terminal.

use zeroize::Zeroizing;

use crate::cli::SetupArgs;
use crate::config_edit;
use crate::error::{fail, Exit};
use crate::iam::Iam;
use crate::profile::{LongTermKeys, Profiles, Resolved};
use crate::sts::{CaBundle, Limits, Signer, Sts, StsError};
use crate::tty::{read_line, show, Ask};

/// What a profile's long-term keys can do before any MFA: the calls AWS lets a user without
/// a device make under the DenyAllExceptListedIfNoMFA policy.
pub struct UserContext {
    pub resolved: Resolved,
    /// The profile's `mfa_serial`; empty before setup writes one.
    pub serial: String,
    pub keys: LongTermKeys,
    pub user: String,
    pub account: String,
    /// The user's partition (aws, aws-cn, aws-us-gov), from its ARN.
    pub partition: String,
    pub rt: tokio::runtime::Runtime,
    pub limits: Limits,
    pub ca: Option<CaBundle>,
}

impl UserContext {
    /// The IAM user behind `profile`'s keys (GetCallerIdentity with them).
    pub fn new(profile: &str, verb: &str) -> anyhow::Result<UserContext> {
        let profiles = Profiles::load()?;
        let owner = profiles.key_owner(profile, verb)?;
        let (resolved, keys) = if owner.known {
            let resolved = profiles.resolve_without_device(&owner.profile)?;
            let keys = resolved.mfa(&format!("`mfa-env {verb}`"))?.keys.load()?;
            (resolved, keys)
        } else {
            // Keys stored before any file names the profile (`keys add work`, then `setup
            // work`): setup writes the section it needs.
            match crate::keystore::lookup(&owner.profile) {
                Ok(crate::keystore::Lookup::Found(keys)) => {
                    (profiles.resolve_new(&owner.profile)?, keys)
                }
                Ok(_) => return Err(profiles.not_found(profile)),
                Err(e) => {
                    return Err(fail(
                        Exit::Config,
                        format!(
                            "{:#}; the keyring could not be checked for keys stored first ({e:#})",
                            profiles.not_found(profile)
                        ),
                    ))
                }
            }
        };
        let limits = Limits::from_env()?;
        let ca = resolved
            .ca_bundle
            .as_deref()
            .map(CaBundle::load)
            .transpose()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(Exit::Other, format!("cannot start the async runtime: {e}")))?;
        let endpoint =
            crate::sts::endpoint(resolved.region.as_deref(), resolved.endpoint_url.as_deref());
        let sts = Sts::new(
            &signer(&keys),
            resolved.region.as_deref(),
            resolved.endpoint_url.as_deref(),
            &crate::sts::http_client(&endpoint, ca.as_ref()),
            limits,
        );
        let arn = rt.block_on(sts.caller_arn()).map_err(|e| match e {
            StsError::InvalidKeys { code, .. } => match resolved.mfa_source() {
                Some(m) => m.keys.rejected(&resolved.source_profile, &code),
                None => StsError::InvalidKeys {
                    code,
                    session: false,
                }
                .into_failure(),
            },
            e => e.into_failure(),
        })?;
        let user = crate::iam::user_name(&arn).ok_or_else(|| {
            fail(
                Exit::Config,
                format!(
                    "the keys of '{}' belong to {arn}, not to an IAM user: MFA devices here are \
                     an IAM user's",
                    owner.profile
                ),
            )
        })?;
        let account = arn.split(':').nth(4).unwrap_or_default().to_string();
        let partition = arn.split(':').nth(1).unwrap_or("aws").to_string();
        Ok(UserContext {
            serial: resolved
                .mfa_source()
                .map(|m| m.serial.clone())
                .unwrap_or_default(),
            resolved,
            keys,
            user,
            account,
            partition,
            rt,
            limits,
            ca,
        })
    }

    /// IAM, signed with `signer` (the long-term keys, or an MFA session).
    pub fn iam(&self, signer: &Signer<'_>) -> Iam {
        Iam::new(
            signer,
            self.resolved.region.as_deref(),
            self.resolved.iam_endpoint_url.as_deref(),
            self.ca.as_ref(),
            self.limits,
        )
    }

    pub fn long_term(&self) -> Signer<'_> {
        signer(&self.keys)
    }
}

fn signer(keys: &LongTermKeys) -> Signer<'_> {
    Signer {
        access_key_id: &keys.access_key_id,
        secret_access_key: &keys.secret_access_key,
        session_token: None,
    }
}

const NO_TERMINAL: &str = "enrolling a device needs a terminal to show the QR code and read two \
                           codes on: run `mfa-env setup` in one";

pub fn run(args: &SetupArgs) -> anyhow::Result<i32> {
    if let Some(role) = &args.role {
        check_role(role)?;
    }
    if let Some(name) = &args.name {
        check_profile_name(name)?;
    }
    let ctx = UserContext::new(args.profile_name(), "setup")?;
    let p = ctx.resolved.source_profile.clone();
    // A role named without its ARN is one of the user's account, known now.
    let role = args
        .role
        .as_deref()
        .map(|role| match role.starts_with("arn:") {
            true => role.to_string(),
            false => format!("arn:{}:iam::{}:role/{role}", ctx.partition, ctx.account),
        });
    let role = role.map(|arn| (role_profile_name(&arn, args.name.as_deref(), &p), arn));
    if role.as_ref().is_some_and(|(name, _)| *name == p) {
        return Err(fail(
            Exit::Usage,
            format!(
                "the role profile needs a name of its own, not '{p}' (the profile with the \
                 keys): give --name another"
            ),
        ));
    }
    let iam = ctx.iam(&ctx.long_term());
    let devices = ctx
        .rt
        .block_on(iam.list_mfa_devices(&ctx.user))
        .map_err(StsError::into_failure)?;
    let (serial, enrolled) = match devices.as_slice() {
        [] => (enroll(&ctx, &iam, args.show_secret)?, true),
        found => {
            // The one configured, if it is the user's; else the first.
            let serial = found
                .iter()
                .find(|d| **d == ctx.serial)
                .unwrap_or(&found[0])
                .clone();
            eprintln!(
                "mfa-env: IAM user '{}' already has {}: {}",
                ctx.user,
                if found.len() == 1 {
                    "an MFA device".to_string()
                } else {
                    format!("{} MFA devices", found.len())
                },
                found
                    .iter()
                    .map(|s| shown(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            check_serial(&serial, "nothing written", iam.endpoint())?;
            (serial, false)
        }
    };
    write_config(args, &p, &serial, role, enrolled)
}

/// A serial IAM gave, for the terminal: as it is when it is one, else quoted with its control
/// characters escaped (an escape sequence in it would act on the terminal).
pub(super) fn shown(serial: &str) -> String {
    if crate::profile::is_serial(serial) {
        serial.to_string()
    } else {
        format!("{serial:?}")
    }
}

/// A serial IAM gave is written to the config file and read by STS: it must be one as STS
/// defines it, like a configured mfa_serial (a newline in it would add lines to the file).
fn check_serial(serial: &str, outcome: &str, endpoint: &str) -> anyhow::Result<()> {
    if crate::profile::is_serial(serial) {
        return Ok(());
    }
    Err(fail(
        Exit::Network,
        format!(
            "IAM answered with the MFA device serial {}, which is not one (9-256 characters of \
             letters, digits and _+=/:,.@-); {outcome}: check the IAM endpoint ({})",
            shown(serial),
            endpoint
        ),
    ))
}

/// The name of the role profile `--role` adds: `--name`, else PROFILE-ROLENAME.
fn role_profile_name(role_arn: &str, name: Option<&str>, profile: &str) -> String {
    match name {
        Some(n) => n.to_string(),
        None => format!(
            "{profile}-{}",
            role_arn.rsplit('/').next().unwrap_or("role").to_lowercase()
        ),
    }
}

/// A profile name the config file can hold in a header as it is: no spaces, brackets or
/// comment characters.
fn check_profile_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@+=,/:".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(fail(
            Exit::Usage,
            "--name must be a profile name: letters, digits and - _ . @ + = , / :",
        ))
    }
}

/// `--role`: a role ARN, or the name of a role of the user's account (NAME or PATH/NAME).
fn check_role(role: &str) -> anyhow::Result<()> {
    if role.starts_with("arn:") {
        return check_role_arn(role);
    }
    let ok = !role.is_empty()
        && role.len() <= 512
        && !role.starts_with('/')
        && !role.ends_with('/')
        && role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(fail(
            Exit::Usage,
            "--role must be a role ARN (arn:aws:iam::123456789012:role/NAME) or the name of a \
             role of the user's account (NAME, or PATH/NAME)",
        ))
    }
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/NAME`.
fn check_role_arn(arn: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].strip_prefix("role/").is_some_and(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
        });
    if ok {
        Ok(())
    } else {
        Err(fail(
            Exit::Usage,
            "--role must be a role ARN: arn:aws:iam::123456789012:role/NAME",
        ))
    }
}

/// Creates a virtual MFA device for the user, shows it as a QR code, and enables it with two
/// consecutive codes. A device that could not be enabled is deleted again.
fn enroll(ctx: &UserContext, iam: &Iam, show_secret: bool) -> anyhow::Result<String> {
    // A terminal first: a device created with nowhere to show it would be left behind.
    show("", NO_TERMINAL)?;
    // From here until the device is enabled or deleted again, a signal (the terminal closed, a
    // kill) ends the read at the prompt rather than the process, so the device is cleaned up.
    let _hold = HoldSignals::new();
    let (serial, seed) = create_device(ctx, iam)?;
    let undo = |e: anyhow::Error| -> anyhow::Error {
        let exit = crate::error::exit_kind(&e).unwrap_or(Exit::Other);
        match ctx.rt.block_on(iam.delete_virtual_mfa_device(&serial)) {
            Ok(()) => fail(
                exit,
                format!("{e:#}; the new device was deleted, nothing changed"),
            ),
            Err(d) => fail(
                exit,
                format!(
                    "{e:#}; deleting the new device {} failed too ({d}): delete it in the console",
                    shown(&serial)
                ),
            ),
        }
    };
    let result = check_serial(&serial, "it was not enabled", iam.endpoint())
        .and_then(|()| show_and_enable(ctx, iam, &serial, &seed, show_secret));
    match result {
        Ok(()) => {
            eprintln!(
                "mfa-env: MFA device {serial} is enabled for IAM user '{}'",
                ctx.user
            );
            Ok(serial)
        }
        Err(e) => Err(undo(e)),
    }
}

/// A new virtual device named after the user. One of that name left unassigned (an enrollment
/// that was killed) is deleted first: its secret is lost, so it can never be enabled.
fn create_device(ctx: &UserContext, iam: &Iam) -> anyhow::Result<(String, Zeroizing<String>)> {
    match ctx.rt.block_on(iam.create_virtual_mfa_device(&ctx.user)) {
        Err(StsError::Http { status: 409, .. }) => {
            let leftover = ctx
                .rt
                .block_on(iam.unassigned_virtual_mfa_devices())
                .map_err(StsError::into_failure)?
                .into_iter()
                .find(|s| s.ends_with(&format!(":mfa/{}", ctx.user)))
                .ok_or_else(|| {
                    fail(
                        Exit::Config,
                        format!(
                            "a virtual MFA device named '{}' already exists and is in use: remove \
                             it first (`mfa-env device list`, `mfa-env device remove --serial \
                             ARN`)",
                            ctx.user
                        ),
                    )
                })?;
            ctx.rt
                .block_on(iam.delete_virtual_mfa_device(&leftover))
                .map_err(StsError::into_failure)?;
            eprintln!(
                "mfa-env: deleted {leftover}, a device an unfinished enrollment left unenabled"
            );
            ctx.rt
                .block_on(iam.create_virtual_mfa_device(&ctx.user))
                .map_err(StsError::into_failure)
        }
        other => other.map_err(StsError::into_failure),
    }
}

/// While alive: SIGINT, SIGTERM, SIGHUP and SIGQUIT end a blocked read (EINTR) instead of the
/// process, so a device being enrolled is deleted before mfa-env ends. (At the prompt the
/// terminal is raw: Ctrl-C is a byte already.)
struct HoldSignals {
    #[cfg(unix)]
    saved: Vec<(libc::c_int, libc::sigaction)>,
}

impl HoldSignals {
    #[cfg(unix)]
    fn new() -> HoldSignals {
        extern "C" fn nothing(_: libc::c_int) {}
        let mut saved = Vec::new();
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
            // SAFETY: sigaction is plain data; the handler does nothing, and no SA_RESTART,
            // so a read it interrupts returns EINTR.
            unsafe {
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = nothing as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut new.sa_mask);
                new.sa_flags = 0;
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &new, &mut old) == 0 {
                    saved.push((sig, old));
                }
            }
        }
        HoldSignals { saved }
    }

    #[cfg(not(unix))]
    fn new() -> HoldSignals {
        HoldSignals {}
    }
}

#[cfg(unix)]
impl Drop for HoldSignals {
    fn drop(&mut self) {
        for (sig, old) in &self.saved {
            // SAFETY: restoring what sigaction returned for the same signal.
            unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
        }
    }
}

fn show_and_enable(
    ctx: &UserContext,
    iam: &Iam,
    serial: &str,
    seed: &str,
    show_secret: bool,
) -> anyhow::Result<()> {
    let label = format!("Amazon Web Services:{}@{}", ctx.user, ctx.account);
    let uri = Zeroizing::new(format!(
        "otpauth://totp/{}?secret={seed}&issuer=Amazon%20Web%20Services",
        percent_encode(&label)
    ));
    let lines = crate::qr::lines(&uri)
        .ok_or_else(|| fail(Exit::Other, "the device's secret does not fit a QR code"))?;
    let mut screen = Zeroizing::new(String::from(
        "\nScan this QR code with your authenticator app (Google Authenticator, Authy, 1Password, …):\n\n",
    ));
    for line in &lines {
        screen.push_str(line);
        screen.push('\n');
    }
    screen.push('\n');
    let typed_key = Zeroizing::new(format!("Or type this secret key in the app: {seed}\n\n"));
    if show_secret {
        screen.push_str(&typed_key);
    } else {
        screen
            .push_str("(Cannot scan? Type k at the prompt to see the key to type in instead.)\n\n");
    }
    // The QR code and the key are the device's secret: drawn on the alternate screen, they
    // leave the screen (and the scrollback) with it, whatever the outcome.
    let _screen = SecretScreen::enter()?;
    show(&screen, NO_TERMINAL)?;
    drop(Zeroizing::new(lines));
    let ask = Ask {
        noun: "MFA code",
        no_terminal: NO_TERMINAL,
        exit: Exit::Mfa,
        echo: false,
    };
    let mut tries = 3;
    loop {
        let first = read_line("Enter the code the app shows: ", &ask)?;
        if first.trim().eq_ignore_ascii_case("k") {
            show(&format!("\n{}", typed_key.as_str()), NO_TERMINAL)?;
            continue;
        }
        let first = crate::mfa::normalize(&first, "the first code")?;
        let second = read_line("Wait for the next code, then enter it: ", &ask)?;
        let second = crate::mfa::normalize(&second, "the second code")?;
        if *first == *second {
            tries -= 1;
            if tries == 0 {
                return Err(fail(
                    Exit::Mfa,
                    "the two codes must be consecutive, not the same",
                ));
            }
            eprintln!(
                "mfa-env: that is the same code twice: wait for the app to show the next one"
            );
            continue;
        }
        match ctx
            .rt
            .block_on(iam.enable_mfa_device(&ctx.user, serial, (&first, &second)))
        {
            Ok(()) => return Ok(()),
            Err(StsError::Invalid { message, .. })
            | Err(StsError::Http {
                detail: message, ..
            }) if tries > 1 && message.to_lowercase().contains("authentication code") => {
                tries -= 1;
                eprintln!(
                    "mfa-env: AWS refused the codes: enter two consecutive codes, and check that \
                     the phone's clock is right ({tries} {} left)",
                    if tries == 1 { "try" } else { "tries" }
                );
            }
            Err(e) => return Err(e.into_failure()),
        }
    }
}

/// The terminal's alternate screen while alive (as `less` and editors use it): what is drawn
/// there is gone from the screen and the scrollback once it is left, on every path out.
struct SecretScreen;

impl SecretScreen {
    fn enter() -> anyhow::Result<SecretScreen> {
        // Enter, then start at the top of a clear screen.
        show("\x1b[?1049h\x1b[H\x1b[2J", NO_TERMINAL)?;
        Ok(SecretScreen)
    }
}

impl Drop for SecretScreen {
    fn drop(&mut self) {
        let _ = show("\x1b[?1049l", NO_TERMINAL);
    }
}

/// RFC 3986 percent-encoding of everything but unreserved characters and `@` and `:`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~@:".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Shows the change to the config file and writes it once the user agrees. `role`: the role
/// profile to add, its name and role ARN. `enrolled`: the device was enrolled just now.
fn write_config(
    args: &SetupArgs,
    profile: &str,
    serial: &str,
    role: Option<(String, String)>,
    enrolled: bool,
) -> anyhow::Result<i32> {
    // Each profile with the keys it gets, set in one edit (a new section gets them all).
    let mut wanted = vec![(
        profile.to_string(),
        vec![("mfa_serial", serial.to_string())],
    )];
    let mut try_profile = profile.to_string();
    if let Some((name, arn)) = role {
        try_profile = name.clone();
        wanted.push((
            name,
            vec![("role_arn", arn), ("source_profile", profile.to_string())],
        ));
    }
    let rerun = format!("mfa-env setup {}", crate::shell::hint::arg(profile));
    let outcome = config_edit::propose(&wanted, args.yes, &rerun)?;
    let path = crate::profile::config_file_path();
    let try_it = crate::shell::hint::apply(crate::shell::detect(), Some(&try_profile));
    match outcome {
        config_edit::Outcome::Unchanged if enrolled => {
            // A device enrolled again after `device remove` is named after the user as the old
            // one was: the same serial, so the file is right as it is.
            eprintln!(
                "mfa-env: re-enrolled: the new device has the serial of the old one, {serial}, \
                 which {} already names: nothing to change there; try it: {try_it}",
                path.display()
            );
        }
        config_edit::Outcome::Unchanged => eprintln!(
            "mfa-env: {} already says all of it; try it: {try_it}",
            path.display()
        ),
        config_edit::Outcome::Declined => {
            eprintln!("mfa-env: nothing written; add the lines above yourself when you want them")
        }
        config_edit::Outcome::Written => {
            eprintln!("mfa-env: wrote {}; try it: {try_it}", path.display())
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_and_labels() {
        assert!(check_role_arn("arn:aws:iam::123456789012:role/Admin").is_ok());
        assert!(check_role_arn("arn:aws-cn:iam::123456789012:role/team/Deploy").is_ok());
        for bad in [
            "Admin",
            "arn:aws:iam::123:role/Admin",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
        ] {
            assert!(check_role_arn(bad).is_err(), "{bad}");
        }
        assert!(check_profile_name("work-admin").is_ok());
        for bad in ["", "a b", "x#y", "a;b", "a]b", "a[b"] {
            assert!(check_profile_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            percent_encode("Amazon Web Services:a+b@123"),
            "Amazon%20Web%20Services:a%2Bb@123"
        );
    }
}
