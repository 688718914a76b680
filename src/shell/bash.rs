//! bash: the subshell's startup and the init scripts (quoting and rendering: `posix`).

use std::path::Path;
use std::process::Command;

use super::{write_startup, Init};

pub const PROGRAM: &str = "bash";
/// The prompt segment and the init wrapper, shared with zsh.
pub const PROMPT: &str = include_str!("../../shell/prompt.sh");
pub const INIT: &str = include_str!("../../shell/init.sh");
const SESSION: &str = include_str!("../../shell/session.bash");

pub const INIT_PARTS: Init = Init {
    prompt: PROMPT,
    script: INIT,
    passthrough_separator: " | ",
    completion: super::CompletionShell::Bash,
    complete_wrapper: true,
    wrap_completion: None,
};

/// `--rcfile`: the user's ~/.bashrc runs from it first, then the countdown.
pub fn prepare_subshell(cmd: &mut Command, dir: &Path) -> anyhow::Result<()> {
    let rc = dir.join("bashrc");
    write_startup(&rc, &format!("{PROMPT}\n{SESSION}"))?;
    cmd.arg("--rcfile").arg(&rc).arg("-i");
    Ok(())
}
