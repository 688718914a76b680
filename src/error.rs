//! Failures that map to documented exit codes.
//!
//! Everything else travels as `anyhow::Error`; a `Failure` anywhere in the chain decides the
//! exit status (see `Exit::code`), otherwise it is 1.

use std::fmt;

/// Exit statuses, documented in the README ("Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Anything not listed below (I/O, an unexpected answer).
    Other,
    /// The command line is wrong (as clap reports its own usage errors).
    Usage,
    /// Profile or configuration problem: unknown profile, no MFA device, no long-term keys.
    Config,
    /// MFA code problem: bad format, rejected, no terminal to ask on, reused, mfa_process failed.
    Mfa,
    /// AWS refused: access denied, invalid or expired keys, role cannot be assumed.
    Denied,
    /// The endpoint could not be used: unreachable, timed out, throttled, malformed answer.
    Network,
    /// `status`: no mfa-env session in this environment.
    NoSession,
    /// `status`: the session in this environment has expired.
    Expired,
    /// `exec`: the command was found but cannot be executed.
    NotExecutable,
    /// `exec`: the command was not found.
    NotFound,
    /// Interrupted at the prompt (Ctrl-C).
    Interrupted,
    /// Whoever read stdout stopped reading (`| head`): ended quietly, with the status of a
    /// process killed by SIGPIPE, as Unix tools end.
    StdoutClosed,
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Other => 1,
            Exit::Usage => 2,
            Exit::Config => 3,
            Exit::Mfa => 4,
            Exit::Denied => 5,
            Exit::Network => 6,
            Exit::NoSession => 7,
            Exit::Expired => 8,
            Exit::NotExecutable => 126,
            Exit::NotFound => 127,
            Exit::Interrupted => 130,
            Exit::StdoutClosed => 141,
        }
    }
}

/// An error with a known exit status and a message meant for the user.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Shorthand: `Err(fail(Exit::Config, "…"))?`.
pub fn fail(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure::new(exit, message))
}

/// The kind of the first `Failure` in an error chain, if any.
pub fn exit_kind(err: &anyhow::Error) -> Option<Exit> {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map(|f| f.exit)
}

/// The exit status for an error chain: the first `Failure` found decides.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    exit_kind(err).map_or(1, Exit::code)
}

/// Renders an access key id for messages: `ASIA…XMPL`. Never prints the middle.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "…".to_string();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Makes text that came from outside (a server, a file) safe to print on one terminal line:
/// control characters (escape sequences, newlines) become spaces, and it is cut to `max` chars.
pub fn sanitize_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.trim().chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keys_keeping_only_the_ends() {
        assert_eq!(mask_key("ASIAIOSFODNN7EXAMPLE"), "ASIA…MPLE");
        assert_eq!(mask_key("short"), "…");
    }

    #[test]
    fn sanitizes_control_characters_and_length() {
        assert_eq!(sanitize_line("a\x1b[31mb\nc", 100), "a [31mb c");
        assert_eq!(sanitize_line("abcdef", 3), "abc…");
    }

    #[test]
    fn exit_code_comes_from_the_failure_in_the_chain() {
        let err = fail(Exit::Mfa, "bad code").context("while authenticating");
        assert_eq!(exit_code(&err), 4);
        assert_eq!(exit_code(&anyhow::anyhow!("plain")), 1);
    }
}
