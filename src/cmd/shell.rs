//! `mfa-env shell [PROFILE]`: the user's interactive shell with the credentials, their own
//! startup files and prompt, a countdown in front of it and `mfa-env-refresh` inside.

use std::ffi::OsString;
use std::process::Command;

use crate::auth::authenticate;
use crate::cli::ShellArgs;
use crate::cmd::exec::{exit_code, launch_error, run_to_end, user_shell};
use crate::env::{apply_to_command, session_changes, EnvSession, SessionVars};
use crate::error::{fail, Exit};
use crate::server::Endpoint;
use crate::shell::prompt::time_left;
use crate::shell::{calling_shell, detect, hint, Shell};

/// Set in the environment of the shells `mfa-env shell` starts: `exit` leaves them.
pub const SUBSHELL_VAR: &str = "MFA_ENV_SUBSHELL";

pub fn run(args: ShellArgs) -> anyhow::Result<i32> {
    let req = super::request(&args.auth);
    let live = EnvSession::read();
    if let (Some(current), Some(left)) = (live.profile.as_deref(), live.seconds_left()) {
        if current != req.profile && left > 0 && !args.force {
            // In a subshell of ours `exit` leaves it; in a shell where the session was applied
            // (eval), `exit` would close the terminal: drop the session instead.
            // The command to type goes last, where it cannot be read as part of the sentence.
            let leave = if std::env::var_os(SUBSHELL_VAR).is_some() {
                "or type exit to leave it first".to_string()
            } else {
                format!("or drop it first with: {}", hint::drop_session(detect()))
            };
            return Err(fail(
                Exit::Config,
                format!(
                    "already inside an mfa-env session of '{current}' ({} left): pass --force \
                     to start '{}' inside it, {leave}",
                    time_left(left),
                    req.profile
                ),
            ));
        }
    }
    // The shell asked for, else the one the user is typing in (as export decides), else $SHELL.
    let (program, kind): (OsString, Option<Shell>) = match args.shell {
        Some(s) => (OsString::from(s.program()), Some(s)),
        None => match calling_shell() {
            Some((shell, program)) => (program, Some(shell)),
            None => {
                let program = user_shell();
                let kind = Shell::from_program(&program.to_string_lossy());
                (program, kind)
            }
        },
    };
    // Before any code is asked for.
    if let Some(refusal) = Shell::subshell_refusal(kind) {
        return Err(refusal);
    }
    // With --server the endpoint lives as long as this function: until the shell ends.
    let (_endpoint, session, changes) = if crate::server::wanted(args.server)? {
        let (endpoint, session) = Endpoint::start(
            &req,
            &format!(
                "type mfa-env-refresh in the shell, or run `mfa-env {} --refresh` in another \
                 terminal, and the endpoint picks it up",
                crate::shell::hint::arg(&req.profile)
            ),
        )?;
        let changes = endpoint.changes(&session);
        (Some(endpoint), session, changes)
    } else {
        let session = authenticate(&req)?;
        let changes = session_changes(&SessionVars {
            profile: &session.profile,
            credentials: &session.credentials,
            region: session.region.as_deref(),
        });
        (None, session, changes)
    };

    // A private directory (0700) for startup code; removed when the shell ends.
    let mut builder = tempfile::Builder::new();
    builder.prefix("mfa-env-shell-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder.tempdir().map_err(|e| {
        fail(
            Exit::Other,
            format!("cannot create a directory for the shell's startup files: {e}"),
        )
    })?;
    let mut cmd = Command::new(&program);
    crate::env::validate(&changes)?;
    apply_to_command(&mut cmd, &changes);
    Shell::prepare_subshell(kind, &mut cmd, dir.path())?;
    if let Ok(exe) = std::env::current_exe() {
        cmd.env("MFA_ENV_BIN", exe);
    }
    cmd.env(SUBSHELL_VAR, "1");
    // This process waits for the shell for hours: it keeps the profile's name, not the
    // credentials (dropping them wipes them; the endpoint keeps its own).
    let profile = session.profile.clone();
    session.announce();
    drop(changes);
    drop(session);

    let status = run_to_end(&mut cmd).map_err(|e| launch_error(&program, &e))?;
    drop(dir);
    let code = exit_code(&status);
    eprintln!("mfa-env: left the shell of session '{profile}' (exit status {code})");
    Ok(code)
}
