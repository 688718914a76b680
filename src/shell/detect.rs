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

/// macOS: the parent's name and executable from libproc (no process started, no /proc).
#[cfg(target_os = "macos")]
pub fn calling_shell() -> Option<(Shell, OsString)> {
    use std::os::unix::ffi::OsStringExt;
    // SAFETY: getppid has no preconditions and cannot fail.
    let ppid = unsafe { libc::getppid() };
    let name = proc_text(ppid, libc::proc_name, 2 * libc::MAXCOMLEN)?;
    let path = proc_text(
        ppid,
        libc::proc_pidpath,
        libc::PROC_PIDPATHINFO_MAXSIZE as usize,
    );
    let name = String::from_utf8_lossy(&name).into_owned();
    let shell = Shell::from_program(&name)?;
    // The executable, unless it is an interpreter running the shell (xonsh is python).
    let program = path
        .map(OsString::from_vec)
        .filter(|exe| Shell::from_program(&exe.to_string_lossy()) == Some(shell))
        .unwrap_or_else(|| OsString::from(name.trim_start_matches('-')));
    Some((shell, program))
}

/// One of libproc's text answers about `pid` (its name, its path), at most `size` bytes.
#[cfg(target_os = "macos")]
fn proc_text(
    pid: libc::pid_t,
    call: unsafe extern "C" fn(libc::c_int, *mut libc::c_void, u32) -> libc::c_int,
    size: usize,
) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; size + 1];
    let len = u32::try_from(buf.len()).ok()?;
    // SAFETY: the buffer is valid for `len` bytes; the call writes at most that many and
    // returns how many it wrote (0 or less on failure).
    let n = unsafe { call(pid, buf.as_mut_ptr().cast(), len) };
    let n = usize::try_from(n).ok().filter(|n| *n > 0)?;
    buf.truncate(n.min(size));
    Some(buf)
}

/// Windows: the parent's executable name from a process snapshot (cmd.exe, pwsh.exe, …).
#[cfg(windows)]
pub fn calling_shell() -> Option<(Shell, OsString)> {
    let name = crate::console::parent_process_name()?;
    let shell = Shell::from_program(&name.to_ascii_lowercase())?;
    Some((shell, OsString::from(name)))
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
pub fn calling_shell() -> Option<(Shell, OsString)> {
    None
}
