//! `mfa-env console`: the federation endpoint of the fake Sign-In service (in the fake STS),
//! the URLs, the refusals, and a real browser (headless Chromium) that signs in with the URL.

use std::time::{Duration, Instant};

use rexpect::session::spawn_command;

use crate::support::*;

/// The fixture's environment plus the Sign-In service at the fake STS.
fn console(f: &Fixture, args: &[&str], extra: &[(&str, &str)]) -> Out {
    let url = f.sts.url();
    let mut env = vec![("AWS_ENDPOINT_URL_SIGNIN", url.as_str())];
    env.extend_from_slice(extra);
    let mut all = vec!["console"];
    all.extend_from_slice(args);
    f.run_with(&all, &env)
}

/// The Session JSON the federation endpoint received last, and its SessionDuration.
fn last_federation(f: &Fixture) -> (serde_json::Value, Option<String>) {
    let rec = f
        .sts
        .requests()
        .into_iter()
        .rfind(|r| r.action == "getSigninToken")
        .expect("a getSigninToken request");
    let session = serde_json::from_str(&rec.params["Session"]).expect("Session JSON");
    (session, rec.params.get("SessionDuration").cloned())
}

#[test]
fn print_gives_a_sign_in_url_made_from_the_roles_credentials() {
    let f = Fixture::new();
    let out = console(&f, &["admin", "--print", "-t", &f.code()], &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let url = out.stdout.trim();
    let prefix = format!(
        "{}/federation?Action=login&Issuer=mfa-env&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Deu-west-1&SigninToken=SIGNINTOKEN",
        f.sts.url()
    );
    assert!(url.starts_with(&prefix), "{url}");
    assert_eq!(out.stdout.lines().count(), 1);
    // The federation endpoint got the role's credentials, not the MFA session's.
    let (session, duration) = last_federation(&f);
    let id = session["sessionId"].as_str().unwrap();
    let arn = f.sts.arn_of(id).expect("a key the fake STS issued");
    assert!(arn.contains(":assumed-role/Admin/mfa-env-alice"), "{arn}");
    let (secret, token) = f.sts.session_of(id).unwrap();
    assert_eq!(session["sessionKey"], secret.as_str());
    assert_eq!(session["sessionToken"], token.as_str());
    assert_eq!(duration, None);
    // Neither the token nor the credentials reach stderr.
    f.assert_no_secret(&out.stderr);
    assert!(!out.stderr.contains("SIGNINTOKEN"), "{}", out.stderr);
    f.assert_aws_untouched();
}

/// One code: export asks for it, console then reuses the cached MFA session (no terminal, no
/// code: it would fail if it needed one).
#[test]
fn one_code_serves_export_then_console() {
    let f = Fixture::new();
    let out = f.run(&["admin", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = console(&f, &["admin", "--print"], &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("SigninToken="), "{}", out.stdout);
    assert_eq!(f.sts.count("GetSessionToken"), 1);
}

#[test]
fn services_paths_regions_and_partitions_shape_the_destination() {
    let f = Fixture::new();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--service", "s3"],
            "https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Deu-west-1",
        ),
        (
            &["--path", "ec2/home#Instances:", "--region", "us-east-2"],
            "https%3A%2F%2Fconsole.aws.amazon.com%2Fec2%2Fhome%3Fregion%3Dus-east-2%23Instances%3A",
        ),
        (
            &["--service", "iam", "--region", "us-gov-west-1"],
            "https%3A%2F%2Fconsole.amazonaws-us-gov.com%2Fiam%2Fhome%3Fregion%3Dus-gov-west-1",
        ),
        (
            &["--region", "cn-north-1"],
            "https%3A%2F%2Fconsole.amazonaws.cn%2Fconsole%2Fhome%3Fregion%3Dcn-north-1",
        ),
    ];
    let mut code = f.code();
    for (extra, destination) in cases {
        let mut args = vec!["admin", "--print", "-t", &code];
        args.extend_from_slice(extra);
        let out = console(&f, &args, &[]);
        assert_eq!(out.status, 0, "{extra:?}: {}", out.stderr);
        assert!(
            out.stdout
                .contains(&format!("&Destination={destination}&SigninToken=")),
            "{extra:?}: {}",
            out.stdout
        );
        code = f.sts.alice().next_code();
    }
    // --logout-first: the console's sign-out, then on to the sign-in.
    let out = console(&f, &["admin", "--print", "--logout-first"], &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(&format!(
            "{}/oauth?Action=logout&redirect_uri={}",
            f.sts.url(),
            form_encode(&format!("{}/federation?Action=login&", f.sts.url()))
        )),
        "{}",
        out.stdout
    );
    // Values that are not names are refused by the command line.
    for bad in [["--service", "s3/../x"], ["--region", "eu west"]] {
        let out = console(&f, &["admin", "--print", bad[0], bad[1]], &[]);
        assert_eq!(out.status, 2, "{bad:?}: {}", out.stderr);
        assert_eq!(out.stdout, "");
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A console session length is given only for a role assumed with the long-term keys (AWS
/// refuses it for role chaining); through the MFA session, the user is told why not.
#[test]
fn duration_applies_to_directly_assumed_roles_only() {
    let f = Fixture::new();
    let out = console(
        &f,
        &["admin", "--print", "--duration", "2h", "-t", &f.code()],
        &[],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let (_, duration) = last_federation(&f);
    assert_eq!(duration.as_deref(), Some("7200"));
    // (The direct path cached no MFA session: this one needs a code.)
    let code = f.sts.alice().next_code();
    let out = console(
        &f,
        &["admin", "--print", "--duration", "30m", "-t", &code],
        &[],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let (_, duration) = last_federation(&f);
    assert_eq!(duration, None);
    out.assert_says("not the console session");
}

/// A session-token profile: the federation endpoint takes role credentials only. Refused
/// before any code is asked, with what works instead.
#[test]
fn a_profile_without_a_role_is_refused_with_what_works() {
    let f = Fixture::new();
    let out = console(&f, &["dev", "--print"], &[]);
    f.assert_failure(&out, 3, "has no role");
    out.assert_says("mfa-env console admin");
    out.assert_says("https://123456789012.signin.aws.amazon.com/console");
    assert_eq!(f.sts.requests().len(), 0, "nothing was sent");
    // doctor says the same of it, naming the role profile to use.
    let out = f.run(&["doctor", "dev"]);
    assert!(
        out.stdout.contains("console: 'dev' has no role")
            && out.stdout.contains("such as `mfa-env console admin`"),
        "{}",
        out.stdout
    );
}

/// The URL is a bearer credential: not printed on a terminal unless --reveal says so.
#[test]
fn print_on_a_terminal_needs_reveal() {
    let f = Fixture::new();
    let mut cmd = f.command(BIN);
    cmd.args(["console", "admin", "--print", "-t", &f.code()])
        .env("AWS_ENDPOINT_URL_SIGNIN", f.sts.url());
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("pass --reveal").unwrap();
    let status = wait_exit(&p, Duration::from_secs(20));
    assert!(status.ends_with(", 2)"), "{status}");
    assert_eq!(f.sts.requests().len(), 0);
    let mut cmd = f.command(BIN);
    cmd.args(["console", "admin", "--print", "--reveal", "-t", &f.code()])
        .env("AWS_ENDPOINT_URL_SIGNIN", f.sts.url());
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("&SigninToken=SIGNINTOKEN").unwrap();
    let status = wait_exit(&p, Duration::from_secs(20));
    assert!(status.ends_with(", 0)"), "{status}");
}

/// A Sign-In service that refuses or does not answer: one line, nothing on stdout.
#[test]
fn a_refusal_or_no_answer_from_sign_in_is_one_clear_line() {
    let f = Fixture::new();
    // Credentials the federation endpoint no longer knows (revoked after AssumeRole).
    f.run(&["admin", "--shell", "bash", "-t", &f.code()]);
    let role_key = f
        .sts
        .requests()
        .into_iter()
        .filter(|r| r.action == "AssumeRole")
        .count();
    assert_eq!(role_key, 1);
    f.sts.revoke_sessions();
    let out = console(&f, &["admin", "--print"], &[]);
    f.assert_failure(&out, 5, "refused the session");
    // Nobody listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dead = format!("http://127.0.0.1:{port}");
    let out = f.run_with(
        &[
            "console",
            "admin",
            "--print",
            "-t",
            &f.sts.alice().next_code(),
        ],
        &[("AWS_ENDPOINT_URL_SIGNIN", &dead)],
    );
    f.assert_failure(&out, 6, "cannot reach the Sign-In service");
}

/// A real browser: mfa-env opens the console through $BROWSER, here headless Chromium (kept
/// off the network: every host but 127.0.0.1 resolves to nothing), which follows the one-time
/// local address, the federation sign-in and lands on the console page signed in as the role.
#[test]
fn a_real_browser_lands_signed_in_as_the_role() {
    let Some(chromium) = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| have(c))
    else {
        require_present(false, "chromium");
        return;
    };
    let f = Fixture::new();
    let page = f.tmp_dir().join("page.html");
    let browser = f.tmp_dir().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\n\
             echo \"$1\" > '{page}.args'\n\
             {chromium} --headless --no-sandbox --disable-gpu --no-first-run \
             --disable-background-networking --disable-component-update --disable-sync \
             --disable-default-apps --host-resolver-rules='MAP * ~NOTFOUND , EXCLUDE 127.0.0.1' \
             --user-data-dir='{profile}' --dump-dom \"$1\" > '{page}.tmp' 2>/dev/null\n\
             mv '{page}.tmp' '{page}'\n",
            page = page.display(),
            profile = f.tmp_dir().join("chromium").display(),
        ),
    )
    .unwrap();
    let browser_var = format!("sh {}", browser.display());
    let out = console(
        &f,
        &[
            "admin",
            "--service",
            "s3",
            "--logout-first",
            "-t",
            &f.code(),
        ],
        &[("BROWSER", &browser_var)],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    out.assert_says("waiting for the browser to open the sign-in link");
    out.assert_says("opened the console as arn:aws:sts::123456789012:assumed-role/Admin/");
    assert!(!out.stderr.contains("SIGNINTOKEN"), "{}", out.stderr);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !page.exists() {
        assert!(Instant::now() < deadline, "the browser wrote no page");
        std::thread::sleep(Duration::from_millis(50));
    }
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("Signed in as <span id=\"identity\">arn:aws:sts::123456789012:assumed-role/Admin/mfa-env-alice</span>"),
        "{html}"
    );
    assert!(
        html.contains("https://console.aws.amazon.com/s3/home?region=eu-west-1"),
        "{html}"
    );
    assert_eq!(f.sts.console_logouts(), 1, "signed out first");
    // The browser's command line held a one-time local address, not the sign-in URL.
    let args = std::fs::read_to_string(format!("{}.args", page.display())).unwrap();
    assert!(args.starts_with("http://127.0.0.1:"), "{args}");
    assert!(!args.contains("SigninToken"), "{args}");
}
