//! The core flow: profiles, codes, STS calls, output, failures.

use crate::support::*;

#[test]
fn session_token_profile_exports_credentials() {
    let f = Fixture::new();
    let out = f.run(&["dev", "--shell", "bash", "--token-code", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        exported_names(&out.stdout),
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "MFA_ENV_REGION",
            "MFA_ENV_PROFILE",
            "MFA_ENV_EXPIRATION",
            "MFA_ENV_IDENTITY"
        ]
    );
    assert!(out.stdout.contains("unset AWS_PROFILE\n"));
    assert!(out.stdout.contains("unset AWS_SECURITY_TOKEN\n"));
    let reqs = f.sts.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.action, "GetSessionToken");
    assert_eq!(r.params["SerialNumber"], SERIAL);
    assert_eq!(r.params["DurationSeconds"], "43200");
    assert_eq!(
        r.access_key_id.as_deref(),
        Some(f.sts.alice().access_key_id.as_str())
    );
    f.assert_no_secret(&out.stderr);
}

/// A code used says one line on stderr: the profile, who it is now, until when. A cache hit,
/// or a role renewed from the cached MFA session, says nothing.
#[test]
fn a_code_used_says_one_line_and_a_cache_hit_none() {
    let f = Fixture::new();
    let out = f.run_with(
        &["dev", "--shell", "bash", "-t", &f.code()],
        &[("MFA_ENV_VERBOSE", "0")],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(
        lines[0].starts_with(&format!(
            "mfa-env: 'dev' authenticated with MFA device {SERIAL} until 20"
        )) && lines[0].ends_with(" (12h00m)"),
        "{}",
        out.stderr
    );
    let quiet = |args: &[&str]| {
        let out = f.run_with(args, &[("MFA_ENV_VERBOSE", "0")]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert_eq!(out.stderr, "", "{args:?}");
    };
    quiet(&["dev", "--shell", "bash"]);
    quiet(&["admin", "--shell", "bash"]);
    quiet(&["admin", "--shell", "bash", "--refresh"]);
    let out = f.run_with(
        &[
            "admin",
            "--shell",
            "bash",
            "--refresh-mfa",
            "-t",
            &f.sts.alice().next_code(),
        ],
        &[("MFA_ENV_VERBOSE", "0")],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(
            "mfa-env: 'admin' authenticated as arn:aws:sts::123456789012:assumed-role/Admin/mfa-env-alice until "
        ) && out.stderr.ends_with(" (1h00m)\n")
            && out.stderr.lines().count() == 1,
        "{}",
        out.stderr
    );
}

fn no_tty(cmd: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe; it detaches from any controlling terminal.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        })
    }
}

