//! The MFA code: from `--token-code`, from `mfa_process`, or typed at the terminal; checked
//! before any network call; and a guard against sending a code that was already spent.
//!
//! The terminal is read byte by byte with echo and signals off (not with rpassword): Ctrl-C
//! must restore the terminal and exit 130, and rpassword leaves echo off when SIGINT kills
//! the process.

use std::path::{Path, PathBuf};

use std::time::Duration;

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{fail, Exit};

/// How many codes may be typed at the prompt, badly formatted or rejected by STS alike.
pub const PROMPT_TRIES: u32 = 3;

/// One try at getting a code.
pub enum Attempt {
    Code(Zeroizing<String>),
    /// A code typed at the prompt that cannot be sent (not six digits, already used): the
    /// caller may ask again, from the same budget as codes STS rejects.
    Unusable(anyhow::Error),
}
/// TOTP time step.
const STEP: i64 = 30;

/// Where the code comes from, in order of precedence.
#[derive(Debug, Clone)]
pub enum CodeSource {
    Flag(Zeroizing<String>),
    Process(String),
    Prompt,
    /// No way to get a code now (the credentials endpoint renewing with no `mfa_process`):
    /// the message says what to do instead.
    Unavailable(String),
}

impl CodeSource {
    pub fn new(flag: Option<&str>, mfa_process: Option<&str>) -> Self {
        match (flag, mfa_process) {
            (Some(code), _) => CodeSource::Flag(Zeroizing::new(code.to_string())),
            (None, Some(cmd)) if !cmd.trim().is_empty() => CodeSource::Process(cmd.to_string()),
            _ => CodeSource::Prompt,
        }
    }

    /// Only a code typed at the prompt is asked again after STS rejects it.
    pub fn may_retry(&self) -> bool {
        matches!(self, CodeSource::Prompt)
    }

    /// Gets one code, refusing one the guard knows was spent. The prompt asks once: a code
    /// typed there that cannot be sent is `Attempt::Unusable`, for the caller's budget.
    pub fn get(&self, serial: &str, guard: &Guard) -> anyhow::Result<Attempt> {
        match self {
            CodeSource::Flag(raw) => {
                let code = normalize(raw, "--token-code")?;
                guard.check(serial, &code)?;
                Ok(Attempt::Code(code))
            }
            CodeSource::Process(cmd) => {
                let code = run_process(cmd)?;
                if let Err(reused) = guard.check(serial, &code) {
                    // The device shows the same code for the rest of its window: wait for the
                    // next one, once, rather than failing.
                    let wait = seconds_to_next_step();
                    eprintln!(
                        "mfa-env: that code was already used; waiting {wait}s for the next one"
                    );
                    std::thread::sleep(Duration::from_secs(wait as u64 + 1));
                    let code = run_process(cmd)?;
                    guard.check(serial, &code).map_err(|_| reused)?;
                    return Ok(Attempt::Code(code));
                }
                Ok(Attempt::Code(code))
            }
            CodeSource::Unavailable(message) => Err(fail(Exit::Mfa, message.clone())),
            CodeSource::Prompt => {
                let typed = prompt_tty(&format!("Enter MFA code for {serial}: "))?;
                let checked = normalize(&typed, "the code")
                    .and_then(|code| guard.check(serial, &code).map(|()| code));
                Ok(match checked {
                    Ok(code) => Attempt::Code(code),
                    Err(e) => Attempt::Unusable(e),
                })
            }
        }
    }
}

/// Exactly six ASCII digits (spaces allowed between, as authenticator apps show them).
pub fn normalize(raw: &str, what: &str) -> anyhow::Result<Zeroizing<String>> {
    let code: Zeroizing<String> = Zeroizing::new(raw.chars().filter(|c| *c != ' ').collect());
    let code_trimmed = code.trim();
    if code_trimmed.len() == 6 && code_trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Zeroizing::new(code_trimmed.to_string()));
    }
    let n = code_trimmed.chars().count();
    let got = if n == 6 {
        "got something other than digits".to_string()
    } else {
        format!("got {n} character{}", if n == 1 { "" } else { "s" })
    };
    Err(fail(
        Exit::Mfa,
        format!("{what} must be exactly 6 digits, 0-9 ({got}); nothing was sent"),
    ))
}

