//! Opening a URL that is a credential (the console's sign-in link) in the user's browser.
//!
//! The link signs in whoever opens it for 15 minutes, so it goes on no command line: the
//! arguments of the browser (and of `xdg-open`) can be read by every user of the machine
//! (`ps`, `/proc/PID/cmdline`). The browser is given instead a one-time address on 127.0.0.1
//! with a random path, which answers a single request with a redirect to the link, then
//! closes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::error::{fail, Exit};

/// How long the browser has to ask for the link.
const WAIT: Duration = Duration::from_secs(60);

/// Opens `url` in the browser: `$BROWSER` (a `:`-separated list of commands, `%s` standing for
/// the address, as xdg-utils reads it), else the platform's opener. Returns once the browser
/// has fetched the link.
pub fn open(url: &str) -> anyhow::Result<()> {
    eprintln!(
        "mfa-env: waiting for the browser to open the sign-in link (up to {}s)…",
        WAIT.as_secs()
    );
    let mut launch = Launch::start(url)?;
    let deadline = Instant::now() + WAIT;
    loop {
        match launch.poll()? {
            Poll::Fetched => return Ok(()),
            Poll::NoBrowser => {
                return Err(fail(
                    Exit::Other,
                    "no browser could be started: set BROWSER, or print the URL and open it \
                     yourself (--print | xclip, or --print --reveal on this terminal)",
                ))
            }
            Poll::Waiting => {}
        }
        if Instant::now() > deadline {
            return Err(fail(
                Exit::Other,
                format!(
                    "the browser did not open the sign-in link within {}s: print the URL and \
                     open it yourself (--print | xclip, or --print --reveal on this terminal)",
                    WAIT.as_secs()
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a `Launch` has come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// The browser fetched the one-time address (and was sent on to the URL).
    Fetched,
    /// Still waiting for it.
    Waiting,
    /// Every launcher failed: no browser will come.
    NoBrowser,
}

/// A browser being started on a one-time local address that redirects to the URL, polled by
/// the caller (which may wait for other things meanwhile: `login` waits for the sign-in's
/// callback on another listener).
pub struct Launch {
    listener: TcpListener,
    path: String,
    local: Zeroizing<String>,
    url: Zeroizing<String>,
    launchers: std::vec::IntoIter<(String, Command)>,
    running: Option<(String, Child)>,
    fetched: bool,
}

impl Launch {
    /// Binds the one-time address; the first launcher starts at the first `poll`.
    pub fn start(url: &str) -> anyhow::Result<Launch> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| {
            fail(
                Exit::Other,
                format!("cannot open a local address for the browser: {e}"),
            )
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| fail(Exit::Other, format!("cannot read the local port: {e}")))?
            .port();
        let mut secret = Zeroizing::new([0u8; 16]);
        getrandom::fill(&mut secret[..])
            .map_err(|e| fail(Exit::Other, format!("cannot get random bytes: {e}")))?;
        let path = format!("/{}", crate::digest::hex(&secret[..]));
        let local = Zeroizing::new(format!("http://127.0.0.1:{port}{path}"));
        listener
            .set_nonblocking(true)
            .map_err(|e| fail(Exit::Other, format!("cannot wait for the browser: {e}")))?;
        Ok(Launch {
            listener,
            path,
            local,
            url: Zeroizing::new(url.to_string()),
            launchers: launchers().into_iter(),
            running: None,
            fetched: false,
        })
    }

    /// One step: a launcher started if none runs, the address answered if asked for, a
    /// launcher that failed before the browser asked replaced by the next.
    pub fn poll(&mut self) -> anyhow::Result<Poll> {
        if self.fetched {
            return Ok(Poll::Fetched);
        }
        while self.running.is_none() {
            let Some((name, mut cmd)) = self.launchers.next() else {
                return Ok(Poll::NoBrowser);
            };
            cmd.arg(self.local.as_str())
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            match cmd.spawn() {
                Ok(child) => self.running = Some((name, child)),
                Err(e) => crate::debug!("cannot start {name}: {e}"),
            }
        }
        match self.listener.accept() {
            Ok((stream, _)) => {
                if answer(stream, &self.path, &self.url) {
                    self.fetched = true;
                    return Ok(Poll::Fetched);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => {
                return Err(fail(
                    Exit::Other,
                    format!("cannot wait for the browser: {e}"),
                ))
            }
        }
        if let Some((name, child)) = self.running.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                if !status.success() {
                    crate::debug!("{name} failed ({status})");
                    self.running = None;
                }
            }
        }
        Ok(Poll::Waiting)
    }
}

/// Answers one connection: the redirect if it asks for `path` (true), else 404.
fn answer(mut stream: TcpStream, path: &str, url: &str) -> bool {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.split(' ');
    let wanted = words.next() == Some("GET") && words.next() == Some(path);
    if !wanted {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return false;
    }
    let mut out = Zeroizing::new(String::with_capacity(256 + url.len()));
    out.push_str("HTTP/1.1 302 Found\r\nLocation: ");
    out.push_str(url);
    out.push_str(
        "\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n",
    );
    let _ = stream
        .write_all(out.as_bytes())
        .and_then(|()| stream.flush());
    true
}

/// The commands to try, each to be given the address as its last argument.
fn launchers() -> Vec<(String, Command)> {
    let mut out = Vec::new();
    if let Some(list) = std::env::var_os("BROWSER").filter(|v| !v.is_empty()) {
        for entry in list
            .to_string_lossy()
            .split(':')
            .filter(|e| !e.trim().is_empty())
        {
            out.push((format!("$BROWSER entry '{entry}'"), from_browser_var(entry)));
        }
    }
    if cfg!(target_os = "macos") {
        out.push(("open".to_string(), Command::new("open")));
    } else if cfg!(windows) {
        // `start` is cmd's; its first quoted argument is a window title. The address holds no
        // character cmd treats specially.
        let mut c = Command::new("cmd");
        c.args(["/C", "start", ""]);
        out.push(("start".to_string(), c));
    } else {
        out.push(("xdg-open".to_string(), Command::new("xdg-open")));
    }
    out
}

/// One `$BROWSER` entry as a command: run by the shell (it is the user's own command line),
/// with the address where `%s` stands, else after it.
#[cfg(unix)]
fn from_browser_var(entry: &str) -> Command {
    let script = if entry.contains("%s") {
        entry.replace("%s", "\"$1\"")
    } else {
        format!("{entry} \"$1\"")
    };
    let mut c = Command::new("/bin/sh");
    c.args(["-c", &script, "mfa-env-browser"]);
    c
}

#[cfg(not(unix))]
fn from_browser_var(entry: &str) -> Command {
    Command::new(entry.replace("%s", "").trim())
}
