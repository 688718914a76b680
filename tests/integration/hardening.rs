//! Hostile servers, faults, terminals that go away, concurrency, and property-based quoting.

use std::time::{Duration, Instant};

use crate::support::fake_sts::Scripted;
use crate::support::*;

/// A hang detector, not a speed test: the documented bound is 2.5 x MFA_ENV_TIMEOUT (1 s here).
const NO_HANG: Duration = Duration::from_secs(30);

fn run_fault(fault: Scripted) -> (Fixture, Out) {
    let f = Fixture::new();
    f.sts.always(Some(fault));
    let start = Instant::now();
    let out = f.run_with(&["dev", "-t", &f.code()], &[("MFA_ENV_TIMEOUT", "1")]);
    assert!(start.elapsed() < NO_HANG, "took {:?}", start.elapsed());
    (f, out)
}

fn assert_network_failure(f: &Fixture, out: &Out) {
    assert_eq!(out.status, 6, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("mfa-env: ") && last.contains(&f.sts.url()),
        "names the endpoint: {}",
        out.stderr
    );
    f.assert_no_secret(&out.stderr);
}

#[test]
fn connection_reset_before_an_answer() {
    let (f, out) = run_fault(Scripted::Reset);
    assert_network_failure(&f, &out);
    assert_eq!(f.sts.count("GetSessionToken"), 3, "retried, bounded");
}

#[test]
fn an_answer_cut_in_the_middle() {
    let (f, out) = run_fault(Scripted::Truncate);
    assert_network_failure(&f, &out);
}

#[test]
fn a_server_that_trickles_bytes() {
    let (f, out) = run_fault(Scripted::Trickle {
        interval: Duration::from_millis(200),
    });
    assert_network_failure(&f, &out);
    assert!(out.stderr.contains("no answer from"), "{}", out.stderr);
}

#[test]
fn a_server_that_never_answers() {
    let (f, out) = run_fault(Scripted::Hang);
    assert_network_failure(&f, &out);
}

