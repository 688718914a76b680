//! `mfa-env unset`: shell code that removes every variable mfa-env sets.

use crate::cli::UnsetArgs;
use crate::env::{unset_changes, EnvSession, REGION};
use crate::shell::detect;

pub fn run(args: &UnsetArgs) -> anyhow::Result<i32> {
    let shell = args.shell.unwrap_or_else(detect);
    let live = EnvSession::read();
    if live.profile.is_none() {
        eprintln!("mfa-env: no mfa-env session in this environment; nothing to remove");
        return Ok(0);
    }
    let current_region = std::env::var(REGION).ok();
    let changes = unset_changes(
        live.region.as_deref(),
        current_region.as_deref(),
        live.endpoint.is_some(),
    );
    super::print_stdout(&shell.render(&changes)?)?;
    Ok(0)
}
