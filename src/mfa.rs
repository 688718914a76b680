//! The MFA code: from `--token-code`, from `mfa_process`, or typed at the terminal; checked
//! before any network call; and a guard against sending a code that was already spent.
//!
//! The terminal is read byte by byte with echo and signals off (not with rpassword): Ctrl-C
//! must restore the terminal and exit 130, and rpassword leaves echo off when SIGINT kills
//! the process.

use std::time::Duration;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::cache::Cache;
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
    /// The terminal; without one, the message says what to do instead (the default: names
    /// `--token-code` and `mfa_process`).
    Prompt(Option<String>),
    /// No way to get a code now (the credentials endpoint renewing with no `mfa_process`):
    /// the message says what to do instead.
    Unavailable(String),
}

impl CodeSource {
    pub fn new(flag: Option<&str>, mfa_process: Option<&str>, no_terminal: Option<&str>) -> Self {
        match (flag, mfa_process) {
            (Some(code), _) => CodeSource::Flag(Zeroizing::new(code.to_string())),
            (None, Some(cmd)) if !cmd.trim().is_empty() => CodeSource::Process(cmd.to_string()),
            _ => CodeSource::Prompt(no_terminal.map(str::to_string)),
        }
    }

    /// Only a code typed at the prompt is asked again after STS rejects it.
    pub fn may_retry(&self) -> bool {
        matches!(self, CodeSource::Prompt(_))
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
            CodeSource::Prompt(no_terminal) => {
                let typed = prompt_tty(
                    &format!("Enter MFA code for {serial}: "),
                    no_terminal
                        .as_deref()
                        .unwrap_or("pass --token-code CODE, or set mfa_process in the profile"),
                )?;
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
    cache: Option<Cache>,
}

impl Guard {
    /// Records live in the cache: none without one (`--no-cache`).
    pub fn new(cache: Option<Cache>) -> Self {
        Guard { cache }
    }

    fn key(serial: &str) -> String {
        crate::digest::digest(&["mfa-device", serial])
    }

    fn fingerprint(serial: &str, code: &str) -> String {
        crate::digest::hex(&Sha256::digest(format!("{serial}\0{code}").as_bytes()))
    }

    /// Fails when `code` is the one last accepted for this device within AWS's window.
    pub fn check(&self, serial: &str, code: &str) -> anyhow::Result<()> {
        let Some(text) = self
            .cache
            .as_ref()
            .and_then(|c| c.read_used(&Self::key(serial)))
        else {
            return Ok(());
        };
        let Some((step, fp)) = Self::parse(&text) else {
            return Ok(());
        };
        if Self::in_window(step) && fp == Self::fingerprint(serial, code) {
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

    /// A record's time step and fingerprint.
    fn parse(text: &str) -> Option<(i64, &str)> {
        let mut parts = text.split_whitespace();
        Some((parts.next()?.parse().ok()?, parts.next()?))
    }

    /// AWS accepts a code one step either side; after that the same digits are a new code.
    fn in_window(step: i64) -> bool {
        crate::sts::now().div_euclid(STEP) - step <= 2
    }

    /// Whether a record can still refuse a code (`logout --all` keeps those).
    pub fn refuses_still(text: &str) -> bool {
        Self::parse(text).is_some_and(|(step, _)| Self::in_window(step))
    }

    /// Records an accepted code. Failure to record is not worth failing the run.
    pub fn record(&self, serial: &str, code: &str) {
        if let Some(cache) = &self.cache {
            let line = format!(
                "{} {}\n",
                crate::sts::now().div_euclid(STEP),
                Self::fingerprint(serial, code)
            );
            let _ = cache.write_used(&Self::key(serial), &line);
        }
    }
}

/// Reads a code typed at the terminal (no echo).
fn prompt_tty(prompt: &str, no_terminal: &str) -> anyhow::Result<Zeroizing<String>> {
    crate::tty::read_line(
        prompt,
        &crate::tty::Ask {
            noun: "MFA code",
            no_terminal,
            exit: Exit::Mfa,
            echo: false,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let cache = Cache::open_at(dir.path().join("cache")).unwrap();
        let guard = Guard::new(Some(cache.clone()));
        let serial = "arn:aws:iam::123456789012:mfa/alice";
        assert!(guard.check(serial, "123456").is_ok());
        guard.record(serial, "123456");
        let err = guard.check(serial, "123456").unwrap_err().to_string();
        assert!(err.contains("already used"), "{err}");
        assert!(guard.check(serial, "654321").is_ok());
        assert!(guard
            .check("arn:aws:iam::123456789012:mfa/bob", "123456")
            .is_ok());
        let text = cache.read_used(&Guard::key(serial)).unwrap();
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
