//! `setup` and `device` against moto's IAM, in a real pseudo-terminal: the QR code read off the
//! screen by a QR decoder (zbar), the two codes computed from the secret it holds, the device
//! enabled for the user, the config file changed by exactly the lines shown, with consent.

use std::os::unix::fs::PermissionsExt;

use rexpect::session::spawn_command;

use crate::moto::{boto, start_moto_with, Moto};
use crate::support::*;

const LIST_DEVICES: &str = "import boto3, sys
iam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1',
                   aws_access_key_id='AKIASETUPSETUPSETUP0', aws_secret_access_key='x')
print(' '.join(d['SerialNumber'] for d in iam.list_mfa_devices(UserName='alice')['MFADevices'])
      + '|' + str(len(iam.list_virtual_mfa_devices()['VirtualMFADevices'])))";

const CONFIG: &str = "# my settings\n[profile other]\nregion = eu-west-1\n";

/// A fixture whose profile `work` has alice's keys (moto's user), no MFA device configured.
fn fixture(info: &serde_json::Value) -> Fixture {
    let mut f = Fixture::new();
    f.write_credentials(&format!(
        "[work]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        info["access_key_id"].as_str().unwrap(),
        info["secret_access_key"].as_str().unwrap()
    ));
    f.write_config(CONFIG);
    let config = f.aws_dir().join("config");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
    f
}

