//! `mfa-env credential-process PROFILE`: the JSON that `credential_process` expects.

use crate::auth::authenticate;
use crate::cli::CredentialProcessArgs;

pub fn run(args: &CredentialProcessArgs) -> anyhow::Result<i32> {
    let req = super::request(&args.auth);
    let session = authenticate(&req)?;
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
