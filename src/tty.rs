//! Lines typed at the terminal: an MFA code, access keys. The terminal is read byte by byte
//! with echo and signals off (not with rpassword): Ctrl-C must restore the terminal and exit
//! 130, and rpassword leaves echo off when SIGINT kills the process.

use std::io::{Read, Write};

use zeroize::{Zeroize, Zeroizing};

use crate::error::{fail, Exit};

/// The longest line kept: an access key ID is 20 characters, a secret 40, a code 6, the code a
/// remote sign-in's page gives (`login --remote`) some hundreds.
const MAX_LINE: usize = 1024;

/// What is asked for, for the messages.
pub struct Ask<'a> {
    /// What is typed, as in "no terminal to ask for the MFA code on".
    pub noun: &'a str,
    /// What to do without a terminal.
    pub no_terminal: &'a str,
    /// How a failure ends (no terminal, end of input).
    pub exit: Exit,
    /// Show what is typed (an access key ID), or not (a code, a secret).
    pub echo: bool,
}

/// Whether there is a terminal to ask on (what `read_line` would open).
pub fn available() -> bool {
    #[cfg(windows)]
    const TERMINAL: &str = "CONIN$";
    #[cfg(not(windows))]
    const TERMINAL: &str = "/dev/tty";
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(TERMINAL)
        .is_ok()
}

/// Reads a line from the controlling terminal (`/dev/tty`, so it works while stdin and stdout
/// are pipes).
#[cfg(unix)]
pub fn read_line(prompt: &str, ask: &Ask<'_>) -> anyhow::Result<Zeroizing<String>> {
    use std::fs::OpenOptions;
    use std::io::Write;
    use std::os::unix::io::AsRawFd;

    let no_tty = || {
        fail(
            ask.exit,
            format!(
                "no terminal to ask for the {} on: {}",
                ask.noun, ask.no_terminal
            ),
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

    let line = read_keys(&mut &*restore.tty, &mut &*restore.tty, ask)?;
    drop(restore);
    Ok(line)
}

/// Asks a yes/no question on the terminal, as every confirmation of mfa-env is asked: only `y`
/// or `yes` is yes. Without a terminal it fails (exit 3) saying `no_terminal`, which names the
/// option that answers beforehand (`--yes`).
pub fn confirm(question: &str, no_terminal: &str) -> anyhow::Result<bool> {
    let ask = Ask {
        noun: "answer",
        no_terminal,
        exit: Exit::Config,
        echo: true,
    };
    let answer = read_line(question, &ask)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

/// Writes `text` to the terminal itself (`/dev/tty`; the console on Windows), never to stdout or
/// stderr: for what must not end up in a pipe or a log (a QR code that holds a secret).
pub fn show(text: &str, no_terminal: &str) -> anyhow::Result<()> {
    #[cfg(windows)]
    const TERMINAL: &str = "CONOUT$";
    #[cfg(not(windows))]
    const TERMINAL: &str = "/dev/tty";
    let mut tty = std::fs::OpenOptions::new()
        .write(true)
        .open(TERMINAL)
        .map_err(|_| fail(Exit::Config, format!("no terminal: {no_terminal}")))?;
    tty.write_all(text.as_bytes())
        .and_then(|()| tty.flush())
        .map_err(|e| fail(Exit::Other, format!("cannot write to the terminal: {e}")))
}

/// Reads one line, typed key by key on a terminal in raw mode (no echo by the terminal, no line
/// editing by it, Ctrl-C as a byte): Enter ends it, Backspace and Ctrl-U edit, Ctrl-C
/// interrupts, Ctrl-D on an empty line is end of input. With `ask.echo` what is typed is shown
/// on `output` (and rubbed out on Backspace). Shared by the Unix tty and the Windows console.
fn read_keys(
    input: &mut impl Read,
    output: &mut impl Write,
    ask: &Ask<'_>,
) -> anyhow::Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    let mut byte = [0u8; 1];
    let mut show = |text: &[u8]| {
        if ask.echo {
            let _ = output.write_all(text).and_then(|()| output.flush());
        }
    };
    loop {
        match input.read(&mut byte) {
            Ok(0) | Err(_) => {
                return Err(fail(
                    ask.exit,
                    format!("the terminal closed before the {} was entered", ask.noun),
                ));
            }
            Ok(_) => {}
        }
        match byte[0] {
            b'\r' | b'\n' => break,
            0x03 => return Err(fail(Exit::Interrupted, "interrupted")),
            0x04 if line.is_empty() => {
                return Err(fail(
                    ask.exit,
                    format!("no {} entered (end of input)", ask.noun),
                ));
            }
            0x04 => break,
            0x7f | 0x08 if line.pop().is_some() => show(b"\x08 \x08"),
            0x15 => {
                show(&b"\x08 \x08".repeat(line.len()));
                line.clear();
            }
            b if (0x20..0x7f).contains(&b) && line.len() < MAX_LINE => {
                line.push(b as char);
                show(&byte);
            }
            _ => {}
        }
    }
    byte.zeroize();
    Ok(line)
}

/// Reads a line from the console (CONIN$, so it works while stdin and stdout are pipes) with
/// echo, line input and Ctrl-C processing off; the console's mode is restored afterwards.
#[cfg(windows)]
pub fn read_line(prompt: &str, ask: &Ask<'_>) -> anyhow::Result<Zeroizing<String>> {
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
            ask.exit,
            format!(
                "no console to ask for the {} on: {}",
                ask.noun, ask.no_terminal
            ),
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
    let line = read_keys(&mut &*restore.conin, &mut &*restore.conout, ask)?;
    drop(restore);
    Ok(line)
}

#[cfg(not(any(unix, windows)))]
pub fn read_line(_prompt: &str, ask: &Ask<'_>) -> anyhow::Result<Zeroizing<String>> {
    Err(fail(
        ask.exit,
        format!(
            "cannot ask for the {} on this platform: {}",
            ask.noun, ask.no_terminal
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MFA: Ask<'static> = Ask {
        noun: "MFA code",
        no_terminal: "",
        exit: Exit::Mfa,
        echo: false,
    };

    fn typed(keys: &[u8]) -> Result<String, String> {
        read_keys(&mut &keys[..], &mut std::io::sink(), &MFA)
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
        let mut long = vec![b'7'; MAX_LINE + 100];
        long.push(b'\r');
        assert_eq!(typed(&long).unwrap().len(), MAX_LINE, "input is capped");
    }

    #[test]
    fn echo_shows_and_rubs_out() {
        let ask = Ask { echo: true, ..MFA };
        let mut shown = Vec::new();
        let line = read_keys(&mut &b"AB\x7fC\x15XY\r"[..], &mut shown, &ask).unwrap();
        assert_eq!(line.as_str(), "XY");
        assert_eq!(shown, b"AB\x08 \x08C\x08 \x08\x08 \x08XY");
        let mut hidden = Vec::new();
        read_keys(&mut &b"secret\r"[..], &mut hidden, &MFA).unwrap();
        assert!(hidden.is_empty());
    }
}
