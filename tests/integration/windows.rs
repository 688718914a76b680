//! The non-Unix `exec` path (spawn, let the child have Ctrl-C, wait, return its status): the
//! Windows build run under Wine against the fake STS. `scripts/windows-setup` builds it and
//! names the directory, the Wine loader and the prefix in MFA_ENV_WINDOWS_DIR, MFA_ENV_WINE and
//! MFA_ENV_WINEPREFIX; `scripts/test` runs it.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use mfa_env::shell::quote_posix;
use rexpect::session::PtySession;

use crate::support::*;

struct Wine {
    dir: PathBuf,
    loader: PathBuf,
    prefix: PathBuf,
}

fn wine() -> Option<Wine> {
    let var = |name| std::env::var_os(name).map(PathBuf::from);
    let found = match (
        var("MFA_ENV_WINDOWS_DIR"),
        var("MFA_ENV_WINE"),
        var("MFA_ENV_WINEPREFIX"),
    ) {
        (Some(dir), Some(loader), Some(prefix)) => Some(Wine {
            dir,
            loader,
            prefix,
        }),
        _ => None,
    };
    if std::env::var_os("MFA_ENV_WINDOWS").is_some_and(|v| v == "skip") {
        eprintln!("note: the Windows target could not be fetched; skipping (see scripts/test)");
        return None;
    }
    require_present(
        found.is_some(),
        "the Windows build under Wine (scripts/windows-setup)",
    )
    .then_some(found)
    .flatten()
}

impl Wine {
    /// `program` in the fixture's environment plus Wine's prefix. Wine hides HOME and sets its
    /// own USERPROFILE, so the AWS files are named explicitly.
    fn command(&self, f: &Fixture, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = f.command(program);
        c.env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("AWS_CONFIG_FILE", win_path(&f.aws_dir().join("config")))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                win_path(&f.aws_dir().join("credentials")),
            )
            .stdin(Stdio::null());
        c
    }

    /// `mfa-env.exe ARGS` under Wine.
    fn mfa_env(&self, f: &Fixture, args: &[&str]) -> Command {
        let mut c = self.command(f, &self.loader);
        c.arg(self.dir.join("mfa-env.exe")).args(args);
        c
    }

    /// The test's Windows command.
    fn child(&self) -> String {
        win_path(&self.dir.join("child.exe"))
    }
}

/// A Unix path as Windows programs under Wine see it: drive Z: is `/`.
fn win_path(p: &std::path::Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}

fn run(c: &mut Command) -> Out {
    Out::from(c.output().expect("run mfa-env.exe under Wine"))
}

#[test]
fn windows_exec_returns_the_commands_status_and_passes_the_streams() {
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let child = w.child();
    let code = f.code();
    // The first run authenticates with the code; the others use the cache.
    for (status, extra) in [(7, vec!["-t", code.as_str()]), (0, vec![]), (1, vec![])] {
        let n = status.to_string();
        let mut args = vec!["exec", "dev"];
        args.extend(extra);
        args.extend(["--", &child, "exit", &n]);
        let out = run(&mut w.mfa_env(&f, &args));
        assert_eq!(out.status, status, "exit {status}: {}", out.stderr);
        assert_eq!(out.stdout, "");
        f.assert_no_secret(&out.stderr);
    }
    assert_eq!(
        f.sts.count("GetSessionToken"),
        1,
        "one code, then the cache"
    );

    let mut c = w.mfa_env(&f, &["exec", "dev", "--", &child, "cat"]);
    c.env("MFA_ENV_VERBOSE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut proc = c.spawn().expect("spawn under Wine");
    use std::io::Write;
    proc.stdin
        .take()
        .expect("stdin")
        .write_all(b"piped input\n")
        .expect("write stdin");
    let out = Out::from(proc.wait_with_output().expect("wait"));
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout.replace('\r', ""), "piped input\n");
    assert_eq!(out.stderr.replace('\r', ""), "to stderr\n");
}

