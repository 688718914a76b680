//! Round trips through the real shells: the printed code is evaluated by bash, zsh, fish, the
//! POSIX family (dash, ksh93, mksh, yash, busybox sh, all reading `--shell sh`), elvish, tcsh,
//! xonsh and nushell (which applies data, not code), and every variable must come back byte for
//! byte, with nothing executed. cmd.exe is in windows.rs (under Wine).

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::fake_sts::Scripted;
use crate::support::*;

/// Values that break naive quoting in at least one shell.
pub const HOSTILE: &[&str] = &[
    "it's",
    "\"double\"",
    "back\\slash\\",
    "$(touch PWNED)",
    "`touch PWNED`",
    "%s%n%x%%",
    "new\nline",
    "tab\there",
    "*?[a-z]{1,2}~",
    "ünïcödé ✓ 日本語 🚀",
    "\u{2018}curly\u{2019} \u{201A}low\u{201B}",
    "$HOME ${PATH} $((1+1)) $'x'",
    "'\\''",
    "\\'",
    "trailing\\",
    "-n",
    "; touch PWNED; #",
    "\r\u{1b}[31mred",
    "",
];

/// Every interpreter the output is run through, and the `--shell` it reads.
pub const INTERPRETERS: [(&str, &str); 12] = [
    ("bash", "bash"),
    ("zsh", "zsh"),
    ("fish", "fish"),
    ("dash", "sh"),
    ("ksh", "sh"),
    ("mksh", "sh"),
    ("yash", "sh"),
    ("busybox", "sh"),
    ("elvish", "elvish"),
    ("tcsh", "tcsh"),
    ("xonsh", "xonsh"),
    ("nu", "nu"),
];

