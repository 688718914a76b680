//! `mfa-env status`: the session in this environment. Exit 0 live, 7 none, 8 expired.

use crate::cli::StatusArgs;
use crate::env::EnvSession;
use crate::error::{mask_key, Exit};
use crate::shell::prompt::time_left;
use crate::shell::{detect, hint};
use crate::sts::rfc3339;

pub fn run(args: &StatusArgs) -> anyhow::Result<i32> {
    let s = EnvSession::read();
    if args.prompt {
        if let (Some(profile), Some(_)) = (s.profile.as_deref(), s.expiration) {
            let left = s.seconds_left().unwrap_or(0);
            super::print_stdout(&format!("[{profile} {}] ", time_left(left)))?;
        }
        return Ok(0);
    }
    let (Some(profile), Some(expiration)) = (s.profile.as_deref(), s.expiration) else {
        if args.json {
            super::print_stdout("{\"active\":false}\n")?;
        } else {
            eprintln!(
                "mfa-env: no mfa-env session in this environment; start one with: {}",
                hint::apply(detect(), None)
            );
        }
        return Ok(Exit::NoSession.code());
    };
    let left = s.seconds_left().unwrap_or(0);
    let expired = left <= 0;
    let identity = s.identity.clone().unwrap_or_default();
    // What the identity is (the credentials say it, mfa-env's MFA_ENV_IDENTITY): an
    // Identity Center role, an assumed role, an MFA device (ARN or hardware serial), else
    // the principal a sign-in session is for.
    let kind = if identity.ends_with("(IAM Identity Center)") {
        "sso"
    } else if identity.contains(":assumed-role/") {
        "role"
    } else if identity.contains(":mfa/") || !identity.starts_with("arn:") {
        "session-token"
    } else {
        "login"
    };
    let key = s.credentials.as_ref().map(|c| mask_key(&c.access_key_id));
    if args.json {
        let json = serde_json::json!({
            "active": !expired,
            "profile": profile,
            "kind": kind,
            "identity": identity,
            "access_key_id": key,
            "region": s.region,
            "expiration": rfc3339(expiration),
            "expiration_unix": expiration,
            "seconds_left": left.max(0),
            "expired": expired,
            "endpoint": s.endpoint,
        });
        super::print_stdout(&format!("{json}\n"))?;
    } else {
        let local = crate::shell::prompt::local_time(expiration);
        let mut text = format!("profile:    {profile}\n");
        text.push_str(&format!("kind:       {kind}\n"));
        if !identity.is_empty() {
            text.push_str(&format!("identity:   {identity}\n"));
        }
        if let Some(key) = key {
            text.push_str(&format!("key:        {key}\n"));
        }
        if let Some(endpoint) = &s.endpoint {
            text.push_str(&format!("served by:  {endpoint}\n"));
        }
        if let Some(region) = &s.region {
            text.push_str(&format!("region:     {region}\n"));
        }
        text.push_str(&format!("expires:    {local} ({})\n", rfc3339(expiration)));
        text.push_str(&format!("time left:  {}\n", time_left(left)));
        super::print_stdout(&text)?;
        if expired {
            eprintln!(
                "mfa-env: the session of '{profile}' has expired: {}",
                renew(profile, s.endpoint.is_some())
            );
        }
    }
    Ok(if expired { Exit::Expired.code() } else { 0 })
}

/// The ways out of an expired session here: a new one in its place, or none.
fn renew(profile: &str, served: bool) -> String {
    let subshell = std::env::var_os(super::shell::SUBSHELL_VAR).is_some();
    if served || subshell {
        // The subshell's own command renews the keys, or the endpoint's MFA session, in place.
        format!(
            "renew it in place with mfa-env-refresh, or {}",
            super::leave_session()
        )
    } else {
        format!(
            "start a new one with: {}; or {}",
            hint::apply(detect(), Some(profile)),
            super::leave_session()
        )
    }
}
