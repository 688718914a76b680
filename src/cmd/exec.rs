//! `mfa-env exec [PROFILE] -- CMD…`: CMD runs with the credentials; its exit status is ours.

use std::ffi::OsString;
use std::process::Command;

use crate::auth::authenticate;
use crate::cli::ExecArgs;
use crate::env::{apply_to_command, session_changes, SessionVars};
use crate::error::{fail, Exit};

pub fn run(args: ExecArgs) -> anyhow::Result<i32> {
    if !args.stray.is_empty() {
        let profile = args.auth.profile.as_deref().unwrap_or("PROFILE");
        let words: Vec<String> = args
            .stray
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        return Err(fail(
            Exit::Usage,
            format!(
                "the command goes after --: mfa-env exec {profile} -- {}",
                words.join(" ")
            ),
        ));
    }
    let req = super::request(&args.auth);
    let session = authenticate(&req)?;
    let changes = session_changes(&SessionVars {
        profile: &session.profile,
        credentials: &session.credentials,
        region: session.region.as_deref(),
    });
    let mut argv = args.command.into_iter();
    let program = match argv.next() {
        Some(p) => p,
        None => user_shell(),
    };
    let mut cmd = Command::new(&program);
    cmd.args(argv);
    crate::env::validate(&changes)?;
    apply_to_command(&mut cmd, &changes);
    run_replacing(cmd, &program)
}

/// `$SHELL`, or `/bin/sh` when it is not set.
pub fn user_shell() -> OsString {
    std::env::var_os("SHELL")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| OsString::from(if cfg!(windows) { "cmd.exe" } else { "/bin/sh" }))
}

/// The shell's conventions for a command that cannot be started: 127 not found, 126 not
/// executable.
pub fn launch_error(program: &OsString, err: &std::io::Error) -> anyhow::Error {
    let name = program.to_string_lossy();
    match err.kind() {
        std::io::ErrorKind::NotFound => fail(Exit::NotFound, format!("command not found: {name}")),
        std::io::ErrorKind::PermissionDenied => fail(
            Exit::NotExecutable,
            format!("cannot execute {name}: permission denied"),
        ),
        _ => fail(Exit::NotExecutable, format!("cannot execute {name}: {err}")),
    }
}

/// Replaces this process, so CMD gets signals and the terminal directly.
#[cfg(unix)]
fn run_replacing(mut cmd: Command, program: &OsString) -> anyhow::Result<i32> {
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    Err(launch_error(program, &err))
}

/// Where a process cannot be replaced: run CMD, let it have Ctrl-C, return its status.
#[cfg(not(unix))]
fn run_replacing(mut cmd: Command, program: &OsString) -> anyhow::Result<i32> {
    let status = run_to_end(&mut cmd).map_err(|e| launch_error(program, &e))?;
    Ok(exit_code(&status))
}

/// A child's status the shell's way: its code, or 128 + the signal that ended it.
#[cfg(unix)]
pub fn exit_code(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

#[cfg(not(unix))]
pub fn exit_code(status: &std::process::ExitStatus) -> i32 {
    status.code().unwrap_or(1)
}

/// Runs a child to its end. Ctrl-C and Ctrl-\ belong to it: mfa-env catches them with a handler
/// that does nothing (not SIG_IGN, which the child and its jobs would inherit).
#[cfg(unix)]
pub fn run_to_end(cmd: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    extern "C" fn nothing(_: libc::c_int) {}
    let handler = nothing as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: installing a handler that touches nothing; the previous ones are restored below.
    let (old_int, old_quit) = unsafe {
        (
            libc::signal(libc::SIGINT, handler),
            libc::signal(libc::SIGQUIT, handler),
        )
    };
    let status = cmd.status();
    // SAFETY: restoring what was there before.
    unsafe {
        libc::signal(libc::SIGINT, old_int);
        libc::signal(libc::SIGQUIT, old_quit);
    }
    status
}

/// Runs a child to its end, leaving Ctrl-C to it (Windows: see `console`).
#[cfg(not(unix))]
pub fn run_to_end(cmd: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    #[cfg(windows)]
    crate::console::leave_interrupts_to_children();
    cmd.status()
}