fn seconds_to_next_step() -> i64 {
    STEP - crate::sts::now().rem_euclid(STEP)
}

/// Runs `mfa_process` (bounded, through `process::run_bounded`) and reads the code from its
/// stdout.
fn run_process(cmd: &str) -> anyhow::Result<Zeroizing<String>> {
    // Bounded: a code is a few bytes; anything longer is not a code.
    let out = crate::process::run_bounded(cmd, &format!("mfa_process '{cmd}'"), 4096, Exit::Mfa)?;
    let text = Zeroizing::new(String::from_utf8_lossy(&out).into_owned());
    normalize(text.trim(), &format!("the output of mfa_process '{cmd}'"))
}

/// Remembers, per MFA device and without any secret, the last code that AWS accepted, so the
/// same code is not sent twice: AWS would reject it with the same words as a wrong code.
pub struct Guard {
    dir: Option<PathBuf>,
}

impl Guard {
    pub fn new(dir: Option<&Path>) -> Self {
        Guard {
            dir: dir.map(Path::to_path_buf),
        }
    }

    fn file(&self, serial: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!(
            "used-{}",
            crate::cache::digest(&["mfa-device", serial])
        )))
    }

    fn fingerprint(serial: &str, code: &str) -> String {
        hex(&Sha256::digest(format!("{serial}\0{code}").as_bytes()))
    }

    /// Fails when `code` is the one last accepted for this device within AWS's window.
    pub fn check(&self, serial: &str, code: &str) -> anyhow::Result<()> {
        let Some(file) = self.file(serial) else {
            return Ok(());
        };
        let Ok(text) = std::fs::read_to_string(file) else {
            return Ok(());
        };
        let mut parts = text.split_whitespace();
        let (Some(step), Some(fp)) = (
            parts.next().and_then(|s| s.parse::<i64>().ok()),
            parts.next(),
        ) else {
            return Ok(());
        };
        let now_step = crate::sts::now().div_euclid(STEP);
        // AWS accepts a code one step either side; after that the same digits are a new code.
        if now_step - step <= 2 && fp == Self::fingerprint(serial, code) {
            return Err(fail(
                Exit::Mfa,
                format!(
                    "this code was already used and AWS accepts each code once: wait {}s for the next code",
                    seconds_to_next_step()
                ),
            ));
        }
        Ok(())
    }

    /// Records an accepted code. Failure to record is not worth failing the run.
    pub fn record(&self, serial: &str, code: &str) {
        if let Some(file) = self.file(serial) {
            let line = format!(
                "{} {}\n",
                crate::sts::now().div_euclid(STEP),
                Self::fingerprint(serial, code)
            );
            let _ = crate::cache::write_private(&file, line.as_bytes());
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a line from the controlling terminal without echo.
#[cfg(unix)]
pub fn prompt_tty(prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    use std::fs::OpenOptions;
    use std::io::Write;
    use std::os::unix::io::AsRawFd;

    let no_tty = || {
        fail(
            Exit::Mfa,
            "no terminal to ask for the MFA code on: pass --token-code CODE, or set mfa_process in the profile",
        )
    };
    let mut tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| no_tty())?;
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it for a valid fd.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
        return Err(no_tty());
    }
    tty.write_all(prompt.as_bytes())
        .and_then(|_| tty.flush())
        .map_err(|_| no_tty())?;

    struct Restore<'a> {
        tty: &'a std::fs::File,
        saved: libc::termios,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            // SAFETY: restoring the attributes read above on the same fd.
            unsafe { libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSANOW, &self.saved) };
            let _ = (&*self.tty).write_all(b"\n");
        }
    }

    let mut raw = saved;
    raw.c_lflag &= !(libc::ECHO | libc::ICANON | libc::ISIG | libc::ECHONL | libc::IEXTEN);
    raw.c_cc[libc::VMIN] = 1;
    raw.c_cc[libc::VTIME] = 0;
    // SAFETY: valid fd and termios.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
        return Err(no_tty());
    }
    let restore = Restore { tty: &tty, saved };

    let line = read_code_line(&mut &*restore.tty)?;
    drop(restore);
    Ok(line)
}