#[test]
fn windows_exec_sets_exactly_the_intended_environment() {
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let child = w.child();
    let code = f.code();
    let names = [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "MFA_ENV_PROFILE",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SECURITY_TOKEN",
        "KEEP_ME",
    ];
    let mut args = vec!["exec", "dev", "-t", &code, "--", &child, "env"];
    args.extend(names);
    let mut c = w.mfa_env(&f, &args);
    c.env("AWS_PROFILE", "old")
        .env("AWS_DEFAULT_PROFILE", "old")
        .env("AWS_SECURITY_TOKEN", "stale")
        .env("KEEP_ME", "yes");
    let out = run(&mut c);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lines: Vec<String> = out.stdout.lines().map(|l| l.replace('\r', "")).collect();
    let key = lines[0]
        .strip_prefix("AWS_ACCESS_KEY_ID=")
        .expect("the key id is set");
    let (secret, token) = f.sts.session_of(key).expect("a key the fake STS issued");
    let expected = [
        format!("AWS_ACCESS_KEY_ID={key}"),
        format!("AWS_SECRET_ACCESS_KEY={secret}"),
        format!("AWS_SESSION_TOKEN={token}"),
        "AWS_REGION=eu-west-1".into(),
        "AWS_DEFAULT_REGION=eu-west-1".into(),
        "MFA_ENV_PROFILE=dev".into(),
        "AWS_PROFILE unset".into(),
        "AWS_DEFAULT_PROFILE unset".into(),
        "AWS_SECURITY_TOKEN unset".into(),
        "KEEP_ME=yes".into(),
    ];
    assert_eq!(lines, expected);
}

#[test]
fn windows_exec_not_found_is_127_and_no_command_runs_the_shell() {
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let out = run(&mut w.mfa_env(
        &f,
        &["exec", "dev", "-t", &f.code(), "--", "no-such-command-xyz"],
    ));
    f.assert_failure(&out, 127, "command not found: no-such-command-xyz");

    // No CMD: %SHELL% when set (here the test command, which without arguments prints its
    // usage and exits 2) ...
    let mut c = w.mfa_env(&f, &["exec", "dev"]);
    c.env("SHELL", w.child()).env("MFA_ENV_VERBOSE", "0");
    let out = run(&mut c);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.starts_with("usage: child"), "{}", out.stderr);

    // ... else cmd.exe, which here reads its commands from stdin. (Wine's cmd.exe honours the
    // status of `exit` only on the first line it reads from a pipe.)
    let mut c = w.mfa_env(&f, &["exec", "dev"]);
    c.env_remove("SHELL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut proc = c.spawn().expect("spawn under Wine");
    use std::io::Write;
    proc.stdin
        .take()
        .expect("stdin")
        .write_all(b"exit /b 5\r\n")
        .expect("write stdin");
    let out = Out::from(proc.wait_with_output().expect("wait"));
    assert_eq!(out.status, 5, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Microsoft Windows"), "{}", out.stdout);
}

/// A pseudo-terminal running `cmd`, its output without the escapes Wine's console draws each
/// character between.
fn pty(mut cmd: Command) -> PtySession {
    // The terminal is all three streams.
    cmd.env("TERM", "dumb")
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    let opts = rexpect::reader::Options::new()
        .timeout_ms(Some(30_000))
        .strip_ansi_escape_codes(true);
    rexpect::session::spawn_with_options(cmd, opts).expect("spawn in a pty")
}

/// Ctrl-C on the console goes to every process attached to it: the child (made ready through
/// `ready`) handles it and exits 42, and mfa-env must survive it to return that status
/// (without its handler it dies first).
fn ctrl_c_goes_to_the_child(cmd: Command, ready: &std::path::Path) {
    let mut p = pty(cmd);
    let start = std::time::Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the child never got ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    p.send_control('c').expect("send Ctrl-C");
    let text = p.exp_eof().expect("the run ends");
    assert!(text.contains("child-got-ctrl-c"), "{text:?}");
    let status = format!("{:?}", p.process().wait().expect("wait"));
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 42)"),
        "mfa-env must outlive Ctrl-C and return the child's status: {status}"
    );
}

#[test]
fn windows_exec_leaves_ctrl_c_to_the_command_and_returns_its_status() {
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let ready = f.tmp_dir().join("child-ready");
    let cmd = w.mfa_env(
        &f,
        &[
            "exec",
            "dev",
            "-t",
            &f.code(),
            "--",
            &w.child(),
            "wait-ctrl-c",
            &win_path(&ready),
        ],
    );
    ctrl_c_goes_to_the_child(cmd, &ready);
}

