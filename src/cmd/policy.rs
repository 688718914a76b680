//! `mfa-env policy require-mfa | manage-own-mfa | role-trust | cloudformation`: the IAM
//! policies that enforce MFA, as AWS documents them, and a CloudFormation template that puts
//! them in place. The texts live in `src/policy/`; only validated names and IDs are put in.

use crate::cli::{PolicyArgs, PolicyKind};
use crate::error::{fail, Exit};

const REQUIRE_MFA: &str = include_str!("../policy/require-mfa.json");
const MANAGE_OWN_MFA: &str = include_str!("../policy/manage-own-mfa.json");
const ROLE_TRUST: &str = include_str!("../policy/role-trust.json");
const CLOUDFORMATION: &str = include_str!("../policy/cloudformation.yaml");

pub fn run(args: &PolicyArgs) -> anyhow::Result<i32> {
    // Options that do not apply to this policy are refused, not ignored.
    let applies: &[&str] = match args.kind {
        PolicyKind::RequireMfa => &[],
        PolicyKind::ManageOwnMfa => &["--account", "PROFILE", "--profile"],
        PolicyKind::RoleTrust => &["--account", "PROFILE", "--profile", "--user"],
        PolicyKind::Cloudformation => &["--role"],
    };
    for (flag, given) in [
        ("--account", args.account.is_some()),
        (
            if args.profile.is_some() {
                "PROFILE"
            } else {
                "--profile"
            },
            args.profile_arg().is_some(),
        ),
        ("--user", args.user.is_some()),
        ("--role", args.role.is_some()),
    ] {
        if given && !applies.contains(&flag) {
            return Err(fail(
                Exit::Usage,
                format!(
                    "{flag} does not apply to {} (it takes {})",
                    kind_name(args.kind),
                    if applies.is_empty() {
                        "no option".to_string()
                    } else {
                        applies.join(", ")
                    }
                ),
            ));
        }
    }
    if let Some(user) = &args.user {
        // A user with a path: PATH/NAME, each part an IAM name.
        for part in user.split('/') {
            check_name(part, "--user", 64)?;
        }
    }
    let role = args.role.as_deref().unwrap_or("MfaRole");
    // The group is named after the role: `ROLE-users`, within IAM's 128 characters.
    check_name(role, "--role", 64)?;
    let text = match args.kind {
        PolicyKind::RequireMfa => REQUIRE_MFA.to_string(),
        PolicyKind::ManageOwnMfa => MANAGE_OWN_MFA.replace("{{ACCOUNT}}", &account(args)?),
        PolicyKind::RoleTrust => {
            let account = account(args)?;
            let principal = match &args.user {
                Some(user) => format!("arn:aws:iam::{account}:user/{user}"),
                None => format!("arn:aws:iam::{account}:root"),
            };
            ROLE_TRUST.replace("{{PRINCIPAL}}", &principal)
        }
        PolicyKind::Cloudformation => CLOUDFORMATION
            .replace("{{ROLE}}", role)
            .replace("{{GROUP}}", &format!("{role}-users")),
    };
    super::print_stdout(&text)?;
    Ok(0)
}

fn kind_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::RequireMfa => "require-mfa",
        PolicyKind::ManageOwnMfa => "manage-own-mfa",
        PolicyKind::RoleTrust => "role-trust",
        PolicyKind::Cloudformation => "cloudformation",
    }
}

/// An IAM user, role or group name: letters, digits and `+=,.@_-`, at most `max` characters.
fn check_name(name: &str, flag: &str, max: usize) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(fail(
            Exit::Usage,
            format!("{flag} must be an IAM name: 1 to {max} letters, digits and + = , . @ _ -"),
        ))
    }
}

/// `--account`, else the account of the profile's keys (GetCallerIdentity: no permission and no
/// MFA needed).
fn account(args: &PolicyArgs) -> anyhow::Result<String> {
    if let Some(account) = &args.account {
        if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(account.clone());
        }
        return Err(fail(
            Exit::Usage,
            "--account must be a 12-digit AWS account ID",
        ));
    }
    let profile = crate::auth::default_profile(args.profile_arg());
    let arn = crate::auth::caller_arn(&profile).map_err(|e| {
        let exit = crate::error::exit_kind(&e).unwrap_or(Exit::Other);
        fail(
            exit,
            format!("{e:#}; or give the account with --account ID"),
        )
    })?;
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12)
        .map(str::to_string)
        .ok_or_else(|| fail(Exit::Other, format!("no account ID in the ARN {arn}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_valid_and_only_named_placeholders_remain() {
        for text in [REQUIRE_MFA, MANAGE_OWN_MFA, ROLE_TRUST] {
            let filled = text
                .replace("{{ACCOUNT}}", "123456789012")
                .replace("{{PRINCIPAL}}", "arn:aws:iam::123456789012:root");
            assert!(!filled.contains("{{"), "{filled}");
            serde_json::from_str::<serde_json::Value>(&filled).unwrap();
        }
        let cfn = CLOUDFORMATION
            .replace("{{ROLE}}", "R")
            .replace("{{GROUP}}", "G");
        assert!(!cfn.contains("{{"));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("Admin-1.x@y", "--role", 64).is_ok());
        for bad in ["", "a b", "a\"b", "a/b", "a\nb", &"x".repeat(65)] {
            assert!(check_name(bad, "--role", 64).is_err(), "{bad:?}");
        }
    }
}
