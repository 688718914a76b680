//! The policies that enforce MFA, checked by tools nobody here wrote: parliament (IAM policy
//! linter) finds nothing in the JSON ones, cfn-lint passes the template, and moto's
//! CloudFormation creates the stack from it.

use crate::moto::{boto, start_moto_with, venv_tool};
use crate::support::*;

fn policy(f: &Fixture, args: &[&str]) -> String {
    let mut all = vec!["policy"];
    all.extend_from_slice(args);
    let out = f.run(&all);
    assert_eq!(out.status, 0, "{args:?}: {}", out.stderr);
    out.stdout
}

#[test]
fn policies_are_valid_json_that_parliament_finds_nothing_in() {
    let Some(parliament) = venv_tool("MFA_ENV_PARLIAMENT", "parliament") else {
        require_present(false, "parliament (in .venv-moto)");
        return;
    };
    let f = Fixture::new();
    for args in [
        vec!["require-mfa"],
        vec!["manage-own-mfa", "--account", "123456789012"],
        vec!["role-trust", "--account", "123456789012"],
        vec!["role-trust", "--account", "123456789012", "--user", "alice"],
    ] {
        let text = policy(&f, &args);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["Version"], "2012-10-17");
        let out = f.sh(
            parliament.to_str().unwrap(),
            &["--json", "--string", &text],
            &[],
        );
        // parliament reads identity policies: a trust policy has a Principal and, by
        // definition, no Resource, which is the one thing it may say about one.
        let findings: Vec<serde_json::Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|f: &serde_json::Value| {
                !(args[0] == "role-trust"
                    && f["detail"] == "Statement contains neither Resource nor NotResource")
            })
            .collect();
        assert!(
            findings.is_empty(),
            "parliament on {args:?}: {findings:?} {}",
            out.stderr
        );
    }
    let trust = policy(
        &f,
        &["role-trust", "--account", "123456789012", "--user", "alice"],
    );
    assert!(trust.contains("\"AWS\": \"arn:aws:iam::123456789012:user/alice\""));
    assert!(trust.contains("\"aws:MultiFactorAuthPresent\": \"true\""));
}

#[test]
fn the_account_defaults_to_the_profiles_and_bad_names_are_refused() {
    let f = Fixture::new();
    let text = policy(&f, &["manage-own-mfa", "--profile", "dev"]);
    assert!(
        text.contains("arn:aws:iam::123456789012:user/${aws:username}"),
        "{text}"
    );
    // GetCallerIdentity, signed with the long-term key: no code asked.
    let requests = f.sts.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].action, "GetCallerIdentity");
    for (args, says) in [
        (
            vec!["policy", "role-trust", "--account", "12345"],
            "--account must be a 12-digit",
        ),
        (
            vec![
                "policy",
                "role-trust",
                "--account",
                "123456789012",
                "--user",
                "a b",
            ],
            "--user must be an IAM name",
        ),
        (
            vec!["policy", "cloudformation", "--role", "x\ny"],
            "--role must be an IAM name",
        ),
    ] {
        let out = f.run(&args);
        f.assert_failure(&out, 2, says);
    }
    // Options that do not apply are refused, not ignored.
    for (args, says) in [
        (
            vec!["policy", "require-mfa", "--user", "bob"],
            "--user does not apply to require-mfa (it takes no option)",
        ),
        (
            vec!["policy", "cloudformation", "--account", "123456789012"],
            "--account does not apply to cloudformation (it takes --role)",
        ),
        (
            vec!["policy", "role-trust", "--role", "X"],
            "--role does not apply to role-trust",
        ),
    ] {
        let out = f.run(&args);
        f.assert_failure(&out, 2, says);
    }
    // A user with a path.
    let trust = policy(
        &f,
        &[
            "role-trust",
            "--account",
            "123456789012",
            "--user",
            "team/bob",
        ],
    );
    assert!(
        trust.contains("arn:aws:iam::123456789012:user/team/bob"),
        "{trust}"
    );
    let mut g = Fixture::new();
    g.write_credentials("");
    let out = g.run(&["policy", "role-trust", "--profile", "dev"]);
    assert_eq!(out.status, 3, "{}", out.stderr);
    out.assert_says("give the account with --account ID");
}

