//! `doctor`: every check fine, then each one failing, with what to do; a clock five minutes off
//! STS's Date header; the MFA device checked against moto's IAM.

use crate::moto::{boto, start_moto_with};
use crate::support::*;

fn doctor(f: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Out {
    // As a user's is (the fixture writes it 0644, which doctor warns about: tested below).
    let credentials = f.aws_dir().join("credentials");
    if credentials.exists() {
        std::fs::set_permissions(
            &credentials,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
    }
    let mut all = vec!["doctor"];
    all.extend_from_slice(args);
    let mut env = env.to_vec();
    // IAM at the fake STS too (it knows no IAM action): nothing leaves the machine.
    let url = f.sts.url();
    if !env.iter().any(|(k, _)| *k == "AWS_ENDPOINT_URL_IAM") {
        env.push(("AWS_ENDPOINT_URL_IAM", url.as_str()));
    }
    f.run_with(&all, &env)
}

fn line<'a>(out: &'a Out, mark: &str, text: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| l.starts_with(mark) && l.contains(text))
        .unwrap_or_else(|| panic!("no line {mark} …{text}… in:\n{}{}", out.stdout, out.stderr))
}

#[test]
fn a_healthy_profile_passes_every_check() {
    let f = Fixture::new();
    let out = doctor(&f, &["admin"], &[]);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    line(&out, "✓", "config file");
    line(&out, "✓", "the files parse");
    line(
        &out,
        "✓",
        &format!("profile 'admin': role {ADMIN_ARN} through 'dev'"),
    );
    line(
        &out,
        "✓",
        "long-term keys of 'dev': AKIA…0001 from the files",
    );
    line(
        &out,
        "✓",
        &format!(
            "STS at {} answers; the keys are arn:aws:iam::123456789012:user/alice's",
            f.sts.url()
        ),
    );
    line(&out, "✓", "clock: within");
    line(&out, "✓", "session cache");
    line(
        &out,
        "✓",
        &format!("MFA device {SERIAL} belongs to IAM user 'alice'"),
    );
    assert!(out.stdout.ends_with("no problem found\n"), "{}", out.stdout);
    // An IAM that cannot be asked is a warning, not a failure.
    let out = doctor(
        &f,
        &["admin"],
        &[("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:1")],
    );
    assert_eq!(out.status, 0, "{}", out.stdout);
    line(&out, "!", "MFA device: IAM could not be asked");
    // A credentials file others can read is worth a warning.
    let credentials = f.aws_dir().join("credentials");
    std::fs::set_permissions(
        &credentials,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let out = f.run_with(
        &["doctor", "admin"],
        &[("AWS_ENDPOINT_URL_IAM", f.sts.url().as_str())],
    );
    assert_eq!(out.status, 0, "{}", out.stdout);
    line(&out, "!", "is readable by others (mode 0644): chmod 600 it");
    assert!(
        out.stdout
            .ends_with("nothing stops authentication (1 warning)\n"),
        "{}",
        out.stdout
    );
    // Only calls that need no code, signed with the long-term key.
    let requests = f.sts.requests();
    assert_eq!(requests[0].action, "GetCallerIdentity");
    assert_eq!(
        requests[0].access_key_id.as_deref(),
        Some(f.sts.alice().access_key_id.as_str())
    );
    assert!(requests.iter().all(|r| r.action != "GetSessionToken"));
}

#[test]
fn a_clock_five_minutes_off_is_named() {
    let f = Fixture::new();
    f.sts.state().clock_offset = -300;
    let out = doctor(&f, &["dev"], &[]);
    assert_eq!(out.status, 3, "{}", out.stdout);
    let clock = line(&out, "✗", "clock: ");
    assert!(
        clock.contains("30")
            && clock.contains("s ahead of STS's")
            && clock.contains("timedatectl set-ntp true"),
        "{clock}"
    );
    assert!(
        out.stdout.ends_with("1 problem stops authentication\n"),
        "{}",
        out.stdout
    );
    f.sts.state().clock_offset = 400;
    let out = doctor(&f, &["dev"], &[]);
    line(&out, "✗", "s behind STS's");
}

#[test]
fn each_failure_says_what_to_do() {
    let mut f = Fixture::new();
    let out = doctor(&f, &["nosuch"], &[]);
    assert_eq!(out.status, 3);
    line(&out, "✗", "profile 'nosuch' not found");

    let out = doctor(
        &f,
        &["dev"],
        &[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")],
    );
    assert_eq!(out.status, 3);
    line(&out, "✗", "cannot reach http://127.0.0.1:1");
    line(&out, "-", "MFA device: not checked (STS did not answer)");
    line(&out, "-", "clock: not checked (STS did not answer)");
    line(&out, "✗", "check the network or VPN");

    let open = f.root.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = doctor(
        &f,
        &["dev"],
        &[("MFA_ENV_CACHE_DIR", open.to_str().unwrap())],
    );
    assert_eq!(out.status, 3);
    line(&out, "✗", "open to others");

    f.write_config("[profile dev]\nregion = eu-west-1\n");
    let out = doctor(&f, &["dev"], &[]);
    assert_eq!(out.status, 3);
    line(&out, "✗", "has no MFA device");
    // The rest is still checked.
    line(&out, "✓", "long-term keys of 'dev'");
    // Counted once; what IAM has for the user is named.
    line(
        &out,
        "-",
        &format!("MFA device of IAM user 'alice': {SERIAL}; `mfa-env setup dev` enrolls one or writes it"),
    );
    assert!(
        out.stdout.ends_with("1 problem stops authentication\n"),
        "{}",
        out.stdout
    );

    f.write_credentials("");
    let out = doctor(&f, &["dev"], &[]);
    line(&out, "✗", "the keys of 'dev'");
    line(&out, "-", "not checked without keys");

    f.write_config("[profile dev\nregion = x\n");
    let out = doctor(&f, &["dev"], &[]);
    assert_eq!(out.status, 3);
    line(&out, "✗", "cannot read the AWS config files");
    f.assert_no_secret(&out.stdout);
}

#[test]
fn the_shell_integration_is_looked_for_in_the_calling_shells_rc() {
    if !require("bash") {
        return;
    }
    let f = Fixture::new();
    let url = f.sts.url();
    let run = |f: &Fixture| {
        // `; true`: bash must stay the parent, not exec mfa-env.
        f.sh(
            "bash",
            &["-c", &format!("{BIN} doctor dev; true")],
            &[("AWS_ENDPOINT_URL_IAM", url.as_str())],
        )
    };
    let out = run(&f);
    line(&out, "!", "shell integration: not in");
    std::fs::write(f.home.join(".bashrc"), "eval \"$(mfa-env init bash)\"\n").unwrap();
    let out = run(&f);
    line(
        &out,
        "✓",
        &format!(
            "shell integration: loaded by {}",
            f.home.join(".bashrc").display()
        ),
    );
    let out = f.run_with(
        &["doctor", "dev"],
        &[
            ("MFA_ENV_WRAPPER", "mfa"),
            ("AWS_ENDPOINT_URL_IAM", url.as_str()),
        ],
    );
    line(&out, "✓", "shell integration: loaded (run through it)");
}

#[test]
fn the_mfa_device_is_checked_against_iam() {
    let Some((moto, info)) = start_moto_with(false) else {
        return;
    };
    let mut f = Fixture::new();
    f.write_credentials(&format!(
        "[work]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        info["access_key_id"].as_str().unwrap(),
        info["secret_access_key"].as_str().unwrap()
    ));
    f.write_config("[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n");
    let env = [
        ("AWS_ENDPOINT_URL_STS", moto.url.as_str()),
        ("AWS_ENDPOINT_URL_IAM", moto.url.as_str()),
    ];
    let out = doctor(&f, &["work"], &env);
    assert_eq!(out.status, 3, "{}", out.stdout);
    line(
        &out,
        "✗",
        "mfa_serial arn:aws:iam::123456789012:mfa/alice is not a device of IAM user 'alice' (it has none): enroll one with `mfa-env setup work`",
    );
    boto(
        &moto.url,
        "import boto3, sys
iam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1',
                   aws_access_key_id='AKIASETUPSETUPSETUP0', aws_secret_access_key='x')
d = iam.create_virtual_mfa_device(VirtualMFADeviceName='alice')['VirtualMFADevice']
iam.enable_mfa_device(UserName='alice', SerialNumber=d['SerialNumber'],
                      AuthenticationCode1='123456', AuthenticationCode2='654321')",
    );
    let out = doctor(&f, &["work"], &env);
    line(
        &out,
        "✓",
        "MFA device arn:aws:iam::123456789012:mfa/alice belongs to IAM user 'alice'",
    );
}

/// An HTTPS STS whose CA this machine does not trust: doctor names the cause and the fix.
#[test]
fn an_untrusted_tls_endpoint_is_named_with_the_fix() {
    use crate::support::fake_sts::{FakeSts, TestCa};
    let ca = TestCa::new();
    let f = Fixture::with_sts(FakeSts::start_tls(&ca));
    let out = doctor(&f, &["dev"], &[]);
    assert_eq!(out.status, 3, "{}", out.stdout);
    let tls = line(&out, "✗", "invalid peer certificate");
    assert!(tls.contains("AWS_CA_BUNDLE"), "{tls}");
    // Trusted through the profile's ca_bundle, the same check passes.
    let pem = f.root.path().join("ca.pem");
    std::fs::write(&pem, &ca.ca_pem).unwrap();
    let out = doctor(&f, &["dev"], &[("AWS_CA_BUNDLE", pem.to_str().unwrap())]);
    line(&out, "✓", "STS at https://127.0.0.1:");
}