/// Reads one line, typed key by key on a terminal in raw mode (no echo, no line editing by the
/// terminal, Ctrl-C as a byte): Enter ends it, Backspace and Ctrl-U edit, Ctrl-C interrupts, Ctrl-D
/// on an empty line is end of input. Shared by the Unix tty and the Windows console.
fn read_code_line(input: &mut impl std::io::Read) -> anyhow::Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    let mut byte = [0u8; 1];
    loop {
        match input.read(&mut byte) {
            Ok(0) | Err(_) => {
                return Err(fail(
                    Exit::Mfa,
                    "the terminal closed before an MFA code was entered",
                ));
            }
            Ok(_) => {}
        }
        match byte[0] {
            b'\r' | b'\n' => break,
            0x03 => return Err(fail(Exit::Interrupted, "interrupted")),
            0x04 if line.is_empty() => {
                return Err(fail(Exit::Mfa, "no MFA code entered (end of input)"));
            }
            0x04 => break,
            0x7f | 0x08 => {
                line.pop();
            }
            0x15 => line.clear(),
            b if (0x20..0x7f).contains(&b) && line.len() < 64 => line.push(b as char),
            _ => {}
        }
    }
    byte.zeroize();
    Ok(line)
}

/// Reads a line from the console (CONIN$, so it works while stdin and stdout are pipes) with
/// echo, line input and Ctrl-C processing off; the console's mode is restored afterwards.
#[cfg(windows)]
pub fn prompt_tty(prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    use std::fs::{File, OpenOptions};
    use std::io::Write;
    use std::os::windows::io::{AsRawHandle, RawHandle};
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

    use crate::console::{is_interrupt, GetConsoleMode, SetConsoleCtrlHandler, SetConsoleMode};
    // What the Ctrl-C handler needs to give the console back.
    static CONSOLE: AtomicUsize = AtomicUsize::new(0);
    static SAVED_MODE: AtomicU32 = AtomicU32::new(0);
    /// With input processing off Ctrl-C arrives as byte 3, but a console can still raise the
    /// event (another process's GenerateConsoleCtrlEvent, Wine on a Unix tty): then restore the
    /// console and end as the byte would have, 130.
    unsafe extern "system" fn interrupted(event: u32) -> i32 {
        if !is_interrupt(event) {
            return 0;
        }
        // SAFETY: the handle stays open while this handler is registered.
        unsafe {
            SetConsoleMode(
                CONSOLE.load(Ordering::SeqCst) as RawHandle,
                SAVED_MODE.load(Ordering::SeqCst),
            )
        };
        eprintln!("\nmfa-env: interrupted");
        std::process::exit(Exit::Interrupted.code());
    }

    let no_tty = || {
        fail(
            Exit::Mfa,
            "no console to ask for the MFA code on: pass --token-code CODE, or set mfa_process in the profile",
        )
    };
    let conin = OpenOptions::new()
        .read(true)
        .write(true)
        .open("CONIN$")
        .map_err(|_| no_tty())?;
    let mut conout = OpenOptions::new()
        .write(true)
        .open("CONOUT$")
        .map_err(|_| no_tty())?;
    let mut saved = 0u32;
    // SAFETY: a console input handle that lives as long as `conin`, and a valid out pointer.
    if unsafe { GetConsoleMode(conin.as_raw_handle(), &mut saved) } == 0 {
        return Err(no_tty());
    }
    conout
        .write_all(prompt.as_bytes())
        .and_then(|_| conout.flush())
        .map_err(|_| no_tty())?;

    struct Restore<'a> {
        conin: &'a File,
        conout: &'a File,
        saved: u32,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            // SAFETY: restoring the mode read above on the same handle; the handler goes first.
            unsafe {
                SetConsoleCtrlHandler(Some(interrupted), 0);
                SetConsoleMode(self.conin.as_raw_handle(), self.saved);
            }
            let _ = (&*self.conout).write_all(b"\r\n");
        }
    }
    // Mode 0: no ENABLE_ECHO_INPUT, ENABLE_LINE_INPUT or ENABLE_PROCESSED_INPUT, so each key
    // arrives as typed and Ctrl-C as byte 3, as on a Unix tty in raw mode.
    // SAFETY: valid console handle.
    if unsafe { SetConsoleMode(conin.as_raw_handle(), 0) } == 0 {
        return Err(no_tty());
    }
    CONSOLE.store(conin.as_raw_handle() as usize, Ordering::SeqCst);
    SAVED_MODE.store(saved, Ordering::SeqCst);
    // SAFETY: registers a handler that only restores the console and exits.
    unsafe { SetConsoleCtrlHandler(Some(interrupted), 1) };
    let restore = Restore {
        conin: &conin,
        conout: &conout,
        saved,
    };
    let line = read_code_line(&mut &*restore.conin)?;
    drop(restore);
    Ok(line)
}

