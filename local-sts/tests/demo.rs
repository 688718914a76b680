//! The demo binary as a user runs it: its files are private, its status line is live on a
//! terminal, and stopping it (Ctrl-C, SIGTERM) removes everything it wrote.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_local-sts");

fn demo_dir(tmp: &std::path::Path, first_line: &str) -> PathBuf {
    let port = first_line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the port in the first line");
    tmp.join(format!("mfa-env-demo-{port}"))
}

fn wait_gone(dir: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while dir.exists() {
        assert!(
            Instant::now() < deadline,
            "{} was left behind",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn files_are_private_and_removed_on_sigterm_and_sigint() {
    let tmp = tempfile_dir();
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let mut child = Command::new(BIN)
            .env("TMPDIR", &*tmp)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let dir = demo_dir(&tmp, &first);
        let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.clone()), 0o700);
        assert_eq!(mode(dir.join("credentials")), 0o600);
        assert_eq!(mode(dir.join("config")), 0o600);
        let config = std::fs::read_to_string(dir.join("config")).unwrap();
        assert!(config.contains("[profile demo-admin]"), "{config}");
        // Not a terminal: the status line is printed as a line when it changes.
        let status = lines
            .by_ref()
            .map(Result::unwrap)
            .find(|l| l.starts_with("current MFA code: "))
            .unwrap();
        assert!(status.contains("requests so far: 0"), "{status}");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{signal}: {:?}", out.status);
        assert!(String::from_utf8_lossy(&out.stderr).contains("its files were removed"));
        wait_gone(&dir);
    }
}

/// On a terminal the line is redrawn in place every moment: the seconds to the next code count
/// down without waiting for the code to change.
#[test]
fn the_status_line_is_live_on_a_terminal() {
    let tmp = tempfile_dir();
    let mut cmd = Command::new(BIN);
    cmd.env("TMPDIR", &*tmp).env("TERM", "dumb");
    let mut p = rexpect::session::spawn_command(cmd, Some(10_000)).unwrap();
    let (_, first) = p
        .exp_regex(r"listening on http://127\.0\.0\.1:\d+")
        .unwrap();
    let dir = demo_dir(&tmp, &first);
    assert!(dir.is_dir(), "{}", dir.display());
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 3 {
        let (_, m) = p.exp_regex(r"\(next in +\d+s\)").unwrap();
        seen.insert(m);
    }
    p.send_control('c').unwrap();
    p.exp_string("its files were removed").unwrap();
    wait_gone(&dir);
}

/// A TMPDIR of the test's own, removed when the test ends.
struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir() -> TmpDir {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("local-sts-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    TmpDir(dir)
}