#[test]
fn the_template_passes_cfn_lint_and_deploys_to_moto() {
    let Some(cfn_lint) = venv_tool("MFA_ENV_CFN_LINT", "cfn-lint") else {
        require_present(false, "cfn-lint (in .venv-moto)");
        return;
    };
    let f = Fixture::new();
    let template = policy(&f, &["cloudformation", "--role", "MfaAdmin"]);
    let file = f.root.path().join("mfa.yaml");
    std::fs::write(&file, &template).unwrap();
    let out = f.sh(cfn_lint.to_str().unwrap(), &[file.to_str().unwrap()], &[]);
    assert_eq!(out.status, 0, "cfn-lint: {}{}", out.stdout, out.stderr);

    let Some((moto, _)) = start_moto_with(false) else {
        return;
    };
    // The trust policy as IAM takes it for a role of its own.
    let trust = policy(
        &f,
        &["role-trust", "--account", "123456789012", "--user", "alice"],
    );
    let trust_file = f.root.path().join("trust.json");
    std::fs::write(&trust_file, &trust).unwrap();
    let script = format!(
        "import boto3, json, sys
kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1',
          aws_access_key_id='AKIASETUPSETUPSETUP0', aws_secret_access_key='x')
cfn, iam = boto3.client('cloudformation', **kw), boto3.client('iam', **kw)
cfn.create_stack(StackName='mfa', TemplateBody=open({file:?}).read(),
                 Capabilities=['CAPABILITY_NAMED_IAM'])
stack = cfn.describe_stacks(StackName='mfa')['Stacks'][0]
role = iam.get_role(RoleName='MfaAdmin')['Role']
# moto 5.2 does not model AWS::IAM::Group in CloudFormation (cfn-lint checks that part).
local = iam.list_policies(Scope='Local')['Policies']
doc = iam.get_policy_version(PolicyArn=local[0]['Arn'], VersionId=local[0]['DefaultVersionId'])
other = iam.create_role(RoleName='FromPolicy', AssumeRolePolicyDocument=open({trust_file:?}).read())['Role']
print(json.dumps({{'status': stack['StackStatus'],
                  'outputs': {{o['OutputKey']: o['OutputValue'] for o in stack.get('Outputs', [])}},
                  'trust': role['AssumeRolePolicyDocument'], 'max': role.get('MaxSessionDuration'),
                  'policies': len(local), 'managed': doc['PolicyVersion']['Document'],
                  'other': other['AssumeRolePolicyDocument']}}, default=str))",
        file = file.display().to_string(),
        trust_file = trust_file.display().to_string()
    );
    let answer: serde_json::Value = serde_json::from_str(&boto(&moto.url, &script)).unwrap();
    assert_eq!(answer["status"], "CREATE_COMPLETE", "{answer}");
    let trust = &answer["trust"]["Statement"][0];
    assert_eq!(
        trust["Condition"]["Bool"]["aws:MultiFactorAuthPresent"], "true",
        "{answer}"
    );
    assert_eq!(trust["Action"], "sts:AssumeRole");
    assert_eq!(answer["max"], 43200);
    assert_eq!(answer["policies"], 1);
    let managed = answer["managed"].to_string();
    assert!(
        managed.contains("DenyAllExceptListedIfNoMFA") && managed.contains("${aws:username}"),
        "{managed}"
    );
    assert_eq!(
        answer["outputs"]["RoleArn"], "arn:aws:iam::123456789012:role/MfaAdmin",
        "{answer}"
    );
    assert_eq!(
        answer["other"]["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::123456789012:user/alice",
        "{answer}"
    );
}