#[cfg(not(any(unix, windows)))]
pub fn prompt_tty(_prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    Err(fail(
        Exit::Mfa,
        "cannot prompt for the MFA code on this platform: pass --token-code CODE, or set mfa_process",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[u8]) -> Result<String, String> {
        read_code_line(&mut &keys[..])
            .map(|l| l.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn keys_at_the_prompt() {
        assert_eq!(typed(b"123456\r").unwrap(), "123456");
        assert_eq!(typed(b"12\x7f3456\n").unwrap(), "13456");
        assert_eq!(typed(b"99\x159\x08123456\r").unwrap(), "123456");
        assert_eq!(typed(b"1 2\x1b3\r").unwrap(), "1 23");
        assert_eq!(typed(b"12\x04").unwrap(), "12");
        assert_eq!(typed(b"12\x03").unwrap_err(), "interrupted");
        assert!(typed(b"\x04").unwrap_err().contains("end of input"));
        assert!(typed(b"123").unwrap_err().contains("terminal closed"));
        let mut long = vec![b'7'; 100];
        long.push(b'\r');
        assert_eq!(typed(&long).unwrap().len(), 64, "input is capped");
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(normalize("012345", "x").unwrap().as_str(), "012345");
        assert_eq!(normalize("123 456", "x").unwrap().as_str(), "123456");
        assert_eq!(normalize(" 123456\n", "x").unwrap().as_str(), "123456");
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            let err = normalize(bad, "the code").unwrap_err().to_string();
            assert!(err.contains("exactly 6 digits, 0-9 (got "), "{bad}: {err}");
        }
        let err = normalize("abcdef", "the code").unwrap_err().to_string();
        assert!(err.contains("(got something other than digits)"), "{err}");
        let err = normalize("123", "the code").unwrap_err().to_string();
        assert!(err.contains("(got 3 characters)"), "{err}");
    }

    #[test]
    fn guard_refuses_the_last_accepted_code_only() {
        let dir = tempfile::tempdir().unwrap();
        let guard = Guard::new(Some(dir.path()));
        let serial = "arn:aws:iam::123456789012:mfa/alice";
        assert!(guard.check(serial, "123456").is_ok());
        guard.record(serial, "123456");
        let err = guard.check(serial, "123456").unwrap_err().to_string();
        assert!(err.contains("already used"), "{err}");
        assert!(guard.check(serial, "654321").is_ok());
        assert!(guard
            .check("arn:aws:iam::123456789012:mfa/bob", "123456")
            .is_ok());
        let text = std::fs::read_to_string(guard.file(serial).unwrap()).unwrap();
        assert!(!text.contains("123456"), "the code itself is not stored");
    }

    #[test]
    fn process_output_is_validated() {
        assert_eq!(run_process("echo 123456").unwrap().as_str(), "123456");
        assert!(run_process("echo nope")
            .unwrap_err()
            .to_string()
            .contains("6 digits"));
        assert!(run_process("exit 3")
            .unwrap_err()
            .to_string()
            .contains("failed"));
    }
}
