//! `mfa-env device list|remove [PROFILE]`: the MFA devices of a profile's IAM user. Listing
//! needs only the long-term keys (AWS lets a user list its devices without MFA); removing
//! (DeactivateMFADevice, then DeleteVirtualMFADevice for a virtual one) needs the MFA session,
//! and asks first.

use crate::auth::{default_profile, margin, Authenticator, Request};
use crate::cli::{DeviceCommand, DeviceListArgs, DeviceRemoveArgs};
use crate::cmd::setup::UserContext;
use crate::error::{fail, Exit};
use crate::sts::{Signer, StsError};
use crate::tty::confirm;

pub fn run(command: DeviceCommand) -> anyhow::Result<i32> {
    match command {
        DeviceCommand::List(args) => list(&args),
        DeviceCommand::Remove(args) => remove(&args),
    }
}

fn list(args: &DeviceListArgs) -> anyhow::Result<i32> {
    let ctx = UserContext::new(&default_profile(args.profile_arg()), "device list")?;
    let iam = ctx.iam(&ctx.long_term());
    let devices = ctx
        .rt
        .block_on(iam.list_mfa_devices(&ctx.user))
        .map_err(StsError::into_failure)?;
    if devices.is_empty() {
        eprintln!(
            "mfa-env: IAM user '{}' has no MFA device: enroll one with `mfa-env setup {}`",
            ctx.user,
            crate::shell::hint::arg(&ctx.resolved.source_profile)
        );
        return Ok(0);
    }
    let mut text = String::new();
    for d in &devices {
        let mark = if *d == ctx.serial {
            format!("  (mfa_serial of '{}')", ctx.resolved.source_profile)
        } else {
            String::new()
        };
        // A serial IAM gave may not be one: shown escaped, never as control characters.
        text.push_str(&format!("{}{mark}\n", super::setup::shown(d)));
    }
    super::print_stdout(&text)?;
    Ok(0)
}

fn remove(args: &DeviceRemoveArgs) -> anyhow::Result<i32> {
    let ctx = UserContext::new(&default_profile(args.profile_arg()), "device remove")?;
    let p = ctx.resolved.source_profile.clone();
    let serial = match (&args.serial, ctx.serial.as_str()) {
        (Some(s), _) => s.clone(),
        (None, "") => {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{p}' has no mfa_serial: name the device with --serial ARN \
                     (`mfa-env device list {}` lists them)",
                    crate::shell::hint::arg(&p)
                ),
            ))
        }
        (None, configured) => configured.to_string(),
    };
    let devices = ctx
        .rt
        .block_on(ctx.iam(&ctx.long_term()).list_mfa_devices(&ctx.user))
        .map_err(StsError::into_failure)?;
    if !devices.contains(&serial) {
        return Err(fail(
            Exit::Config,
            format!(
                "IAM user '{}' has no MFA device {serial} ({}); nothing removed",
                ctx.user,
                if devices.is_empty() {
                    "it has none".to_string()
                } else {
                    format!("it has {}", devices.join(", "))
                }
            ),
        ));
    }
    if !args.yes
        && !confirm(
            &format!(
                "Deactivate and delete {serial} of IAM user '{}'? Without a device its MFA \
                 sessions end and a new one needs `mfa-env setup`. [y/N] ",
                ctx.user
            ),
            "pass --yes to remove the device without asking",
        )?
    {
        eprintln!("mfa-env: nothing removed");
        return Ok(0);
    }
    // The MFA session of the profile (cached, or a code now), for the device to be removed.
    let mut auth = Authenticator::new(
        Request {
            profile: p.clone(),
            token_code: args.token_code.clone(),
            ..Request::default()
        },
        margin()?,
    )?;
    let (session, _) = auth.credentials(60)?;
    let iam = ctx.iam(&Signer {
        access_key_id: &session.access_key_id,
        secret_access_key: &session.secret_access_key,
        session_token: Some(&session.session_token),
    });
    ctx.rt
        .block_on(iam.deactivate_mfa_device(&ctx.user, &serial))
        .map_err(|e| fail(e.exit(), format!("{e}; nothing removed")))?;
    if serial.contains(":mfa/") {
        if let Err(e) = ctx.rt.block_on(iam.delete_virtual_mfa_device(&serial)) {
            return Err(fail(
                e.exit(),
                format!(
                    "{serial} is deactivated, but deleting it failed ({e}): delete it in the \
                     console or with `aws iam delete-virtual-mfa-device`"
                ),
            ));
        }
    }
    let forgot = crate::cmd::logout::forget_sessions_of_source(&p);
    // The profile still names the device: a new one is enrolled (and the line rewritten) by
    // setup; without one, the line is the user's to delete.
    let next = if serial == ctx.serial {
        format!(
            "; enroll a new one with `mfa-env setup {}` (it rewrites mfa_serial if the serial \
             changes), or delete `mfa_serial = {serial}` from [profile {p}] in {}",
            crate::shell::hint::arg(&p),
            crate::profile::config_file_display()
        )
    } else {
        String::new()
    };
    eprintln!(
        "mfa-env: removed {serial} from IAM user '{}'{}{next}",
        ctx.user,
        if forgot > 0 {
            " and forgot its cached sessions"
        } else {
            ""
        },
    );
    Ok(0)
}
