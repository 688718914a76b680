//! End to end against moto's server, an STS/IAM peer nobody here wrote, with request
//! authentication on (signatures and IAM permissions checked), and the AWS CLI v2 as consumer.
//! moto does not check MFA codes (the fake STS covers that), and with authentication on it does
//! not accept its own GetSessionToken credentials, so role profiles use the direct path here.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn venv_tool(var: &str, name: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| {
            Some(
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join(".venv-moto/bin")
                    .join(name),
            )
        })
        .filter(|p| p.is_file())
}

fn start_moto() -> Option<(Moto, serde_json::Value)> {
    let (Some(server), Some(python)) = (
        venv_tool("MFA_ENV_MOTO_SERVER", "moto_server"),
        venv_tool("MFA_ENV_PYTHON", "python"),
    ) else {
        require_present(false, "moto (in .venv-moto)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Neither moto nor boto3 may see the machine's AWS or proxy settings.
    let clean = |program: &std::path::Path| {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        c
    };
    let child = clean(&server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let setup = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto_setup.py");
    let out = clean(&python)
        .arg(setup)
        .arg(&moto.url)
        .output()
        .expect("run moto_setup.py");
    assert!(
        out.status.success(),
        "moto setup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("setup JSON");
    Some((moto, info))
}

#[test]
fn moto_end_to_end() {
    let Some((moto, info)) = start_moto() else {
        return;
    };
    let mut f = Fixture::new();
    let key = info["access_key_id"].as_str().unwrap();
    let secret = info["secret_access_key"].as_str().unwrap();
    f.write_credentials(&format!(
        "[moto]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\
         [unknown]\naws_access_key_id = AKIAUNKNOWNUNKNOWN00\naws_secret_access_key = x\n\
         [wrongsecret]\naws_access_key_id = {key}\naws_secret_access_key = wrong\n\
         [viaprocess]\ncredential_process = printf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"{key}\", \"SecretAccessKey\": \"{secret}\"}}'\n\
         [viaprocesswrong]\ncredential_process = printf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"{key}\", \"SecretAccessKey\": \"wrong\"}}'\n"
    ));
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    f.write_config(&format!(
        "[profile moto]\nmfa_serial = {serial}\nregion = us-east-1\n\
         [profile deploy]\nrole_arn = {}\nsource_profile = moto\n\
         [profile bobonly]\nrole_arn = {}\nsource_profile = moto\n\
         [profile unknown]\nmfa_serial = {serial}\n\
         [profile wrongsecret]\nmfa_serial = {serial}\n\
         [profile viaprocess]\nmfa_serial = {serial}\n\
         [profile viaprocesswrong]\nmfa_serial = {serial}\n",
        info["deploy_role"].as_str().unwrap(),
        info["other_role"].as_str().unwrap(),
    ));
    let env = [("AWS_ENDPOINT_URL_STS", moto.url.as_str())];
    let aws = aws_whoami(&moto.url);

    // A session-token profile: moto checks the SigV4 signature made with the long-term keys and
    // answers with its session. (moto then refuses those session credentials itself, so the AWS
    // CLI check for session tokens runs against the fake STS:
    // core::aws_cli_as_consumer_of_a_session_token_under_exec.) Codes differ per call: moto does
    // not check them, but mfa-env's reused-code guard would refuse a repeat.
    let out = f.run_with(&["moto", "--shell", "bash", "-t", "100001"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("export AWS_ACCESS_KEY_ID='")
            && out.stdout.contains("export AWS_SESSION_TOKEN='"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("export AWS_REGION='us-east-1'"));

    // A role profile: the CLI sees the assumed role.
    let mut args = vec!["exec", "deploy", "--direct", "-t", "100002", "--"];
    args.extend(aws.iter().copied());
    let out = f.run_with(&args, &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .trim()
            .starts_with("arn:aws:sts::123456789012:assumed-role/Deploy/mfa-env-alice"),
        "{}",
        out.stdout
    );

    // The export, evaluated in bash, then the CLI in that shell.
    let script = format!(
        "eval \"$({BIN} deploy --direct --refresh --shell bash -t 100003)\" && {}",
        aws.join(" ")
    );
    let out = f.sh("bash", &["-c", &script], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .trim()
            .starts_with("arn:aws:sts::123456789012:assumed-role/Deploy/"),
        "{}",
        out.stdout
    );

    // A role whose trust policy names another user.
    let out = f.run_with(&["bobonly", "--direct", "-t", "100004"], &env);
    f.assert_failure(&out, 5, "access denied: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole");
    // Unknown keys and a wrong secret: moto wraps these as <Errors><Error>, which the SDK cannot
    // read; the message must still say what happened.
    let out = f.run_with(&["unknown", "-t", "100005"], &env);
    f.assert_failure(
        &out,
        5,
        "AWS rejected the long-term keys (InvalidClientTokenId)",
    );
    // Same key id and device as `moto`, so its cached MFA session would serve this profile (the
    // session is keyed on the key id, not the secret, so a cache hit never needs the secret):
    // --no-cache makes moto check the signature.
    let out = f.run_with(&["wrongsecret", "--no-cache", "-t", "100006"], &env);
    f.assert_failure(
        &out,
        5,
        "AWS rejected the long-term keys (SignatureDoesNotMatch)",
    );
    // Keys from a credential_process: moto checks the signature made with the secret it
    // printed (a wrong one is refused).
    let out = f.run_with(
        &[
            "viaprocess",
            "--shell",
            "bash",
            "--no-cache",
            "-t",
            "100008",
        ],
        &env,
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("export AWS_SESSION_TOKEN='"),
        "{}",
        out.stdout
    );
    let out = f.run_with(&["viaprocesswrong", "--no-cache", "-t", "100009"], &env);
    f.assert_failure(
        &out,
        5,
        "AWS rejected the long-term keys (SignatureDoesNotMatch)",
    );
    // The chained path: moto refuses its own GetSessionToken credentials; the message says so
    // plainly instead of blaming the long-term keys.
    let out = f.run_with(
        &["deploy", "--via-session", "--no-cache", "-t", "100007"],
        &env,
    );
    f.assert_failure(
        &out,
        5,
        "STS rejected the MFA session credentials (InvalidClientTokenId)",
    );
}
