//! Test harness: a temp HOME with its own AWS files, the fake STS, and checks that every test
//! leaves `~/.aws` byte-identical and no secret on stderr.

#![allow(dead_code)]

/// The fake STS lives in its own crate (`local-sts/`), which is also the demo binary.
pub use local_sts as fake_sts;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use fake_sts::FakeSts;

pub const BIN: &str = env!("CARGO_BIN_EXE_mfa-env");

/// The binary the fixture runs: `MFA_ENV_TEST_BIN` (a release build, e.g. the static one from
/// scripts/release, checked by scripts/check-release), else the one cargo built for the tests.
pub fn bin() -> String {
    std::env::var("MFA_ENV_TEST_BIN").unwrap_or_else(|_| BIN.to_string())
}

/// The AWS CLI v2 asking `url` who it is, printing just the ARN.
pub fn aws_whoami(url: &str) -> Vec<&str> {
    vec![
        "/usr/bin/aws",
        "sts",
        "get-caller-identity",
        "--output",
        "text",
        "--query",
        "Arn",
        "--endpoint-url",
        url,
    ]
}

pub const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
pub const ADMIN_ARN: &str = "arn:aws:iam::123456789012:role/Admin";

pub struct Fixture {
    pub root: tempfile::TempDir,
    pub home: PathBuf,
    pub sts: FakeSts,
    snapshot: BTreeMap<PathBuf, Vec<u8>>,
}

pub struct Out {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts that stderr says `text`, showing all of stderr when it does not.
    pub fn assert_says(&self, text: &str) {
        assert!(
            self.stderr.contains(text),
            "stderr should say {text:?}: {}",
            self.stderr
        );
    }

    pub fn from(o: Output) -> Out {
        use std::os::unix::process::ExitStatusExt;
        Out {
            status: o
                .status
                .code()
                .unwrap_or_else(|| 128 + o.status.signal().unwrap_or(0)),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Fixture {
    /// HOME with a session-token profile `dev` (alice) and a role profile `admin`.
    pub fn new() -> Fixture {
        let sts = FakeSts::start();
        Self::with_sts(sts)
    }

    pub fn with_sts(sts: FakeSts) -> Fixture {
        let root = tempfile::tempdir().expect("tempdir");
        let home = root.path().join("home");
        std::fs::create_dir_all(home.join(".aws")).expect("mkdir");
        // An interactive fish in a new HOME starts generating completions from every man page
        // in the background (minutes on a machine with many), holding the terminal open; it
        // skips that once this directory exists, as it does on a user's machine after the
        // first run. The tests then behave the same on a fresh machine and a used one.
        std::fs::create_dir_all(home.join(".local/share/fish/generated_completions"))
            .expect("mkdir");
        let alice = sts.alice();
        let mut f = Fixture {
            root,
            home,
            sts,
            snapshot: BTreeMap::new(),
        };
        f.write_credentials(&alice.credentials_section("dev"));
        f.write_config(&format!(
            "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\n\
             [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n"
        ));
        f
    }

    pub fn aws_dir(&self) -> PathBuf {
        self.home.join(".aws")
    }

    pub fn tmp_dir(&self) -> PathBuf {
        let dir = self.root.path().join("tmp");
        std::fs::create_dir_all(&dir).expect("mkdir tmp");
        dir
    }

    /// No secret in any file mfa-env could have written outside its cache: HOME and TMPDIR.
    pub fn assert_no_secret_in_files(&self) {
        let secrets = self.sts.secrets();
        for dir in [self.home.clone(), self.tmp_dir()] {
            for (path, bytes) in snapshot(&dir) {
                let text = String::from_utf8_lossy(&bytes);
                for s in &secrets {
                    // The long-term secret is in the credentials file by design.
                    if path.starts_with(self.aws_dir()) && s.starts_with("fakeSecret/") {
                        continue;
                    }
                    assert!(
                        !text.contains(s.as_str()),
                        "a secret was written to {}",
                        path.display()
                    );
                }
            }
        }
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root.path().join("cache")
    }

    /// Where the login sessions are (`AWS_LOGIN_CACHE_DIRECTORY`): outside HOME, so that the
    /// secrets they hold by design are not taken for leaks.
    pub fn login_cache_dir(&self) -> PathBuf {
        self.root.path().join("login-cache")
    }

    /// ~/.aws as it is now is what the test expects (a `login` or `setup` it ran wrote it).
    pub fn accept_aws_changes(&mut self) {
        self.snapshot = snapshot(&self.aws_dir());
    }

    /// A "browser" for `login`: Python's urllib, which follows the redirects from the one-time
    /// address through the authorization page (approved at once) to mfa-env's callback.
    pub fn url_opener(&self) -> String {
        let script = self.tmp_dir().join("open-url.py");
        std::fs::write(
            &script,
            "import sys, urllib.request\n\
             print(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())\n",
        )
        .expect("write the opener");
        format!("python3 {} > {}.page", script.display(), script.display())
    }

    /// `mfa-env login PROFILE --yes` through `url_opener`, against the fake Sign-In service;
    /// ~/.aws as it leaves it is then expected.
    pub fn sign_in(&mut self, profile: &str) -> Out {
        self.sts.auto_approve(true);
        let url = self.sts.url();
        let browser = self.url_opener();
        let out = self.run_with(
            &["login", profile, "--yes"],
            &[("AWS_ENDPOINT_URL_SIGNIN", &url), ("BROWSER", &browser)],
        );
        self.accept_aws_changes();
        out
    }

    pub fn write_config(&mut self, text: &str) {
        std::fs::write(self.aws_dir().join("config"), text).expect("write config");
        self.snapshot = snapshot(&self.aws_dir());
    }

    pub fn write_credentials(&mut self, text: &str) {
        std::fs::write(self.aws_dir().join("credentials"), text).expect("write credentials");
        self.snapshot = snapshot(&self.aws_dir());
    }

    /// A clean environment: only what the test gives, pointed at the fake STS.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin());
        c.env_clear()
            .env("HOME", &self.home)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .env("AWS_ENDPOINT_URL_STS", self.sts.url())
            .env("MFA_ENV_CACHE_DIR", self.cache_dir())
            .env("AWS_LOGIN_CACHE_DIRECTORY", self.login_cache_dir())
            .env("MFA_ENV_TIMEOUT", "5")
            .env("SHELL", "/bin/bash")
            .env("TMPDIR", self.tmp_dir())
            // Every test runs at the most verbose logging: no secret may show up in it either.
            .env("MFA_ENV_VERBOSE", "1")
            .stdin(Stdio::null());
        c
    }

    /// `program` with exactly the environment `cmd()` gives mfa-env, for shells and peers.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear();
        for (k, v) in self.cmd().get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        c
    }

    /// Runs `program ARGS` in the fixture's environment plus `extra`.
    pub fn sh(&self, program: &str, args: &[&str], extra: &[(&str, &str)]) -> Out {
        let mut c = self.command(program);
        c.args(args).stdin(Stdio::null());
        for (k, v) in extra {
            c.env(k, v);
        }
        Out::from(c.output().expect("run a program in the fixture"))
    }

    pub fn run(&self, args: &[&str]) -> Out {
        Out::from(self.cmd().args(args).output().expect("run mfa-env"))
    }

    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        let mut c = self.cmd();
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Out::from(c.output().expect("run mfa-env"))
    }

