//! A local STS to try mfa-env without an AWS account: `cargo run -p local-sts [PORT]`.
//!
//! It serves the STS Query protocol on 127.0.0.1, checks real TOTP codes, writes a demo AWS
//! config into a private temporary directory (never ~/.aws), prints the commands to use it (the
//! session cache in that directory too) and keeps a live line with the current MFA code, the
//! seconds until the next one and the number of requests served. Ctrl-C (or SIGTERM, SIGHUP) stops it and removes the directory.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use local_sts::{now, FakeSts, ACCOUNT};

/// Set by the signal handler; the main loop sees it within a tick and cleans up.
static STOP: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn catch_signals() {
    #[cfg(unix)]
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(sig, on_signal as *const () as libc::sighandler_t) };
    }
}

/// The demo directory: private, and removed when the demo stops (also by a panic's unwinding).
struct DemoDir(PathBuf);

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

fn make_dir(port: u16) -> std::io::Result<DemoDir> {
    let path = std::env::temp_dir().join(format!("mfa-env-demo-{port}"));
    // A directory left by a demo that was killed with SIGKILL: start afresh.
    let _ = std::fs::remove_dir_all(&path);
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&path)?;
    Ok(DemoDir(path))
}

fn main() {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    catch_signals();
    let sts = FakeSts::start_on(port);
    let alice = sts.alice();
    let dir = match make_dir(sts.port) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("local-sts: cannot create the demo directory: {e}");
            std::process::exit(1);
        }
    };
    let config = dir.0.join("config");
    let credentials = dir.0.join("credentials");
    let written = write_private(&credentials, &alice.credentials_section("demo")).and_then(|()| {
        write_private(
            &config,
            &format!(
                "[profile demo]\nmfa_serial = {}\nregion = eu-west-1\n\n\
                 [profile demo-admin]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Admin\n\
                 source_profile = demo\nregion = eu-west-1\n\n\
                 [profile demo-web]\nregion = eu-west-1\n\n\
                 [profile demo-web-admin]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Admin\n\
                 source_profile = demo-web\nregion = eu-west-1\n",
                alice.mfa_serial,
            ),
        )
    });
    if let Err(e) = written {
        eprintln!("local-sts: cannot write the demo files: {e}");
        std::process::exit(1);
    }

    let url = sts.url();
    println!("local STS listening on {url} (Ctrl-C stops it and removes its files)");
    println!();
    print!("{}", local_sts::demo::instructions(&url, &dir.0));
    println!();
    println!("authenticator URI: {}", alice.otpauth_uri("mfa-env-local"));
    println!();

    // On a terminal the line is redrawn every tick; into a file or pipe, a line is added when
    // something on it changes.
    let live = std::io::stdout().is_terminal();
    let mut last = String::new();
    while !STOP.load(Ordering::SeqCst) {
        let left = 30 - now() % 30;
        // The code of each device IAM knows: the demo user's, or one `mfa-env setup` enrolls
        // (before it is enabled, the two codes it asks for).
        let devices = sts.device_codes();
        let codes: Vec<String> = devices
            .iter()
            .map(|(serial, enabled, now, next)| {
                let name = serial.rsplit('/').next().unwrap_or(serial);
                if *enabled {
                    format!("{name}: {now}")
                } else {
                    format!("{name} (being enrolled): {now} then {next}")
                }
            })
            .collect();
        let code = match devices.as_slice() {
            [] => "none (no MFA device: `mfa-env setup demo` enrolls one)".to_string(),
            [(_, true, now, _)] => now.clone(),
            _ => codes.join(", "),
        };
        let count = sts.requests().len();
        let line =
            format!("current MFA code: {code}  (next in {left:2}s)  requests so far: {count}");
        let mut out = std::io::stdout().lock();
        let shown = if live {
            write!(out, "\r{line}\x1b[K")
        } else if line_key(&code, count) != last {
            last = line_key(&code, count);
            writeln!(out, "{line}")
        } else {
            Ok(())
        };
        if shown.and_then(|()| out.flush()).is_err() {
            break;
        }
        drop(out);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(dir);
    if live {
        println!();
    }
    eprintln!("local-sts: stopped; its files were removed");
}

fn line_key(code: &str, count: usize) -> String {
    format!("{code} {count}")
}