/// The same for `shell`, with the test command as %SHELL% (it waits, told so by the environment).
#[test]
fn windows_shell_leaves_ctrl_c_to_the_shell_and_returns_its_status() {
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let ready = f.tmp_dir().join("child-ready");
    let mut cmd = w.mfa_env(&f, &["shell", "dev", "-t", &f.code()]);
    cmd.env("SHELL", w.child())
        .env("CHILD_WAIT_CTRL_C", win_path(&ready));
    ctrl_c_goes_to_the_child(cmd, &ready);
}

/// Without MFA_ENV_CACHE_DIR or HOME, the cache is `%LOCALAPPDATA%\mfa-env`: the second run
/// needs no code.
#[test]
fn windows_cache_defaults_to_local_app_data() {
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let local = run(w
        .command(&f, &w.loader)
        .args([w.child().as_str(), "env", "LOCALAPPDATA"]));
    let windows_dir = local
        .stdout
        .trim()
        .strip_prefix("LOCALAPPDATA=")
        .expect("LOCALAPPDATA is set under Wine")
        .to_string();
    // C:\users\NAME\AppData\Local -> $WINEPREFIX/drive_c/users/NAME/AppData/Local
    let rest = windows_dir
        .strip_prefix("C:\\")
        .expect("on drive C:")
        .replace('\\', "/");
    let dir = w.prefix.join("drive_c").join(rest).join("mfa-env");
    // The prefix is shared by every run of the suite: only what this test adds is removed.
    let before = entries(&dir);

    let code = f.code();
    let first = run(w
        .mfa_env(
            &f,
            &["exec", "dev", "-t", &code, "--", &w.child(), "exit", "0"],
        )
        .env_remove("MFA_ENV_CACHE_DIR"));
    let again = run(w
        .mfa_env(&f, &["exec", "dev", "--", &w.child(), "exit", "0"])
        .env_remove("MFA_ENV_CACHE_DIR"));
    let added: Vec<_> = entries(&dir)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    for path in &added {
        let _ = std::fs::remove_file(path);
    }
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert_eq!(
        again.status, 0,
        "the cached session is used: {}",
        again.stderr
    );
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    assert!(!added.is_empty(), "nothing cached in {}", dir.display());
}

