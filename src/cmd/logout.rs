//! `mfa-env logout [PROFILE|--all]`: forget cached sessions.

use crate::auth::{default_profile, session_keys};
use crate::cache::Cache;
use crate::cli::LogoutArgs;

pub fn run(args: &LogoutArgs) -> anyhow::Result<i32> {
    let Some(cache) = Cache::existing()? else {
        eprintln!("mfa-env: no cached sessions");
        return Ok(0);
    };
    if args.all {
        eprintln!("mfa-env: {}", forgot(cache.clear(), ""));
        return Ok(0);
    }
    let name = default_profile(args.profile.as_deref());
    let r = crate::profile::resolve(&name)?;
    // A role's MFA session is its source's: forgetting it means the next run asks for a code.
    let n = session_keys(&r).iter().filter(|k| cache.remove(k)).count();
    eprintln!("mfa-env: {}", forgot(n, &format!(" for '{name}'")));
    Ok(0)
}

/// One wording whatever was there: `no cached sessions`, `forgot 1 cached session`, ….
fn forgot(n: usize, whose: &str) -> String {
    match n {
        0 => format!("no cached sessions{whose}"),
        1 => format!("forgot 1 cached session{whose}"),
        n => format!("forgot {n} cached sessions{whose}"),
    }
}
