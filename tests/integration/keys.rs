//! Long-term keys that are not in the credentials file: a source profile's
//! `credential_process` (a password manager, a vault script) run by mfa-env when, and only
//! when, STS is called.

use crate::support::*;

/// A "vault" outside HOME and TMPDIR: a script that counts its runs and prints `answer`
/// (after `extra`, shell code run first).
fn vault(f: &Fixture, answer: &str, extra: &str) -> String {
    let dir = f.root.path().join("vault");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("keys.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> '{runs}'\n{extra}\ncat <<'JSON'\n{answer}\nJSON\n",
            runs = dir.join("runs").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script.display().to_string()
}

fn runs(f: &Fixture) -> usize {
    std::fs::read_to_string(f.root.path().join("vault/runs"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// `[vaulted]` takes its keys from a vault that prints `answer(fixture)` after running `extra`;
/// `[profile vaulted]` has the MFA device, `vaulted-admin` is a role of it.
fn with_vault(answer: impl Fn(&Fixture) -> String, extra: &str) -> Fixture {
    let mut f = Fixture::new();
    let command = vault(&f, &answer(&f), extra);
    f.write_credentials(&format!("[vaulted]\ncredential_process = {command}\n"));
    f.write_config(&format!(
        "[profile vaulted]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\
         [profile vaulted-admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = vaulted\n"
    ));
    f
}

#[test]
fn a_source_whose_credential_process_prints_long_term_keys_authenticates() {
    // The vault asks on stderr (it reaches the user) and cannot read stdin (closed: `cat`
    // ends at once instead of waiting).
    let f = with_vault(
        |f| {
            let alice = f.sts.alice();
            format!(
                "{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}",
                alice.access_key_id, alice.secret_access_key
            )
        },
        "echo 'unlock the vault' >&2; cat",
    );
    let alice = f.sts.alice();
    let out = f.run(&["vaulted", "--shell", "bash", "-v", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("export AWS_SESSION_TOKEN='"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("unlock the vault"), "{}", out.stderr);
    assert!(
        out.stderr.contains("keys from credential_process"),
        "verbose says where the keys came from: {}",
        out.stderr
    );
    let signed: Vec<_> = f
        .sts
        .requests()
        .into_iter()
        .filter(|r| r.action == "GetSessionToken")
        .map(|r| r.access_key_id)
        .collect();
    assert_eq!(
        signed,
        [Some(alice.access_key_id.clone())],
        "signed with the vault's key"
    );
    assert_eq!(runs(&f), 1);
    f.assert_no_secret(&out.stderr);

    // A cache hit runs nothing; a role of that source needs no code and no vault either.
    let out = f.run(&["vaulted", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = f.run(&["vaulted-admin", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(runs(&f), 1, "the cache was used without the vault");
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    f.assert_aws_untouched();
    f.assert_no_secret_in_files();
}

#[test]
fn a_credential_process_that_misbehaves_gets_a_clear_error_and_nothing_is_sent() {
    let cases: [(&str, &str, &str); 5] = [
        (
            "{\"Version\": 1, \"AccessKeyId\": \"ASIATEMP\", \"SecretAccessKey\": \"tempSecretXYZ\", \"SessionToken\": \"tok\"}",
            "",
            "printed temporary credentials (a SessionToken)",
        ),
        ("AKIAGARBAGE garbageSecretXYZ", "", "did not print a JSON object of credentials"),
        (
            "{\"AccessKeyId\": \"AKIAX\", \"SecretAccessKey\": \"noVersionSecretXYZ\"}",
            "",
            "without \"Version\": 1",
        ),
        ("{}", "exit 4", "failed (exit status: 4); run it by hand to see why"),
        ("{}", "sleep 30", "did not finish within 1s (MFA_ENV_PROCESS_TIMEOUT); it was stopped"),
    ];
    for (answer, extra, says) in cases {
        let f = with_vault(|_| answer.to_string(), extra);
        let out = f.run_with(
            &["vaulted", "--shell", "bash", "-t", &f.code()],
            &[("MFA_ENV_PROCESS_TIMEOUT", "1")],
        );
        f.assert_failure(&out, 3, says);
        assert!(
            out.stderr
                .contains("credential_process of profile 'vaulted'"),
            "{}",
            out.stderr
        );
        for secret in ["tempSecretXYZ", "garbageSecretXYZ", "noVersionSecretXYZ"] {
            assert!(!out.stderr.contains(secret), "{}", out.stderr);
        }
        assert!(f.sts.requests().is_empty(), "{says}: nothing was sent");
        f.assert_aws_untouched();
    }
}

/// A source whose credential_process is mfa-env itself gives temporary credentials: refused
/// with that reason, and the process is not run.
#[test]
fn a_source_that_wraps_mfa_env_is_not_a_key_source() {
    let mut f = Fixture::new();
    f.write_credentials("[wrapper]\ncredential_process = mfa-env credential-process dev\n");
    f.write_config(&format!(
        "[profile wrapped-role]\nrole_arn = {ADMIN_ARN}\nsource_profile = wrapper\nmfa_serial = {SERIAL}\n"
    ));
    let out = f.run(&["wrapped-role", "-t", &f.code()]);
    f.assert_failure(
        &out,
        3,
        "profile 'wrapper' has no long-term keys (its credential_process runs mfa-env, which gives temporary credentials)",
    );
    assert!(f.sts.requests().is_empty());
}

#[test]
fn keys_from_a_credential_process_are_not_rotated_or_imported() {
    let f = with_vault(|_| "{}".to_string(), "");
    let out = f.run(&["keys", "rotate", "vaulted"]);
    f.assert_failure(
        &out,
        3,
        "the keys of 'vaulted' come from its credential_process: rotate them where that program keeps them",
    );
    let out = f.run(&["keys", "import", "vaulted-admin"]);
    f.assert_failure(&out, 3, "its source profile 'vaulted'");
    let out = f.run(&["keys", "import", "vaulted"]);
    f.assert_failure(&out, 3, "takes its keys from its credential_process");
    assert_eq!(runs(&f), 0);
    assert!(f.sts.requests().is_empty());
}
