//! `mfa-env completions SHELL`: clap_complete's dynamic-completion registration. The script
//! calls `mfa-env` by name (with COMPLETE=SHELL) at completion time, so profile names come
//! from the user's AWS files as they are then. Committed copies live in completions/.

use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::cli::CompletionShell;
use crate::error::{fail, Exit};

/// The environment variable the scripts set when they ask for completions.
pub const VAR: &str = "COMPLETE";

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
