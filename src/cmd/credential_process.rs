//! `mfa-env credential-process PROFILE`: the JSON that `credential_process` expects.

use std::io::IsTerminal;

use crate::auth::authenticate;
use crate::cli::CredentialProcessArgs;

pub fn run(args: &CredentialProcessArgs) -> anyhow::Result<i32> {
    let req = super::request(&args.auth);
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
    Ok(0)
}
