//! `mfa-env credential-process PROFILE`: the JSON that `credential_process` expects.

use std::io::IsTerminal;

use crate::auth::authenticate;
use crate::cli::CredentialProcessArgs;

pub fn run(args: &CredentialProcessArgs) -> anyhow::Result<i32> {
    let mut req = super::request(&args.auth);
    // Run by an SDK from ~/.aws/config, where no one can pass --token-code.
    req.no_terminal = Some(format!(
        "a credential_process runs without one: set mfa_process in the profile (a command that \
         prints the code, such as `ykman oath accounts code -s aws`), or start the session in a \
         terminal first (`mfa-env {}` there; this then finds it cached)",
        crate::shell::hint::arg(&req.profile)
    ));
    let session = authenticate(&req)?;
    if std::io::stdout().is_terminal() && !args.reveal {
        super::withheld_on_terminal(&session, "the credentials were not printed");
        eprintln!(
            "  it is meant for ~/.aws/config:  credential_process = mfa-env credential-process {}",
            session.profile
        );
        eprintln!("  (--reveal prints the JSON here; it contains the secret key)");
        return Ok(0);
    }
    let c = &session.credentials;
    let json = serde_json::json!({
        "Version": 1,
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key.as_str(),
        "SessionToken": c.session_token.as_str(),
        "Expiration": c.expiration_rfc3339(),
    });
    let text = zeroize::Zeroizing::new(format!("{json}\n"));
    super::print_stdout(&text)?;
    session.announce();
    Ok(0)
}
