//! `exec --server` and `shell --server`: the credentials endpoint, fed to consumers nobody
//! here wrote (boto3, the AWS CLI v2), renewing roles from the MFA session without a code.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rexpect::session::spawn_command;

use crate::support::*;

/// `mfa-env exec PROFILE --server ARGS -- sh -c 'env > FILE; SCRIPT'` in the background:
/// the running mfa-env, the child's environment and the file mfa-env's stderr goes to.
struct Served {
    child: Child,
    env: BTreeMap<String, String>,
    stderr: PathBuf,
}

impl Served {
    fn start(f: &Fixture, args: &[&str], script: &str, extra: &[(&str, &str)]) -> Served {
        let dir = f.tmp_dir();
        let env_file = dir.join(format!("env-{}", f.sts.requests().len()));
        let stderr = dir.join("served.stderr");
        let mut cmd = f.cmd();
        cmd.arg("exec")
            .args(args)
            .arg("--server")
            .args(["--", "sh", "-c"])
            .arg(format!(
                "env > '{}.tmp' && mv '{0}.tmp' '{0}'; {script}",
                env_file.display()
            ))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start mfa-env exec --server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !env_file.exists() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "mfa-env ended ({status}) before the child started: {}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "the child never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        let env = std::fs::read_to_string(&env_file)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Served { child, env, stderr }
    }

    fn url(&self) -> &str {
        &self.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    }

    fn token(&self) -> &str {
        &self.env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    }

