//! `mfa-env logout [PROFILE|--all]`: forget cached sessions.

use crate::auth::{default_profile, session_keys};
use crate::cache::Cache;
use crate::cli::LogoutArgs;
use crate::env::EnvSession;
use crate::profile::{Profiles, Resolved};

pub fn run(args: &LogoutArgs) -> anyhow::Result<i32> {
    // A login session ends here too: its file is the sign-in (shared with the AWS CLI).
    let ended = if args.all {
        end_logins(|_| true)?
    } else if let Ok(r) = crate::profile::resolve(&default_profile(args.profile_arg())) {
        end_logins(|l| l.source_profile == r.source_profile)?
    } else {
        0
    };
    let other = if ended > 0 { " other" } else { "" };
    let Some(cache) = Cache::existing()? else {
        eprintln!("mfa-env: no{other} cached sessions");
        if args.all {
            still_live(None);
        } else if let Ok(r) = crate::profile::resolve(&default_profile(args.profile_arg())) {
            still_live(Some(&r));
        }
        return Ok(0);
    };
    if args.all {
        let n = cache.clear(crate::mfa::Guard::refuses_still);
        if n == 0 {
            eprintln!("mfa-env: no{other} cached sessions");
        } else {
            eprintln!("mfa-env: {}", forgot(n, ""));
        }
        still_live(None);
        return Ok(0);
    }
    if args.profile_arg().is_none() && std::env::var_os("AWS_PROFILE").is_none() {
        // No profile named: the default one, if there is one; else say what logout takes.
        if crate::profile::resolve(&default_profile(None)).is_err() {
            return Err(crate::error::fail(
                crate::error::Exit::Usage,
                "logout needs a profile (mfa-env logout PROFILE), or --all to forget every cached \
                 session",
            ));
        }
    }
    let name = default_profile(args.profile_arg());
    let r = crate::profile::resolve(&name)?;
    // A role's MFA session is its source's, and every role of that source was assumed with it:
    // forgetting it forgets them too, so the next run of any of them asks for a code.
    let mut n = session_keys(&r).iter().filter(|k| cache.remove(k)).count();
    n += forget_sessions_of_source(&r.source_profile);
    let whose = if r.is_role() || n <= 1 {
        format!(" for '{name}'")
    } else {
        format!(" for '{name}' (its MFA session and the roles assumed with it)")
    };
    eprintln!("mfa-env: {}", forgot(n, &whose));
    still_live(Some(&r));
    Ok(0)
}

/// The cache is not the environment: a session applied to this shell (or served to it) lives
/// on after logout until it expires. Say so when it is one of those forgotten (`forgotten`:
/// the profile logged out, None for all), and how to be rid of it.
fn still_live(forgotten: Option<&Resolved>) {
    let live = EnvSession::read();
    let (Some(profile), Some(left)) = (live.profile.as_deref(), live.seconds_left()) else {
        return;
    };
    if left <= 0 {
        return;
    }
    let same = match forgotten {
        None => true,
        Some(r) => {
            r.name == profile
                || crate::profile::resolve(profile)
                    .is_ok_and(|l| l.source_profile == r.source_profile)
        }
    };
    if same {
        eprintln!(
            "mfa-env: the session of '{profile}' in this environment still lives ({} left): {}",
            crate::shell::prompt::time_left(left),
            super::leave_session()
        );
    }
}

/// Ends the AWS Sign-In sessions of the login profiles `which` picks: their cache files are
/// deleted (no call: the service has no sign-out for them), which signs the AWS CLI and the
/// SDKs out of them too.
fn end_logins(which: impl Fn(&Resolved) -> bool) -> anyhow::Result<usize> {
    let Ok(profiles) = Profiles::load() else {
        return Ok(0);
    };
    // Each session once, with every login profile that names it (one sign-in can serve
    // several), whether `which` picked any of them.
    let mut sessions: std::collections::BTreeMap<String, (Vec<String>, bool)> =
        std::collections::BTreeMap::new();
    for name in profiles.names() {
        let Ok(r) = profiles.resolve(&name) else {
            continue;
        };
        let crate::profile::Source::Login(l) = &r.source else {
            continue;
        };
        let entry = sessions.entry(l.session.clone()).or_default();
        if !r.is_role() && !entry.0.contains(&r.source_profile) {
            entry.0.push(r.source_profile.clone());
        }
        entry.1 |= which(&r);
    }
    let mut count = 0;
    for (session, (names, picked)) in sessions {
        if !picked || !crate::login::remove(&session)? {
            continue;
        }
        count += 1;
        let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        eprintln!(
            "mfa-env: ended the AWS Sign-In session of {} ({session}): its file is deleted, for \
             the AWS CLI and the SDKs too; credentials already handed out, and roles assumed \
             with them, last until they expire",
            names.join(", ")
        );
    }
    Ok(count)
}

/// One wording whatever was there: `no cached sessions`, `forgot 1 cached session`, ….
fn forgot(n: usize, whose: &str) -> String {
    match n {
        0 => format!("no cached sessions{whose}"),
        1 => format!("forgot 1 cached session{whose}"),
        n => format!("forgot {n} cached sessions{whose}"),
    }
}

/// Forgets the cached sessions of every profile `which` picks: its MFA session and its role
/// sessions. Returns how many were there.
pub fn forget_sessions_of(which: impl Fn(&Resolved) -> bool) -> usize {
    let Ok(Some(cache)) = Cache::existing() else {
        return 0;
    };
    let Ok(profiles) = Profiles::load() else {
        return 0;
    };
    profiles
        .names()
        .iter()
        .filter_map(|name| profiles.resolve(name).ok())
        .filter(|r| which(r))
        .flat_map(|r| session_keys(&r))
        .filter(|k| cache.remove(k))
        .count()
}

/// The sessions made with the keys of source profile `source`.
pub fn forget_sessions_of_source(source: &str) -> usize {
    forget_sessions_of(|r| r.source_profile == source)
}