#[test]
fn role_profile_uses_an_mfa_session_then_assume_role() {
    let f = Fixture::new();
    let out = f.run(&["admin", "--shell", "sh", "--token-code", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let reqs = f.sts.requests();
    let actions: Vec<_> = reqs.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"]);
    assert_eq!(reqs[1].params["RoleArn"], ADMIN_ARN);
    assert_eq!(reqs[1].params["RoleSessionName"], "mfa-env-alice");
    assert_eq!(reqs[1].params["DurationSeconds"], "3600");
    assert!(
        !reqs[1].params.contains_key("TokenCode"),
        "the role is assumed with the session"
    );
    assert!(reqs[1].security_token.is_some());
    assert!(out.stdout.contains(
        "export MFA_ENV_IDENTITY='arn:aws:sts::123456789012:assumed-role/Admin/mfa-env-alice'"
    ));
    // No region on the role profile nor... the source has one: it is inherited.
    assert!(out.stdout.contains("export AWS_REGION='eu-west-1'"));
}

#[test]
fn long_role_duration_takes_the_direct_path_and_says_so() {
    let f = Fixture::new();
    let code = f.code();
    let out = f.run(&[
        "admin",
        "--shell",
        "sh",
        "--duration",
        "4h",
        "--token-code",
        &code,
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("more than the 1h AWS allows"),
        "{}",
        out.stderr
    );
    let reqs = f.sts.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].action, "AssumeRole");
    assert_eq!(reqs[0].params["DurationSeconds"], "14400");
    assert_eq!(reqs[0].params["SerialNumber"], SERIAL);
    assert_eq!(reqs[0].params["TokenCode"], code);
    // From the cache: no code asked, so nothing to explain.
    let out = f.run(&["admin", "--shell", "sh", "--duration", "4h"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("more than the 1h"), "{}", out.stderr);
}

#[test]
fn via_session_with_a_long_duration_is_refused_before_any_call() {
    let f = Fixture::new();
    let out = f.run(&[
        "admin",
        "--via-session",
        "--duration",
        "2h",
        "--token-code",
        &f.code(),
    ]);
    f.assert_failure(&out, 3, "--via-session limits the role to 1h");
    assert_eq!(f.sts.requests().len(), 0);
}

#[test]
fn direct_flag_forces_assume_role_with_mfa() {
    let f = Fixture::new();
    let code = f.code();
    let out = f.run(&["admin", "--direct", "--shell", "sh", "--token-code", &code]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let reqs = f.sts.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].params["DurationSeconds"], "3600");
    assert_eq!(reqs[0].params["TokenCode"], code);
}

#[test]
fn mfa_serial_on_the_role_profile_and_keys_on_the_source() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_credentials(&alice.credentials_section("base"));
    f.write_config(&format!(
        "[profile ops]\nrole_arn = {ADMIN_ARN}\nsource_profile = base\nmfa_serial = {SERIAL}\n\
         role_session_name = ops-session\nduration_seconds = 1800\nregion = us-west-2\n"
    ));
    let out = f.run(&["ops", "--shell", "bash", "--token-code", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let reqs = f.sts.requests();
    assert_eq!(reqs[0].params["SerialNumber"], SERIAL);
    assert_eq!(reqs[1].params["RoleSessionName"], "ops-session");
    assert_eq!(reqs[1].params["DurationSeconds"], "1800");
    assert!(out.stdout.contains("export AWS_REGION='us-west-2'"));
}

#[test]
fn external_id_is_sent() {
    let mut f = Fixture::new();
    let mut role = crate::support::fake_sts::Role::new("Partner");
    role.external_id = Some("ext-42".into());
    f.sts.add_role(role);
    let alice = f.sts.alice();
    f.write_credentials(&alice.credentials_section("dev"));
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\n[profile partner]\nrole_arn = arn:aws:iam::123456789012:role/Partner\nsource_profile = dev\nexternal_id = ext-42\n"
    ));
    let out = f.run(&["partner", "--shell", "bash", "--token-code", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.requests()[1].params["ExternalId"], "ext-42");
    assert!(
        !out.stdout.contains("AWS_REGION"),
        "no region known, none exported"
    );
}

#[test]
fn aws_mfa_layout_works_unchanged() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    // aws-mfa's layout: keys and device in [x-long-term]; [x] holds its stale short-term output.
    f.write_credentials(&format!(
        "{}aws_mfa_device = {SERIAL}\n\n\
         [legacy]\naws_access_key_id = ASIASTALESTALESTALE1\naws_secret_access_key = stale\naws_session_token = stale\n",
        alice.credentials_section("legacy-long-term")
    ));
    f.write_config("");
    let out = f.run(&["legacy", "--shell", "bash", "--token-code", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let reqs = f.sts.requests();
    assert_eq!(reqs[0].action, "GetSessionToken");
    assert_eq!(
        reqs[0].access_key_id.as_deref(),
        Some(alice.access_key_id.as_str())
    );
    assert_eq!(reqs[0].params["SerialNumber"], SERIAL);
}

#[test]
fn aws_mfa_layout_with_assume_role() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_credentials(&format!(
        "{}aws_mfa_device = {SERIAL}\nassume_role = {ADMIN_ARN}\n",
        alice.credentials_section("legacy-long-term")
    ));
    f.write_config("");
    let out = f.run(&["legacy", "--shell", "bash", "--token-code", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let actions: Vec<_> = f.sts.requests().iter().map(|r| r.action.clone()).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"]);
}

#[test]
fn source_keys_come_from_the_files_not_the_environment() {
    let f = Fixture::new();
    let out = f.run_with(
        &["dev", "--shell", "bash", "--token-code", &f.code()],
        &[
            ("AWS_ACCESS_KEY_ID", "ASIAENVIRONMENTKEY01"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_SESSION_TOKEN", "env-token"),
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let r = &f.sts.requests()[0];
    assert_eq!(
        r.access_key_id.as_deref(),
        Some(f.sts.alice().access_key_id.as_str())
    );
    assert!(r.security_token.is_none());
}

#[test]
fn profile_defaults_to_aws_profile_then_default() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_credentials(&format!(
        "{}{}",
        alice.credentials_section("default"),
        alice.credentials_section("dev")
    ));
    f.write_config(&format!("[default]\nmfa_serial = {SERIAL}\nregion = ap-south-1\n[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n"));
    let out = f.run(&["--shell", "bash", "--token-code", &f.code()]);
    assert!(
        out.stdout.contains("export MFA_ENV_PROFILE='default'"),
        "{}",
        out.stderr
    );
    let out = f.run_with(
        &[
            "--shell",
            "bash",
            "--no-cache",
            "--token-code",
            &f.sts.alice().next_code(),
        ],
        &[("AWS_PROFILE", "dev")],
    );
    assert!(
        out.stdout.contains("export MFA_ENV_PROFILE='dev'"),
        "{}",
        out.stderr
    );
}

/// `--profile NAME`, the AWS CLI's habit, wherever a profile is taken; with the positional too
/// it is refused (exit 2), and `exec --profile P CMD` says the command goes after `--`.
#[test]
fn profile_option_is_taken_wherever_a_profile_is() {
    let f = Fixture::new();
    let out = f.run(&["--profile", "dev", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("export MFA_ENV_PROFILE='dev'"));
    let out = f.run(&["export", "--profile", "admin", "--shell", "bash"]);
    assert!(
        out.stdout.contains("export MFA_ENV_PROFILE='admin'"),
        "{}",
        out.stderr
    );
    let out = f.run(&[
        "exec",
        "--profile",
        "dev",
        "--",
        "sh",
        "-c",
        "echo $MFA_ENV_PROFILE",
    ]);
    assert_eq!(out.stdout, "dev\n", "{}", out.stderr);
    let out = f.run(&["exec", "--profile", "dev", "terraform", "plan"]);
    f.assert_failure(
        &out,
        2,
        "the command goes after --: mfa-env exec --profile dev -- terraform plan",
    );
    let out = f.run(&["dev", "--profile", "admin"]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);

    let iam = [("AWS_ENDPOINT_URL_IAM", f.sts.url())];
    let iam: Vec<(&str, &str)> = iam.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = f.run_with(&["device", "list", "--profile", "dev"], &iam);
    assert_eq!(
        out.stdout,
        format!("{SERIAL}  (mfa_serial of 'dev')\n"),
        "{}",
        out.stderr
    );
    let out = f.run_with(&["setup", "--profile", "dev", "--yes"], &iam);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = f.run(&["keys", "remove", "--profile", "admin", "--yes"]);
    f.assert_failure(&out, 3, "run `mfa-env keys remove dev`");
    let out = f.run(&["keys", "add"]);
    assert_eq!(out.status, 2, "{}", out.stderr);

    // policy takes PROFILE as the others do, and --profile.
    let by_option = f.run(&["policy", "manage-own-mfa", "--profile", "dev"]);
    assert_eq!(by_option.status, 0, "{}", by_option.stderr);
    assert!(by_option.stdout.contains("arn:aws:iam::123456789012:"));
    let by_position = f.run(&["policy", "manage-own-mfa", "dev"]);
    assert_eq!(
        by_position.stdout, by_option.stdout,
        "{}",
        by_position.stderr
    );
    let out = f.run(&["policy", "require-mfa", "dev"]);
    f.assert_failure(&out, 2, "PROFILE does not apply to require-mfa");

    let out = f.run(&["logout", "--profile", "dev"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("for 'dev'");
    let out = f.run(&["doctor", "--profile", "nosuch"]);
    assert!(
        out.stdout.contains("profile 'nosuch' not found"),
        "{}",
        out.stdout
    );
}

#[test]
fn duration_flag_is_parsed_and_checked() {
    let f = Fixture::new();
    let out = f.run(&[
        "dev",
        "--shell",
        "bash",
        "--duration",
        "90m",
        "--token-code",
        &f.code(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.requests()[0].params["DurationSeconds"], "5400");
    let out = f.run(&["dev", "--duration", "10m", "--token-code", &f.code()]);
    f.assert_failure(&out, 3, "900s (15m) to 129600s (36h)");
    let out = f.run(&["dev", "--duration", "37h", "--token-code", &f.code()]);
    f.assert_failure(&out, 3, "outside what AWS allows");
    let out = f.run(&["admin", "--duration", "13h", "--token-code", &f.code()]);
    f.assert_failure(&out, 3, "900s (15m) to 43200s (12h)");
    let out = f.run(&["dev", "--duration", "soon"]);
    assert_eq!(out.status, 2, "clap usage error: {}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(f.sts.requests().len(), 1);
}

#[test]
fn unknown_profile_names_the_closest() {
    let f = Fixture::new();
    let out = f.run(&["admn", "--token-code", &f.code()]);
    f.assert_failure(&out, 3, "profile 'admn' not found: did you mean 'admin'?");
    assert!(f.sts.requests().is_empty());
}

#[test]
fn profile_without_mfa_device_says_which_key_to_add() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_credentials(&alice.credentials_section("plain"));
    f.write_config("[profile plain]\nregion = eu-west-1\n");
    let out = f.run(&["plain", "--token-code", &f.code()]);
    f.assert_failure(&out, 3, "profile 'plain' has no MFA device: run `mfa-env setup plain` to enroll one (or find the user's) and write it, or add 'mfa_serial = arn:aws:iam::ACCOUNT_ID:mfa/DEVICE_NAME' to [profile plain]");
    // doctor says the same.
    let out = f.run(&["doctor", "plain"]);
    assert!(
        out.stdout
            .contains("✗ profile 'plain' has no MFA device: run `mfa-env setup plain`"),
        "{}",
        out.stdout
    );
    // A role without one: setup of the source, which holds the keys.
    f.write_config(&format!(
        "[profile plain]\nregion = eu-west-1\n[profile r]\nrole_arn = {ADMIN_ARN}\nsource_profile = plain\n"
    ));
    let out = f.run(&["r"]);
    f.assert_failure(
        &out,
        3,
        "profile 'r' has no MFA device: run `mfa-env setup plain`",
    );
    // No profile uses MFA: list names setup, then keys add.
    let out = f.run(&["list"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("no profile uses MFA yet: `mfa-env setup PROFILE` enrolls an MFA device");
    out.assert_says("no keys yet? `mfa-env keys add PROFILE` first");
}

/// An empty HOME, as a new user has it: the first run names the two commands that make a
/// profile, keys add and setup.
#[test]
fn an_empty_home_names_keys_add_and_setup() {
    let mut f = Fixture::new();
    f.write_config("");
    f.write_credentials("");
    let out = f.run(&[]);
    f.assert_failure(
        &out,
        3,
        "profile 'default' not found: no profiles found in ~/.aws/config or ~/.aws/credentials; \
         to start one, store its IAM user's access key with `mfa-env keys add default` (or in \
         ~/.aws/credentials), then run `mfa-env setup default`",
    );
    // A name that is none of those there, and close to none: the same two commands.
    f.write_config("[profile dev]\nregion = eu-west-1\n");
    let out = f.run(&["production"]);
    f.assert_failure(
        &out,
        3,
        "`mfa-env list` shows the profiles that use MFA; to start one, store its IAM user's \
         access key with `mfa-env keys add production`",
    );
}

#[test]
fn config_errors_are_clear() {
    let mut f = Fixture::new();
    f.write_config(&format!(
        "[profile a]\nrole_arn = {ADMIN_ARN}\nsource_profile = b\nmfa_serial = {SERIAL}\n\
         [profile b]\nrole_arn = {ADMIN_ARN}\nsource_profile = a\n\
         [profile orphan]\nrole_arn = {ADMIN_ARN}\nmfa_serial = {SERIAL}\n\
         [profile dangling]\nrole_arn = {ADMIN_ARN}\nsource_profile = nowhere\n\
         [profile nokeys]\nmfa_serial = {SERIAL}\n\
         [profile badserial]\nmfa_serial = not a serial\n"
    ));
    f.assert_failure(
        &f.run(&["a", "-t", "123456"]),
        3,
        "source_profile chain loops: a -> b -> a",
    );
    f.assert_failure(
        &f.run(&["orphan", "-t", "123456"]),
        3,
        "has role_arn but no source_profile",
    );
    f.assert_failure(
        &f.run(&["dangling", "-t", "123456"]),
        3,
        "names source_profile 'nowhere', which does not exist",
    );
    f.assert_failure(
        &f.run(&["nokeys", "-t", "123456"]),
        3,
        "has no long-term keys: add aws_access_key_id and aws_secret_access_key to [nokeys]",
    );
    f.assert_failure(
        &f.run(&["badserial", "-t", "123456"]),
        3,
        "is not a valid MFA device ARN",
    );
    assert!(f.sts.requests().is_empty());
}

#[test]
fn temporary_keys_in_the_source_are_refused() {
    let mut f = Fixture::new();
    f.write_credentials("[dev]\naws_access_key_id = ASIATEMPTEMPTEMPTEMP\naws_secret_access_key = s\naws_session_token = t\n");
    f.assert_failure(
        &f.run(&["dev", "-t", "123456"]),
        3,
        "holds temporary credentials",
    );
}

#[test]
fn bad_code_format_is_refused_before_any_call() {
    let f = Fixture::new();
    for bad in ["12345", "1234567", "abcdef"] {
        let out = f.run(&["dev", "--token-code", bad]);
        f.assert_failure(&out, 4, "must be exactly 6 digits");
    }
    assert!(f.sts.requests().is_empty());
}

#[test]
fn rejected_code_from_the_flag_fails_at_once() {
    let f = Fixture::new();
    let good = f.code();
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let out = f.run(&["dev", "--token-code", wrong]);
    f.assert_failure(&out, 4, "the MFA code was rejected");
    assert_eq!(f.sts.requests().len(), 1);
}

#[test]
fn wrong_serial_is_explained() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_credentials(&alice.credentials_section("dev"));
    f.write_config("[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n");
    let out = f.run(&["dev", "--token-code", &f.code()]);
    f.assert_failure(&out, 4, "check that mfa_serial is the ARN of an MFA device");
}

#[test]
fn invalid_long_term_keys_are_explained() {
    let mut f = Fixture::new();
    f.write_credentials(
        "[dev]\naws_access_key_id = AKIAUNKNOWNUNKNOWN01\naws_secret_access_key = nope\n",
    );
    let out = f.run(&["dev", "--token-code", &f.code()]);
    f.assert_failure(
        &out,
        5,
        &format!(
            "AWS rejected the long-term keys (InvalidClientTokenId) AKIA…WN01 of 'dev' in {} line \
             2: the key is wrong, deactivated or deleted; put a working key there, or store one \
             with `mfa-env keys add dev` and delete the file's lines",
            f.aws_dir().join("credentials").display()
        ),
    );
    assert!(!out.stderr.contains("nope"));
}

#[test]
fn sts_errors_map_to_plain_words() {
    use crate::support::fake_sts::Scripted;
    let cases: [(u16, &str, &str, i32, &str); 4] = [
        (
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
            5,
            "have expired",
        ),
        (
            403,
            "AccessDenied",
            "User: x is not authorized to perform: sts:GetSessionToken",
            5,
            "access denied: User: x is not authorized",
        ),
        (
            400,
            "ValidationError",
            "bad duration",
            5,
            "STS refused the request: bad duration",
        ),
        (500, "InternalFailure", "boom", 6, "answered HTTP 500"),
    ];
    for (status, code, message, exit, expect) in cases {
        let f = Fixture::new();
        f.sts.always(Some(Scripted::Error {
            status,
            code: code.into(),
            message: message.into(),
        }));
        let out = f.run(&["dev", "--token-code", &f.code()]);
        f.assert_failure(&out, exit, expect);
    }
}

#[test]
fn throttling_is_retried_a_bounded_number_of_times() {
    use crate::support::fake_sts::Scripted;
    let f = Fixture::new();
    f.sts.always(Some(Scripted::Error {
        status: 400,
        code: "Throttling".into(),
        message: "Rate exceeded".into(),
    }));
    let out = f.run(&["dev", "--token-code", &f.code()]);
    f.assert_failure(&out, 6, "is throttling requests");
    assert!(
        out.stderr.contains(&f.sts.url()),
        "names the endpoint: {}",
        out.stderr
    );
    assert_eq!(f.sts.count("GetSessionToken"), 3);
}

#[test]
fn throttling_then_success_recovers() {
    use crate::support::fake_sts::Scripted;
    let f = Fixture::new();
    f.sts.push(Scripted::Error {
        status: 400,
        code: "Throttling".into(),
        message: "Rate exceeded".into(),
    });
    let out = f.run(&["dev", "--shell", "bash", "--token-code", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 2);
}

#[test]
fn malformed_answers_are_reported() {
    use crate::support::fake_sts::Scripted;
    let f = Fixture::new();
    f.sts.always(Some(Scripted::Raw {
        status: 200,
        content_type: "text/xml".into(),
        body: b"<GetSessionTokenResponse><oops".to_vec(),
    }));
    let out = f.run(&["dev", "--token-code", &f.code()]);
    f.assert_failure(&out, 6, "unusable answer from http://127.0.0.1:");
}

#[test]
fn unreachable_endpoint_fails_fast_naming_it() {
    let f = Fixture::new();
    // A port nothing listens on: bind, learn the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = f.run_with(
        &["dev", "--token-code", &f.code()],
        &[("AWS_ENDPOINT_URL_STS", &url)],
    );
    f.assert_failure(
        &out,
        6,
        &format!(
            "cannot reach {url}: the connection was refused (nothing listens there); check the \
             network or VPN, and the endpoint (AWS_ENDPOINT_URL_STS, the profile's endpoint_url \
             or region)"
        ),
    );
}

#[test]
fn hung_endpoint_ends_in_bounded_time() {
    use crate::support::fake_sts::Scripted;
    let f = Fixture::new();
    f.sts.always(Some(Scripted::Hang));
    let start = std::time::Instant::now();
    let out = f.run_with(
        &["dev", "--token-code", &f.code()],
        &[("MFA_ENV_TIMEOUT", "0.5")],
    );
    f.assert_failure(&out, 6, "no answer from http://127.0.0.1:");
    // Generous: the documented bound is 2.5 x MFA_ENV_TIMEOUT; this catches a hang, not speed.
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn endpoint_follows_the_sdk_rules() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nendpoint_url = {}\n",
        f.sts.url()
    ));
    let _ = alice;
    // Profile endpoint_url, with no AWS_ENDPOINT_URL_STS.
    let out = Out::from(
        f.cmd()
            .env_remove("AWS_ENDPOINT_URL_STS")
            .args(["dev", "--shell", "bash", "-t", &f.code()])
            .output()
            .unwrap(),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    // AWS_ENDPOINT_URL (all services) wins over the profile; a dead one proves it is used.
    let out = Out::from(
        f.cmd()
            .env_remove("AWS_ENDPOINT_URL_STS")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .args(["dev", "--no-cache", "-t", &f.sts.alice().next_code()])
            .output()
            .unwrap(),
    );
    f.assert_failure(&out, 6, "http://127.0.0.1:9");
}

#[test]
fn mfa_process_supplies_the_code() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    let script = f.root.path().join("code.sh");
    let code = alice.code_now();
    std::fs::write(&script, format!("#!/bin/sh\necho {code}\n")).unwrap();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nmfa_process = sh {}\n",
        script.display()
    ));
    let out = f.run(&["dev", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.requests()[0].params["TokenCode"], code);
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nmfa_process = echo nope\n"
    ));
    let out = f.run(&["dev", "--no-cache"]);
    f.assert_failure(&out, 4, "mfa_process 'echo nope' must be exactly 6 digits");
}

/// A process that never answers (a YubiKey waiting for a touch) is bounded: it is killed with
/// everything it started, and mfa-env fails with a clear message instead of hanging.
#[test]
fn a_hung_mfa_process_is_stopped_with_its_children() {
    let mut f = Fixture::new();
    let pidfile = f.root.path().join("pid");
    let cases = [
        // Writes nothing and never exits.
        "sleep 600".to_string(),
        // A child of the shell holds the output open while the shell waits for it.
        format!("sleep 600 & echo $! > '{}'; wait", pidfile.display()),
        // Prints a code but never exits.
        "echo 123456; exec sleep 600".to_string(),
    ];
    for process in cases {
        f.write_config(&format!(
            "[profile dev]\nmfa_serial = {SERIAL}\nmfa_process = {process}\n"
        ));
        let started = std::time::Instant::now();
        let out = f.run_with(
            &["dev", "--shell", "bash"],
            &[("MFA_ENV_PROCESS_TIMEOUT", "1")],
        );
        f.assert_failure(
            &out,
            4,
            "did not finish within 1s (MFA_ENV_PROCESS_TIMEOUT)",
        );
        // Not a timing assertion: 600 s would be a hang, anything near the bound is fine.
        assert!(started.elapsed().as_secs() < 60, "{process}: it hung");
    }
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let probe = format!("kill -0 {} 2>/dev/null", pid.trim());
    // Killed at once, but reaped by init a moment later: until then it is a zombie.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sh("sh", &["-c", &probe], &[]).status == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the process group was left running"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(f.sts.requests().is_empty());
    let out = f.run_with(&["dev"], &[("MFA_ENV_PROCESS_TIMEOUT", "soon")]);
    f.assert_failure(
        &out,
        3,
        "MFA_ENV_PROCESS_TIMEOUT must be a number of seconds",
    );
}

/// An authenticator that still shows the code just spent: mfa-env waits for the next window
/// (up to 31 s) and asks the process again, instead of sending a code AWS would reject.
#[test]
fn mfa_process_showing_a_spent_code_waits_for_the_next_window() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    let (now, next) = (alice.code_now(), alice.next_code());
    let dir = f.root.path().to_path_buf();
    std::fs::write(dir.join("codes"), format!("{now}\n{now}\n{next}\n")).unwrap();
    let script = dir.join("code.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncd '{}' || exit 1\nn=$(( $(cat count 2>/dev/null || echo 0) + 1 ))\n\
             echo $n > count\nsed -n \"${{n}}p\" codes\n",
            dir.display()
        ),
    )
    .unwrap();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nmfa_process = sh {}\n",
        script.display()
    ));
    let first = f.run(&["dev", "--shell", "bash"]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    // Forget the session (the spent-code record stays), so the next run needs a code.
    assert_eq!(f.run(&["logout", "dev"]).status, 0);
    let second = f.run(&["dev", "--shell", "bash"]);
    assert_eq!(second.status, 0, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains("that code was already used; waiting"),
        "{}",
        second.stderr
    );
    let codes: Vec<String> = f
        .sts
        .requests()
        .iter()
        .filter(|r| r.action == "GetSessionToken")
        .map(|r| r.params["TokenCode"].clone())
        .collect();
    assert_eq!(codes, [now, next], "the spent code is never sent again");
    assert_eq!(
        std::fs::read_to_string(dir.join("count")).unwrap().trim(),
        "3"
    );
}

#[test]
fn no_terminal_and_no_code_is_a_clear_error_not_a_hang() {
    let f = Fixture::new();
    let mut cmd = f.cmd();
    cmd.arg("dev");
    let out = Out::from(no_tty(&mut cmd).output().unwrap());
    f.assert_failure(
        &out,
        4,
        "no terminal to ask for the MFA code on: pass --token-code CODE",
    );
    assert!(f.sts.requests().is_empty());
    // credential-process runs from ~/.aws/config, where no flag can be passed: mfa_process,
    // or a session started in a terminal.
    let mut cmd = f.cmd();
    cmd.args(["credential-process", "admin"]);
    let out = Out::from(no_tty(&mut cmd).output().unwrap());
    f.assert_failure(
        &out,
        4,
        "no terminal to ask for the MFA code on: a credential_process runs without one: set \
         mfa_process in the profile",
    );
    out.assert_says("or start the session in a terminal first (`mfa-env admin` there");
    assert!(!out.stderr.contains("--token-code"), "{}", out.stderr);
}

#[test]
fn fish_and_powershell_output() {
    let f = Fixture::new();
    let out = f.run(&["dev", "--shell", "fish", "-t", &f.code()]);
    assert!(
        out.stdout.starts_with("set -gx AWS_ACCESS_KEY_ID '"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("if set -q AWS_PROFILE; set -e AWS_PROFILE; end\n"));
    let out = f.run(&["dev", "--shell", "powershell"]);
    assert!(
        out.stdout.starts_with("$Env:AWS_ACCESS_KEY_ID = '"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("Remove-Item -LiteralPath Env:AWS_PROFILE"));
}

#[test]
fn shell_is_detected_from_the_parent_process() {
    let f = Fixture::new();
    let code = f.code();
    let script = format!("{} dev -t {code}", bin());
    let out = f.sh("bash", &["-c", &script], &[]);
    assert!(
        out.stdout.starts_with("export AWS_ACCESS_KEY_ID="),
        "{}{}",
        out.stdout,
        out.stderr
    );
    if require("fish") {
        let out = f.sh("fish", &["-c", &format!("{} dev", bin())], &[]);
        assert!(
            out.stdout.starts_with("set -gx AWS_ACCESS_KEY_ID "),
            "{}{}",
            out.stdout,
            out.stderr
        );
    }
    // A second command after mfa-env, so no shell replaces itself with it.
    for (shell, args, start) in [
        ("elvish", vec!["-norc", "-c"], "set-env AWS_ACCESS_KEY_ID "),
        ("tcsh", vec!["-f", "-c"], "setenv AWS_ACCESS_KEY_ID "),
        ("xonsh", vec!["--no-rc", "-c"], "$AWS_ACCESS_KEY_ID = "),
    ] {
        if !require(shell) {
            continue;
        }
        let script = format!("{} dev; echo done", bin());
        let out = f.sh(shell, &[args.as_slice(), &[script.as_str()]].concat(), &[]);
        assert!(
            out.stdout.starts_with(start),
            "{shell}: {}{}",
            out.stdout,
            out.stderr
        );
    }
}

#[test]
fn aws_cli_as_consumer_of_a_session_token_under_exec() {
    if !require_file("/usr/bin/aws") {
        return;
    }
    let f = Fixture::new();
    let url = f.sts.url();
    let code = f.code();
    let mut args = vec!["exec", "dev", "-t", &code, "--"];
    args.extend(aws_whoami(&url));
    let out = f.run(&args);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "arn:aws:iam::123456789012:user/alice");
    let last = f.sts.requests().pop().unwrap();
    assert_eq!(last.action, "GetCallerIdentity");
    assert!(
        last.access_key_id.unwrap().starts_with("ASIAFAKE"),
        "signed with the session, not the long-term keys"
    );
}

/// The fake STS answers who a caller is as AWS does: a user (and its session) is `AIDA…`, an
/// assumed role `AROA…:session-name` — what the demo shows a new user.
#[test]
fn aws_cli_sees_the_user_id_aws_would_report() {
    if !require_file("/usr/bin/aws") {
        return;
    }
    let f = Fixture::new();
    let url = f.sts.url();
    let code = f.code();
    for (profile, want) in [
        ("dev", "AIDAFAKE000000000001"),
        ("admin", "AROAFAKEADMIN00000000:mfa-env-alice"),
    ] {
        let mut args = vec!["exec", profile, "-t", &code, "--"];
        let mut query = aws_whoami(&url);
        let at = query.iter().position(|a| *a == "Arn").unwrap();
        query[at] = "UserId";
        args.extend(query);
        let out = f.run(&args);
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert_eq!(out.stdout.trim(), want, "{profile}");
    }
}

#[test]
fn aws_config_file_and_shared_credentials_file_are_honoured() {
    let f = Fixture::new();
    let alice = f.sts.alice();
    let elsewhere = f.root.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(
        elsewhere.join("cfg"),
        format!("[profile moved]\nmfa_serial = {SERIAL}\nregion = ap-southeast-2\n"),
    )
    .unwrap();
    std::fs::write(elsewhere.join("creds"), alice.credentials_section("moved")).unwrap();
    let cfg = elsewhere.join("cfg");
    let creds = elsewhere.join("creds");
    let out = f.run_with(
        &["moved", "--shell", "bash", "-t", &f.code()],
        &[
            ("AWS_CONFIG_FILE", cfg.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("export AWS_REGION='ap-southeast-2'"));
    // ~/.aws still holds "dev", which those variables hide.
    let out = f.run_with(
        &["dev", "-t", "123456"],
        &[
            ("AWS_CONFIG_FILE", cfg.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
        ],
    );
    f.assert_failure(&out, 3, "profile 'dev' not found");
}

#[test]
fn help_states_the_one_code_many_roles_rule() {
    let f = Fixture::new();
    // Said once, in the top-level help; export and exec point there.
    for args in [
        &["--help"][..],
        &["export", "--help"][..],
        &["exec", "--help"][..],
    ] {
        let out = f.run(args);
        assert_eq!(out.status, 0);
        assert!(out.stdout.contains("ONE CODE, MANY ROLES"), "{args:?}");
        assert!(out.stdout.contains("--via-session") && out.stdout.contains("--direct"));
    }
    {
        let out = f.run(&["--help"]);
        assert!(
            out.stdout.contains("AWS caps roles assumed this way at"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("no further code for any"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("--via-session") && out.stdout.contains("--direct"));
    }
}

/// Options typed before the command's name are the command's: `-v status`, `-t CODE exec …`,
/// `--profile P export` (the top level's options would otherwise take the name for a profile).
#[test]
fn options_before_the_command_name_go_to_the_command() {
    let f = Fixture::new();
    let out = f.run(&["-v", "status"]);
    assert_eq!(out.status, 7, "{}", out.stderr);
    assert!(!out.stderr.contains("not found"), "{}", out.stderr);
    let out = f.run(&["-t", &f.code(), "exec", "dev", "--", "true"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = f.run(&["--profile", "dev", "-v", "export", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("export AWS_SESSION_TOKEN="),
        "{}",
        out.stdout
    );
    let out = f.run(&["-v", "logout", "--all"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    // A profile's name is still a profile's.
    let out = f.run(&[
        "-v",
        "dev",
        "--shell",
        "bash",
        "-t",
        &f.sts.alice().next_code(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
}

/// An MFA_ENV_TOKEN_CODE exported and then emptied is no code: mfa-env asks for one (here
/// without a terminal, so it says so), rather than sending or refusing an empty code.
#[test]
fn an_empty_token_code_variable_is_no_code() {
    let f = Fixture::new();
    let out = f.run_with(&["dev", "--shell", "bash"], &[("MFA_ENV_TOKEN_CODE", "")]);
    f.assert_failure(&out, 4, "no terminal to ask for the MFA code");
}

/// `logout` of a source forgets its MFA session and the role sessions assumed with it (they
/// would otherwise outlive it); with no profile and no default one it says what it takes.
#[test]
fn logout_of_a_source_forgets_the_roles_assumed_with_its_session() {
    let f = Fixture::new();
    let out = f.run(&["admin", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = f.run(&["logout", "dev"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(
        "forgot 2 cached sessions for 'dev' (its MFA session and the roles assumed with it)",
    );
    let out = f.run(&["admin", "--shell", "bash"]);
    f.assert_failure(&out, 4, "no terminal to ask for the MFA code");
    let out = f.run(&["logout"]);
    f.assert_failure(&out, 2, "logout needs a profile");
}

/// Through the `mfa` wrapper, which passes the shell it runs in, a `--shell` of the user's is
/// a second one: said in those words, not as clap's "cannot be used multiple times".
#[test]
fn the_wrapper_says_why_shell_is_refused() {
    let f = Fixture::new();
    let out = f.sh(
        "bash",
        &[
            "-c",
            "eval \"$(mfa-env init bash)\"; mfa dev --shell bash; echo \"status=$?\"",
        ],
        &[("PATH", &path_with_bin())],
    );
    assert!(out.stdout.contains("status=2"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("mfa gives mfa-env the shell it runs in: drop --shell"),
        "{}",
        out.stderr
    );
}
