//! `mfa-env console [PROFILE]`: the AWS console, signed in as the profile's role, from the same
//! MFA session as export and exec (no second code while it lives).
//!
//! The role's credentials come from the one `Authenticator` (cached MFA session, then
//! AssumeRole); the Sign-In service's federation endpoint turns them into a sign-in token; the
//! console URL carries it. That URL signs in whoever opens it for 15 minutes: it goes to the
//! browser through a one-time local address (`browser`), or to stdout with `--print`, never to
//! stderr or a log.

use std::io::IsTerminal;

use crate::auth::{margin, partition, Authenticator};
use crate::cli::ConsoleArgs;
use crate::error::{fail, Exit};
use crate::signin;
use crate::sts::{CaBundle, Limits};

pub fn run(args: &ConsoleArgs) -> anyhow::Result<i32> {
    let req = super::request(&args.auth);
    // Refusals first, before any code is asked for.
    if args.print && !args.reveal && std::io::stdout().is_terminal() {
        return Err(fail(
            Exit::Usage,
            "the console URL signs in whoever opens it for 15 minutes, so it is not printed on \
             a terminal: pass --reveal to print it here, or pipe it (--print | xclip)",
        ));
    }
    let mut auth = Authenticator::new(req.clone(), margin()?)?;
    if !auth.is_role() {
        return Err(session_token_refused(&auth));
    }
    let region = args
        .region
        .clone()
        .or_else(|| auth.region().map(str::to_string));
    let partition = partition(region.as_deref());
    let Some(hosts) = signin::hosts(partition) else {
        return Err(fail(
            Exit::Config,
            format!("mfa-env does not know the console of the {partition} partition"),
        ));
    };
    let resolved = auth.resolved().clone();
    let signin_base = resolved
        .signin_endpoint_url
        .clone()
        .unwrap_or_else(|| hosts.signin.to_string());
    let ca_bundle = resolved
        .ca_bundle
        .as_deref()
        .map(CaBundle::load)
        .transpose()?;
    let limits = Limits::from_env()?;

    let (credentials, _) = auth.credentials(0)?;
    // AWS takes a console session length only for a role assumed with long-term keys; a role
    // reached through the MFA session is role chaining, and its console session is AWS's
    // default.
    let session_duration = match req.duration {
        Some(seconds) if auth.assumes_directly() => Some(seconds),
        Some(_) => {
            eprintln!(
                "mfa-env: --duration set the role's credentials, not the console session: AWS \
                 sets a console session's length only for a role assumed with the long-term \
                 keys (--direct, one code), not through the MFA session (role chaining)"
            );
            None
        }
        None => None,
    };
    let token = signin::signin_token(
        &signin_base,
        &credentials,
        session_duration,
        ca_bundle.as_ref(),
        limits,
    )?;
    let destination = signin::destination(
        hosts.console,
        args.service.as_deref(),
        args.path.as_deref(),
        region.as_deref(),
    );
    let mut url = signin::login_url(&signin_base, &token, &destination);
    if args.logout_first {
        url = signin::logout_then(&signin_base, &url);
    }
    if args.print {
        let mut line = zeroize::Zeroizing::new(String::with_capacity(url.len() + 1));
        line.push_str(&url);
        line.push('\n');
        super::print_stdout(&line)?;
        // (Opening the browser says as whom, below, in the one line it says.)
        if let Some(line) = auth.take_announcement() {
            eprintln!("{line}");
        }
        return Ok(0);
    }
    crate::browser::open(&url)?;
    eprintln!(
        "mfa-env: opened the console as {} in your browser ({})",
        credentials.identity, destination
    );
    Ok(0)
}

/// A profile without a role: the federation endpoint refuses session-token credentials, and
/// GetFederationToken would drop the MFA context. Says what works instead.
fn session_token_refused(auth: &Authenticator) -> anyhow::Error {
    let r = auth.resolved();
    let roles = crate::profile::Profiles::load()
        .map(|p| p.roles_of(&r.source_profile))
        .unwrap_or_default();
    let instead = match roles.first() {
        Some(role) => format!(
            "use a role profile of '{}': mfa-env console {role}{}",
            r.source_profile,
            if roles.len() > 1 {
                format!(" (roles: {})", roles.join(", "))
            } else {
                String::new()
            }
        ),
        None => {
            "add a role profile (role_arn, source_profile) and open the console with it".to_string()
        }
    };
    let account = r
        .source
        .who()
        .split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
    let page = match (account, signin::hosts(partition(r.region.as_deref()))) {
        (Some(account), Some(hosts)) => {
            let host = hosts.signin.trim_start_matches("https://");
            format!(", or sign in with your password and MFA at https://{account}.{host}/console")
        }
        _ => String::new(),
    };
    fail(
        Exit::Config,
        format!(
            "profile '{}' has no role: the console's sign-in takes role credentials only, not an \
             MFA session token; {instead}{page}",
            r.name
        ),
    )
}
