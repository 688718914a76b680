//! `mfa-env completions SHELL`: clap_complete's dynamic-completion registration. The script
//! calls `mfa-env` by name (with MFA_ENV_COMPLETE=SHELL) at completion time, so profile names
//! come from the user's AWS files as they are then. Committed copies live in completions/.
//!
//! clap_complete speaks bash, zsh, fish, PowerShell and elvish; nushell, tcsh and xonsh are
//! the three adapters below, on the same engine.

use std::ffi::OsString;
use std::io::Write;

use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Shells, Zsh};

use crate::error::{fail, Exit};
use crate::shell::CompletionShell;

/// The environment variable the scripts set when they ask for completions. mfa-env's own:
/// with it set, mfa-env prints a completion script instead of doing its work, so a generic
/// `COMPLETE` exported for another tool must not reach `eval "$(mfa-env …)"` as one.
pub const VAR: &str = "MFA_ENV_COMPLETE";

/// Every shell a completion request may name.
pub const SHELLS: Shells<'static> =
    Shells(&[&Bash, &Elvish, &Fish, &Powershell, &Zsh, &Nu, &Tcsh, &Xonsh]);

pub fn script(shell: CompletionShell) -> anyhow::Result<String> {
    script_for(shell, "mfa-env")
}

/// The registration script for a command `name` that runs `mfa-env` (the init wrapper
/// registers its function name too).
pub fn script_for(shell: CompletionShell, name: &str) -> anyhow::Result<String> {
    let completer: &dyn EnvCompleter = match shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
        CompletionShell::Powershell => &Powershell,
        CompletionShell::Elvish => &Elvish,
        CompletionShell::Nu => &Nu,
        CompletionShell::Tcsh => &Tcsh,
        CompletionShell::Xonsh => &Xonsh,
    };
    let mut buf = Vec::new();
    completer
        .write_registration(VAR, name, name, "mfa-env", &mut buf)
        .map_err(|e| {
            fail(
                Exit::Other,
                format!("cannot write the completion script: {e}"),
            )
        })?;
    String::from_utf8(buf).map_err(|e| fail(Exit::Other, e.to_string()))
}

pub fn run(shell: CompletionShell) -> anyhow::Result<i32> {
    super::print_stdout(&script(shell)?)?;
    Ok(0)
}

/// The index of the word being completed, as the registrations below pass it.
const INDEX_VAR: &str = "_CLAP_COMPLETE_INDEX";

/// Completes `words` (the command's name first, the word under the cursor last) and writes
/// one candidate a line.
fn write_candidates(
    cmd: &mut clap::Command,
    words: Vec<OsString>,
    index: usize,
    current_dir: Option<&std::path::Path>,
    buf: &mut dyn Write,
) -> std::io::Result<()> {
    for candidate in clap_complete::engine::complete(cmd, words, index, current_dir)? {
        writeln!(buf, "{}", candidate.get_value().to_string_lossy())?;
    }
    Ok(())
}

fn index_from_env(words: &[OsString]) -> usize {
    std::env::var(INDEX_VAR)
        .ok()
        .and_then(|i| i.parse().ok())
        .unwrap_or(words.len().saturating_sub(1))
}

/// nushell: a completer command attached with `@complete` to an `extern` for the command; it
/// gets the words (spans) of the line and returns the candidates as a list.
#[derive(Debug, Clone, Copy)]
pub struct Nu;

impl EnvCompleter for Nu {
    fn name(&self) -> &'static str {
        "nu"
    }
    fn is(&self, name: &str) -> bool {
        name == "nu" || name == "nushell"
    }
    fn write_registration(
        &self,
        var: &str,
        name: &str,
        _bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        write!(
            buf,
            "{}",
            NU_REGISTRATION
                .replace("VAR", var)
                .replace("NAME", name)
                .replace("COMPLETER", completer)
        )
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = index_from_env(&args);
        write_candidates(cmd, args, index, current_dir, buf)
    }
}

/// The completer for `NAME` (the init wrapper's function uses mfa-env's: the words after the
/// first are the same).
const NU_REGISTRATION: &str = r#"# mfa-env completions for nushell: save this file and `source` it from config.nu.
def "__mfa_env_complete NAME" [spans: list<string>] {
    with-env {VAR: nu, _CLAP_COMPLETE_INDEX: ($spans | length | $in - 1 | into string)} {
        ^COMPLETER -- ...$spans
    } | lines
}
@complete "__mfa_env_complete NAME"
extern "NAME" [...args: string]
"#;

/// tcsh: `complete NAME 'p/*/`…`/'`, whose command tcsh runs with the line so far in
/// `COMMAND_LINE` (a trailing blank: a new, empty word is being completed).
#[derive(Debug, Clone, Copy)]
pub struct Tcsh;

impl EnvCompleter for Tcsh {
    fn name(&self) -> &'static str {
        "tcsh"
    }
    fn is(&self, name: &str) -> bool {
        name == "tcsh" || name == "csh"
    }
    fn write_registration(
        &self,
        var: &str,
        name: &str,
        _bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        writeln!(
            buf,
            "complete {name} 'p@*@`env {var}=tcsh {completer} -- tcsh`@';"
        )
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        _args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let line = std::env::var("COMMAND_LINE").unwrap_or_default();
        let mut words: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        if words.is_empty() || line.ends_with(char::is_whitespace) {
            words.push(OsString::new());
        }
        let index = words.len() - 1;
        let _ = crate::cli::WORDS.set(words.clone());
        write_candidates(cmd, words, index, current_dir, buf)
    }
}

/// xonsh: a contextual command completer (Python), which passes the words up to the cursor.
#[derive(Debug, Clone, Copy)]
pub struct Xonsh;

impl EnvCompleter for Xonsh {
    fn name(&self) -> &'static str {
        "xonsh"
    }
    fn is(&self, name: &str) -> bool {
        name == "xonsh"
    }
    fn write_registration(
        &self,
        var: &str,
        name: &str,
        _bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        // A Python identifier for the function and completer names.
        let ident: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        write!(
            buf,
            "{}",
            XONSH_REGISTRATION
                .replace("VAR", var)
                .replace("IDENT", &ident)
                .replace("NAME", name)
                .replace("COMPLETER", completer)
        )
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = index_from_env(&args);
        write_candidates(cmd, args, index, current_dir, buf)
    }
}

const XONSH_REGISTRATION: &str = r#"# mfa-env completions for xonsh: source this file from ~/.xonshrc.
def __mfa_env_complete_IDENT(context):
    import subprocess
    from xonsh.completers.tools import RichCompletion
    command = context.command
    if command is None or command.arg_index < 1:
        return None
    if command.args[0].value != "NAME":
        return None
    words = [a.value for a in command.args[: command.arg_index]] + [command.prefix]
    env = __xonsh__.env.detype()
    env["VAR"] = "xonsh"
    env["_CLAP_COMPLETE_INDEX"] = str(len(words) - 1)
    try:
        out = subprocess.run(
            ["COMPLETER", "--", *words],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {RichCompletion(c, append_space=True) for c in out.splitlines() if c}
__mfa_env_complete_IDENT.contextual = True
completer add mfa_env_IDENT __mfa_env_complete_IDENT start
"#;
