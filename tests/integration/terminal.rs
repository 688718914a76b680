//! The MFA prompt, driven through a real pseudo-terminal while stdout is captured, as
//! `eval "$(mfa-env …)"` does.

use rexpect::session::{spawn_command, PtySession};

use crate::support::*;

/// Runs `mfa-env ARGS` in bash inside a pty, capturing its stdout to a file like `$(…)`.
fn in_pty(f: &Fixture, args: &str) -> (PtySession, std::path::PathBuf, std::path::PathBuf) {
    let out = f.root.path().join("stdout");
    let stty = f.root.path().join("stty");
    let script = format!(
        "stty echo icanon isig; out=$({BIN} {args}); st=$?; printf %s \"$out\" > '{o}'; stty -a > '{s}'; echo \"DONE:$st\"",
        o = out.display(),
        s = stty.display()
    );
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env("TERM", "dumb");
    (
        spawn_command(cmd, Some(15_000)).expect("spawn in pty"),
        out,
        stty,
    )
}

/// Whether `stty -a` shows echo, canonical mode and signals on again.
fn restored(stty: &std::path::Path) -> bool {
    let text = std::fs::read_to_string(stty).unwrap();
    let flags: Vec<&str> = text.split_whitespace().collect();
    ["echo", "icanon", "isig"].iter().all(|f| flags.contains(f))
}

#[test]
fn prompt_on_the_terminal_without_echo_while_stdout_is_captured() {
    let f = Fixture::new();
    let (mut p, out, stty) = in_pty(&f, "dev --shell bash");
    p.exp_string(&format!("Enter MFA code for {SERIAL}: "))
        .unwrap();
    let code = f.code();
    p.send_line(&code).unwrap();
    let seen = p.exp_string("DONE:0").unwrap();
    assert!(!seen.contains(&code), "the code was echoed: {seen:?}");
    let exports = std::fs::read_to_string(out).unwrap();
    assert!(
        exports.starts_with("export AWS_ACCESS_KEY_ID="),
        "{exports}"
    );
    assert!(
        !seen.contains("AWS_SECRET_ACCESS_KEY"),
        "exports went to the terminal"
    );
    assert!(restored(&stty), "terminal restored");
}

#[test]
fn a_rejected_code_is_asked_again() {
    let f = Fixture::new();
    let (mut p, out, _) = in_pty(&f, "dev --shell bash");
    let good = f.code();
    let wrong = if good == "000000" { "111111" } else { "000000" };
    p.exp_string("Enter MFA code").unwrap();
    p.send_line(wrong).unwrap();
    p.exp_string("try again (2 left)").unwrap();
    p.exp_string("Enter MFA code").unwrap();
    p.send_line("12ab").unwrap();
    p.exp_string(
        "must be exactly 6 digits, 0-9 (got 4 characters); nothing was sent; try again (1 left)",
    )
    .unwrap();
    p.exp_string("Enter MFA code").unwrap();
    p.send_line(&good).unwrap();
    p.exp_string("DONE:0").unwrap();
    assert!(std::fs::read_to_string(out)
        .unwrap()
        .contains("AWS_SESSION_TOKEN"));
    assert_eq!(
        f.sts.count("GetSessionToken"),
        2,
        "the malformed one was never sent"
    );
}

#[test]
fn three_rejections_give_up() {
    let f = Fixture::new();
    let (mut p, out, _) = in_pty(&f, "dev --shell bash");
    let good = f.code();
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        p.exp_string("Enter MFA code").unwrap();
        p.send_line(wrong).unwrap();
    }
    p.exp_string("DONE:4").unwrap();
    assert_eq!(std::fs::read_to_string(out).unwrap(), "");
}

/// One budget of three codes, whatever is wrong with each, and the last failure said once.
#[test]
fn three_unusable_codes_give_up_with_one_message() {
    let f = Fixture::new();
    let (mut p, out, _) = in_pty(&f, "dev --shell bash");
    for (typed, left) in [("1", "2"), ("12345678", "1")] {
        p.exp_string("Enter MFA code").unwrap();
        p.send_line(typed).unwrap();
        p.exp_string(&format!("nothing was sent; try again ({left} left)"))
            .unwrap();
    }
    p.exp_string("Enter MFA code").unwrap();
    p.send_line("abc").unwrap();
    let rest = p.exp_string("DONE:4").unwrap();
    assert_eq!(
        rest.matches("must be exactly 6 digits, 0-9 (got 3 characters)")
            .count(),
        1,
        "{rest}"
    );
    assert!(
        !rest.contains("Enter MFA code") && !rest.contains("try again"),
        "{rest}"
    );
    assert_eq!(std::fs::read_to_string(out).unwrap(), "");
    assert!(f.sts.requests().is_empty());
}

