//! End to end against moto's server, an STS/IAM peer nobody here wrote, with request
//! authentication on (signatures and IAM permissions checked), and the AWS CLI v2 as consumer.
//! moto does not check MFA codes (the fake STS covers that), and with authentication on it does
//! not accept its own GetSessionToken credentials, so role profiles use the direct path here.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

pub struct Moto {
    child: Child,
    pub url: String,
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
    start_moto_with(true)
}

/// moto with alice, her key and roles; request authentication on, or left off (`auth`).
pub fn start_moto_with(auth: bool) -> Option<(Moto, serde_json::Value)> {
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
        .args((!auth).then_some("--no-auth"))
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

/// boto3 in moto's venv: alice's access key IDs as IAM lists them, and whether a key can sign
/// GetCallerIdentity.
pub fn boto(url: &str, script: &str) -> String {
    let python = venv_tool("MFA_ENV_PYTHON", "python").expect("moto's python");
    let out = Command::new(python)
        .args(["-c", script, url])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run boto3");
    assert!(
        out.status.success(),
        "boto3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const LIST_KEYS: &str = "import boto3, sys
iam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1',
                   aws_access_key_id='AKIASETUPSETUPSETUP0', aws_secret_access_key='x')
print(' '.join(k['AccessKeyId'] for k in iam.list_access_keys(UserName='alice')['AccessKeyMetadata']))";

/// `keys rotate` against moto's IAM: the stored key is replaced by a new one that works, the
/// old one is deleted in IAM, and the next STS call is signed with the new key (moto checks the
/// signature once authentication is on). moto checks no signature during the rotation itself:
/// it does not accept its own GetSessionToken credentials, which sign the IAM calls.
#[test]
fn keys_rotate_against_moto_iam() {
    let Some((moto, info)) = start_moto_with(false) else {
        return;
    };
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let old = info["access_key_id"].as_str().unwrap().to_string();
    let secret = info["secret_access_key"].as_str().unwrap();
    f.write_credentials(&format!(
        "[moto]\naws_access_key_id = {old}\naws_secret_access_key = {secret}\n"
    ));
    // IAM's endpoint from the profile's services section, as the SDKs read it.
    f.write_config(&format!(
        "[profile moto]\nmfa_serial = {SERIAL}\nregion = us-east-1\nservices = local\n\
         [services local]\niam =\n  endpoint_url = {}\n",
        moto.url
    ));
    let env = [
        ("DBUS_SESSION_BUS_ADDRESS", keyring.address.as_str()),
        ("AWS_ENDPOINT_URL_STS", moto.url.as_str()),
    ];
    // Keys only in the file are not rotated: mfa-env never writes the file.
    let out = f.run_with(&["keys", "rotate", "moto", "-t", "123456"], &env);
    f.assert_failure(
        &out,
        3,
        "move them to the Secret Service keyring with `mfa-env keys import moto`",
    );
    assert_eq!(boto(&moto.url, LIST_KEYS), old);

    assert_eq!(f.run_with(&["keys", "import", "moto"], &env).status, 0);
    f.write_credentials("");
    let out = f.run_with(&["moto", "--shell", "bash", "-t", "123456"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);

    // IAM allows two keys per user: with a second one there, nothing is done.
    let extra = boto(
        &moto.url,
        &LIST_KEYS.replace(
            "print(' '.join(k['AccessKeyId'] for k in iam.list_access_keys(UserName='alice')['AccessKeyMetadata']))",
            "print(iam.create_access_key(UserName='alice')['AccessKey']['AccessKeyId'])",
        ),
    );
    let out = f.run_with(&["keys", "rotate", "moto"], &env);
    f.assert_failure(&out, 3, "IAM user 'alice' already has two access keys");
    out.assert_says("nothing changed");
    assert_eq!(boto(&moto.url, LIST_KEYS), format!("{old} {extra}"));
    boto(
        &moto.url,
        &LIST_KEYS.replace(
            "print(' '.join(k['AccessKeyId'] for k in iam.list_access_keys(UserName='alice')['AccessKeyMetadata']))",
            &format!("iam.delete_access_key(UserName='alice', AccessKeyId='{extra}')"),
        ),
    );

    let out = f.run_with(&["keys", "rotate", "moto", "-v"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    out.assert_says("rotated the keys of 'moto'");
    out.assert_says(&format!("IAM at {}, user 'alice'", moto.url));
    // The cached MFA session served the rotation: no code was asked.
    out.assert_says("cache hit for the session");
    f.assert_no_secret(&out.stderr);
    assert!(!out.stderr.contains(secret));

    let now = boto(&moto.url, LIST_KEYS);
    assert!(
        !now.contains(' ') && !now.is_empty() && now != old,
        "IAM lists {now:?}"
    );
    let out = f.run_with(&["keys", "list"], &env);
    let masked = format!("{}…{}", &now[..4], &now[now.len() - 4..]);
    assert!(out.stdout.contains(&masked), "{}", out.stdout);

    // From here moto checks signatures: the next session needs the new key and its secret, and
    // the sessions of the old key were forgotten.
    boto(
        &moto.url,
        "import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + '/moto-api/reset-auth', data=b'0',
    headers={'Content-Type': 'text/plain'}, method='POST')).read()",
    );
    let out = f.run_with(&["moto", "--shell", "bash", "-v", "-t", "654321"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("GetSessionToken");
    out.assert_says(&format!("long-term keys {masked} for 'moto'"));
    let whoami = format!(
        "import boto3, sys
sts = boto3.client('sts', endpoint_url=sys.argv[1], region_name='us-east-1',
                   aws_access_key_id='{old}', aws_secret_access_key='{secret}')
try:
    print(sts.get_caller_identity()['Arn'])
except Exception as e:
    print('refused', type(e).__name__)"
    );
    let answer = boto(&moto.url, &whoami);
    assert!(
        answer.starts_with("refused"),
        "the old key still works: {answer}"
    );
}
