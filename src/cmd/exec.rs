//! `mfa-env exec [PROFILE] -- CMD…`: CMD runs with the credentials; its exit status is ours.

use std::ffi::OsString;
use std::process::Command;

use crate::auth::authenticate;
use crate::cli::ExecArgs;
use crate::env::{apply_to_command, session_changes, SessionVars};
use crate::error::{fail, Exit};
use crate::server::Endpoint;

pub fn run(args: ExecArgs) -> anyhow::Result<i32> {
    // With --profile, a word in PROFILE's place is the command's first, written without `--`.
    let (profile, first) = match (&args.auth.profile_option, &args.auth.profile) {
        (Some(option), positional) => (format!("--profile {option}"), positional.clone()),
        (None, positional) => (positional.as_deref().unwrap_or("PROFILE").to_string(), None),
    };
    if let (Some(twice), true) = (&first, args.stray.is_empty() && !args.command.is_empty()) {
        return Err(fail(
            Exit::Usage,
            format!("the profile is given twice, '{twice}' and {profile}: give it once"),
        ));
    }
    if first.is_some() || !args.stray.is_empty() {
        let words: Vec<String> = first
            .into_iter()
            .chain(args.stray.iter().map(|w| w.to_string_lossy().into_owned()))
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
    let served = crate::server::wanted(args.server)?;
    let mut argv = args.command.into_iter();
    let program = match argv.next() {
        Some(p) => p,
        None => user_shell(),
    };
    let mut cmd = Command::new(&program);
    cmd.args(argv);
    if served {
        // mfa-env stays as the parent and serves the credentials while CMD runs.
        let (endpoint, session) = Endpoint::start(
            &req,
            &format!(
                "run `mfa-env {} --refresh` in another terminal and this endpoint picks it up",
                crate::shell::hint::arg(&req.profile)
            ),
        )?;
        let changes = endpoint.changes(&session);
        crate::env::validate(&changes)?;
        apply_to_command(&mut cmd, &changes);
        session.announce();
        let status = run_to_end(&mut cmd).map_err(|e| launch_error(&program, &e))?;
        return Ok(exit_code(&status));
    }
    let session = authenticate(&req)?;
    let changes = session_changes(&SessionVars {
        profile: &session.profile,
        credentials: &session.credentials,
        region: session.region.as_deref(),
    });
    crate::env::validate(&changes)?;
    apply_to_command(&mut cmd, &changes);
    // Before CMD replaces this process: its output follows.
    session.announce();
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

/// The child `run_to_end` waits for, for the signal handlers (0: none).
#[cfg(unix)]
static CHILD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Runs a child to its end. Ctrl-C and Ctrl-\ belong to it (the terminal sends them to the
/// whole foreground group): mfa-env catches them with a handler that does nothing (not
/// SIG_IGN, which the child and its jobs would inherit) and lives to report the child's
/// status. SIGTERM and SIGHUP sent to mfa-env alone are passed on to the child. Ctrl-Z stops
/// both, as one job.
#[cfg(unix)]
pub fn run_to_end(cmd: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    use std::sync::atomic::Ordering;
    extern "C" fn nothing(_: libc::c_int) {}
    extern "C" fn forward(signal: libc::c_int) {
        let pid = CHILD.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill is async-signal-safe.
            unsafe {
                libc::kill(pid, signal);
            }
        } else {
            // Between the handler and the child: passed on once the child exists.
            PENDING.store(signal, Ordering::SeqCst);
        }
    }
    let quiet: Vec<_> = [libc::SIGINT, libc::SIGQUIT]
        .into_iter()
        .map(|s| (s, install(s, nothing)))
        .collect();
    let passed: Vec<_> = [libc::SIGTERM, libc::SIGHUP]
        .into_iter()
        .map(|s| (s, install(s, forward)))
        .collect();
    let result = cmd.spawn().and_then(|mut child| {
        let pid = child.id() as i32;
        CHILD.store(pid, Ordering::SeqCst);
        let pending = PENDING.swap(0, Ordering::SeqCst);
        if pending != 0 {
            // SAFETY: signalling our own child.
            unsafe {
                libc::kill(pid, pending);
            }
        }
        let status = child.wait();
        CHILD.store(0, Ordering::SeqCst);
        status
    });
    restore(&passed);
    restore(&quiet);
    result
}

/// A signal to pass on that came before the child existed (0: none).
#[cfg(unix)]
static PENDING: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Installs `handler` for `signal`, returning what was there.
#[cfg(unix)]
fn install(signal: libc::c_int, handler: extern "C" fn(libc::c_int)) -> libc::sigaction {
    // SAFETY: zeroed sigactions are valid; SA_RESTART keeps waitpid going.
    unsafe {
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = handler as libc::sighandler_t;
        new.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut new.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, &new, &mut old);
        old
    }
}

#[cfg(unix)]
fn restore(saved: &[(libc::c_int, libc::sigaction)]) {
    for (signal, old) in saved {
        // SAFETY: putting back what sigaction returned.
        unsafe {
            libc::sigaction(*signal, old, std::ptr::null_mut());
        }
    }
}

/// Runs a child to its end, leaving Ctrl-C to it (Windows: see `console`).
#[cfg(not(unix))]
pub fn run_to_end(cmd: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    #[cfg(windows)]
    crate::console::leave_interrupts_to_children();
    cmd.status()
}