fn env(moto: &Moto) -> [(&'static str, &str); 2] {
    [
        ("AWS_ENDPOINT_URL_STS", moto.url.as_str()),
        ("AWS_ENDPOINT_URL_IAM", moto.url.as_str()),
    ]
}

/// The pty's text: rexpect hands over each byte as a char; this is the UTF-8 they spell.
fn utf8(text: &str) -> String {
    let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The QR code drawn in `screen` (half-block characters, dark on light) decoded by zbarimg.
fn decode_qr(f: &Fixture, screen: &str) -> String {
    let mut rows: Vec<Vec<bool>> = Vec::new();
    for line in screen.lines().filter(|l| l.contains("\x1b[30;107m")) {
        let cells: String = line
            .split("\x1b[30;107m")
            .nth(1)
            .unwrap()
            .split('\x1b')
            .next()
            .unwrap()
            .to_string();
        let (mut top, mut bottom) = (Vec::new(), Vec::new());
        for c in cells.chars() {
            top.push(c == '█' || c == '▀');
            bottom.push(c == '█' || c == '▄');
        }
        rows.push(top);
        rows.push(bottom);
    }
    assert!(rows.len() > 20, "no QR code on the screen:\n{screen}");
    // A grey map, each module 6x6 pixels.
    let scale = 6;
    let (w, h) = (rows[0].len() * scale, rows.len() * scale);
    let mut pgm = format!("P5\n{w} {h}\n255\n").into_bytes();
    for row in &rows {
        for _ in 0..scale {
            for &dark in row {
                pgm.extend(std::iter::repeat_n(if dark { 0u8 } else { 255u8 }, scale));
            }
        }
    }
    let file = f.root.path().join("qr.pgm");
    std::fs::write(&file, pgm).unwrap();
    let out = f.sh("zbarimg", &["--raw", "-q", file.to_str().unwrap()], &[]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(out.status, 0, "zbarimg: {}", out.stderr);
    out.stdout.trim().to_string()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn setup_enrolls_a_device_from_a_qr_code_and_writes_the_profile_with_consent() {
    if !require("zbarimg") {
        return;
    }
    let Some((moto, info)) = start_moto_with(false) else {
        return;
    };
    let mut f = fixture(&info);
    let mut cmd = f.command(BIN);
    cmd.args([
        "setup",
        "work",
        "--role",
        "arn:aws:iam::123456789012:role/Deploy",
        "--show-secret",
    ])
    .env("TERM", "xterm");
    for (k, v) in env(&moto) {
        cmd.env(k, v);
    }
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in pty");
    let screen = utf8(&p.exp_string("Enter the code the app shows: ").unwrap());
    let uri = decode_qr(&f, &screen);
    assert!(
        uri.starts_with("otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret="),
        "{uri}"
    );
    assert!(uri.ends_with("&issuer=Amazon%20Web%20Services"), "{uri}");
    let seed = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    // --show-secret shows the same key in text.
    assert!(screen.contains(&format!("Or type this secret key in the app: {seed}")));

    // The same code twice is not two codes.
    let t = now();
    let first = fake_sts::code_for_base32(&seed, t).unwrap();
    let second = fake_sts::code_for_base32(&seed, t + 30).unwrap();
    p.send_line(&first).unwrap();
    p.exp_string("Wait for the next code, then enter it: ")
        .unwrap();
    p.send_line(&first).unwrap();
    p.exp_string("the same code twice").unwrap();
    p.exp_string("Enter the code the app shows: ").unwrap();
    p.send_line(&first).unwrap();
    p.exp_string("Wait for the next code, then enter it: ")
        .unwrap();
    p.send_line(&second).unwrap();
    let shown = utf8(&p.exp_string("? [y/N] ").unwrap());
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    assert!(shown.contains(&format!(
        "MFA device {serial} is enabled for IAM user 'alice'"
    )));
    assert!(
        shown.contains(&format!(
            "  + [profile work]\r\n  + mfa_serial = {serial}\r\n  + [profile work-deploy]\r\n  + \
             role_arn = arn:aws:iam::123456789012:role/Deploy\r\n  + source_profile = work"
        )),
        "{shown}"
    );
    p.send_line("y").unwrap();
    p.exp_string("try it: eval").unwrap();
    assert!(wait_exit(&p, std::time::Duration::from_secs(10)).contains(", 0)"));

    // IAM has the device, enabled for alice.
    assert_eq!(boto(&moto.url, LIST_DEVICES), format!("{serial}|1"));
    // The config: the old bytes, then exactly the lines shown; its mode kept.
    let config = f.aws_dir().join("config");
    let text = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        text,
        format!(
            "{CONFIG}\n[profile work]\nmfa_serial = {serial}\n\n[profile work-deploy]\n\
             role_arn = arn:aws:iam::123456789012:role/Deploy\nsource_profile = work\n"
        )
    );
    let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // The secret is nowhere but the terminal.
    for dir in [f.home.clone(), f.tmp_dir()] {
        let out = f.sh("grep", &["-rl", &seed, dir.to_str().unwrap()], &[]);
        assert_eq!(out.stdout, "", "the device's secret was written");
    }
    f.write_config(&text);

    // The profile works (moto checks no codes), and its device can be listed and removed.
    let code = fake_sts::code_for_base32(&seed, now() + 60).unwrap();
    let out = f.run_with(&["work", "--shell", "bash", "-t", &code], &env(&moto));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = f.run_with(&["device", "list", "work"], &env(&moto));
    assert_eq!(
        out.stdout,
        format!("{serial}  (mfa_serial of 'work')\n"),
        "{}",
        out.stderr
    );
    let out = f.run_with(&["device", "remove", "work"], &env(&moto));
    f.assert_failure(&out, 3, "pass --yes to remove the device without asking");
    let out = f.run_with(&["device", "remove", "work", "--yes"], &env(&moto));
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(&format!(
        "removed {serial} from IAM user 'alice' and forgot its cached sessions"
    ));
    out.assert_says(&format!(
        "enroll a new one with `mfa-env setup work` (it rewrites mfa_serial if the serial \
         changes), or delete `mfa_serial = {serial}` from [profile work]"
    ));
    assert_eq!(boto(&moto.url, LIST_DEVICES), "|0");
    f.assert_aws_untouched();
}

#[test]
fn setup_with_a_device_already_there_writes_its_serial() {
    let Some((moto, info)) = start_moto_with(false) else {
        return;
    };
    let mut f = fixture(&info);
    boto(
        &moto.url,
        "import boto3, sys
iam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1',
                   aws_access_key_id='AKIASETUPSETUPSETUP0', aws_secret_access_key='x')
d = iam.create_virtual_mfa_device(VirtualMFADeviceName='alice-phone')['VirtualMFADevice']
iam.enable_mfa_device(UserName='alice', SerialNumber=d['SerialNumber'],
                      AuthenticationCode1='123456', AuthenticationCode2='654321')",
    );
    // No terminal: the change needs --yes.
    let out = f.run_with(&["setup", "work"], &env(&moto));
    f.assert_failure(&out, 3, "pass --yes to write the change without asking");
    f.assert_aws_untouched();
    let out = f.run_with(&["setup", "work", "--yes"], &env(&moto));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let serial = "arn:aws:iam::123456789012:mfa/alice-phone";
    out.assert_says(&format!(
        "IAM user 'alice' already has an MFA device: {serial}"
    ));
    let text = std::fs::read_to_string(f.aws_dir().join("config")).unwrap();
    assert_eq!(
        text,
        format!("{CONFIG}\n[profile work]\nmfa_serial = {serial}\n")
    );
    f.write_config(&text);
    // Again: nothing to change.
    let out = f.run_with(&["setup", "work", "--yes"], &env(&moto));
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("already says all of it");
}

#[test]
fn setup_refuses_cleanly_and_leaves_nothing_behind() {
    let Some((moto, info)) = start_moto_with(false) else {
        return;
    };
    let mut f = fixture(&info);
    // No terminal to show a QR code on: no device is created.
    let out = f.run_with(&["setup", "work", "--yes"], &env(&moto));
    f.assert_failure(&out, 3, "enrolling a device needs a terminal");
    assert_eq!(boto(&moto.url, LIST_DEVICES), "|0");
    // A role profile, an unknown one, a profile without keys, a bad role ARN.
    f.write_config(&format!(
        "{CONFIG}[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = work\n\
         [profile nokeys]\nregion = eu-west-1\n"
    ));
    for (args, says) in [
        (
            vec!["setup", "admin"],
            "its source profile 'work': run `mfa-env setup work`",
        ),
        (
            vec!["setup", "wrok"],
            "profile 'wrok' not found: did you mean 'work'?",
        ),
        // (A role's name, `--role Deploy`, is one of the account's; this is none.)
        (
            vec!["setup", "work", "--role", "no such role!"],
            "--role must be a role ARN",
        ),
    ] {
        let out = f.run_with(&args, &env(&moto));
        let status = if says.starts_with("--role") { 2 } else { 3 };
        f.assert_failure(&out, status, says);
    }
    // A role profile name that would change the keys' profile, or break the file.
    let role = "arn:aws:iam::123456789012:role/X";
    for (name, says) in [
        ("work", "the role profile needs a name of its own"),
        ("x#y", "--name must be a profile name"),
        ("a b", "--name must be a profile name"),
    ] {
        let out = f.run_with(
            &["setup", "work", "--role", role, "--name", name],
            &env(&moto),
        );
        f.assert_failure(&out, 2, says);
    }
    let out = f.run_with(&["setup", "nokeys", "--yes"], &env(&moto));
    assert_eq!(out.status, 3, "{}", out.stderr);
    // No keys in the files: the keyring is where they would be (none in the tests' session).
    out.assert_says("the keys of 'nokeys'");
    assert_eq!(boto(&moto.url, LIST_DEVICES), "|0");
}

/// With request authentication on and a user allowed nothing in IAM, setup stops at the first
/// IAM call with AWS's refusal, and writes nothing.
#[test]
fn setup_without_permission_says_so_and_writes_nothing() {
    let Some((moto, info)) = start_moto_with(true) else {
        return;
    };
    let f = fixture(&info);
    let out = f.run_with(&["setup", "work", "--yes"], &env(&moto));
    assert_eq!(out.status, 5, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    out.assert_says("mfa-env: ");
    assert!(
        out.stderr.contains("access denied") || out.stderr.contains("HTTP 403"),
        "{}",
        out.stderr
    );
    f.assert_no_secret(&out.stderr);
    f.assert_aws_untouched();
}

/// Codes that do not belong to the new device (a phone whose clock is off, a mistyped code) are
/// refused by IAM: setup says what to check, asks again, and after the last try deletes the
/// device it created. The fake STS's IAM checks the codes, which moto does not.
#[test]
fn wrong_codes_are_asked_again_and_the_device_is_deleted_at_the_end() {
    if !require("zbarimg") {
        return;
    }
    let f = Fixture::new();
    f.sts.state().devices.clear();
    let mut cmd = f.command(BIN);
    cmd.args(["setup", "dev"])
        .env("TERM", "xterm")
        .env("AWS_ENDPOINT_URL_IAM", f.sts.url());
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in pty");
    let screen = utf8(&p.exp_string("Enter the code the app shows: ").unwrap());
    let uri = decode_qr(&f, &screen);
    assert!(uri.contains("secret="), "{uri}");
    assert!(
        !screen.contains("Or type this secret key"),
        "the key is shown only on request"
    );
    for left in ["2 tries left", "1 try left"] {
        p.send_line("000000").unwrap();
        p.exp_string("Wait for the next code, then enter it: ")
            .unwrap();
        p.send_line("111111").unwrap();
        p.exp_string("check that the phone's clock is right")
            .unwrap();
        p.exp_string(left).unwrap();
        p.exp_string("Enter the code the app shows: ").unwrap();
    }
    p.send_line("000000").unwrap();
    p.exp_string("Wait for the next code, then enter it: ")
        .unwrap();
    p.send_line("111111").unwrap();
    p.exp_string("the new device was deleted, nothing changed")
        .unwrap();
    assert!(wait_exit(&p, std::time::Duration::from_secs(10)).contains(", 5)"));
    assert!(
        f.sts.state().devices.is_empty(),
        "the device was left behind"
    );
    f.assert_aws_untouched();
}

/// The whole journey on the fake STS: a session with the old device, the device removed, a new
/// one enrolled from its QR code, and the next session needs the new device's codes.
#[test]
fn a_device_removed_and_enrolled_again_is_the_one_sts_asks_for() {
    if !require("zbarimg") {
        return;
    }
    let f = Fixture::new();
    let iam = [("AWS_ENDPOINT_URL_IAM", f.sts.url())];
    let iam: Vec<(&str, &str)> = iam.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = f.run_with(&["dev", "--shell", "bash", "-t", &f.code()], &iam);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = f.run_with(&["device", "remove", "dev", "--yes"], &iam);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(&format!(
        "removed {SERIAL} from IAM user 'alice' and forgot its cached sessions; enroll a new one \
         with `mfa-env setup dev`"
    ));
    assert!(f.sts.state().devices.is_empty());

    let mut cmd = f.command(BIN);
    cmd.args(["setup", "dev", "--yes"])
        .env("TERM", "xterm")
        .env("AWS_ENDPOINT_URL_IAM", f.sts.url());
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in pty");
    let screen = utf8(&p.exp_string("Enter the code the app shows: ").unwrap());
    let uri = decode_qr(&f, &screen);
    let seed = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let t = now();
    p.send_line(&fake_sts::code_for_base32(&seed, t).unwrap())
        .unwrap();
    p.exp_string("Wait for the next code, then enter it: ")
        .unwrap();
    p.send_line(&fake_sts::code_for_base32(&seed, t + 30).unwrap())
        .unwrap();
    // The new device has the old one's name: the config already says it, and setup says why.
    p.exp_string(&format!(
        "re-enrolled: the new device has the serial of the old one, {SERIAL}"
    ))
    .unwrap();
    assert!(wait_exit(&p, std::time::Duration::from_secs(10)).contains(", 0)"));

    let old = f.sts.alice().next_code();
    let out = f.run_with(&["dev", "--shell", "bash", "--refresh", "-t", &old], &iam);
    assert_eq!(
        out.status, 4,
        "the old device's code was accepted: {}",
        out.stderr
    );
    let new = fake_sts::code_for_base32(&seed, now() + 30).unwrap();
    let out = f.run_with(&["dev", "--shell", "bash", "--refresh", "-t", &new], &iam);
    assert_eq!(out.status, 0, "{}", out.stderr);
    f.assert_aws_untouched();
}

/// A read-only config file is not replaced; an enrollment killed at the code prompt deletes its
/// device; one left behind by a harder kill is cleaned up by the next setup.
#[test]
fn read_only_files_and_killed_enrollments() {
    use std::os::unix::fs::PermissionsExt;
    if !require("zbarimg") {
        return;
    }
    let mut f = Fixture::new();
    let iam = f.sts.url();
    let config = f.aws_dir().join("config");
    f.write_config("[profile dev]\nregion = eu-west-1\n");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o400)).unwrap();
    // alice's device exists on the fake: setup only has the config to write.
    let out = f.run_with(
        &["setup", "dev", "--yes"],
        &[("AWS_ENDPOINT_URL_IAM", iam.as_str())],
    );
    f.assert_failure(&out, 3, "is read-only (mode 0400): nothing written");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    f.sts.state().devices.clear();

    // SIGTERM at the prompt: the device is deleted before mfa-env ends.
    let mut cmd = f.command(BIN);
    cmd.args(["setup", "dev"])
        .env("TERM", "xterm")
        .env("AWS_ENDPOINT_URL_IAM", &iam);
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in pty");
    p.exp_string("Enter the code the app shows: ").unwrap();
    assert_eq!(f.sts.state().devices.len(), 1);
    p.process_mut()
        .signal(rexpect::process::Signal::SIGTERM)
        .unwrap();
    p.exp_string("the new device was deleted, nothing changed")
        .unwrap();
    wait_exit(&p, std::time::Duration::from_secs(10));
    assert!(f.sts.state().devices.is_empty());

    // A device left unenabled (a SIGKILL) is deleted, and enrollment goes on.
    f.sts.state().devices.insert(
        SERIAL.to_string(),
        fake_sts::Device {
            seed: b"lost".to_vec(),
            user: None,
        },
    );
    let mut cmd = f.command(BIN);
    cmd.args(["setup", "dev"])
        .env("TERM", "xterm")
        .env("AWS_ENDPOINT_URL_IAM", &iam);
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in pty");
    let before = utf8(&p.exp_string("Enter the code the app shows: ").unwrap());
    assert!(
        before.contains(&format!(
            "deleted {SERIAL}, a device an unfinished enrollment left unenabled"
        )),
        "{before}"
    );
    p.send_control('c').unwrap();
    p.exp_string("the new device was deleted").unwrap();
    wait_exit(&p, std::time::Duration::from_secs(10));
    assert!(f.sts.state().devices.is_empty());
    f.write_config("[profile dev]\nregion = eu-west-1\n");
}

/// The fake STS's IAM endpoint, where alice has her device: setup has only the config to write.
fn iam(f: &Fixture) -> [(&'static str, String); 1] {
    [("AWS_ENDPOINT_URL_IAM", f.sts.url())]
}

fn run_setup(f: &Fixture, args: &[&str]) -> Out {
    let [(k, v)] = iam(f);
    f.run_with(args, &[(k, v.as_str())])
}

fn config_text(f: &Fixture) -> String {
    std::fs::read_to_string(f.aws_dir().join("config")).unwrap()
}

/// The config file edited while setup waits for the answer: `y` then writes nothing (the text
/// shown was made from what was there before), says so, and the edit stays.
#[test]
fn an_edit_made_while_setup_asks_is_kept_and_nothing_is_written() {
    let mut f = Fixture::new();
    f.write_config("[profile dev]\nregion = eu-west-1\n");
    let mut cmd = f.command(BIN);
    cmd.args(["setup", "dev"])
        .env("TERM", "dumb")
        .env("AWS_ENDPOINT_URL_IAM", f.sts.url());
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn in pty");
    let shown = p.exp_string("? [y/N] ").unwrap();
    assert!(
        shown.contains(&format!("+ mfa_serial = {SERIAL}")),
        "{shown}"
    );
    let edited = "[profile dev]\nregion = eu-west-1\n# added by hand meanwhile\n\
                  [profile other]\nregion = us-east-1\n";
    std::fs::write(f.aws_dir().join("config"), edited).unwrap();
    p.send_line("y").unwrap();
    p.exp_string("changed since mfa-env read it: nothing written; run `mfa-env setup dev` again")
        .unwrap();
    assert!(wait_exit(&p, std::time::Duration::from_secs(10)).contains(", 3)"));
    assert_eq!(config_text(&f), edited);
    f.write_config(edited);
}

/// The section changed is the one the SDK reads: `[profile default]` over `[default]`, and in
/// duplicate sections every line that sets the key (a later one wins). A key the credentials file
/// sets wins over any line of the config file: refused, nothing written.
#[test]
fn setup_writes_where_the_sdk_reads() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_credentials(&alice.credentials_section("default"));
    let config = "[default]\nregion = eu-west-1\n\n[profile default]\nregion = eu-west-2\n";
    f.write_config(config);
    let out = run_setup(&f, &["setup", "default", "--yes"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let text = config_text(&f);
    assert_eq!(text, format!("{config}mfa_serial = {SERIAL}\n"));
    f.write_config(&text);
    let out = f.run(&["default", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "the profile has no device: {}", out.stderr);

    f.write_credentials(&alice.credentials_section("dev"));
    let config =
        "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/old\nregion = eu-west-1\n\n\
                  [profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/older\n";
    f.write_config(config);
    let out = run_setup(&f, &["setup", "dev", "--yes"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let text = config_text(&f);
    assert_eq!(
        text,
        config
            .replace("mfa/older", "mfa/alice")
            .replace("mfa/old", "mfa/alice")
    );
    f.write_config(&text);

    let other = "arn:aws:iam::123456789012:mfa/other";
    f.write_credentials(&format!(
        "{}mfa_serial = {other}\n",
        alice.credentials_section("dev")
    ));
    f.write_config("[profile dev]\nregion = eu-west-1\n");
    let out = run_setup(&f, &["setup", "dev", "--yes"]);
    f.assert_failure(
        &out,
        3,
        &format!("the AWS SDK would read mfa_serial of profile 'dev' as '{other}', not {SERIAL}"),
    );
    out.assert_says("nothing written");
}

/// A serial from IAM is checked as a configured one is: one with a newline would add lines
/// (a credential_process) to the config file, one with escape sequences would act on the
/// terminal. Refused, nothing written, no control character on stderr.
#[test]
fn a_serial_from_iam_that_is_not_one_is_refused() {
    let mut f = Fixture::new();
    f.write_config("[profile dev]\nregion = eu-west-1\n");
    for hostile in [
        "arn:aws:iam::123456789012:mfa/alice\n[profile evil]\ncredential_process = touch /tmp/pwned",
        "arn:aws:iam::123456789012:mfa/\x1b]0;owned\x07alice\x1b[2J",
    ] {
        {
            let mut state = f.sts.state();
            state.devices.clear();
            state.devices.insert(
                hostile.to_string(),
                fake_sts::Device {
                    seed: b"hostile".to_vec(),
                    user: Some("alice".to_string()),
                },
            );
        }
        // device list shows it escaped, without its control characters.
        let listed = run_setup(&f, &["device", "list", "dev"]);
        assert_eq!(listed.status, 0, "{}", listed.stderr);
        assert!(
            !listed.stdout.contains(['\x1b', '\x07']) && listed.stdout.lines().count() == 1,
            "{:?}",
            listed.stdout
        );
        let out = run_setup(&f, &["setup", "dev", "--yes"]);
        f.assert_failure(&out, 6, "which is not one (9-256 characters");
        out.assert_says("nothing written: check the IAM endpoint");
        assert!(
            !out.stderr.contains(['\x1b', '\x07']),
            "a control character reached the terminal: {:?}",
            out.stderr
        );
        f.assert_aws_untouched();
    }
}

/// `--role` with the role profile already there in part: each profile's lines shown under its
/// header once, a key replaced where it is and the missing one added.
#[test]
fn setup_shows_each_profile_once() {
    let mut f = Fixture::new();
    let config =
        "[profile dev]\nregion = eu-west-1\n\n[profile dev-deploy]\nsource_profile = other\n";
    f.write_config(config);
    let role = "arn:aws:iam::123456789012:role/Deploy";
    let out = run_setup(&f, &["setup", "dev", "--role", role, "--yes"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(&format!(
        "\n  [profile dev]\n  + mfa_serial = {SERIAL}\n  [profile dev-deploy]\n  - source_profile = \
         other\n  + source_profile = dev\n  + role_arn = {role}\nmfa-env: wrote"
    ));
    let text = config_text(&f);
    assert_eq!(
        text,
        format!(
            "[profile dev]\nregion = eu-west-1\nmfa_serial = {SERIAL}\n\n[profile dev-deploy]\n\
             source_profile = dev\nrole_arn = {role}\n"
        )
    );
    f.write_config(&text);
    // A new role profile: one section, both lines under its one header.
    let out = run_setup(
        &f,
        &["setup", "dev", "--role", role, "--name", "ci", "--yes"],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(&format!(
        "the change to {}:\n  + [profile ci]\n  + role_arn = {role}\n  + source_profile = dev\n\
         mfa-env: wrote",
        f.aws_dir().join("config").display()
    ));
    let text = config_text(&f);
    f.write_config(&text);
}

/// `--role` takes a role's name as well as its ARN: setup knows the user's account.
#[test]
fn setup_takes_a_role_by_name() {
    let mut f = Fixture::new();
    f.write_config("[profile dev]\nregion = eu-west-1\n");
    let out = run_setup(&f, &["setup", "dev", "--role", "team/Deploy", "--yes"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let text = config_text(&f);
    assert_eq!(
        text,
        format!(
            "[profile dev]\nregion = eu-west-1\nmfa_serial = {SERIAL}\n\n[profile dev-deploy]\n\
             role_arn = arn:aws:iam::123456789012:role/team/Deploy\nsource_profile = dev\n"
        )
    );
    f.write_config(&text);
    for bad in ["a b", "/Admin", "arn:aws:iam::1:role/X"] {
        let out = run_setup(&f, &["setup", "dev", "--role", bad, "--yes"]);
        f.assert_failure(&out, 2, "--role must be a role ARN");
    }
}

/// A terminal the tests can look at as a user does: tmux, on a socket of the fixture's own.
struct Tmux {
    socket: String,
    env: Vec<(String, String)>,
}

impl Tmux {
    /// Starts `command` (a shell line) in a 120x60 window.
    fn start(f: &Fixture, command: &str, extra: &[(&str, &str)]) -> Tmux {
        let mut env: Vec<(String, String)> = f
            .cmd()
            .get_envs()
            .filter_map(|(k, v)| {
                Some((
                    k.to_string_lossy().into_owned(),
                    v?.to_string_lossy().into_owned(),
                ))
            })
            .collect();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env.push(("TERM".into(), "xterm-256color".into()));
        env.push(("TMUX_TMPDIR".into(), f.tmp_dir().display().to_string()));
        let t = Tmux {
            socket: format!("mfa-env-{}", std::process::id()),
            env,
        };
        let out = t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "s",
            "-x",
            "120",
            "-y",
            "60",
            command,
        ]);
        assert_eq!(out.status, 0, "tmux: {}", out.stderr);
        t
    }

    fn tmux(&self, args: &[&str]) -> Out {
        let mut c = std::process::Command::new("tmux");
        c.env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args);
        Out::from(c.output().expect("run tmux"))
    }

    /// The screen as it is now, and with the scrollback (`history`).
    fn screen(&self, history: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-J", "-t", "s"];
        if history {
            args.extend(["-S", "-"]);
        }
        self.tmux(&args).stdout
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let screen = self.screen(false);
            if screen.contains(text) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{text:?} never showed:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    fn type_line(&self, line: &str) {
        let out = self.tmux(&["send-keys", "-t", "s", "-l", line]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        self.tmux(&["send-keys", "-t", "s", "Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Enrolling as a user sees it: `k` at the code prompt shows the key to type in (no start over),
/// and once the device is enabled the QR code and the key are gone from the screen and from the
/// scrollback, the outcome left on it.
#[test]
fn the_key_is_shown_on_request_and_the_secret_leaves_the_screen() {
    if !require("tmux") {
        return;
    }
    let mut f = Fixture::new();
    f.write_config("[profile dev]\nregion = eu-west-1\n");
    f.sts.state().devices.clear();
    let url = f.sts.url();
    let t = Tmux::start(
        &f,
        &format!("printf 'before setup\\n'; {BIN} setup dev --yes; echo DONE:$?; sleep 60"),
        &[("AWS_ENDPOINT_URL_IAM", &url)],
    );
    let screen = t.wait_for("Enter the code the app shows: ");
    assert!(
        screen.contains('▀') || screen.contains('▄'),
        "no QR code:\n{screen}"
    );
    assert!(screen.contains("Type k at the prompt"), "{screen}");
    t.type_line("k");
    let screen = t.wait_for("Or type this secret key in the app: ");
    let seed = screen
        .split("Or type this secret key in the app: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(seed.len() >= 16, "{screen}");
    let now = now();
    t.type_line(&fake_sts::code_for_base32(&seed, now).unwrap());
    t.wait_for("Wait for the next code, then enter it: ");
    t.type_line(&fake_sts::code_for_base32(&seed, now + 30).unwrap());
    let screen = t.wait_for("DONE:");
    assert!(screen.contains("DONE:0"), "{screen}");
    assert!(
        screen.contains(&format!(
            "MFA device {SERIAL} is enabled for IAM user 'alice'"
        )),
        "{screen}"
    );
    assert!(
        screen.contains("before setup"),
        "the screen before is back:\n{screen}"
    );
    for view in [screen, t.screen(true)] {
        assert!(!view.contains(&seed), "the key is still there:\n{view}");
        assert!(
            !view.contains(['▀', '▄', '█']),
            "the QR code is still there:\n{view}"
        );
    }
    let text = config_text(&f);
    assert_eq!(
        text,
        format!("[profile dev]\nregion = eu-west-1\nmfa_serial = {SERIAL}\n")
    );
    f.write_config(&text);
}