/// The environment a shell ends with after evaluating `code`, read with `env -0`.
pub fn eval_in(shell: &str, code: &str, dir: &Path) -> BTreeMap<String, String> {
    // xonsh sources only files named *.xsh.
    let code_file = dir.join(match shell {
        "xonsh" => "code.xsh".to_string(),
        _ => format!("code.{shell}"),
    });
    let dump = dir.join(format!("env.{shell}"));
    std::fs::write(&code_file, code).unwrap();
    let script = match shell {
        "fish" => format!(
            "cd {d}; source {c}; and env -0 > {o}",
            d = dir.display(),
            c = code_file.display(),
            o = dump.display()
        ),
        "elvish" => format!(
            "cd '{d}'; eval (slurp < '{c}'); env -0 > '{o}'",
            d = dir.display(),
            c = code_file.display(),
            o = dump.display()
        ),
        // The way the README gives; `source` is tested on its own.
        "tcsh" => format!(
            "cd '{d}' && eval \"`cat '{c}'`\" && env -0 > '{o}'",
            d = dir.display(),
            c = code_file.display(),
            o = dump.display()
        ),
        // `source`, not `execx($(…))`: xonsh's $() capture now and then returns nothing under
        // load (xonsh issues #1947, #3035), which would make this test flaky, not wrong.
        "xonsh" => format!(
            "cd '{d}'\nsource '{c}'\nenv -0 > '{o}'",
            d = dir.display(),
            c = code_file.display(),
            o = dump.display()
        ),
        // The README's line, from the hint: the output read as JSON, hide-env and load-env.
        "nu" => format!(
            "cd '{d}'; open --raw '{c}' | {apply}; ^env -0 | save -f --raw '{o}'",
            d = dir.display(),
            c = code_file.display(),
            o = dump.display(),
            apply = nu_apply(),
        ),
        _ => format!(
            "cd '{d}' && eval \"$(cat '{c}')\" && env -0 > '{o}'",
            d = dir.display(),
            c = code_file.display(),
            o = dump.display()
        ),
    };
    // busybox is every tool in one program: its sh is `busybox sh`.
    let args: Vec<&str> = match shell {
        "busybox" => vec!["sh", "-c", &script],
        "tcsh" => vec!["-f", "-c", &script],
        "xonsh" => vec!["--no-rc", "-c", &script],
        "nu" => vec!["-n", "-c", &script],
        _ => vec!["-c", &script],
    };
    let out = sh(
        shell,
        &args,
        &[
            ("HOME", &dir.display().to_string()),
            ("AWS_PROFILE", "stale"),
            ("AWS_SECURITY_TOKEN", "stale"),
        ],
    );
    assert_eq!(out.status, 0, "{shell} failed: {}", out.stderr);
    assert!(!dir.join("PWNED").exists(), "{shell} executed a value");
    let raw = std::fs::read(&dump).unwrap();
    raw.split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let s = String::from_utf8(e.to_vec()).expect("utf8 env");
            let (k, v) = s.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// What the README's nushell line does with mfa-env's output: the hint after its first pipe.
pub fn nu_apply() -> String {
    let hint = mfa_env::shell::Shell::Nu.apply_hint("work");
    let (_, apply) = hint.split_once(" | ").unwrap();
    apply.to_string()
}

/// A profile name with every character the AWS profile parser allows beyond [A-Za-z0-9_-].
const PROFILE: &str = "we/ird%@:+.name";

fn hostile_fixture() -> (Fixture, String, String, String) {
    let mut f = Fixture::new();
    let secret = HOSTILE.join("|");
    let token: String = HOSTILE.iter().rev().cloned().collect::<Vec<_>>().join("");
    let region = "eu-west-1";
    // The profile parser allows these characters in names, and the name is exported too.
    let alice = f.sts.alice();
    f.write_credentials(&alice.credentials_section(PROFILE));
    f.write_config(&format!(
        "[profile {PROFILE}]\nmfa_serial = {SERIAL}\nregion = {region}\n"
    ));
    (f, secret, token, region.to_string())
}

/// tcsh's `eval "`…`"` cannot carry a line break: mfa-env refuses such a value for it.
fn refuses_line_breaks(shell: &str) -> bool {
    shell == "tcsh"
}

/// A secret `flag`'s shell cannot hold: refused, nothing printed.
fn assert_refused(f: &Fixture, flag: &str, secret: &str) {
    f.sts.push(Scripted::Credentials {
        access_key_id: "ASIAREFUSED".into(),
        secret: secret.to_string(),
        token: "token".into(),
        expiration: "2099-01-01T00:00:00Z".into(),
    });
    let out = f.run(&[PROFILE, "--no-cache", "--shell", flag, "-t", &f.code()]);
    f.assert_failure(
        &out,
        1,
        "holds a line break, which tcsh cannot take from eval",
    );
}

/// tcsh's other way in: `source` of a file that holds the output.
#[test]
fn tcsh_sources_a_file_of_hostile_values() {
    if !require("tcsh") {
        return;
    }
    let (f, secret, _, _) = hostile_fixture();
    let secret = secret.replace('\n', "");
    f.sts.push(Scripted::Credentials {
        access_key_id: "ASIA!$x'".into(),
        secret: secret.clone(),
        token: "t!!".into(),
        expiration: "2099-01-01T00:00:00Z".into(),
    });
    let out = f.run(&[PROFILE, "--no-cache", "--shell", "tcsh", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let dir = f.root.path();
    std::fs::write(dir.join("session.csh"), &out.stdout).unwrap();
    let script = format!(
        "cd '{d}' && source session.csh && env -0 > env.source",
        d = dir.display()
    );
    let run = sh("tcsh", &["-f", "-c", &script], &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!dir.join("PWNED").exists());
    let env = std::fs::read_to_string(dir.join("env.source")).unwrap();
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "ASIA!$x'"),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_SESSION_TOKEN", "t!!"),
        ("MFA_ENV_PROFILE", PROFILE),
    ] {
        assert!(
            env.split('\0').any(|e| e == format!("{name}={value}")),
            "{name} did not round-trip through source"
        );
    }
}

#[test]
fn hostile_values_round_trip_in_every_shell() {
    let (f, secret, token, region) = hostile_fixture();
    let key = "ASIA'$(touch PWNED)\"";
    for (shell, flag) in INTERPRETERS {
        if !require(shell) {
            continue;
        }
        let (secret, token) = if refuses_line_breaks(shell) {
            assert_refused(&f, flag, &secret);
            (secret.replace('\n', ""), token.replace('\n', ""))
        } else {
            (secret.clone(), token.clone())
        };
        f.sts.push(Scripted::Credentials {
            access_key_id: key.into(),
            secret: secret.clone(),
            token: token.clone(),
            expiration: "2099-01-01T00:00:00Z".into(),
        });
        let out = f.run(&[PROFILE, "--no-cache", "--shell", flag, "-t", &f.code()]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        let env = eval_in(shell, &out.stdout, f.root.path());
        assert_eq!(env["AWS_ACCESS_KEY_ID"], key, "{shell}");
        assert_eq!(env["AWS_SECRET_ACCESS_KEY"], secret, "{shell}");
        assert_eq!(env["AWS_SESSION_TOKEN"], token, "{shell}");
        assert_eq!(env["AWS_REGION"], region, "{shell}");
        assert_eq!(env["AWS_DEFAULT_REGION"], region, "{shell}");
        assert_eq!(env["AWS_CREDENTIAL_EXPIRATION"], "2099-01-01T00:00:00Z");
        assert_eq!(env["MFA_ENV_EXPIRATION"], "4070908800");
        assert_eq!(env["MFA_ENV_PROFILE"], PROFILE);
        assert!(!env.contains_key("AWS_PROFILE"), "{shell} left AWS_PROFILE");
        assert!(
            !env.contains_key("AWS_SECURITY_TOKEN"),
            "{shell} left AWS_SECURITY_TOKEN"
        );
        if shell == "bash" || shell == "dash" {
            // Literal `$(…)` and curly quotes draw style notes by design; errors are what count.
            check_shellcheck(
                &out.stdout,
                if shell == "bash" { "bash" } else { "sh" },
                "error",
                f.root.path(),
            );
        }
    }
}

#[test]
fn every_hostile_value_alone_round_trips() {
    // One value per variable slot, so a failure names the value.
    let (f, _, _, _) = hostile_fixture();
    for (i, value) in HOSTILE.iter().enumerate() {
        if value.is_empty() {
            continue; // STS never returns an empty secret; mfa-env refuses one (tested elsewhere).
        }
        for (shell, flag) in INTERPRETERS {
            if !require(shell) {
                continue;
            }
            if refuses_line_breaks(shell) && value.contains('\n') {
                assert_refused(&f, flag, value);
                continue;
            }
            f.sts.push(Scripted::Credentials {
                access_key_id: format!("ASIAKEY{i}"),
                secret: value.to_string(),
                token: format!("t{value}"),
                expiration: "2099-01-01T00:00:00Z".into(),
            });
            let out = f.run(&[PROFILE, "--no-cache", "--shell", flag, "-t", "123456"]);
            assert_eq!(out.status, 0, "{}", out.stderr);
            let env = eval_in(shell, &out.stdout, f.root.path());
            assert_eq!(&env["AWS_SECRET_ACCESS_KEY"], value, "{shell} value #{i}");
            assert_eq!(
                env["AWS_SESSION_TOKEN"],
                format!("t{value}"),
                "{shell} value #{i}"
            );
        }
    }
}

/// `--shell json`: one object, in order, that a real JSON reader (Python's) reads back byte for
/// byte; removals are null.
#[test]
fn json_output_round_trips_hostile_values() {
    let (f, secret, token, region) = hostile_fixture();
    f.sts.push(Scripted::Credentials {
        access_key_id: "ASIA\"\\\u{1}".into(),
        secret: secret.clone(),
        token: token.clone(),
        expiration: "2099-01-01T00:00:00Z".into(),
    });
    let out = f.run(&[PROFILE, "--no-cache", "--shell", "json", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let script = "import json,sys; d=json.load(sys.stdin); print(json.dumps([list(d), d]))";
    let mut py = f.command("python3");
    py.args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = py.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(out.stdout.as_bytes())
        .unwrap();
    let read = child.wait_with_output().unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
    let (order, d) = (&v[0], &v[1]);
    assert_eq!(
        order[0], "AWS_ACCESS_KEY_ID",
        "in the changes' order: {order}"
    );
    assert_eq!(d["AWS_ACCESS_KEY_ID"], "ASIA\"\\\u{1}");
    assert_eq!(d["AWS_SECRET_ACCESS_KEY"], secret.as_str());
    assert_eq!(d["AWS_SESSION_TOKEN"], token.as_str());
    assert_eq!(d["AWS_REGION"], region.as_str());
    assert_eq!(d["MFA_ENV_PROFILE"], PROFILE);
    assert!(
        d["AWS_PROFILE"].is_null() && d["AWS_SECURITY_TOKEN"].is_null(),
        "{d}"
    );
}

/// `--shell dotenv`: plain NAME=value lines for docker and systemd; a value they would read
/// differently is refused with nothing printed.
#[test]
fn dotenv_output_is_plain_or_refused() {
    let f = Fixture::new();
    let out = f.run(&["dev", "--shell", "dotenv", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("AWS_ACCESS_KEY_ID=ASIAFAKE"),
        "{}",
        out.stdout
    );
    assert!(lines.contains(&"AWS_REGION=eu-west-1"), "{}", out.stdout);
    assert!(
        lines.iter().all(|l| l.contains('=') && !l.contains('\'')),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("AWS_PROFILE"), "removals are left out");
    let (f, secret, token, _) = hostile_fixture();
    f.sts.push(Scripted::Credentials {
        access_key_id: "ASIAKEY".into(),
        secret,
        token,
        expiration: "2099-01-01T00:00:00Z".into(),
    });
    let out = f.run(&[PROFILE, "--no-cache", "--shell", "dotenv", "-t", &f.code()]);
    f.assert_failure(&out, 1, "which a dotenv file cannot hold the same way");
    // Formats are not shells to start (clap refuses them, saying why).
    let out = f.run(&["shell", "dev", "--shell", "json"]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    out.assert_says("json is an output format, not a shell");
}

#[test]
fn hostile_values_pass_the_powershell_grammar_check() {
    let (f, secret, token, region) = hostile_fixture();
    f.sts.push(Scripted::Credentials {
        access_key_id: "ASIA'‘’x".into(),
        secret: secret.clone(),
        token: token.clone(),
        expiration: "2099-01-01T00:00:00Z".into(),
    });
    let out = f.run(&[
        PROFILE,
        "--no-cache",
        "--shell",
        "powershell",
        "-t",
        &f.code(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let got: BTreeMap<String, String> = crate::powershell::assignments(&out.stdout)
        .into_iter()
        .collect();
    assert_eq!(got["AWS_ACCESS_KEY_ID"], "ASIA'‘’x");
    assert_eq!(got["AWS_SECRET_ACCESS_KEY"], secret);
    assert_eq!(got["AWS_SESSION_TOKEN"], token);
    assert_eq!(got["AWS_REGION"], region);
}

pub fn check_shellcheck(code: &str, dialect: &str, severity: &str, dir: &Path) {
    if !require("shellcheck") {
        return;
    }
    let file = dir.join(format!("check.{dialect}"));
    std::fs::write(&file, code).unwrap();
    let out = sh(
        "shellcheck",
        &["-s", dialect, "-S", severity, &file.display().to_string()],
        &[],
    );
    assert_eq!(
        out.status, 0,
        "shellcheck -s {dialect}:\n{}{}",
        out.stdout, out.stderr
    );
}

#[test]
fn nul_in_a_value_is_refused_with_nothing_on_stdout() {
    let f = Fixture::new();
    f.sts.push(Scripted::Credentials {
        access_key_id: "ASIAKEY".into(),
        secret: "a\0b".into(),
        token: "t".into(),
        expiration: "2099-01-01T00:00:00Z".into(),
    });
    let out = f.run(&["dev", "--no-cache", "--shell", "bash", "-t", &f.code()]);
    // The SDK's XML reader may refuse the character reference itself; either way: clean failure.
    assert_ne!(out.status, 0);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("NUL") || out.stderr.contains("unusable answer"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_region_that_is_not_a_region_name_is_refused() {
    let mut f = Fixture::new();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu'west$(touch PWNED)\n"
    ));
    let out = f.run(&["dev", "-t", &f.code()]);
    f.assert_failure(&out, 3, "region must be a region name");
    assert!(f.sts.requests().is_empty());
}

#[test]
fn ordinary_output_is_shellcheck_clean_at_every_severity() {
    let f = Fixture::new();
    let out = f.run(&["admin", "--shell", "sh", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    check_shellcheck(&out.stdout, "sh", "style", f.root.path());
    check_shellcheck(&out.stdout, "bash", "style", f.root.path());
}

/// sh and cmd have no init, the formats no `shell`: they say what to use instead,
/// before any code is asked for. And `unset` in elvish, tcsh and xonsh removes a session.
#[test]
fn shells_without_init_or_countdown_say_what_to_use() {
    let f = Fixture::new();
    let out = f.run(&["init", "sh"]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    out.assert_says("with sh use eval \"$(mfa-env PROFILE)\"");
    let out = f.run(&["init", "cmd"]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    out.assert_says("for /f \"delims=\" %i in ('mfa-env unset --shell cmd') do @set %i");
    // nushell's drop line from the README, with no session to drop: mfa-env says so, and the
    // line applies nothing rather than failing on the empty output.
    if require("nu") {
        let hint = mfa_env::shell::Shell::Nu.drop_hint();
        let mut c = f.command("nu");
        c.args(["-n", "-c", &format!("{hint}; print after")])
            .env("PATH", path_with_bin());
        let out = Out::from(c.output().unwrap());
        assert!(out.stdout.contains("after"), "{}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("nothing to remove"), "{}", out.stderr);
        assert!(!out.stderr.contains("Error"), "{}", out.stderr);
    }
    for format in ["json", "dotenv"] {
        let out = f.run(&["shell", "dev", "--shell", format]);
        assert_eq!(out.status, 2, "{}", out.stderr);
        out.assert_says("is an output format, not a shell");
    }
    assert!(f.sts.requests().is_empty(), "nothing was sent");
    // unset in each: code that removes what a session set.
    for (shell, flag) in [("elvish", "elvish"), ("tcsh", "tcsh"), ("xonsh", "xonsh")] {
        if !require(shell) {
            continue;
        }
        let out = f.run_with(
            &["unset", "--shell", flag],
            &[
                ("MFA_ENV_PROFILE", "dev"),
                ("MFA_ENV_EXPIRATION", "4070908800"),
                ("AWS_ACCESS_KEY_ID", "ASIAOLD"),
            ],
        );
        assert_eq!(out.status, 0, "{}", out.stderr);
        // A session set in that shell first, then the unset code.
        let shell_kind = <mfa_env::shell::Shell as clap::ValueEnum>::from_str(flag, false).unwrap();
        let set = shell_kind
            .render(&[
                mfa_env::env::Change::Set("AWS_ACCESS_KEY_ID", "ASIAOLD".into()),
                mfa_env::env::Change::Set("MFA_ENV_PROFILE", "dev".into()),
            ])
            .unwrap();
        let env = eval_in(shell, &set, f.root.path());
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "ASIAOLD", "{shell}");
        let env = eval_in(
            shell,
            &format!("{}{}", set.as_str(), out.stdout),
            f.root.path(),
        );
        assert!(!env.contains_key("AWS_ACCESS_KEY_ID"), "{shell}");
        assert!(!env.contains_key("MFA_ENV_PROFILE"), "{shell}");
    }
}