#[test]
fn server_errors_are_retried_then_reported() {
    let (f, out) = run_fault(Scripted::Error {
        status: 503,
        code: "ServiceUnavailable".into(),
        message: "try later".into(),
    });
    assert_network_failure(&f, &out);
    assert!(out.stderr.contains("HTTP 503"), "{}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 3);
}

#[test]
fn an_endless_answer_is_cut_off_with_bounded_memory() {
    if !require_file("/usr/bin/time") {
        return;
    }
    for content_length in [None, Some(10_000_000_000)] {
        let f = Fixture::new();
        f.sts.always(Some(Scripted::Endless { content_length }));
        let rss = f.root.path().join("rss");
        let start = Instant::now();
        let mut args = vec!["-o", rss.to_str().unwrap(), "-f", "%M", BIN, "dev", "-t"];
        let code = f.code();
        args.push(&code);
        let out = f.sh("/usr/bin/time", &args, &[("MFA_ENV_TIMEOUT", "5")]);
        assert!(start.elapsed() < NO_HANG);
        assert_eq!(out.status, 6, "{:?}: {}", content_length, out.stderr);
        assert!(out.stderr.contains(&f.sts.url()), "{}", out.stderr);
        // GNU time puts "Command exited with non-zero status N" before the number.
        let report = std::fs::read_to_string(&rss).unwrap();
        let kib: u64 = report.lines().last().unwrap().trim().parse().unwrap();
        // Unbounded, a 5 s loopback stream would reach gigabytes; the cap keeps it small.
        assert!(
            kib < 64 * 1024,
            "peak RSS {kib} KiB with {content_length:?}"
        );
    }
}

#[test]
fn truncated_xml_with_a_200() {
    let body = b"<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult><Credentials><AccessKeyId>ASIA".to_vec();
    let (f, out) = run_fault(Scripted::Raw {
        status: 200,
        content_type: "text/xml".into(),
        body,
    });
    assert_network_failure(&f, &out);
}

fn creds(expiration: &str, token: String) -> Scripted {
    Scripted::Credentials {
        access_key_id: "ASIAHOSTILE".into(),
        secret: "s3cr3t-value-hostile".into(),
        token,
        expiration: expiration.into(),
    }
}

#[test]
fn an_expiry_in_the_past_or_malformed_is_refused() {
    for (expiration, expect) in [
        ("2001-01-01T00:00:00Z", "expired already"),
        ("not-a-date", "unusable answer"),
        ("2099-13-45T99:99:99Z", "unusable answer"),
    ] {
        let f = Fixture::new();
        f.sts.push(creds(expiration, "tok".into()));
        let out = f.run(&["dev", "--no-cache", "-t", &f.code()]);
        assert_eq!(out.status, 6, "{expiration}: {}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(out.stderr.contains(expect), "{expiration}: {}", out.stderr);
    }
}

#[test]
fn a_one_megabyte_token_is_refused_cleanly() {
    // Over 1 MiB the answer itself is refused; between 128 KiB and 1 MiB the value is, because
    // Linux cannot hold it in one environment variable and every later command would fail.
    let f = Fixture::new();
    for (size, status, expect) in [
        (1 << 20, 6, "the answer is larger than 1048576 bytes"),
        (200_000, 1, "more than an environment variable can hold"),
    ] {
        let token = format!("{}'$(touch PWNED)`x`\\", "A".repeat(size));
        for args in [
            &["dev", "--no-cache", "--shell", "bash"][..],
            &["exec", "dev", "--no-cache", "--", "true"][..],
        ] {
            f.sts.push(creds("2099-01-01T00:00:00Z", token.clone()));
            let mut args = args.to_vec();
            let code = f.code();
            args.insert(2, "-t");
            args.insert(3, &code);
            let out = f.run(&args);
            assert_eq!(out.status, status, "{}", out.stderr);
            assert_eq!(out.stdout, "");
            assert!(
                out.stderr.lines().last().unwrap().contains(expect),
                "{}",
                out.stderr
            );
        }
    }
}

#[test]
fn a_large_token_under_the_limit_round_trips() {
    let f = Fixture::new();
    let token = format!("{}'$(touch PWNED)`x`\\", "A".repeat(100_000));
    f.sts.push(creds("2099-01-01T00:00:00Z", token.clone()));
    let out = f.run(&["dev", "--no-cache", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let env = crate::shells::eval_in("bash", &out.stdout, f.root.path());
    assert_eq!(env["AWS_SESSION_TOKEN"], token);
}

#[test]
fn xml_entities_and_doctype_are_not_expanded() {
    let mut lol = String::from("<!DOCTYPE r [<!ENTITY l0 \"lol\">");
    for i in 1..10 {
        let prev = format!("&l{};", i - 1).repeat(10);
        lol.push_str(&format!("<!ENTITY l{i} \"{prev}\">"));
    }
    lol.push_str("]>");
    let body = format!(
        "<?xml version=\"1.0\"?>{lol}<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>&l9;</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></GetSessionTokenResult></GetSessionTokenResponse>"
    );
    let f = Fixture::new();
    f.sts.push(Scripted::Raw {
        status: 200,
        content_type: "text/xml".into(),
        body: body.into_bytes(),
    });
    let start = Instant::now();
    let out = f.run(&["dev", "--no-cache", "--shell", "bash", "-t", &f.code()]);
    assert!(start.elapsed() < NO_HANG);
    assert!(!out.stdout.contains("lollol"), "an entity was expanded");
    assert!(out.stdout.len() < 10_000, "output stays small");
    if out.status != 0 {
        assert_eq!(out.stdout, "");
        assert!(out.stderr.starts_with("mfa-env: "), "{}", out.stderr);
    }
}

#[test]
fn a_terminal_that_goes_away_mid_prompt_does_not_hang() {
    use std::os::unix::io::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let f = Fixture::new();
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two fds; no name, termios or size requested.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0);
    // SAFETY: both fds were just opened by openpty and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    {
        use std::os::unix::io::AsRawFd;
        // The child must not inherit the master, or the terminal never goes away.
        // SAFETY: setting FD_CLOEXEC on an fd we own.
        unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    let mut cmd = f.cmd();
    cmd.args(["dev", "--shell", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let slave_fd = {
        use std::os::unix::io::AsRawFd;
        slave.as_raw_fd()
    };
    // SAFETY: setsid and ioctl(TIOCSCTTY) are async-signal-safe; the slave becomes the
    // child's controlling terminal, as a terminal emulator would do.
    unsafe {
        cmd.pre_exec(move || {
            libc::setsid();
            libc::ioctl(slave_fd, libc::TIOCSCTTY as _, 0);
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    drop(slave);
    let mut reader = std::fs::File::from(master.try_clone().unwrap());
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    use std::io::Read;
    while !String::from_utf8_lossy(&seen).contains("Enter MFA code") {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "prompt never came");
        seen.extend_from_slice(&buf[..n]);
    }
    let start = Instant::now();
    drop(reader);
    drop(master);
    let out = Out::from(child.wait_with_output().unwrap());
    assert!(start.elapsed() < NO_HANG);
    assert_ne!(out.status, 0);
    assert_eq!(out.stdout, "");
    assert!(f.sts.requests().is_empty());
}

#[test]
fn many_parallel_runs_against_one_cache() {
    let f = Fixture::new();
    let code = f.code();
    let children: Vec<_> = (0..20)
        .map(|i| {
            let profile = if i % 2 == 0 { "dev" } else { "admin" };
            f.cmd()
                .args([
                    "exec",
                    profile,
                    "-t",
                    &code,
                    "--",
                    "sh",
                    "-c",
                    "test -n \"$AWS_SESSION_TOKEN\"",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = Out::from(c.wait_with_output().unwrap());
        assert_eq!(out.status, 0, "{}", out.stderr);
    }
    assert_eq!(f.sts.count("GetSessionToken"), 1, "one code for all twenty");
    for e in std::fs::read_dir(f.cache_dir()).unwrap().flatten() {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(e.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        assert!(
            !e.file_name().to_string_lossy().contains(".tmp."),
            "a temp file was left"
        );
    }
}

#[test]
fn a_cache_directory_owned_by_someone_else_is_refused() {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !require_present(
        root,
        "root (to chown a directory to another user; CI runs as root)",
    ) {
        return;
    }
    let f = Fixture::new();
    let dir = f.root.path().join("foreign");
    std::fs::create_dir(&dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    let out = f.run_with(
        &["dev", "-t", &f.code()],
        &[("MFA_ENV_CACHE_DIR", dir.to_str().unwrap())],
    );
    f.assert_failure(&out, 3, "it is owned by uid 65534, not by you");
}

mod properties {
    use std::collections::BTreeMap;

    use mfa_env::env::Change;
    use mfa_env::shell::Shell;
    use proptest::prelude::*;

    use crate::support::require;

    const NAMES: [&str; 12] = [
        "MFA_T00", "MFA_T01", "MFA_T02", "MFA_T03", "MFA_T04", "MFA_T05", "MFA_T06", "MFA_T07",
        "MFA_T08", "MFA_T09", "MFA_T10", "MFA_T11",
    ];

    fn changes(values: &[String]) -> Vec<Change> {
        values
            .iter()
            .zip(NAMES)
            .map(|(v, n)| Change::Set(n, v.clone()))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

        /// Arbitrary Unicode through every real shell, a dozen values per shell run.
        #[test]
        fn arbitrary_unicode_round_trips(values in proptest::collection::vec(any::<String>(), 1..12)) {
            let with_nul = values.iter().any(|v| v.contains('\0'));
            for shell in [Shell::Bash, Shell::Sh, Shell::Fish, Shell::Powershell, Shell::Json,
                          Shell::Elvish, Shell::Xonsh, Shell::Nu] {
                let rendered = shell.render(&changes(&values));
                prop_assert_eq!(rendered.is_err(), with_nul, "NUL is refused, nothing else");
            }
            let values: Vec<String> = values.into_iter().map(|v| v.replace('\0', "")).collect();
            let dir = tempfile::tempdir().unwrap();
            for (program, flag) in crate::shells::INTERPRETERS {
                if !require(program) {
                    continue;
                }
                let shell = <Shell as clap::ValueEnum>::from_str(flag, false).unwrap();
                let rendered = shell.render(&changes(&values));
                // tcsh's eval cannot carry a line break: refused, and only that.
                if shell == Shell::Tcsh && values.iter().any(|v| v.contains('\n')) {
                    prop_assert!(rendered.is_err(), "tcsh took a line break");
                    continue;
                }
                let code = rendered.unwrap();
                let env = crate::shells::eval_in(program, &code, dir.path());
                for (v, n) in values.iter().zip(NAMES) {
                    prop_assert_eq!(env.get(n), Some(v), "{} changed {}", program, n);
                }
            }
            let code = Shell::Powershell.render(&changes(&values)).unwrap();
            let got: BTreeMap<String, String> = crate::powershell::assignments(&code).into_iter().collect();
            for (v, n) in values.iter().zip(NAMES) {
                prop_assert_eq!(got.get(n), Some(v));
            }
        }
    }
}

/// A reader that is gone (`mfa-env completions bash | head -1` once head has exited): mfa-env
/// ends quietly with 141, as a Unix tool killed by SIGPIPE, not with an error message.
#[test]
fn a_closed_stdout_ends_quietly() {
    let f = Fixture::new();
    for args in [
        vec!["completions".to_string(), "bash".to_string()],
        vec![
            "dev".into(),
            "--shell".into(),
            "bash".into(),
            "-t".into(),
            f.code(),
        ],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = f.cmd();
        cmd.args(&args).env("MFA_ENV_VERBOSE", "0").stdout(writer);
        let out = Out::from(cmd.output().unwrap());
        assert_eq!(out.status, 141, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{args:?}");
    }
}

/// Runs `cmd` as another user when the tests run as root (root reads every process's memory
/// anyway, and owns a non-dumpable process's /proc files already): the fixture's files become
/// that user's. Returns the uid the process runs as.
#[cfg(target_os = "linux")]
fn as_a_user(f: &Fixture, cmd: &mut std::process::Command) -> u32 {
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return unsafe { libc::geteuid() };
    }
    const NOBODY: u32 = 65534;
    fn chown_all(path: &std::path::Path) {
        std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        if path.is_dir() && !path.is_symlink() {
            for e in std::fs::read_dir(path).unwrap().flatten() {
                chown_all(&e.path());
            }
        }
    }
    chown_all(f.root.path());
    cmd.uid(NOBODY).gid(NOBODY);
    NOBODY
}

/// The owner of /proc/PID: a non-dumpable process's files belong to root, so that no other
/// process of its user can read its memory or environment, or attach to it.
#[cfg(target_os = "linux")]
fn proc_owner(pid: &str) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{}/environ", pid.trim()))
        .unwrap()
        .uid()
}

/// mfa-env holds keys and sessions (for hours as the parent of `exec --server` and `shell`):
/// it is not dumpable, so no core dump and no process of the same user can read its memory.
/// What it runs is: the command `exec` replaces it with, and the child of `--server`, keep the
/// user's defaults, resource limits (core size) included.
#[cfg(target_os = "linux")]
#[test]
fn mfa_env_is_not_dumpable_and_what_it_runs_is() {
    let f = Fixture::new();
    let report = f.tmp_dir().join("report");
    let script = format!(
        "echo \"$$ $PPID $(ulimit -c)\" > '{0}.tmp' && mv '{0}.tmp' '{0}'; sleep 30",
        report.display()
    );
    let read_report = |child: &mut std::process::Child| -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !report.exists() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("ended early: {status}");
            }
            assert!(Instant::now() < deadline, "no report from the child");
            std::thread::sleep(Duration::from_millis(20));
        }
        let words = std::fs::read_to_string(&report).unwrap();
        std::fs::remove_file(&report).unwrap();
        words.split_whitespace().map(str::to_string).collect()
    };
    let limit_outside = sh("sh", &["-c", "ulimit -c"], &[])
        .stdout
        .trim()
        .to_string();

    // exec --server: mfa-env stays as the parent, holding what renews the credentials.
    let mut cmd = f.cmd();
    cmd.args([
        "exec",
        "dev",
        "--server",
        "-t",
        &f.code(),
        "--",
        "sh",
        "-c",
        &script,
    ]);
    let user = as_a_user(&f, &mut cmd);
    let mut served = cmd.spawn().unwrap();
    let words = read_report(&mut served);
    assert_eq!(
        words[1],
        served.id().to_string(),
        "the child's parent is mfa-env"
    );
    assert_eq!(
        proc_owner(&words[1]),
        0,
        "mfa-env (the endpoint) is dumpable"
    );
    assert_eq!(
        proc_owner(&words[0]),
        user,
        "the child lost its dumpability"
    );
    assert_eq!(words[2], limit_outside, "the child's core limit changed");
    served.kill().unwrap();
    served.wait().unwrap();

    // exec: the command replaces mfa-env, and is the user's ordinary process again.
    let mut cmd = f.cmd();
    cmd.args(["exec", "dev", "--", "sh", "-c", &script]);
    as_a_user(&f, &mut cmd);
    let mut exec = cmd.spawn().unwrap();
    let words = read_report(&mut exec);
    assert_eq!(words[0], exec.id().to_string(), "exec replaced mfa-env");
    assert_eq!(
        proc_owner(&words[0]),
        user,
        "the exec'd command is not dumpable"
    );
    assert_eq!(
        words[2], limit_outside,
        "the exec'd command's core limit changed"
    );
    exec.kill().unwrap();
    exec.wait().unwrap();
}

/// The endpoint does not keep long-term keys it cannot use: without an `mfa_process`, no
/// renewal can get a code, and the keys are dropped (wiped) after the first session.
#[test]
fn the_endpoint_keeps_long_term_keys_only_for_mfa_process() {
    let f = Fixture::new();
    let mut cmd = f.cmd();
    cmd.args(["exec", "admin", "--server", "-t", &f.code(), "--", "true"]);
    let out = Out::from(cmd.output().unwrap());
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("long-term keys not held: no renewal can use them without a code"),
        "{}",
        out.stderr
    );
}
