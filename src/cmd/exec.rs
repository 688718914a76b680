//! `mfa-env exec [PROFILE] -- CMD…`: CMD runs with the credentials; its exit status is ours.

use std::ffi::OsString;
use std::process::Command;

use crate::auth::authenticate;
use crate::cli::ExecArgs;
use crate::env::{apply_to_command, session_changes, SessionVars};
use crate::error::{fail, Exit};

pub fn run(args: ExecArgs) -> anyhow::Result<i32> {
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
    #[cfg(windows)]
    ignore_ctrl_c();
    let mut child = cmd.spawn().map_err(|e| launch_error(program, &e))?;
    let status = child.wait().map_err(|e| {
        fail(
            Exit::Other,
            format!("waiting for {}: {e}", program.to_string_lossy()),
        )
    })?;
    Ok(status.code().unwrap_or(1))
}

/// Ctrl-C reaches every process of the console: the child handles it, and mfa-env must not die
/// first and leave it orphaned. A handler that reports the event handled, not
/// `SetConsoleCtrlHandler(NULL, TRUE)`: that "ignore" attribute is inherited, and the child would
/// ignore Ctrl-C too. Closing the console or logging off still ends mfa-env as usual.
#[cfg(windows)]
fn ignore_ctrl_c() {
    const CTRL_C_EVENT: u32 = 0;
    const CTRL_BREAK_EVENT: u32 = 1;
    #[link(name = "kernel32")]
    extern "system" {
        fn SetConsoleCtrlHandler(
            handler: Option<unsafe extern "system" fn(u32) -> i32>,
            add: i32,
        ) -> i32;
    }
    unsafe extern "system" fn handled(event: u32) -> i32 {
        i32::from(event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT)
    }
    // SAFETY: registers a handler that touches nothing; it stays for the life of the process.
    unsafe {
        SetConsoleCtrlHandler(Some(handled), 1);
    }
}
