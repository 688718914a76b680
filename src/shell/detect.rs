//! Which shell will read our output: the parent process first (the shell running
//! `eval "$(mfa-env …)"` or `mfa-env … | source`), then `$SHELL`, then POSIX.

use std::ffi::OsString;

use super::Shell;

pub fn detect() -> Shell {
    calling_shell()
        .map(|(shell, _)| shell)
        .or_else(|| {
            std::env::var("SHELL")
                .ok()
                .and_then(|s| Shell::from_program(&s))
        })
        .unwrap_or(Shell::Sh)
}

/// The shell that started mfa-env, and the program to start another of it: what `shell` runs
/// when no `--shell` is given, before `$SHELL` (which a terminal multiplexer may have set to
/// another shell than the one the user is typing in).
#[cfg(target_os = "linux")]
pub fn calling_shell() -> Option<(Shell, OsString)> {
    // SAFETY: getppid has no preconditions and cannot fail.
    let ppid = unsafe { libc::getppid() };
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    let shell = Shell::from_program(comm.trim())?;
    // The executable, unless it is an interpreter running the shell (xonsh is python).
    let program = std::fs::read_link(format!("/proc/{ppid}/exe"))
        .ok()
        .filter(|exe| Shell::from_program(&exe.to_string_lossy()) == Some(shell))
        .map_or_else(
            || OsString::from(comm.trim().trim_start_matches('-')),
            OsString::from,
        );
    Some((shell, program))
}

#[cfg(not(target_os = "linux"))]
pub fn calling_shell() -> Option<(Shell, OsString)> {
    None
}
