//! zsh: the subshell's startup and the init scripts (quoting and rendering: `posix`).

use std::path::Path;
use std::process::Command;

use super::{write_startup, Init};

pub const PROGRAM: &str = "zsh";
const SESSION_ZSHENV: &str = include_str!("../../shell/session.zshenv");
const SESSION: &str = include_str!("../../shell/session.zsh");

pub const INIT_PARTS: Init = Init {
    prompt: super::bash::PROMPT,
    script: super::bash::INIT,
    passthrough_separator: " | ",
    completion: super::CompletionShell::Zsh,
    complete_wrapper: true,
    wrap_completion: Some(register_later),
};

/// The registrations in `__mfa_env_complete`, called now if compinit has run, else at the first
/// prompt: a .zshrc may load init before compinit, and compdef exists only after.
fn register_later(registrations: &str) -> String {
    format!("__mfa_env_complete() {{\n{registrations}}}\n{REGISTER_LATER}")
}

const REGISTER_LATER: &str = r#"if (( $+functions[compdef] )); then
  __mfa_env_complete
else
  __mfa_env_complete_later() {
    (( $+functions[compdef] )) && __mfa_env_complete
    add-zsh-hook -d precmd __mfa_env_complete_later
  }
  autoload -Uz add-zsh-hook
  add-zsh-hook precmd __mfa_env_complete_later
fi
"#;

/// A ZDOTDIR of our own whose files restore the user's and source theirs first.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    write_startup(&dir.join(".zshenv"), SESSION_ZSHENV)?;
    write_startup(
        &dir.join(".zshrc"),
        &format!("{}\n{SESSION}", super::bash::PROMPT),
    )?;
    let user = std::env::var_os("ZDOTDIR")
        .or_else(|| std::env::var_os("HOME"))
        .unwrap_or_default();
    cmd.env("MFA_ENV_USER_ZDOTDIR", user)
        .env("ZDOTDIR", dir)
        .arg("-i");
    Ok(())
}
