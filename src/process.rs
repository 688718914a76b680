//! Commands from the user's config that mfa-env runs: `mfa_process` (a code) and a source
//! profile's `credential_process` (long-term keys). Through the shell, as the SDKs run them,
//! with stdin closed, stderr passed through, the output capped and the whole run bounded.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::error::{fail, Exit};

/// How long `mfa_process` or a source's `credential_process` may take, output and exit
/// included (`MFA_ENV_PROCESS_TIMEOUT`, seconds; default 120, long enough to find a YubiKey and
/// touch it, or to unlock a password manager).
pub fn process_timeout() -> anyhow::Result<Duration> {
    crate::settings::wait(crate::settings::PROCESS_TIMEOUT)
}

thread_local! {
    static KEEP_TERMINAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// From now on, processes this thread runs do not get the terminal: the thread renews
/// credentials in the background for a child that has it (`exec --server`). Taking it would
/// stop that child with SIGTTIN at its next read, and nothing would continue it. Such a
/// process runs in a background group: it may write to the terminal; one that reads it is
/// stopped, and ended when its time is up.
pub fn keep_terminal_in_this_thread() {
    KEEP_TERMINAL.set(true);
}

/// Runs `cmd` through the shell (`what` names it in messages) with stdin closed and stderr
/// passed through, and returns at most `cap` bytes of its stdout. The whole run is bounded: a
/// process that never writes, never closes its output or never exits (a YubiKey waiting for a
/// touch that never comes, a password manager waiting for an unlock) is killed with
/// everything it started (its process group) when the time is up. Failures end with `exit`.
pub fn run_bounded(
    cmd: &str,
    what: &str,
    cap: u64,
    exit: Exit,
) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let limit = process_timeout()?;
    let deadline = Instant::now() + limit;
    let mut command = shell_command(cmd);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command
        .spawn()
        .map_err(|e| fail(exit, format!("cannot run {what}: {e}")))?;
    // The terminal goes to the process's group while it runs, so that it can ask there and
    // Ctrl-C reaches it; it comes back when `_terminal` drops. Not from a thread that renews
    // for a child which owns the terminal (see `keep_terminal_in_this_thread`).
    #[cfg(unix)]
    let _terminal = if KEEP_TERMINAL.get() {
        None
    } else {
        foreground::Handover::to(child.id())
    };
    let timed_out = |child: &mut std::process::Child| {
        kill_group(child);
        fail(
            exit,
            format!(
                "{what} did not finish within {}s (MFA_ENV_PROCESS_TIMEOUT); it was stopped",
                limit.as_secs_f64()
            ),
        )
    };
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut out = Zeroizing::new(Vec::new());
            let _ = stdout.take(cap).read_to_end(&mut out);
            let _ = tx.send(out);
        });
    }
    let out = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(out) => out,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Zeroizing::new(Vec::new()),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Err(timed_out(&mut child)),
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => return Err(timed_out(&mut child)),
            Err(e) => return Err(fail(exit, format!("{what}: {e}"))),
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if status.signal() == Some(libc::SIGINT) {
            return Err(fail(Exit::Interrupted, "interrupted"));
        }
    }
    if !status.success() {
        return Err(fail(
            exit,
            format!("{what} failed ({status}); run it by hand to see why"),
        ));
    }
    Ok(out)
}

/// Ends `child` and, on Unix, every process of its group (what `sh -c` started).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: signals the group the child leads (process_group(0) made its id the group's).
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(unix)]
mod foreground {
    use std::fs::{File, OpenOptions};
    use std::os::unix::io::AsRawFd;

    /// The controlling terminal lent to a child's process group, as a shell does for a job.
    pub struct Handover {
        tty: File,
        ours: libc::pid_t,
    }

    impl Handover {
        /// Lends the terminal to the group `child` leads, if this process's group has it now
        /// (it does not when there is no terminal, or when run in the background).
        pub fn to(child: u32) -> Option<Handover> {
            let tty = OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .ok()?;
            let group = libc::pid_t::try_from(child).ok()?;
            // SAFETY: plain calls on a valid fd.
            let ours = unsafe { libc::getpgrp() };
            if unsafe { libc::tcgetpgrp(tty.as_raw_fd()) } != ours {
                return None;
            }
            // Fails harmlessly when the child has already ended.
            if unsafe { libc::tcsetpgrp(tty.as_raw_fd(), group) } != 0 {
                return None;
            }
            Some(Handover { tty, ours })
        }
    }

    impl Drop for Handover {
        fn drop(&mut self) {
            // Taking the terminal back from the background raises SIGTTOU unless it is blocked.
            // SAFETY: signal-mask calls on local sets; tcsetpgrp on a valid fd and our group.
            unsafe {
                let mut block: libc::sigset_t = std::mem::zeroed();
                let mut saved: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut block);
                libc::sigaddset(&mut block, libc::SIGTTOU);
                libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut saved);
                libc::tcsetpgrp(self.tty.as_raw_fd(), self.ours);
                libc::pthread_sigmask(libc::SIG_SETMASK, &saved, std::ptr::null_mut());
            }
        }
    }
}

#[cfg(unix)]
fn shell_command(cmd: &str) -> Command {
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(cmd);
    c
}

/// `cmd.exe /C` with the line passed raw, as aws-config runs a `credential_process` (the same
/// line in the config must run the same in both): `.arg()` would quote and escape it by the C
/// runtime's rules, which cmd.exe does not read, and a quoted program path with a space
/// (`"C:\Program Files\…"`) came out mangled. cmd.exe strips the outer pair of quotes added
/// here and keeps the line's own.
#[cfg(windows)]
fn shell_command(cmd: &str) -> Command {
    use std::os::windows::process::CommandExt;
    let mut c = Command::new("cmd.exe");
    c.arg("/C").raw_arg(format!("\"{cmd}\""));
    c
}
