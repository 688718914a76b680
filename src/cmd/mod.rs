//! One file per subcommand; each returns the exit status to end with.

pub mod completions;
pub mod console;
pub mod credential_process;
pub mod device;
pub mod doctor;
pub mod exec;
pub mod export;
pub mod init;
pub mod keys;
pub mod list;
pub mod login;
pub mod logout;
pub mod policy;
pub mod setup;
pub mod shell;
pub mod status;
pub mod unset;
pub mod wrap;

use std::io::Write;

use crate::auth::{default_profile, Request, RolePath, Session};
use crate::cli::AuthArgs;
use crate::error::{fail, mask_key, Exit};
use crate::shell::prompt;

/// The authentication request for a command's flags.
pub fn request(args: &AuthArgs) -> Request {
    Request {
        profile: default_profile(args.profile_arg()),
        // An empty MFA_ENV_TOKEN_CODE (exported, then cleared) is no code: ask for one.
        token_code: args.token_code.clone().filter(|c| !c.is_empty()),
        duration: args.duration,
        path: if args.direct {
            RolePath::Direct
        } else if args.via_session {
            RolePath::ViaSession
        } else {
            RolePath::Auto
        },
        no_cache: args.no_cache,
        refresh: args.refresh || args.refresh_mfa,
        refresh_mfa: args.refresh_mfa,
        no_terminal: None,
        announce: true,
    }
}

/// Says on stderr that `session` is authenticated (and cached) but its secrets were not
/// printed, because stdout is a terminal: a secret on the screen ends up in scrollback, screen
/// recordings and shared terminals. The caller adds how to use it.
pub fn withheld_on_terminal(session: &Session, outcome: &str) {
    let c = &session.credentials;
    eprintln!(
        "mfa-env: '{}' is authenticated ({}, until {}, {} left), but stdout is a terminal, so {outcome}.",
        session.profile,
        mask_key(&c.access_key_id),
        c.expiration_rfc3339(),
        prompt::time_left(c.seconds_left()),
    );
}

/// How to be rid of the session in this environment: leave the subshell `mfa-env shell`
/// started (dropping its variables there would leave a countdown with nothing behind it), or
/// drop the session applied to this shell.
pub fn leave_session() -> String {
    if std::env::var_os(shell::SUBSHELL_VAR).is_some() {
        "type exit to leave it".to_string()
    } else {
        format!(
            "drop it with: {}",
            crate::shell::hint::drop_session(crate::shell::detect())
        )
    }
}

/// Writes all of `text` to stdout or fails: output is either complete or absent.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => fail(Exit::StdoutClosed, "stdout was closed"),
            _ => fail(Exit::Other, format!("cannot write to stdout: {e}")),
        })
}
