//! AWS Sign-In sessions (`login_session`): `mfa-env login` against the fake Sign-In service's
//! OAuth side (PKCE, DPoP checked), then the session as a source: exports, exec, refresh,
//! roles on top, the endpoint, logout; the cache shared with botocore and the JavaScript SDK.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::*;

const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

/// The login cache file of alice's session, as the SDKs name it.
fn cache_file(f: &Fixture) -> PathBuf {
    // sha256("arn:aws:iam::123456789012:user/alice"), as Python's hashlib gives it.
    f.login_cache_dir()
        .join("b7d71d383b9557a9bad4c3346c50365819226484c6824a0fdef66637be339db0.json")
}

fn cached(f: &Fixture) -> serde_json::Value {
    let text = std::fs::read_to_string(cache_file(f)).expect("the login cache file");
    serde_json::from_str(&text).expect("JSON")
}

/// The fixture with a profile `web` to sign in (and a role on top of it).
fn web() -> Fixture {
    let mut f = Fixture::new();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n\n\
         [profile web]\nregion = eu-west-1\n\n\
         [profile web-admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = web\n"
    ));
    f
}

fn signed_in() -> Fixture {
    let mut f = web();
    let out = f.sign_in("web");
    assert_eq!(out.status, 0, "{}", out.stderr);
    f
}

/// What `exec PROFILE` hands its command: the access key ID.
fn key_of(f: &Fixture, profile: &str, extra: &[&str]) -> Out {
    let mut args = vec!["exec", profile];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "sh", "-c", "printf %s \"$AWS_ACCESS_KEY_ID\""]);
    f.run_with(&args, &[("AWS_ENDPOINT_URL_SIGNIN", &f.sts.url())])
}

#[test]
fn the_cache_file_is_named_as_the_sdks_name_it() {
    let f = Fixture::new();
    let name = cache_file(&f);
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            &format!("import hashlib; print(hashlib.sha256(b'{ALICE}').hexdigest())"),
        ])
        .output()
        .expect("python3");
    let want = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(
        name.file_name().unwrap().to_str().unwrap(),
        format!("{want}.json")
    );
}

#[test]
fn login_signs_in_through_the_browser_and_names_the_session_in_the_profile() {
    let mut f = web();
    let out = f.sign_in("web");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "", "nothing on stdout");
    out.assert_says("sign in to AWS in the browser");
    out.assert_says(&format!("signed in as {ALICE}"));
    out.assert_says("+ login_session = arn:aws:iam::123456789012:user/alice");
    out.assert_says("wrote ");
    f.assert_no_secret(&out.stderr);
    // One code exchange, checked by the service: PKCE, DPoP, redirect URI, client.
    assert_eq!(f.sts.token_calls(), (1, 0), "{:?}", f.sts.token_refusals());
    // The config names the session, the rest of the file as it was.
    let config = std::fs::read_to_string(f.aws_dir().join("config")).unwrap();
    assert!(
        config.contains(&format!(
            "[profile web]\nregion = eu-west-1\nlogin_session = {ALICE}\n"
        )),
        "{config}"
    );
    assert!(config.contains("[profile web-admin]\nrole_arn"), "{config}");
    // The session: where the SDKs look, private, in the AWS CLI's layout.
    let path = cache_file(&f);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let c = cached(&f);
    assert!(c["accessToken"]["accessKeyId"]
        .as_str()
        .unwrap()
        .starts_with("ASIAFAKE"));
    assert_eq!(c["accessToken"]["accountId"], "123456789012");
    assert!(c["accessToken"]["expiresAt"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(c["clientId"], "arn:aws:signin:::devtools/same-device");
    assert_eq!(c["tokenType"], "aws_sigv4");
    assert!(c["refreshToken"].as_str().unwrap().starts_with("REFRESH"));
    assert!(c["dpopKey"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
    assert!(!out.stderr.contains("BEGIN EC PRIVATE KEY"));
    // The browser was told it may close the tab.
    let page = std::fs::read_to_string(f.tmp_dir().join("open-url.py.page")).unwrap();
    assert!(page.contains("you may close this tab"), "{page}");
    // Signing in again: the profile already says it.
    let again = f.sign_in("web");
    assert_eq!(again.status, 0, "{}", again.stderr);
    again.assert_says("already names this session");
}

/// A real browser: headless Chromium (off the network but for 127.0.0.1) follows the
/// authorization page to mfa-env's callback, whose page it shows.
#[test]
fn a_real_browser_signs_in() {
    let Some(chromium) = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| have(c))
    else {
        require_present(false, "chromium");
        return;
    };
    let mut f = web();
    f.sts.auto_approve(true);
    let page = f.tmp_dir().join("page.html");
    let browser = f.tmp_dir().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\n\
             {chromium} --headless --no-sandbox --disable-gpu --no-first-run \
             --disable-background-networking --disable-component-update --disable-sync \
             --disable-default-apps --host-resolver-rules='MAP * ~NOTFOUND , EXCLUDE 127.0.0.1' \
             --user-data-dir='{profile}' --dump-dom \"$1\" > '{page}.tmp' 2>/dev/null\n\
             mv '{page}.tmp' '{page}'\n",
            page = page.display(),
            // Outside HOME and TMPDIR: its history holds the callback's code.
            profile = f.login_cache_dir().with_file_name("chromium").display(),
        ),
    )
    .unwrap();
    let url = f.sts.url();
    let out = f.run_with(
        &["login", "web", "--yes"],
        &[
            ("AWS_ENDPOINT_URL_SIGNIN", &url),
            ("BROWSER", &format!("sh {}", browser.display())),
        ],
    );
    f.accept_aws_changes();
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(&format!("signed in as {ALICE}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !page.exists() {
        assert!(Instant::now() < deadline, "the browser wrote no page");
        std::thread::sleep(Duration::from_millis(50));
    }
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<h1 id=\"title\">Signed in</h1>"), "{html}");
    assert!(html.contains("you may close this tab"), "{html}");
    assert_eq!(f.sts.token_calls(), (1, 0));
}

