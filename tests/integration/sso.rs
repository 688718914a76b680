//! IAM Identity Center profiles as a source (aws-config's SSO provider): the token `aws sso
//! login` cached, GetRoleCredentials at the fake portal, the role credentials cached and served
//! as any session's, roles on top, and an expired token saying how to sign in again.

use crate::support::*;

const START_URL: &str = "https://d-1234.awsapps.com/start";

/// A profile `corp` (an Identity Center role through `[sso-session corp]`), `corp-admin` on
/// top of it, `legacy` in the old layout; a token cached for each.
fn corp(token_seconds: u64) -> (Fixture, String) {
    let mut f = Fixture::new();
    f.write_config(&format!(
        "[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\n\
         sso_role_name = Developer\nregion = eu-west-1\n\n\
         [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n\n\
         [profile corp-admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = corp\n\n\
         [profile legacy]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n\
         sso_account_id = 123456789012\nsso_role_name = Developer\n"
    ));
    let token = f.sts.sso_token("alice", token_seconds);
    let cache = f.aws_dir().join("sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let entry = serde_json::json!({
        "startUrl": START_URL,
        "region": "eu-west-1",
        "accessToken": token,
        "expiresAt": "2099-01-01T00:00:00Z",
    })
    .to_string();
    // sha1("corp") and sha1(START_URL), as the SDKs name the files (Python's hashlib).
    for name in [
        "ee0bfd2552fbd840c02cc48b6e823320543c450f",
        "4c73126ffe99e8f14e2b25775d5fad6231197402",
    ] {
        std::fs::write(cache.join(format!("{name}.json")), &entry).unwrap();
    }
    f.accept_aws_changes();
    (f, token)
}

fn key_of(f: &Fixture, profile: &str) -> Out {
    f.run_with(
        &[
            "exec",
            profile,
            "--",
            "sh",
            "-c",
            "printf %s \"$AWS_ACCESS_KEY_ID\"",
        ],
        &[("AWS_ENDPOINT_URL_SSO", &f.sts.url())],
    )
}

#[test]
fn an_identity_center_role_is_a_source_cached_and_served_as_any() {
    let (f, token) = corp(3600);
    let out = key_of(&f, "corp");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.sso_calls(), 1);
    let arn = f
        .sts
        .arn_of(&out.stdout)
        .expect("credentials the portal issued");
    assert!(
        arn.contains(":assumed-role/AWSReservedSSO_Developer_"),
        "{arn}"
    );
    assert!(!out.stderr.contains(&token), "{}", out.stderr);
    f.assert_no_secret(&out.stderr);
    // Cached: the next run asks nobody.
    let again = key_of(&f, "corp");
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(f.sts.sso_calls(), 1);
    // The legacy layout (the start URL in the profile) works the same.
    let legacy = key_of(&f, "legacy");
    assert_eq!(legacy.status, 0, "{}", legacy.stderr);
    // A role on top: assumed with the Identity Center credentials, no code.
    let out = key_of(&f, "corp-admin");
    assert_eq!(out.status, 0, "{}", out.stderr);
    let assumed = f
        .sts
        .requests()
        .into_iter()
        .rfind(|r| r.action == "AssumeRole")
        .expect("an AssumeRole");
    let corp_key = again.stdout.clone();
    assert_eq!(assumed.access_key_id.as_deref(), Some(corp_key.as_str()));
    assert!(!assumed.params.contains_key("TokenCode"));
    assert_eq!(f.sts.count("GetSessionToken"), 0);
    // list names them.
    let out = f.run(&["list"]);
    let line = out.stdout.lines().find(|l| l.starts_with("corp ")).unwrap();
    assert!(
        line.contains("sso") && line.contains("Developer in 123456789012"),
        "{line}"
    );
    // doctor checks them with STS.
    let out = f.run_with(
        &["doctor", "corp"],
        &[("AWS_ENDPOINT_URL_SSO", &f.sts.url())],
    );
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("IAM Identity Center role Developer in account 123456789012"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_ended_identity_center_sign_in_says_how_to_sign_in_again() {
    let (f, token) = corp(0);
    let out = f.run_with(
        &["corp", "--shell", "bash"],
        &[("AWS_ENDPOINT_URL_SSO", &f.sts.url())],
    );
    f.assert_failure(&out, 4, "cannot get the IAM Identity Center role Developer");
    out.assert_says("`aws sso login --sso-session corp`");
    assert!(!out.stderr.contains(&token), "{}", out.stderr);
    // A profile half set up is refused with what is missing.
    let mut f = f;
    f.write_config("[profile half]\nsso_account_id = 123456789012\n");
    let out = f.run(&["half", "--shell", "bash"]);
    f.assert_failure(&out, 3, "needs both sso_account_id and sso_role_name");
    f.write_config("[profile s]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n");
    let out = f.run(&["s", "--shell", "bash"]);
    f.assert_failure(&out, 3, "no [sso-session nope] section");
}
