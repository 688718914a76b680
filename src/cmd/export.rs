//! `mfa-env [export] [PROFILE]`: authenticate and print shell code; nothing else on stdout.

use std::io::IsTerminal;

use crate::auth::authenticate;
use crate::cli::ExportArgs;
use crate::env::{
    leave_endpoint, session_changes, Change, EnvSession, SessionVars, MFA_ENV_EXPIRATION,
};
use crate::shell::{detect, hint};

pub fn run(args: &ExportArgs) -> anyhow::Result<i32> {
    let req = super::request(&args.auth);
    let shell = args.shell.unwrap_or_else(detect);
    let session = authenticate(&req)?;
    if args.expiry_only {
        // No secret in it: printed on a terminal too.
        let changes = [Change::Set(
            MFA_ENV_EXPIRATION,
            session.renewable_until.to_string(),
        )];
        return super::print_stdout(&shell.render(&changes)?).map(|()| 0);
    }
    let mut changes = session_changes(&SessionVars {
        profile: &session.profile,
        credentials: &session.credentials,
        region: session.region.as_deref(),
    });
    if EnvSession::read().endpoint.is_some() {
        leave_endpoint(&mut changes);
    }
    let code = shell.render(&changes)?;
    if std::io::stdout().is_terminal() && !args.reveal {
        super::withheld_on_terminal(&session, "nothing was applied");
        eprintln!(
            "  apply it to this shell:  {}",
            hint::apply(shell, Some(&session.profile))
        );
        eprintln!(
            "  or run one command:      mfa-env exec {} -- aws sts get-caller-identity",
            hint::arg_for(shell, &session.profile)
        );
        eprintln!("  (--reveal prints the code here; it contains the secret key)");
        return Ok(0);
    }
    super::print_stdout(&code)?;
    session.announce();
    Ok(0)
}
