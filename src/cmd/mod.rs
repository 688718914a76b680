//! One file per subcommand; each returns the exit status to end with.

pub mod completions;
pub mod credential_process;
pub mod exec;
pub mod export;
pub mod init;
pub mod list;
pub mod logout;
pub mod shell;
pub mod status;
pub mod unset;

use std::io::Write;

use crate::auth::{default_profile, Request, RolePath};
use crate::cli::AuthArgs;
use crate::error::{fail, Exit};

/// The authentication request for a command's flags.
pub fn request(args: &AuthArgs) -> Request {
    Request {
        profile: default_profile(args.profile.as_deref()),
        token_code: args.token_code.clone(),
        duration: args.duration,
        path: if args.direct {
            RolePath::Direct
        } else if args.via_session {
            RolePath::ViaSession
        } else {
            RolePath::Auto
        },
        no_cache: args.no_cache,
        refresh: args.refresh,
    }
}

/// Writes all of `text` to stdout or fails: output is either complete or absent.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| fail(Exit::Other, format!("cannot write to stdout: {e}")))
}