    /// A code for alice that the fake STS accepts (each works once: use `next` for a second).
    pub fn code(&self) -> String {
        self.sts.alice().code_now()
    }

    /// Asserts a failure: the exit status, empty stdout, one line on stderr that says
    /// `expect`, and no secret anywhere in it.
    pub fn assert_failure(&self, out: &Out, status: i32, expect: &str) {
        assert_eq!(out.status, status, "exit status; stderr: {}", out.stderr);
        assert_eq!(out.stdout, "", "stdout must stay empty on failure");
        assert!(
            out.stderr.contains(expect),
            "stderr should say {expect:?}: {}",
            out.stderr
        );
        assert!(out.stderr.starts_with("mfa-env: "), "{}", out.stderr);
        self.assert_no_secret(&out.stderr);
    }

    pub fn assert_no_secret(&self, text: &str) {
        for s in self.sts.secrets() {
            assert!(!text.contains(&s), "a secret leaked: {text}");
        }
    }

    pub fn assert_aws_untouched(&self) {
        let now = snapshot(&self.aws_dir());
        assert!(
            now == self.snapshot,
            "~/.aws changed: {:?}",
            now.keys().collect::<Vec<_>>()
        );
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_aws_untouched();
            self.assert_no_secret_in_files();
        }
    }
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            // Never follow links or open FIFOs and sockets (fish keeps one): regular files only.
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                stack.push(p);
            } else if kind.is_file() {
                out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// Waits, at most `limit`, for the process in the pty to end and returns its status as text
/// (`Exited(Pid(…), 3)`, `Signaled(…)`). It waits for the process, not for the terminal to
/// close: something the process started in the background may keep the terminal open.
pub fn wait_exit(p: &rexpect::session::PtySession, limit: std::time::Duration) -> String {
    let deadline = std::time::Instant::now() + limit;
    loop {
        match p.process().status() {
            Some(rexpect::process::WaitStatus::StillAlive) => {}
            Some(status) => return format!("{status:?}"),
            None => panic!("the process in the pty cannot be waited for"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the process in the pty did not end within {limit:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Parses `export N='v'` lines the simple way, for assertions on what was printed (real
/// shells prove the quoting elsewhere).
pub fn exported_names(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split('=').next())
        .map(str::to_string)
        .collect()
}

/// PATH with the tested binary's directory first, for scripts that call `mfa-env` by name.
pub fn path_with_bin() -> String {
    let bin = bin();
    let dir = Path::new(&bin)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// Tests that need a tool the README's test command installs: present, or the test fails when
/// MFA_ENV_REQUIRE_TOOLS is set (CI), or is skipped with a note when running plain `cargo test`.
pub fn require(program: &str) -> bool {
    require_present(have(program), program)
}

/// The same for a file at a fixed path (`/usr/bin/aws`).
pub fn require_file(path: &str) -> bool {
    require_present(Path::new(path).is_file(), path)
}

/// Whether a precondition `what` holds: if not, the test fails under MFA_ENV_REQUIRE_TOOLS (CI)
/// and is skipped with a note otherwise.
pub fn require_present(present: bool, what: &str) -> bool {
    if present {
        return true;
    }
    if std::env::var_os("MFA_ENV_REQUIRE_TOOLS").is_some() {
        panic!("{what} is required (MFA_ENV_REQUIRE_TOOLS is set) but missing");
    }
    eprintln!("note: {what} missing; skipping (scripts/test provides it)");
    false
}

/// Runs a shell script with the given program, returning its output.
pub fn sh(program: &str, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut c = Command::new(program);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8");
    for (k, v) in env {
        c.env(k, v);
    }
    Out::from(c.stdin(Stdio::null()).output().expect("run shell"))
}

/// An HTTP CONNECT proxy on 127.0.0.1 that tunnels bytes and records each target it was asked for.
pub struct ConnectProxy {
    pub port: u16,
    targets: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub fn start() -> ConnectProxy {
        use std::io::{BufRead, BufReader, Write};
        use std::net::{Shutdown, TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let targets = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = std::sync::Arc::clone(&targets);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = std::sync::Arc::clone(&seen);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client);
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).map_or(true, |n| n == 0) || h.trim().is_empty()
                        {
                            break;
                        }
                    }
                    let mut client = reader.into_inner();
                    let mut words = line.split_whitespace();
                    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
                        let _ = client.write_all(b"HTTP/1.1 405 Only CONNECT\r\n\r\n");
                        return;
                    };
                    seen.lock().unwrap().push(target.to_string());
                    let Ok(upstream) = TcpStream::connect(target) else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                        return;
                    };
                    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                    let pump = |mut from: TcpStream, mut to: TcpStream| {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    };
                    let (c2, u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                    let up = std::thread::spawn(move || pump(c2, u2));
                    pump(upstream, client);
                    let _ = up.join();
                });
            }
        });
        ConnectProxy { port, targets }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

/// A real Secret Service for the tests: GNOME Keyring on a private D-Bus session bus, its
/// login keyring created and unlocked with a password given on stdin, kept in the fixture's
/// HOME. Ended with the value.
pub struct Keyring {
    bus: std::process::Child,
    daemon: std::process::Child,
    pub address: String,
}

impl Keyring {
    pub fn start(f: &Fixture) -> Option<Keyring> {
        use std::io::{BufRead, Write};
        use std::process::Stdio;
        if !(require("dbus-daemon") && require("gnome-keyring-daemon") && require("dbus-send")) {
            return None;
        }
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut address = String::new();
        std::io::BufReader::new(bus.stdout.take().expect("bus stdout"))
            .read_line(&mut address)
            .expect("bus address");
        let address = address.trim().to_string();
        let run = f.root.path().join("run");
        std::fs::create_dir_all(&run).expect("mkdir run");
        std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .expect("chmod run");
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &f.home)
            .env("XDG_RUNTIME_DIR", &run)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        daemon
            .stdin
            .take()
            .expect("daemon stdin")
            .write_all(b"test-keyring-password")
            .expect("unlock password");
        let keyring = Keyring {
            bus,
            daemon,
            address,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !keyring
            .call(
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            )
            .contains("boolean true")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "gnome-keyring-daemon did not take the Secret Service name"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(keyring)
    }

    /// A D-Bus method call on this bus, with dbus-send; its printed reply.
    fn call(&self, dest: &str, path: &str, method: &str, arg: &str) -> String {
        let out = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                &format!("--dest={dest}"),
                path,
                method,
                arg,
            ])
            .env_clear()
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("dbus-send");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Locks the login collection, as a screen lock or `secret-tool lock` does.
    pub fn lock(&self) {
        let reply = self.call(
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        );
        assert!(reply.contains("collection/login"), "lock: {reply}");
    }

    /// Stops the daemon (SIGSTOP): calls to the store wait, as for an unlock prompt nobody
    /// answers, and go through once it is resumed.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.daemon.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {which} gnome-keyring-daemon");
    }

    /// The variable that points mfa-env at this keyring.
    pub fn env(&self) -> [(&'static str, &str); 1] {
        [("DBUS_SESSION_BUS_ADDRESS", self.address.as_str())]
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        for child in [&mut self.daemon, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