fn entries(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// `mfa-env.exe ARGS > out` in a pseudo-terminal: Wine gives it a console on the terminal.
/// (`exec` so no shell stays between the terminal's Ctrl-C and Wine.)
fn in_console(w: &Wine, f: &Fixture, args: &[&str], out: &std::path::Path) -> PtySession {
    let mut argv = vec![
        quote_posix(&w.loader.to_string_lossy()),
        quote_posix(&w.dir.join("mfa-env.exe").to_string_lossy()),
    ];
    argv.extend(args.iter().copied().map(quote_posix));
    let script = format!(
        "exec {} > {}",
        argv.join(" "),
        quote_posix(&out.to_string_lossy())
    );
    let mut sh = w.command(f, "/bin/sh");
    sh.args(["-c", &script]);
    pty(sh)
}

#[test]
fn windows_prompt_reads_the_console_without_echo_while_stdout_is_captured() {
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let out = f.root.path().join("exports.ps1");
    let mut p = in_console(&w, &f, &["dev", "--shell", "powershell"], &out);
    p.exp_regex(r"MFA\s*code\s*for").expect("the prompt");
    let code = f.code();
    p.send(&format!("{code}\r")).expect("type the code");
    p.flush().expect("flush");
    let rest = p.exp_eof().expect("the run ends");
    assert!(!rest.contains(&code), "the code was echoed: {rest:?}");
    let status = format!("{:?}", p.process().wait().expect("wait"));
    assert!(status.ends_with(", 0)"), "{status}: {rest}");
    let exports = std::fs::read_to_string(&out).expect("stdout file");
    assert!(
        exports.contains("$Env:AWS_ACCESS_KEY_ID = 'ASIAFAKE"),
        "{exports}"
    );
    assert_eq!(f.sts.count("GetSessionToken"), 1);
}

#[test]
fn windows_ctrl_c_at_the_prompt_exits_130() {
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let out = f.root.path().join("exports.ps1");
    let mut p = in_console(&w, &f, &["dev", "--shell", "powershell"], &out);
    p.exp_regex(r"MFA\s*code\s*for").expect("the prompt");
    p.send("12").expect("type");
    p.flush().expect("flush");
    p.send_control('c').expect("Ctrl-C");
    let rest = p.exp_eof().expect("the run ends");
    let status = format!("{:?}", p.process().wait().expect("wait"));
    assert!(status.ends_with(", 130)"), "{status}: {rest}");
    assert!(rest.contains("interrupted"), "{rest:?}");
    assert_eq!(std::fs::read_to_string(&out).expect("stdout file"), "");
    assert_eq!(f.sts.count("GetSessionToken"), 0);
}

/// cmd.exe: the README's `for /f … do @set %i` line (in a batch file, `%%i`) applies every value
/// cmd can hold byte for byte and runs nothing; removals happen; what cmd cannot hold is
/// refused with nothing printed.
#[test]
fn cmd_applies_the_for_f_line_exactly_and_refuses_what_it_cannot_hold() {
    use crate::support::fake_sts::Scripted;
    let Some(w) = wine() else { return };
    let f = Fixture::new();
    let dir = f.root.path();
    let fits = |v: &&str| {
        v.chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control() && !"%!\"".contains(c))
    };
    let mut values: Vec<&str> = crate::shells::HOSTILE
        .iter()
        .copied()
        .filter(fits)
        .collect();
    values.extend([
        "&echo PWNED>PWNED",
        "|echo PWNED>PWNED",
        "^^x^",
        "(a) <b> )",
        " lead",
        "trail ",
    ]);
    let secret = values.join("|");
    let token: String = values.iter().rev().copied().collect();
    f.sts.push(Scripted::Credentials {
        access_key_id: "ASIA&CMD^".into(),
        secret: secret.clone(),
        token: token.clone(),
        expiration: "2099-01-01T00:00:00Z".into(),
    });
    let exe = win_path(&w.dir.join("mfa-env.exe"));
    let line = mfa_env::shell::Shell::Cmd
        .apply_hint("dev")
        .replace("%i", "%%i")
        .replacen("mfa-env", &exe, 1);
    let dump = win_path(&dir.join("env.txt"));
    let batch = format!(
        "@echo off\r\ncd /d {}\r\n{line}\r\nset > {dump}\r\n",
        win_path(dir)
    );
    std::fs::write(dir.join("apply.bat"), batch).unwrap();
    let mut c = w.command(&f, &w.loader);
    c.args(["cmd", "/c", &win_path(&dir.join("apply.bat"))])
        .env("MFA_ENV_TOKEN_CODE", f.code())
        .env("MFA_ENV_VERBOSE", "0")
        .env("AWS_PROFILE", "stale");
    let out = run(&mut c);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    assert!(!dir.join("PWNED").exists(), "cmd ran a value");
    let env = std::fs::read_to_string(dir.join("env.txt")).unwrap();
    let get = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
    };
    assert_eq!(
        get("AWS_ACCESS_KEY_ID").as_deref(),
        Some("ASIA&CMD^"),
        "{env}"
    );
    assert_eq!(get("AWS_SECRET_ACCESS_KEY"), Some(secret));
    assert_eq!(get("AWS_SESSION_TOKEN"), Some(token));
    assert_eq!(get("MFA_ENV_PROFILE").as_deref(), Some("dev"));
    assert_eq!(get("AWS_PROFILE"), None, "removed");

    // Without --shell, mfa-env finds cmd.exe as its parent (a process snapshot) and speaks it.
    f.sts.push(Scripted::Credentials {
        access_key_id: "ASIADETECTED".into(),
        secret: "s&cret^".into(),
        token: "t|ok".into(),
        expiration: "2099-01-01T00:00:00Z".into(),
    });
    let batch = format!(
        "@echo off\r\ncd /d {}\r\n{}\r\nset > {dump}\r\n",
        win_path(dir),
        line.replace(" --shell cmd", " --refresh")
    );
    std::fs::write(dir.join("detect.bat"), batch).unwrap();
    let mut c = w.command(&f, &w.loader);
    c.args(["cmd", "/c", &win_path(&dir.join("detect.bat"))])
        .env("MFA_ENV_TOKEN_CODE", f.sts.alice().next_code())
        .env("MFA_ENV_VERBOSE", "0");
    let out = run(&mut c);
    assert_eq!(out.status, 0, "{}{}", out.stdout, out.stderr);
    let env = std::fs::read_to_string(dir.join("env.txt")).unwrap();
    assert!(
        env.lines().any(|l| l == "AWS_SECRET_ACCESS_KEY=s&cret^"),
        "the calling cmd.exe was not detected: {env}"
    );

    // `shell` in cmd.exe: the profile in front of the prompt (cmd cannot count down).
    let mut c = w.mfa_env(&f, &["shell", "dev"]);
    c.env_remove("SHELL")
        .env("PROMPT", "user$G")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut proc = c.spawn().expect("spawn under Wine");
    use std::io::Write;
    proc.stdin
        .take()
        .expect("stdin")
        .write_all(b"echo P=%PROMPT%\r\n")
        .expect("write stdin");
    let out = Out::from(proc.wait_with_output().expect("wait"));
    assert!(
        out.stdout.contains("[dev] user>P=[dev]$Suser$G"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    for bad in ["50%", "hi!x!", "a\"b", "caf\u{e9}"] {
        f.sts.push(Scripted::Credentials {
            access_key_id: "ASIAREFUSED".into(),
            secret: bad.into(),
            token: "t".into(),
            expiration: "2099-01-01T00:00:00Z".into(),
        });
        let out = f.run(&["dev", "--no-cache", "--shell", "cmd", "-t", &f.code()]);
        f.assert_failure(
            &out,
            1,
            "which cmd.exe cannot take exactly; nothing was printed",
        );
    }
}

/// Keys in Windows Credential Manager (Wine's implements CredWrite/CredRead/CredEnumerate):
/// imported, listed, signing the STS call with no keys in the file, removed.
#[test]
fn windows_keys_live_in_credential_manager() {
    let Some(w) = wine() else {
        return;
    };
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    // The Wine prefix is shared: a profile name of this run only.
    let profile = format!("wincred{}", std::process::id());
    f.write_credentials(&alice.credentials_section(&profile));
    f.write_config(&format!("[profile {profile}]\nmfa_serial = {SERIAL}\n"));
    let out = run(&mut w.mfa_env(&f, &["keys", "import", &profile]));
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(&format!(
        "stored the keys AKIA…0001 of '{profile}' in Windows Credential Manager"
    ));
    f.write_credentials("");
    let out = run(&mut w.mfa_env(&f, &["keys", "list", "--json"]));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|k| k["profile"] == profile.as_str()
                && k["access_key_id"] == "AKIA…0001"
                && k["store"] == "credential-manager"),
        "{json}"
    );
    let out = run(&mut w.mfa_env(
        &f,
        &[&profile, "--shell", "powershell", "-t", &f.code(), "-v"],
    ));
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("keys in Windows Credential Manager");
    let signed = f.sts.requests()[0].access_key_id.clone();
    assert_eq!(signed.as_deref(), Some(alice.access_key_id.as_str()));
    let out = run(&mut w.mfa_env(&f, &["keys", "remove", &profile, "--yes"]));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = run(&mut w.mfa_env(&f, &["keys", "list", "--json"]));
    assert!(!out.stdout.contains(&profile), "{}", out.stdout);
}

/// `mfa_process` runs through cmd.exe with its line as written, as the SDK runs a
/// `credential_process`: a program whose path has a space, double-quoted as Windows users
/// write it (`"C:\Program Files\…"`), with a quoted argument, gives the code.
#[test]
fn windows_mfa_process_with_a_quoted_path_that_has_a_space() {
    let Some(w) = wine() else { return };
    let mut f = Fixture::new();
    let dir = f.root.path().join("Program Files").join("Code Tool");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(w.dir.join("child.exe"), dir.join("child.exe")).unwrap();
    let code = f.code();
    let (first, last) = code.split_at(3);
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\
         mfa_process = \"{}\" echo \"{first} {last}\"\n",
        win_path(&dir.join("child.exe"))
    ));
    let out = run(&mut w.mfa_env(&f, &["exec", "dev", "--", &w.child(), "exit", "0"]));
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 1);
}
