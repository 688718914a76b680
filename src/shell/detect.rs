//! Which shell will read our output: the parent process first (the shell running
//! `eval "$(mfa-env …)"` or `mfa-env … | source`), then `$SHELL`, then POSIX.

use super::Shell;

pub fn detect() -> Shell {
    parent_shell()
        .or_else(|| {
            std::env::var("SHELL")
                .ok()
                .and_then(|s| Shell::from_program(&s))
        })
        .unwrap_or(Shell::Sh)
}

#[cfg(target_os = "linux")]
fn parent_shell() -> Option<Shell> {
    // SAFETY: getppid has no preconditions and cannot fail.
    let ppid = unsafe { libc::getppid() };
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    Shell::from_program(comm.trim())
}

#[cfg(not(target_os = "linux"))]
fn parent_shell() -> Option<Shell> {
    None
}