#[test]
fn ctrl_c_at_the_prompt_restores_echo_and_exits_130() {
    let f = Fixture::new();
    let (mut p, out, stty) = in_pty(&f, "dev --shell bash");
    p.exp_string("Enter MFA code").unwrap();
    p.send("12").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("DONE:130").unwrap();
    assert_eq!(std::fs::read_to_string(out).unwrap(), "");
    assert!(restored(&stty), "echo and signals restored");
    assert!(f.sts.requests().is_empty());
}

/// `mfa_process` gets the terminal while it runs (it may ask there, a YubiKey may wait for a
/// touch): Ctrl-C reaches it, mfa-env ends with 130, and the terminal is given back to the shell
/// (else its `stty` below, run from the background, would be stopped and DONE never printed).
#[test]
fn ctrl_c_reaches_mfa_process_and_the_terminal_comes_back() {
    let mut f = Fixture::new();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nmfa_process = echo asking >/dev/tty; sleep 600\n"
    ));
    let script = format!("out=$({BIN} dev --shell bash); st=$?; stty sane; echo \"DONE:$st:$out\"");
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env("TERM", "dumb");
    let mut p = spawn_command(cmd, Some(15_000)).unwrap();
    p.exp_string("asking").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send_control('c').unwrap();
    p.exp_string("DONE:130:").unwrap();
    assert!(f.sts.requests().is_empty());
}

#[test]
fn eof_at_the_prompt_fails_cleanly() {
    let f = Fixture::new();
    let (mut p, out, stty) = in_pty(&f, "dev --shell bash");
    p.exp_string("Enter MFA code").unwrap();
    p.send_control('d').unwrap();
    p.exp_string("no MFA code entered").unwrap();
    p.exp_string("DONE:4").unwrap();
    assert_eq!(std::fs::read_to_string(out).unwrap(), "");
    assert!(restored(&stty));
}

#[test]
fn forgetting_eval_prints_how_to_apply_and_no_secret() {
    let f = Fixture::new();
    let mut cmd = f.command(BIN);
    cmd.args(["dev", "--shell", "bash", "-t", &f.code()]);
    let mut p = spawn_command(cmd, Some(15_000)).unwrap();
    let text = p.exp_eof().unwrap();
    assert!(
        text.contains("stdout is a terminal, so nothing was applied"),
        "{text}"
    );
    // The profile as typed: quoted only when a shell needs it, the same in every hint.
    assert!(text.contains("eval \"$(mfa-env dev)\""), "{text}");
    assert!(
        text.contains("mfa-env exec dev -- aws sts get-caller-identity"),
        "{text}"
    );
    assert!(!text.contains("'dev'\""), "{text}");
    f.assert_no_secret(&text);
    assert!(!text.contains("export "), "{text}");
}

#[test]
fn reveal_prints_the_exports_even_to_a_terminal() {
    let f = Fixture::new();
    let mut cmd = f.command(BIN);
    cmd.args(["dev", "--shell", "bash", "--reveal", "-t", &f.code()]);
    let mut p = spawn_command(cmd, Some(15_000)).unwrap();
    let text = p.exp_eof().unwrap();
    assert!(text.contains("export AWS_SESSION_TOKEN='"), "{text}");
}

#[test]
fn credential_process_keeps_secrets_off_a_terminal_unless_revealed() {
    let f = Fixture::new();
    let mut cmd = f.command(BIN);
    cmd.args(["credential-process", "dev", "-t", &f.code()]);
    let mut p = spawn_command(cmd, Some(15_000)).unwrap();
    let text = p.exp_eof().unwrap();
    assert!(
        text.contains("stdout is a terminal, so the credentials were not printed"),
        "{text}"
    );
    assert!(
        text.contains("credential_process = mfa-env credential-process dev"),
        "{text}"
    );
    assert!(!text.contains("SecretAccessKey"), "{text}");
    f.assert_no_secret(&text);
    let status = format!("{:?}", p.process().wait().unwrap());
    assert!(status.ends_with(", 0)"), "{status}");
    // The session was cached: --reveal prints it without a second code.
    let mut cmd = f.command(BIN);
    cmd.args(["credential-process", "dev", "--reveal"]);
    let mut p = spawn_command(cmd, Some(15_000)).unwrap();
    let text = p.exp_eof().unwrap();
    assert!(text.contains("\"SecretAccessKey\""), "{text}");
    assert_eq!(f.sts.count("GetSessionToken"), 1);
}

#[test]
fn credential_process_asks_on_the_terminal_while_stdin_and_stdout_are_pipes() {
    let f = Fixture::new();
    let out = f.root.path().join("cp.json");
    let script = format!(
        "stty echo; echo | {BIN} credential-process admin | cat > '{o}'; echo \"DONE:${{PIPESTATUS[1]}}\"",
        o = out.display()
    );
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env("TERM", "dumb");
    let mut p = spawn_command(cmd, Some(15_000)).unwrap();
    p.exp_string(&format!("Enter MFA code for {SERIAL}: "))
        .unwrap();
    p.send_line(&f.code()).unwrap();
    p.exp_string("DONE:0").unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(json["Version"], 1);
}