#[test]
fn a_login_profile_is_exported_and_execd_from_its_cache_and_refreshed_without_a_browser() {
    let f = signed_in();
    let first = cached(&f);
    let key = first["accessToken"]["accessKeyId"].as_str().unwrap();
    // Cached: the session's own credentials, no call.
    let out = key_of(&f, "web", &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, key);
    assert_eq!(f.sts.token_calls(), (1, 0));
    // The export carries the credentials' end for the prompt's countdown.
    let out = f.run(&["web", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains(&format!("export AWS_ACCESS_KEY_ID='{key}'")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("export MFA_ENV_PROFILE='web'"),
        "{}",
        out.stdout
    );
    // --refresh: a new access key from the refresh token; the file rewritten, key and ID token
    // kept, refresh token rotated.
    let out = key_of(&f, "web", &["--refresh"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.token_calls(), (1, 1), "{:?}", f.sts.token_refusals());
    let second = cached(&f);
    assert_eq!(
        out.stdout,
        second["accessToken"]["accessKeyId"].as_str().unwrap()
    );
    assert_ne!(out.stdout, key);
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    assert_eq!(second["dpopKey"], first["dpopKey"]);
    assert_eq!(second["idToken"], first["idToken"]);
    assert_eq!(second["clientId"], first["clientId"]);
    let mode = std::fs::metadata(cache_file(&f))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    f.assert_no_secret(&out.stderr);
}

#[test]
fn credentials_near_their_end_are_refreshed_as_the_sdks_do() {
    let mut f = web();
    // Less than the 5 minutes' margin: every use refreshes.
    f.sts.set_login_lifetime(200);
    assert_eq!(f.sign_in("web").status, 0);
    for round in 1..=2 {
        let out = key_of(&f, "web", &[]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert_eq!(f.sts.token_calls(), (1, round));
        assert_eq!(
            out.stdout,
            cached(&f)["accessToken"]["accessKeyId"].as_str().unwrap()
        );
    }
}

#[test]
fn a_role_on_a_login_source_is_assumed_with_its_credentials_and_no_code() {
    let f = signed_in();
    let login_key = cached(&f)["accessToken"]["accessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let out = key_of(&f, "web-admin", &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let assumed = f
        .sts
        .requests()
        .into_iter()
        .rfind(|r| r.action == "AssumeRole")
        .expect("an AssumeRole");
    assert_eq!(assumed.access_key_id.as_deref(), Some(login_key.as_str()));
    assert!(!assumed.params.contains_key("TokenCode"));
    assert_eq!(assumed.params["RoleSessionName"], "mfa-env-alice");
    let arn = f.sts.arn_of(&out.stdout).expect("role credentials");
    assert!(arn.contains(":assumed-role/Admin/mfa-env-alice"), "{arn}");
    assert_eq!(f.sts.count("GetSessionToken"), 0);
    // The role session is cached: the next run makes no call.
    let before = f.sts.requests().len();
    let again = key_of(&f, "web-admin", &[]);
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(f.sts.requests().len(), before);
    // A code-only option is refused with what to do.
    let out = key_of(&f, "web-admin", &["--direct"]);
    f.assert_failure(&out, 3, "--direct needs long-term keys and an MFA device");
}

#[test]
fn an_ended_sign_in_gives_one_line_and_nothing_on_stdout() {
    let mut f = web();
    f.sts.set_login_lifetime(200);
    assert_eq!(f.sign_in("web").status, 0);
    let before = std::fs::read(cache_file(&f)).unwrap();
    f.sts.end_sign_ins();
    for args in [
        &["web", "--shell", "bash"][..],
        &["web-admin", "--shell", "fish"],
    ] {
        // Without the debug lines, to count what the user sees.
        let out = f.run_with(
            args,
            &[
                ("AWS_ENDPOINT_URL_SIGNIN", &f.sts.url()),
                ("MFA_ENV_VERBOSE", "0"),
            ],
        );
        f.assert_failure(&out, 4, "the AWS Sign-In session of 'web' has ended");
        out.assert_says("the session has expired");
        out.assert_says("sign in again with `mfa-env login web`");
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(!out.stderr.contains("REFRESH"), "{}", out.stderr);
    }
    // The file is left as it was.
    assert_eq!(std::fs::read(cache_file(&f)).unwrap(), before);
}

#[test]
fn a_login_profile_without_a_session_says_how_to_sign_in() {
    let mut f = web();
    f.write_config(&format!("[profile web]\nlogin_session = {ALICE}\n"));
    let out = f.run(&["web", "--shell", "bash"]);
    f.assert_failure(&out, 4, "no AWS Sign-In session on this machine");
    out.assert_says("`mfa-env login web`");
    // An unreadable one: what to do, no panic, nothing on stdout.
    std::fs::create_dir_all(f.login_cache_dir()).unwrap();
    std::fs::write(cache_file(&f), "{\"accessToken\": 1}").unwrap();
    let out = f.run(&["web", "--shell", "bash"]);
    f.assert_failure(&out, 3, "is not an AWS Sign-In session mfa-env can read");
    // --duration does not apply to the session itself.
    let out = f.run(&["web", "--shell", "bash", "--duration", "1h"]);
    f.assert_failure(&out, 3, "--duration does not apply");
}

#[test]
fn login_refuses_a_profile_with_keys_or_a_device() {
    let f = web();
    let out = f.run_with(
        &["login", "dev", "--yes"],
        &[("AWS_ENDPOINT_URL_SIGNIN", &f.sts.url())],
    );
    f.assert_failure(&out, 3, "profile 'dev' gets its credentials from");
    out.assert_says("mfa-env login dev-signin");
    assert_eq!(f.sts.token_calls(), (0, 0));
}

#[test]
fn logout_ends_the_sign_in() {
    let f = signed_in();
    assert!(cache_file(&f).exists());
    let out = f.run(&["logout", "web-admin"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("ended the AWS Sign-In session of 'web'");
    assert!(!cache_file(&f).exists());
    let out = f.run(&["web", "--shell", "bash"]);
    f.assert_failure(&out, 4, "no AWS Sign-In session on this machine");
}

#[test]
fn login_remote_reads_the_code_the_page_shows() {
    use rexpect::session::spawn_command;
    let mut f = web();
    f.sts.auto_approve(true);
    let mut cmd = f.cmd();
    cmd.args(["login", "web", "--remote", "--yes"])
        .env("AWS_ENDPOINT_URL_SIGNIN", f.sts.url());
    let mut p = spawn_command(cmd, Some(30_000)).expect("spawn");
    p.exp_string("open this URL on a device with a browser")
        .unwrap();
    let (_, url) = p
        .exp_regex(r"http://127\.0\.0\.1:\d+/v1/authorize\?\S+")
        .unwrap();
    assert!(
        url.contains("client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fcross-device"),
        "{url}"
    );
    // The other device: follows the page to the confirmation, which shows the code.
    let page = fetch_following(&url);
    let code = page
        .split("<pre id=\"verification\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .expect("a verification code")
        .to_string();
    p.exp_string("Enter the code the page shows: ").unwrap();
    // A paste cut short: said, and asked again.
    p.send_line(&code[..code.len() / 2]).unwrap();
    p.exp_string("that is not the code the sign-in page shows")
        .unwrap();
    p.exp_string("try again (2 left)").unwrap();
    p.exp_string("Enter the code the page shows: ").unwrap();
    p.send_line(&code).unwrap();
    p.exp_string(&format!("signed in as {ALICE}")).unwrap();
    let status = wait_exit(&p, Duration::from_secs(30));
    assert!(status.contains(", 0)"), "{status}");
    f.accept_aws_changes();
    assert_eq!(
        cached(&f)["clientId"],
        "arn:aws:signin:::devtools/cross-device"
    );
    let out = key_of(&f, "web", &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
}

/// GET `url` and the redirects after it (all on 127.0.0.1, plain HTTP): the last page's body.
/// Each answer is read by its Content-Length (the server keeps connections open).
fn fetch_following(url: &str) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut url = url.to_string();
    for _ in 0..10 {
        let rest = url.strip_prefix("http://").expect("http");
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut s = std::net::TcpStream::connect(host).expect("connect");
        // An answer held back (a callback nobody serves) fails the test rather than hangs it.
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        let mut reader = BufReader::new(s);
        let (mut location, mut length) = (None, 0usize);
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "location" => location = Some(v.trim().to_string()),
                    "content-length" => length = v.trim().parse().unwrap(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        match location {
            Some(next) if next.starts_with('/') => url = format!("http://{host}{next}"),
            Some(next) => url = next,
            None => return String::from_utf8(body).unwrap(),
        }
    }
    panic!("too many redirects");
}

#[test]
fn list_and_doctor_show_a_login_profile() {
    let f = signed_in();
    let out = f.run(&["list"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("web "))
        .expect("web in the list");
    assert!(line.contains("login"), "{line}");
    assert!(line.contains("sign-in"), "{line}");
    assert!(line.contains(ALICE), "{line}");
    let out = f.run_with(
        &["doctor", "web"],
        &[("AWS_ENDPOINT_URL_SIGNIN", &f.sts.url())],
    );
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("AWS Sign-In session {ALICE}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("then refreshed without a browser"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("the session's credentials are arn:aws:iam::123456789012:user/alice's"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("aws:MultiFactorAuthPresent"),
        "{}",
        out.stdout
    );
    f.assert_no_secret(&out.stdout);
}

/// botocore (with the CRT) reads the session mfa-env wrote and refreshes it (its own DPoP
/// proof, checked by the service), writing the file back; mfa-env then uses what botocore
/// wrote.
#[test]
fn botocore_shares_the_session_both_ways() {
    let Some(python) = crate::moto::venv_tool("MFA_ENV_PYTHON", "python") else {
        require_present(false, "the venv python with botocore[crt]");
        return;
    };
    let mut f = web();
    f.sts.set_login_lifetime(200);
    assert_eq!(f.sign_in("web").status, 0);
    let script = r#"
import boto3, sys
s = boto3.Session(profile_name="web")
print(s.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()["Arn"])
print(s.get_credentials().get_frozen_credentials().access_key)
"#;
    let url = f.sts.url();
    let out = f.sh(
        python.to_str().unwrap(),
        &["-c", script, &url],
        &[
            ("AWS_ENDPOINT_URL_SIGNIN", &url),
            (
                "AWS_CONFIG_FILE",
                f.aws_dir().join("config").to_str().unwrap(),
            ),
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some(ALICE));
    let boto_key = lines.next().unwrap().to_string();
    // botocore refreshed (200 s left is inside its 5 minutes: at every look) and wrote the
    // file back.
    let (exchanges, by_botocore) = f.sts.token_calls();
    assert_eq!(exchanges, 1);
    assert!(by_botocore >= 1, "{:?}", f.sts.token_refusals());
    assert_eq!(cached(&f)["accessToken"]["accessKeyId"], boto_key.as_str());
    // mfa-env refreshes from what botocore left (its rotated refresh token).
    let out = key_of(&f, "web", &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        f.sts.token_calls(),
        (1, by_botocore + 1),
        "{:?}",
        f.sts.token_refusals()
    );
    assert_ne!(out.stdout, boto_key);
}

/// The JavaScript SDK's login provider does the same.
#[test]
fn the_javascript_sdk_shares_the_session_both_ways() {
    let modules = std::env::var_os("MFA_ENV_NODE_SDK")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".node-sdk/node_modules")))
        .filter(|p| p.join("@aws-sdk/credential-provider-login").is_dir());
    let Some(modules) = modules else {
        require_present(
            false,
            "@aws-sdk/credential-provider-login from npm (scripts/test installs it)",
        );
        return;
    };
    if !require("node") {
        return;
    }
    let mut f = web();
    f.sts.set_login_lifetime(200);
    assert_eq!(f.sign_in("web").status, 0);
    let script = r#"
const { fromLoginCredentials } = require("@aws-sdk/credential-provider-login");
fromLoginCredentials({ profile: "web", clientConfig: { region: "eu-west-1", endpoint: process.argv[1] } })()
  .then((c) => console.log(c.accessKeyId), (e) => { console.error(String(e)); process.exit(1); });
"#;
    let url = f.sts.url();
    let out = f.sh(
        "node",
        &["-e", script, &url],
        &[
            ("NODE_PATH", modules.to_str().unwrap()),
            ("AWS_ENDPOINT_URL_SIGNIN", &url),
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let js_key = out.stdout.trim().to_string();
    assert_eq!(f.sts.token_calls(), (1, 1), "{:?}", f.sts.token_refusals());
    assert_eq!(cached(&f)["accessToken"]["accessKeyId"], js_key.as_str());
    let out = key_of(&f, "web", &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.token_calls(), (1, 2), "{:?}", f.sts.token_refusals());
}

/// The credentials endpoint serves a login profile and renews it from the refresh token.
#[test]
fn the_endpoint_serves_and_renews_a_login_session() {
    let Some(python) = crate::moto::venv_tool("MFA_ENV_PYTHON", "python") else {
        require_present(false, "the venv python with boto3");
        return;
    };
    let mut f = web();
    f.sts.set_login_lifetime(200);
    assert_eq!(f.sign_in("web").status, 0);
    let script = r#"
import boto3, sys
session = boto3.Session()
sts = session.client("sts", endpoint_url=sys.argv[1])
for _ in range(2):
    print(sts.get_caller_identity()["Arn"])
    print(session.get_credentials().get_frozen_credentials().access_key)
"#;
    let url = f.sts.url();
    let out = f.run_with(
        &[
            "exec",
            "web",
            "--server",
            "--",
            python.to_str().unwrap(),
            "-c",
            script,
            &url,
        ],
        &[("AWS_ENDPOINT_URL_SIGNIN", &url)],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], ALICE, "{}", out.stdout);
    assert!(f.sts.token_calls().1 >= 1, "renewed from the refresh token");
    f.assert_no_secret(&out.stderr);
}

/// A login cache file is another program's writing too (the AWS CLI, an SDK): whatever its
/// credentials hold, every shell gets them back byte for byte and runs nothing.
#[test]
fn hostile_values_in_a_login_cache_round_trip_in_every_shell() {
    let mut f = web();
    f.write_config(&format!(
        "[profile web]\nregion = eu-west-1\nlogin_session = {ALICE}\n"
    ));
    let hostile: Vec<&str> = crate::shells::HOSTILE
        .iter()
        .copied()
        .filter(|v| !v.contains(['\n', '\r']) && !v.is_empty())
        .collect();
    let secret = hostile.join("|");
    let token = format!("tok{}", hostile[..6].join(""));
    let key = "ASIA'$(touch PWNED)\"";
    std::fs::create_dir_all(f.login_cache_dir()).unwrap();
    let file = serde_json::json!({
        "accessToken": {
            "accessKeyId": key,
            "secretAccessKey": secret,
            "sessionToken": token,
            "accountId": "123456789012",
            "expiresAt": "2099-01-01T00:00:00Z",
        },
        "refreshToken": "r",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFDZHUzOG1Pzq+6F0mjMlOSp1syN9LRPBuHMoCFXTcXhoAoGCCqGSM49\nAwEHoUQDQgAE9qhj+KtcdHj1kVgwxWWWw++tqoh7H7UHs7oXh8jBbgF47rrYGC+t\ndjiIaHK3dBvvdE7MGj5HsepzLm3Kj91bqA==\n-----END EC PRIVATE KEY-----\n",
    });
    std::fs::write(cache_file(&f), file.to_string()).unwrap();
    for (shell, flag) in crate::shells::INTERPRETERS {
        if !require(shell) {
            continue;
        }
        let out = f.run(&["web", "--shell", flag]);
        assert_eq!(out.status, 0, "{shell}: {}", out.stderr);
        let env = crate::shells::eval_in(shell, &out.stdout, f.root.path());
        assert_eq!(env["AWS_ACCESS_KEY_ID"], key, "{shell}");
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], secret, "{shell}");
        assert_eq!(env["AWS_SESSION_TOKEN"], token, "{shell}");
        assert_eq!(env["MFA_ENV_PROFILE"], "web", "{shell}");
        assert!(!f.root.path().join("PWNED").exists(), "{shell} ran code");
    }
    assert_eq!(f.sts.token_calls(), (0, 0));
}

/// `credential_process` for other tools, and `status` after an export, for a login profile.
#[test]
fn credential_process_and_status_serve_a_login_profile() {
    let f = signed_in();
    let key = cached(&f)["accessToken"]["accessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let out = f.run(&["credential-process", "web", "--reveal"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], key.as_str());
    assert_eq!(
        v["Expiration"],
        cached(&f)["accessToken"]["expiresAt"].as_str().unwrap()
    );
    let out = f.run(&["web", "--shell", "bash"]);
    let script = format!("{}\nmfa-env status", out.stdout);
    let out = f.sh(
        "bash",
        &["--norc", "-c", &script],
        &[("PATH", &path_with_bin())],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("web"), "{}", out.stdout);
}

/// A browser command that starts and never opens the page (or none at all): the user opens
/// the printed URL by hand, and the sign-in comes back at once.
#[test]
fn the_url_opened_by_hand_is_answered_when_the_browser_never_asks() {
    use std::io::{BufRead, BufReader};
    let mut f = web();
    f.sts.auto_approve(true);
    let mut cmd = f.cmd();
    cmd.args(["login", "web", "--yes"])
        .env("AWS_ENDPOINT_URL_SIGNIN", f.sts.url())
        .env("BROWSER", "true")
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the URL").unwrap();
        if let Some(at) = line.find("http://127.0.0.1:") {
            if line.contains("/v1/authorize?") {
                break line[at..].trim().to_string();
            }
        }
    };
    let page = fetch_following(&url);
    assert!(page.contains("you may close this tab"), "{page}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success(), "{rest:?}");
    f.accept_aws_changes();
    assert!(rest.iter().any(|l| l.contains("signed in as")), "{rest:?}");
}

#[test]
fn login_without_a_terminal_or_yes_stops_before_the_sign_in() {
    let f = web();
    let out = f.run_with(
        &["login", "web"],
        &[("AWS_ENDPOINT_URL_SIGNIN", &f.sts.url())],
    );
    f.assert_failure(&out, 3, "no terminal to ask on: pass --yes");
    assert_eq!(f.sts.token_calls(), (0, 0));
    assert!(!out.stderr.contains("/v1/authorize"), "{}", out.stderr);
}

#[test]
fn status_and_list_json_name_a_sign_in_as_such() {
    let f = signed_in();
    let out = f.run(&["web", "--shell", "bash"]);
    let script = format!("{}\nmfa-env status --json", out.stdout);
    let out = f.sh(
        "bash",
        &["--norc", "-c", &script],
        &[("PATH", &path_with_bin())],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["kind"], "login", "{}", out.stdout);
    let out = f.run(&["list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let web = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["profile"] == "web")
        .unwrap();
    assert_eq!(web["signed_in_as"], ALICE);
    assert!(web["mfa_serial"].is_null(), "{web}");
    assert_eq!(web["kind"], "login");
}

#[test]
fn login_of_a_role_on_a_sign_in_points_to_its_source() {
    let f = signed_in();
    let out = f.run_with(
        &["login", "web-admin", "--yes"],
        &[("AWS_ENDPOINT_URL_SIGNIN", &f.sts.url())],
    );
    f.assert_failure(&out, 3, "is a role on the AWS Sign-In session of 'web'");
    out.assert_says("`mfa-env login web`");
    assert_eq!(f.sts.token_calls(), (1, 0));
}
