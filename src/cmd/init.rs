//! `mfa-env init SHELL [--cmd NAME]`: the `mfa` function, the prompt segment and completion
//! registration for mfa-env and for the function, to load from the rc file.

use crate::cli::{CompletionShell, InitArgs};
use crate::cmd::completions::script_for;
use crate::error::{fail, Exit};
use crate::shell::scripts::*;
use crate::shell::Shell;

pub fn script(shell: Shell, cmd: &str) -> anyhow::Result<String> {
    let (prompt, init, completion) = match shell {
        Shell::Bash => (PROMPT_SH, INIT_SH, CompletionShell::Bash),
        Shell::Zsh => (PROMPT_SH, INIT_SH, CompletionShell::Zsh),
        Shell::Fish => (PROMPT_FISH, INIT_FISH, CompletionShell::Fish),
        Shell::Powershell => (PROMPT_PS1, INIT_PS1, CompletionShell::Powershell),
        Shell::Sh => return Err(fail(
            Exit::Config,
            "init supports bash, zsh, fish and powershell; with sh use eval \"$(mfa-env PROFILE)\"",
        )),
    };
    let mut out = String::new();
    out.push_str(prompt);
    out.push('\n');
    out.push_str(&init.replace(CMD_PLACEHOLDER, cmd));
    out.push('\n');
    let registration = script_for(completion, "mfa-env")?;
    let wrapper = script_for(completion, cmd)?;
    if shell == Shell::Zsh {
        // compdef exists only after compinit; without it there is nothing to register with.
        out.push_str("if command -v compdef >/dev/null 2>&1; then\n");
        out.push_str(&registration);
        out.push_str(&wrapper);
        out.push_str("fi\n");
    } else {
        out.push_str(&registration);
        out.push_str(&wrapper);
    }
    Ok(out)
}

pub fn run(args: &InitArgs) -> anyhow::Result<i32> {
    super::print_stdout(&script(args.shell, &args.cmd)?)?;
    Ok(0)
}