    fn port(&self) -> u16 {
        self.url()
            .strip_prefix("http://127.0.0.1:")
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .expect("a loopback URL with a port")
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// GET on the endpoint with `token` as the Authorization header (none: no header).
    fn get(&self, token: Option<&str>) -> (u16, String) {
        let auth = token.map_or(String::new(), |t| format!("Authorization: {t}\r\n"));
        request(
            self.port(),
            &format!(
                "GET /mfa-env/credentials HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n"
            ),
        )
    }

    fn credentials(&self) -> serde_json::Value {
        let (status, body) = self.get(Some(self.token()));
        assert_eq!(status, 200, "{body}; stderr: {}", self.stderr());
        serde_json::from_str(&body).expect("JSON credentials")
    }

    /// The access key served, asked again until `done` accepts it (within 10 s): what the
    /// endpoint renews in the background reaches the next requests.
    fn access_key_until(&self, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let key = self.credentials()["AccessKeyId"]
                .as_str()
                .unwrap()
                .to_string();
            if done(&key) || Instant::now() > deadline {
                return key;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// mfa-env's stderr once `done` accepts it (or after 10 s).
    fn stderr_until(&self, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.stderr();
            if done(&text) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM to mfa-env, which passes it on; the status mfa-env ends with.
    fn terminate(self) -> i32 {
        self.signal(libc::SIGTERM)
    }

    /// `signal` to mfa-env; the status it ends with, and its port closed.
    fn signal(mut self, signal: libc::c_int) -> i32 {
        // SAFETY: signalling a child of this test.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
        let status = self.wait(Duration::from_secs(20));
        let port = self.port();
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the endpoint is still open after its child ended"
        );
        status
    }

    fn wait(&mut self, limit: Duration) -> i32 {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                use std::os::unix::process::ExitStatusExt;
                return status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            assert!(Instant::now() < deadline, "mfa-env did not end");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One raw HTTP exchange on 127.0.0.1:`port`: the status and the body.
fn request(port: u16, raw: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the endpoint");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

fn python() -> Option<PathBuf> {
    let python = crate::moto::venv_tool("MFA_ENV_PYTHON", "python");
    if python.is_none() {
        require_present(false, "the venv python with boto3");
    }
    python
}

/// Keys, a profile, web identity and the other container variables in the caller's
/// environment, and long-term keys under `[default]` in the credentials file: none of it may
/// reach the SDKs in the child ahead of the endpoint.
const SHADOWS: [(&str, &str); 10] = [
    ("AWS_ACCESS_KEY_ID", "AKIAPARENTPARENTPARE"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "parentSecretparentSecretparentSecret0000",
    ),
    ("AWS_SESSION_TOKEN", "parentToken"),
    ("AWS_SECURITY_TOKEN", "parentToken"),
    ("AWS_PROFILE", "admin"),
    ("AWS_DEFAULT_PROFILE", "dev"),
    (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "/v2/credentials/x",
    ),
    ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/etc/hostname"),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "/etc/hostname"),
    ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/Other"),
];

#[test]
fn boto3_and_the_aws_cli_use_the_endpoint_and_nothing_shadows_it() {
    let Some(python) = python() else { return };
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_credentials(&format!(
        "{}\n{}",
        alice.credentials_section("default"),
        alice.credentials_section("dev")
    ));
    let url = f.sts.url();
    let out = f.run_with(
        &[
            "exec",
            "admin",
            "--server",
            "-t",
            &f.code(),
            "--",
            "sh",
            "-c",
            r#"env | sort > "$TMPDIR/child-env"
"$PY" -c 'import boto3,sys; print(boto3.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()["Arn"])' "$STS"
"$@""#,
            "sh",
        ]
        .into_iter()
        .chain(aws_whoami(&url))
        .collect::<Vec<_>>(),
        &[
            SHADOWS.as_slice(),
            &[
                ("PY", python.to_str().unwrap()),
                ("STS", &url),
                ("AWS_REGION", "eu-west-1"),
            ],
        ]
        .concat(),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let arns: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(arns.len(), 2, "{}", out.stdout);
    for arn in arns {
        assert!(
            arn.starts_with("arn:aws:sts::123456789012:assumed-role/Admin/mfa-env-alice"),
            "a consumer did not get the role from the endpoint: {arn}"
        );
    }
    let env = std::fs::read_to_string(f.tmp_dir().join("child-env")).unwrap();
    for (name, _) in SHADOWS {
        assert!(
            !env.lines().any(|l| l.starts_with(&format!("{name}="))),
            "{name} reached the child"
        );
    }
    assert!(
        env.contains("AWS_SHARED_CREDENTIALS_FILE=/dev/null\n"),
        "{env}"
    );
    assert!(env.contains("MFA_ENV_PROFILE=admin\n"), "{env}");
    assert!(env.contains("AWS_REGION=eu-west-1\n"), "{env}");
    // The consumers' calls were signed with the role's keys; mfa-env's with one code.
    let calls: Vec<_> = f
        .sts
        .requests()
        .into_iter()
        .filter(|r| r.action == "GetCallerIdentity")
        .collect();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|r| r
        .access_key_id
        .as_deref()
        .unwrap_or("")
        .starts_with("ASIAFAKE")));
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    f.assert_no_secret(&out.stderr);
    f.assert_no_secret_in_files();
    f.assert_aws_untouched();
}

/// The AWS SDK for JavaScript v3 (npm), through its default credential chain.
#[test]
fn the_javascript_sdk_uses_the_endpoint() {
    let modules = std::env::var_os("MFA_ENV_NODE_SDK")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".node-sdk/node_modules")))
        .filter(|p| p.join("@aws-sdk/client-sts").is_dir());
    let Some(modules) = modules else {
        require_present(
            false,
            "@aws-sdk/client-sts from npm (scripts/test installs it)",
        );
        return;
    };
    if !require("node") {
        return;
    }
    let f = Fixture::new();
    let script = r#"
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
new STSClient({ region: "eu-west-1", endpoint: process.argv[1] })
  .send(new GetCallerIdentityCommand({}))
  .then((r) => console.log(r.Arn), (e) => { console.error(String(e)); process.exit(1); });
"#;
    let out = f.run_with(
        &[
            "exec",
            "admin",
            "--server",
            "-t",
            &f.code(),
            "--",
            "node",
            "-e",
            script,
            &f.sts.url(),
        ],
        &[("NODE_PATH", modules.to_str().unwrap())],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("arn:aws:sts::123456789012:assumed-role/Admin/mfa-env-alice"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_role_near_its_end_is_renewed_from_the_mfa_session_without_a_code() {
    let Some(python) = python() else { return };
    let f = Fixture::new();
    // Roles live 10 minutes: inside the 15 minutes in which SDKs fetch again.
    f.sts.state().role_lifetime = Some(600);
    let script = r#"
import boto3, sys
session = boto3.Session()
sts = session.client("sts", endpoint_url=sys.argv[1])
for _ in range(3):
    sts.get_caller_identity()
    print(session.get_credentials().get_frozen_credentials().access_key)
"#;
    let out = f.run_with(
        &[
            "exec",
            "admin",
            "--server",
            "-t",
            &f.code(),
            "--",
            python.to_str().unwrap(),
            "-c",
            script,
            &f.sts.url(),
        ],
        &[("AWS_REGION", "eu-west-1")],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let keys: std::collections::BTreeSet<&str> = out.stdout.lines().collect();
    assert!(keys.len() >= 2, "boto3 never saw new keys: {}", out.stdout);
    // One code, one MFA session; the role assumed again for each renewal.
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    assert!(
        f.sts.count("AssumeRole") >= 3,
        "{}",
        f.sts.count("AssumeRole")
    );
    // Every key boto3 signed with came from AssumeRole.
    let calls: Vec<_> = f
        .sts
        .requests()
        .into_iter()
        .filter(|r| r.action == "GetCallerIdentity")
        .collect();
    for call in &calls {
        let key = call.access_key_id.clone().unwrap_or_default();
        let arn = f.sts.arn_of(&key).expect("a key the fake STS issued");
        assert!(arn.contains(":assumed-role/Admin/"), "{arn}");
    }
    // mfa-env's own calls, renewals included, share one connection.
    let connections: std::collections::BTreeSet<u64> = f
        .sts
        .requests()
        .iter()
        .filter(|r| r.action == "GetSessionToken" || r.action == "AssumeRole")
        .map(|r| r.connection)
        .collect();
    assert_eq!(connections.len(), 1, "one connection for every renewal");
    f.assert_no_secret(&out.stderr);
    f.assert_no_secret_in_files();
}

#[test]
fn the_endpoint_answers_only_its_token_and_a_slow_client_holds_up_nobody() {
    let f = Fixture::new();
    let served = Served::start(&f, &["dev", "-t", &f.code()], "sleep 60", &[]);
    let url = served.url().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(served.token().len(), 64);
    assert!(!served.env.contains_key("AWS_ACCESS_KEY_ID"));
    assert_eq!(served.env["MFA_ENV_ENDPOINT"], url);
    let creds = served.credentials();
    let key = creds["AccessKeyId"].as_str().unwrap();
    assert!(key.starts_with("ASIAFAKE"), "{creds}");
    assert!(creds["Expiration"].as_str().unwrap().ends_with('Z'));

    // A client that connects and says nothing, another that trickles: neither delays others.
    let idle = TcpStream::connect(("127.0.0.1", served.port())).unwrap();
    let mut slow = TcpStream::connect(("127.0.0.1", served.port())).unwrap();
    slow.write_all(b"GET /mfa-env/cred").unwrap();
    let started = Instant::now();
    let (status, _) = served.get(Some(served.token()));
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "held up by a slow client"
    );

    let mut wrong = served.token().to_string();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(63.., last);
    for (token, want) in [
        (None, 401),
        (Some(wrong.as_str()), 403),
        (Some(&served.token()[..32]), 403),
        (Some(""), 403),
    ] {
        let (status, body) = served.get(token);
        assert_eq!(status, want, "{token:?}: {body}");
        assert!(!body.contains("ASIAFAKE"), "{body}");
    }
    let (status, _) = request(
        served.port(),
        &format!(
            "POST /mfa-env/credentials HTTP/1.1\r\nAuthorization: {}\r\nContent-Length: 0\r\n\r\n",
            served.token()
        ),
    );
    assert_eq!(status, 405);
    let (status, _) = request(
        served.port(),
        &format!(
            "GET / HTTP/1.1\r\nAuthorization: {}\r\n\r\n",
            served.token()
        ),
    );
    assert_eq!(status, 404);
    // The head (before its blank line) is bounded at 8 KiB, to the byte.
    let head_of = |len: usize| {
        let start = format!(
            "GET /mfa-env/credentials HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: {}\r\nX: ",
            served.port(),
            served.token()
        );
        format!("{start}{}\r\n\r\n", "a".repeat(len - start.len()))
    };
    assert_eq!(request(served.port(), &head_of(8 * 1024)).0, 200);
    assert_eq!(request(served.port(), &head_of(8 * 1024 + 1)).0, 431);
    assert_eq!(request(served.port(), &head_of(20_000)).0, 431);
    // Forty idle connections (no token needed to open them) do not keep the token holder out:
    // the oldest connection still sending is closed to make room.
    let crowd: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(("127.0.0.1", served.port())).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (status, _) = served.get(Some(served.token()));
    assert_eq!(
        status, 200,
        "idle connections kept a client with the token out"
    );
    drop(crowd);
    // The idle connection is closed by the endpoint's deadline, not kept forever.
    let mut idle = idle;
    idle.set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(idle.read(&mut buf), Ok(0)),
        "an idle connection was kept open"
    );
    drop(slow);

    let stderr = served.stderr();
    f.assert_no_secret(&stderr);
    // SIGTERM to mfa-env reaches the child (sleep), which dies of it: 128 + 15.
    assert_eq!(served.terminate(), 143);
    f.assert_no_secret_in_files();
}

#[test]
fn exit_statuses_and_signals_are_the_childs() {
    let f = Fixture::new();
    f.run(&["dev", "--shell", "bash", "-t", &f.code()]);
    let code = |script: &str| {
        f.run(&["exec", "dev", "--server", "--", "sh", "-c", script])
            .status
    };
    assert_eq!(code("exit 7"), 7);
    assert_eq!(code("kill -TERM $$"), 143);
    assert_eq!(code("kill -HUP $$"), 129);
    // SIGTERM to mfa-env goes to the child, whose own handling decides.
    for (signal, name, status) in [(libc::SIGTERM, "TERM", 42), (libc::SIGHUP, "HUP", 41)] {
        let ready = f.tmp_dir().join(format!("trapped-{name}"));
        let served = Served::start(
            &f,
            &["dev"],
            &format!(
                "trap 'exit {status}' {name}; touch '{}'; while :; do sleep 0.1; done",
                ready.display()
            ),
            &[],
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready.exists() {
            assert!(Instant::now() < deadline, "the trap was never set");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(served.signal(signal), status, "{name}");
    }
    let out = f.run(&["exec", "dev", "--server", "--", "no-such-command-here"]);
    f.assert_failure(&out, 127, "command not found: no-such-command-here");
}

#[test]
fn ctrl_c_reaches_the_child_and_mfa_env_reports_its_status() {
    let f = Fixture::new();
    f.run(&["dev", "--shell", "bash", "-t", &f.code()]);
    let mut cmd = f.command(bin());
    cmd.args([
        "exec",
        "dev",
        "--server",
        "--",
        "sh",
        "-c",
        "echo ready; sleep 30; echo survived",
    ]);
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("ready").unwrap();
    p.send_control('c').unwrap();
    let status = wait_exit(&p, Duration::from_secs(20));
    assert!(status.ends_with(", 130)"), "{status}");
}

/// Ctrl-Z stops mfa-env and its child as one job of the user's shell; `fg` resumes both, and
/// the endpoint still answers.
#[test]
fn ctrl_z_and_fg_suspend_and_resume_the_job() {
    let f = Fixture::new();
    f.run(&["dev", "--shell", "bash", "-t", &f.code()]);
    std::fs::write(f.home.join(".bashrc"), "PS1='user$ '\n").unwrap();
    let mut cmd = f.command("bash");
    cmd.env("TERM", "dumb")
        .env("PATH", path_with_bin())
        .arg("-i");
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("user$ ").unwrap();
    p.send_line(
        r#"mfa-env exec dev --server -- sh -c 'echo started; read line; curl_ok=$(python3 -c "import os,urllib.request as u; r=u.Request(os.environ[\"AWS_CONTAINER_CREDENTIALS_FULL_URI\"], headers={\"Authorization\": os.environ[\"AWS_CONTAINER_AUTHORIZATION_TOKEN\"]}); print(u.urlopen(r).status)"); echo "after $line $curl_ok"; exit 5'"#,
    )
    .unwrap();
    p.exp_string("started").unwrap();
    p.send_control('z').unwrap();
    p.exp_regex(r"Stopped").unwrap();
    p.exp_string("user$ ").unwrap();
    p.send_line("fg").unwrap();
    p.send_line("resumed").unwrap();
    p.exp_string("after resumed 200").unwrap();
    p.send_line("echo status=$?").unwrap();
    p.exp_string("status=5").unwrap();
    p.send_line("exit").unwrap();
    wait_exit(&p, Duration::from_secs(20));
}

#[test]
fn an_ended_mfa_session_is_said_once_and_a_new_one_is_picked_up() {
    let f = Fixture::new();
    // Roles live 30 s: every request renews, and a failed renewal cannot fall back on them.
    f.sts.state().role_lifetime = Some(30);
    let served = Served::start(&f, &["admin", "-t", &f.code()], "sleep 60", &[]);
    let first = served.credentials()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    // The MFA session (and all it issued) is revoked, as when it ends: no code can come.
    f.sts.revoke_sessions();
    for _ in 0..3 {
        let (status, body) = served.get(Some(served.token()));
        assert_eq!(status, 503, "{body}");
        assert!(
            body.contains("the MFA session behind 'admin' has ended")
                && body.contains("run `mfa-env admin --refresh` in another terminal"),
            "{body}"
        );
        f.assert_no_secret(&body);
    }
    let stderr = served.stderr();
    assert_eq!(
        stderr
            .matches("the MFA session behind 'admin' has ended")
            .count(),
        1,
        "one notice: {stderr}"
    );
    // Another terminal starts a new MFA session; the endpoint takes it without a restart.
    let other = f.run(&[
        "admin",
        "--refresh",
        "--shell",
        "bash",
        "-t",
        &f.sts.alice().next_code(),
    ]);
    assert_eq!(other.status, 0, "{}", other.stderr);
    let renewed = served.credentials()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(renewed, first);
    assert!(f.sts.session_of(&renewed).is_some());
    assert_eq!(served.terminate(), 143);
}

/// When the MFA session ends, a profile's `mfa_process` supplies the code for a new one: the
/// endpoint keeps serving without anyone at the terminal.
#[test]
fn mfa_process_renews_an_ended_mfa_session() {
    let mut f = Fixture::new();
    f.sts.state().role_lifetime = Some(30);
    let script = f.root.path().join("code.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho {}\n", f.sts.alice().next_code()),
    )
    .unwrap();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\nmfa_process = sh {}\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n",
        script.display()
    ));
    let served = Served::start(&f, &["admin", "-t", &f.code()], "sleep 60", &[]);
    let first = served.credentials()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    f.sts.revoke_sessions();
    let renewed = served.credentials()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(renewed, first);
    assert_eq!(f.sts.count("GetSessionToken"), 2);
    let last_code = f
        .sts
        .requests()
        .into_iter()
        .rfind(|r| r.action == "GetSessionToken")
        .unwrap()
        .params["TokenCode"]
        .clone();
    assert_eq!(
        last_code,
        f.sts.alice().next_code(),
        "the code came from mfa_process"
    );
    assert_eq!(served.terminate(), 143);
}

#[test]
fn a_session_token_profile_is_served_and_its_end_announced_ahead() {
    let f = Fixture::new();
    // 6m40s: more than the margin, less than the 16 minutes the endpoint renews ahead.
    f.sts.state().session_lifetime = Some(400);
    let served = Served::start(&f, &["dev", "-t", &f.code()], "sleep 60", &[]);
    let first = served.credentials()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    // Still usable: served, with one notice that a code will be needed.
    let again = served.credentials()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(again, first);
    // The renewal runs in the background while what is held is served: its notice follows.
    let stderr = served.stderr_until(|e| e.contains("has ended"));
    assert!(
        stderr.contains("the MFA session of 'dev' has ended (or ends within 16m)")
            && stderr.contains("the credentials served now have 7m left"),
        "{stderr}"
    );
    f.sts.state().session_lifetime = None;
    let other = f.run(&[
        "dev",
        "--refresh",
        "--shell",
        "bash",
        "-t",
        &f.sts.alice().next_code(),
    ]);
    assert_eq!(other.status, 0, "{}", other.stderr);
    // The credentials held are still usable: served at once while the cache is looked at.
    let renewed = served.access_key_until(|key| key != first);
    assert_ne!(renewed, first, "the new session was not picked up");
    assert_eq!(f.sts.count("GetSessionToken"), 2);
    assert_eq!(served.terminate(), 143);
}

/// A role asked to last 15 minutes is renewed at half its life, not at every fetch; and the
/// child's status calls it a role.
#[test]
fn a_short_role_is_not_renewed_at_every_fetch() {
    let f = Fixture::new();
    let served = Served::start(
        &f,
        &["admin", "--duration", "15m", "-t", &f.code()],
        "mfa-env status --json > \"$TMPDIR/status.json\"; sleep 60",
        &[("PATH", &path_with_bin())],
    );
    let first = served.credentials()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let second = served.credentials()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(first, second);
    assert_eq!(f.sts.count("AssumeRole"), 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status_file = f.tmp_dir().join("status.json");
    while std::fs::metadata(&status_file).map_or(true, |m| m.len() == 0) {
        assert!(Instant::now() < deadline, "no status from the child");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&status_file).unwrap()).unwrap();
    assert_eq!(status["kind"], "role", "{status}");
    assert!(
        status["identity"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/Admin/"),
        "{status}"
    );
    assert_eq!(status["endpoint"].as_str(), Some(served.url()));
    assert_eq!(served.terminate(), 143);
}

#[test]
fn server_from_the_environment_and_bad_values() {
    let f = Fixture::new();
    f.run(&["dev", "--shell", "bash", "-t", &f.code()]);
    let out = f.run_with(
        &[
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "echo ${AWS_CONTAINER_CREDENTIALS_FULL_URI:-none}",
        ],
        &[("MFA_ENV_SERVER", "1")],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("http://127.0.0.1:"),
        "{}",
        out.stdout
    );
    let out = f.run_with(
        &["exec", "dev", "--", "true"],
        &[("MFA_ENV_SERVER", "maybe")],
    );
    f.assert_failure(&out, 3, "MFA_ENV_SERVER must be 1");
}

fn server_shell(shell: &str) {
    if !require(shell) {
        return;
    }
    let f = Fixture::new();
    std::fs::write(f.home.join(".bashrc"), "PS1='user$ '\n").unwrap();
    std::fs::write(f.home.join(".zshrc"), "PROMPT='user$ '\n").unwrap();
    let fish = f.home.join(".config/fish");
    std::fs::create_dir_all(&fish).unwrap();
    std::fs::write(
        fish.join("config.fish"),
        "function fish_prompt; printf 'user$ '; end\n",
    )
    .unwrap();
    let mut cmd = f.command(bin());
    cmd.env("TERM", "dumb")
        .env("PATH", path_with_bin())
        .env("AWS_PAGER", "")
        .args([
            "shell",
            "admin",
            "--server",
            "--shell",
            shell,
            "-t",
            &f.code(),
        ]);
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    // The countdown is the MFA session's (12h), not the role's hour.
    p.exp_regex(r"\[admin (12h00m|11h59m)\] user\$ ").unwrap();
    p.send_line("printenv AWS_ACCESS_KEY_ID || echo no-keys-here")
        .unwrap();
    p.exp_string("no-keys-here").unwrap();
    let whoami = aws_whoami(&f.sts.url()).join(" ");
    p.send_line(&whoami).unwrap();
    p.exp_string("assumed-role/Admin/mfa-env-alice").unwrap();
    p.send_line("mfa-env status").unwrap();
    p.exp_string("served by:  http://127.0.0.1:").unwrap();
    // The startup files are private, whatever the umask.
    let private: Vec<u32> = std::fs::read_dir(f.tmp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("mfa-env-shell-")
        })
        .map(|e| {
            use std::os::unix::fs::PermissionsExt;
            e.metadata().unwrap().permissions().mode() & 0o777
        })
        .collect();
    assert_eq!(private, [0o700], "the startup directory");
    // Refresh renews the MFA session behind the endpoint only while it is not ending (no code
    // now); --refresh-mfa starts a new one; keys stay out either way.
    let status = if shell == "fish" { "$status" } else { "$?" };
    p.send_line(&format!("mfa-env-refresh; echo refreshed={status}"))
        .unwrap();
    p.exp_string("refreshed=0").unwrap();
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    // Each answer waited for before the next line is typed (the terminal echoes typed-ahead
    // text, which would match too early); the quotes keep the echo from matching.
    p.send_line(&format!(
        "mfa-env-refresh --refresh-mfa -t {}; echo refreshed-mfa={status}",
        f.sts.alice().next_code()
    ))
    .unwrap();
    p.exp_string("refreshed-mfa=0").unwrap();
    p.send_line("printenv AWS_ACCESS_KEY_ID || echo still-no-'keys'")
        .unwrap();
    p.exp_string("still-no-keys").unwrap();
    assert_eq!(f.sts.count("GetSessionToken"), 2);
    if shell == "bash" {
        // Keys applied inside it take over from the endpoint, which then is not claimed.
        p.send_line("eval \"$(mfa-env admin)\"; printenv MFA_ENV_ENDPOINT || echo endpoint-left")
            .unwrap();
        p.exp_string("endpoint-left").unwrap();
    }
    p.send_line("exit 3").unwrap();
    p.exp_string("left the shell of session 'admin' (exit status 3)")
        .unwrap();
    let status = wait_exit(&p, Duration::from_secs(20));
    assert!(status.ends_with(", 3)"), "{status}");
}

#[test]
fn bash_shell_with_server() {
    server_shell("bash");
}

#[test]
fn zsh_shell_with_server() {
    server_shell("zsh");
}

#[test]
fn fish_shell_with_server() {
    server_shell("fish");
}

/// GETs the endpoint `times` times and asserts each answer is 200 with `key`, and came back
/// well inside the time an SDK waits (1 to 5 s), though a renewal is stuck behind it.
fn answered_at_once(served: &Served, key: &str, times: usize, what: &str) {
    for i in 0..times {
        let start = Instant::now();
        let (status, body) = served.get(Some(served.token()));
        let took = start.elapsed();
        assert_eq!(status, 200, "{what}, request {i}: {body}");
        assert!(
            body.contains(key),
            "{what}, request {i}: another key: {body}"
        );
        assert!(
            took < Duration::from_secs(3),
            "{what}, request {i}: the endpoint took {took:?} (it waited on the renewal)"
        );
    }
}

/// STS stops answering in the middle of a run: the renewal hangs (up to 2.5 × MFA_ENV_TIMEOUT,
/// here 50 s), and the endpoint keeps answering at once from the credentials it holds, which
/// have minutes left.
#[test]
fn a_hung_sts_does_not_hold_up_the_endpoint() {
    let f = Fixture::new();
    // Roles live 10 minutes: inside the window, so every request asks for a renewal.
    f.sts.state().role_lifetime = Some(600);
    let served = Served::start(
        &f,
        &["admin", "-t", &f.code()],
        "sleep 60",
        &[("MFA_ENV_TIMEOUT", "20")],
    );
    f.sts.always(Some(crate::support::fake_sts::Scripted::Hang));
    let before = f.sts.requests().len();
    let key = "ASIAFAKE000000000002";
    answered_at_once(&served, key, 5, "STS hung");
    // The renewal did go to STS (and hangs there): the requests did not wait for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.sts.requests().len() == before {
        assert!(Instant::now() < deadline, "no renewal was attempted");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(served.terminate(), 143);
}

/// Another terminal holds the device lock while it waits for its user to type a code: the
/// endpoint's renewal waits for that lock, its requests do not.
#[test]
fn a_code_prompt_elsewhere_does_not_hold_up_the_endpoint() {
    let f = Fixture::new();
    f.sts.state().role_lifetime = Some(600);
    let served = Served::start(&f, &["admin", "-t", &f.code()], "sleep 60", &[]);
    // What the endpoint holds (no request yet: the first one starts a renewal).
    let first = "ASIAFAKE000000000002".to_string();
    // The MFA session ends: a renewal needs a new one, and so the device lock.
    f.sts.revoke_sessions();
    let mut other = f.cmd();
    other
        .args(["admin", "--refresh", "--shell", "bash"])
        .env("TERM", "dumb");
    let mut p = spawn_command(other, Some(20_000)).expect("spawn in pty");
    p.exp_string("Enter MFA code").unwrap();
    answered_at_once(&served, &first, 5, "the device lock held at a prompt");
    // The other terminal's new session reaches the endpoint once it is there (the renewal
    // waiting for the lock takes it, not the session STS refused).
    f.sts.state().role_lifetime = None;
    p.send_line(&f.sts.alice().next_code()).unwrap();
    wait_exit(&p, Duration::from_secs(20));
    let renewed = served.access_key_until(|key| key != first);
    assert_ne!(
        renewed,
        first,
        "the new session was not picked up: {}",
        served.stderr()
    );
    assert!(f.sts.session_of(&renewed).is_some());
    assert_eq!(served.terminate(), 143);
}

/// A renewal that runs `mfa_process` does not take the terminal from the child of
/// `exec --server`: a child reading the terminal meanwhile would be stopped (SIGTTIN) with
/// nothing to continue it. The child keeps reading what is typed, and the renewal works.
#[test]
fn a_renewal_leaves_the_terminal_to_the_child() {
    if !require("bash") {
        return;
    }
    let mut f = Fixture::new();
    f.sts.state().role_lifetime = Some(30);
    let script = f.root.path().join("code.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntouch '{}'\nsleep 2\necho {}\n",
            f.root.path().join("mfa-process-started").display(),
            f.sts.alice().next_code()
        ),
    )
    .unwrap();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\nmfa_process = sh {}\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n",
        script.display()
    ));
    let env_file = f.tmp_dir().join("child-env");
    let child = f.tmp_dir().join("child.sh");
    std::fs::write(
        &child,
        format!(
            // A read that times out keeps what it got of a line (bash hands it over with the
            // timeout): it is put before the rest, not lost.
            "env > '{0}.tmp' && mv '{0}.tmp' '{0}'\nbuf=\nwhile :; do\n  \
             if read -r -t 0.1 part; then\n    line=$buf$part; buf=\n    \
             echo \"got=$line\"\n    [ \"$line\" = quit ] && exit 0\n  \
             else\n    buf=$buf$part\n  fi\ndone\n",
            env_file.display()
        ),
    )
    .unwrap();
    // From an interactive shell with job control, as a user runs it: mfa-env's group is then
    // not orphaned, and a read from the background stops the reader (an orphaned group would
    // get an error instead).
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-i"])
        .env("TERM", "dumb")
        .env("PS1", "$ ");
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in pty");
    p.send_line(&format!(
        "{} exec admin --server -t {} -- bash {}; echo \"exit=$?\"",
        bin(),
        f.code(),
        child.display()
    ))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !env_file.exists() {
        assert!(Instant::now() < deadline, "the child never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let env: BTreeMap<String, String> = std::fs::read_to_string(&env_file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = &env["AWS_CONTAINER_CREDENTIALS_FULL_URI"];
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    let token = &env["AWS_CONTAINER_AUTHORIZATION_TOKEN"];
    // A new MFA session is needed: mfa_process runs (for a second) while the child reads.
    f.sts.revoke_sessions();
    let get = format!(
        "GET /mfa-env/credentials HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\n\r\n"
    );
    request(port, &get);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f.root.path().join("mfa-process-started").exists() {
        assert!(Instant::now() < deadline, "mfa_process never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Typed while mfa_process runs: the child reads it then (a child without the terminal
    // would be stopped by that read).
    p.send_line("early").unwrap();
    p.exp_string("got=early").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while f.sts.count("GetSessionToken") < 2 {
        assert!(Instant::now() < deadline, "mfa_process never renewed");
        std::thread::sleep(Duration::from_millis(50));
    }
    p.send_line("hello").unwrap();
    p.exp_string("got=hello").unwrap();
    assert_eq!(request(port, &get).0, 200);
    p.send_line("quit").unwrap();
    p.exp_string("exit=0").unwrap();
    p.send_line("exit").unwrap();
    wait_exit(&p, Duration::from_secs(20));
}
