//! POSIX sh (dash, ksh, …): the subshell's startup (quoting and rendering: `posix`). No init:
//! sh has no completion system to register with.

use std::path::Path;
use std::process::Command;

use super::write_startup;

pub const PROGRAM: &str = "sh";
const SESSION: &str = include_str!("../../shell/session.sh");

/// `$ENV` names the startup file of an interactive sh; the user's own is run from ours.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    let rc = dir.join("env.sh");
    write_startup(&rc, SESSION)?;
    if let Some(user) = std::env::var_os("ENV") {
        cmd.env("MFA_ENV_USER_ENV", user);
    }
    cmd.env("ENV", &rc).arg("-i");
    Ok(())
}
