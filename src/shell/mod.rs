//! The shells mfa-env speaks. `Shell` is a closed set; each shell's code lives in its own
//! module (quoting, set/unset rendering, hints, the subshell's startup, the init scripts), and
//! the methods here only dispatch to it: adding a shell means adding a module and a variant.
//! bash, zsh and sh share POSIX quoting and rendering (`posix`).

mod bash;
mod cmd;
mod detect;
mod dotenv;
mod elvish;
mod fish;
pub mod hint;
mod json;
mod nu;
mod posix;
mod powershell;
pub mod prompt;
mod sh;
mod tcsh;
mod xonsh;
mod zsh;

use std::path::Path;
use std::process::Command;

use zeroize::Zeroizing;

pub use detect::{calling_shell, detect};
pub use fish::quote as quote_fish;
pub use posix::quote as quote_posix;
pub use powershell::quote as quote_powershell;

use crate::env::Change;
use crate::error::{fail, Exit};

/// A closed set: adding a shell means handling it in every `match` below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    /// POSIX sh: dash, ash, ksh
    Sh,
    Fish,
    /// PowerShell (pwsh)
    #[value(alias = "pwsh")]
    Powershell,
    Elvish,
    /// tcsh and csh.
    #[value(alias = "csh")]
    Tcsh,
    Xonsh,
    /// nushell: data for `load-env` and `hide-env` (it has no eval).
    #[value(name = "nu", alias = "nushell")]
    Nu,
    /// cmd.exe: "NAME=value" lines for `for /f ... do @set %i`.
    #[value(alias = "cmd.exe")]
    Cmd,
    /// Not a shell: the changes as one JSON object (null removes a variable).
    Json,
    /// Not a shell: NAME=value lines for docker --env-file and systemd EnvironmentFile=.
    Dotenv,
}

/// What `mfa-env init SHELL` prints for a shell: its prompt segment, its wrapper (with
/// `__mfa_env_cmd` and `__mfa_env_passthrough` filled in) and the completion registration.
pub struct Init {
    pub prompt: &'static str,
    pub script: &'static str,
    /// How the wrapper's list of subcommands is written in place of the placeholder.
    pub passthrough_separator: &'static str,
    pub completion: CompletionShell,
    /// Whether the wrapper function gets a registration of its own (nushell's init attaches
    /// mfa-env's completer to it with `@complete` instead).
    pub complete_wrapper: bool,
    /// Puts the registrations where they can run: when the completion system is ready (zsh),
    /// or only in the interactive editor (elvish, whose scripts have no `edit:`).
    pub wrap_completion: Option<fn(&str) -> String>,
}

/// The function name the init scripts use, replaced by `--cmd`.
pub const CMD_PLACEHOLDER: &str = "__mfa_env_cmd";
/// Where the init scripts list the subcommands they pass to mfa-env as they are.
pub const PASSTHROUGH_PLACEHOLDER: &str = "__mfa_env_passthrough";

/// Writes one of a subshell's startup files (code only: the credentials live in the
/// environment).
fn write_startup(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text)
        .map_err(|e| fail(Exit::Other, format!("cannot write {}: {e}", path.display())))
}

impl Shell {
    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Sh => "sh",
            Shell::Fish => "fish",
            Shell::Powershell => "powershell",
            Shell::Elvish => "elvish",
            Shell::Tcsh => "tcsh",
            Shell::Xonsh => "xonsh",
            Shell::Nu => "nu",
            Shell::Cmd => "cmd",
            Shell::Json => "json",
            Shell::Dotenv => "dotenv",
        }
    }

    /// Whether this is a shell one can start (json and dotenv are output formats).
    pub fn is_interactive(self) -> bool {
        !matches!(self, Shell::Json | Shell::Dotenv)
    }

    /// The shell for a program name such as `bash`, `-zsh`, `/usr/bin/fish` or `pwsh.exe`.
    pub fn from_program(program: &str) -> Option<Shell> {
        let base = program.rsplit(['/', '\\']).next()?;
        let base = base.trim_start_matches('-');
        let base = base.strip_suffix(".exe").unwrap_or(base);
        match base {
            "bash" => Some(Shell::Bash),
            "zsh" => Some(Shell::Zsh),
            "sh" | "dash" | "ash" | "ksh" | "mksh" | "yash" | "posh" => Some(Shell::Sh),
            "fish" => Some(Shell::Fish),
            "pwsh" | "powershell" => Some(Shell::Powershell),
            "elvish" => Some(Shell::Elvish),
            "tcsh" | "csh" => Some(Shell::Tcsh),
            "xonsh" => Some(Shell::Xonsh),
            "nu" => Some(Shell::Nu),
            "cmd" => Some(Shell::Cmd),
            _ => None,
        }
    }

    /// The program `shell --shell NAME` starts.
    pub fn program(self) -> &'static str {
        match self {
            Shell::Bash => bash::PROGRAM,
            Shell::Zsh => zsh::PROGRAM,
            Shell::Sh => sh::PROGRAM,
            Shell::Fish => fish::PROGRAM,
            Shell::Powershell => powershell::PROGRAM,
            Shell::Elvish => elvish::PROGRAM,
            Shell::Tcsh => tcsh::PROGRAM,
            Shell::Xonsh => xonsh::PROGRAM,
            Shell::Nu => nu::PROGRAM,
            Shell::Cmd => cmd::PROGRAM,
            Shell::Json | Shell::Dotenv => sh::PROGRAM,
        }
    }

    /// Quotes one value so this shell reads it back byte for byte.
    pub fn quote(self, value: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh | Shell::Sh => posix::quote(value),
            Shell::Fish => fish::quote(value),
            Shell::Powershell => powershell::quote(value),
            Shell::Elvish => elvish::quote(value),
            Shell::Tcsh => tcsh::quote(value),
            Shell::Xonsh => xonsh::quote(value),
            Shell::Nu => nu::quote(value),
            Shell::Cmd => cmd::quote(value),
            // Profile names in hints: the POSIX way reads plainly.
            Shell::Json | Shell::Dotenv => posix::quote(value),
        }
    }

    /// Renders the changes as code for this shell. A value no environment can hold (or this
    /// format cannot) is refused before anything is produced, so the caller prints all or
    /// nothing.
    pub fn render(self, changes: &[Change]) -> anyhow::Result<Zeroizing<String>> {
        crate::env::validate(changes)?;
        // The code holds the secret key and token: each piece is wiped once copied into the
        // whole, which is sized first so that growing it leaves no copy behind.
        let each = |one: fn(&Change) -> String| {
            let lines: Vec<Zeroizing<String>> =
                changes.iter().map(|c| Zeroizing::new(one(c))).collect();
            let mut all = String::with_capacity(lines.iter().map(|l| l.len()).sum());
            for line in &lines {
                all.push_str(line);
            }
            all
        };
        Ok(Zeroizing::new(match self {
            Shell::Bash | Shell::Zsh | Shell::Sh => each(posix::render),
            Shell::Fish => each(fish::render),
            Shell::Powershell => each(powershell::render),
            Shell::Elvish => each(elvish::render),
            Shell::Tcsh => tcsh::render_all(changes)?,
            Shell::Xonsh => each(xonsh::render),
            Shell::Nu => nu::render_all(changes),
            Shell::Cmd => cmd::render_all(changes)?,
            Shell::Json => json::render_all(changes),
            Shell::Dotenv => dotenv::render_all(changes)?,
        }))
    }

    /// Why `init` has nothing for this shell, and what to use with it instead.
    pub fn no_init(self) -> String {
        format!(
            "init is for bash, zsh, fish, powershell, elvish, tcsh, xonsh and nu (sh and cmd have no \
             functions to complete, json and dotenv are output formats); with {} use {} and {}",
            self.name(),
            self.apply_hint("PROFILE"),
            self.drop_hint()
        )
    }

    /// The line that applies a session of `profile` (already quoted) in this shell.
    pub fn apply_hint(self, profile: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh | Shell::Sh => posix::apply_hint(profile),
            Shell::Fish => fish::apply_hint(profile),
            Shell::Powershell => powershell::apply_hint(profile),
            Shell::Elvish => elvish::apply_hint(profile),
            Shell::Tcsh => tcsh::apply_hint(profile),
            Shell::Xonsh => xonsh::apply_hint(profile),
            Shell::Nu => nu::apply_hint(profile),
            Shell::Cmd => cmd::apply_hint(profile),
            Shell::Json => json::apply_hint(profile),
            Shell::Dotenv => dotenv::apply_hint(profile),
        }
    }

    /// The line that drops the session applied to this shell.
    pub fn drop_hint(self) -> String {
        match self {
            Shell::Bash | Shell::Zsh | Shell::Sh => posix::drop_hint(),
            Shell::Fish => fish::drop_hint(),
            Shell::Powershell => powershell::drop_hint(),
            Shell::Elvish => elvish::drop_hint(),
            Shell::Tcsh => tcsh::drop_hint(),
            Shell::Xonsh => xonsh::drop_hint(),
            Shell::Nu => nu::drop_hint(),
            Shell::Cmd => cmd::drop_hint(),
            Shell::Json => json::drop_hint(),
            Shell::Dotenv => dotenv::drop_hint(),
        }
    }

    /// What `init` prints for this shell; none for sh.
    pub fn init_parts(self) -> Option<&'static Init> {
        match self {
            Shell::Bash => Some(&bash::INIT_PARTS),
            Shell::Zsh => Some(&zsh::INIT_PARTS),
            Shell::Fish => Some(&fish::INIT_PARTS),
            Shell::Powershell => Some(&powershell::INIT_PARTS),
            Shell::Elvish => Some(&elvish::INIT_PARTS),
            Shell::Tcsh => Some(&tcsh::INIT_PARTS),
            Shell::Xonsh => Some(&xonsh::INIT_PARTS),
            Shell::Nu => Some(&nu::INIT_PARTS),
            Shell::Sh | Shell::Cmd | Shell::Json | Shell::Dotenv => None,
        }
    }

    /// Why `mfa-env shell` cannot start this one (checked before a code is asked for), if so.
    pub fn subshell_refusal(shell: Option<Shell>) -> Option<anyhow::Error> {
        match shell? {
            s @ (Shell::Json | Shell::Dotenv) => Some(Shell::no_subshell(s)),
            Shell::Cmd
            | Shell::Bash
            | Shell::Zsh
            | Shell::Sh
            | Shell::Fish
            | Shell::Powershell
            | Shell::Elvish
            | Shell::Tcsh
            | Shell::Xonsh
            | Shell::Nu => None,
        }
    }

    fn no_subshell(s: Shell) -> anyhow::Error {
        fail(Exit::Usage, Shell::no_subshell_text(s))
    }

    /// Why `mfa-env shell` does not start `s`.
    pub fn no_subshell_text(s: Shell) -> String {
        format!(
            "{} is an output format, not a shell: pick a shell for mfa-env shell",
            s.name()
        )
    }

    /// Writes the startup code of `mfa-env shell` into `dir` (private, removed afterwards)
    /// and points the shell at it. An unknown program gets sh's way (`$ENV`). `cmd` already
    /// holds the session's variables.
    pub fn prepare_subshell(
        shell: Option<Shell>,
        cmd: &mut Command,
        dir: &Path,
    ) -> anyhow::Result<()> {
        match shell {
            Some(Shell::Bash) => bash::prepare_subshell(cmd, dir),
            Some(Shell::Zsh) => zsh::prepare_subshell(cmd, dir),
            Some(Shell::Fish) => fish::prepare_subshell(cmd, dir),
            Some(Shell::Powershell) => powershell::prepare_subshell(cmd, dir),
            Some(Shell::Sh) | None => sh::prepare_subshell(cmd, dir),
            Some(Shell::Elvish) => elvish::prepare_subshell(cmd, dir),
            Some(Shell::Tcsh) => tcsh::prepare_subshell(cmd, dir),
            Some(Shell::Xonsh) => xonsh::prepare_subshell(cmd, dir),
            Some(Shell::Nu) => nu::prepare_subshell(cmd, dir),
            Some(Shell::Cmd) => cmd::prepare_subshell(cmd, dir),
            Some(s @ (Shell::Json | Shell::Dotenv)) => Err(Shell::no_subshell(s)),
        }
    }
}

/// The shells with a completion system mfa-env writes a script for (`completions SHELL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    #[value(name = "nu", alias = "nushell")]
    Nu,
    /// tcsh's `complete`.
    #[value(alias = "csh")]
    Tcsh,
    Xonsh,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names_map_to_shells() {
        assert_eq!(Shell::from_program("-bash"), Some(Shell::Bash));
        assert_eq!(Shell::from_program("/usr/bin/zsh"), Some(Shell::Zsh));
        assert_eq!(Shell::from_program("dash"), Some(Shell::Sh));
        assert_eq!(Shell::from_program("fish"), Some(Shell::Fish));
        assert_eq!(
            Shell::from_program("C:\\x\\pwsh.exe"),
            Some(Shell::Powershell)
        );
        assert_eq!(Shell::from_program("-tcsh"), Some(Shell::Tcsh));
        assert_eq!(Shell::from_program("/bin/csh"), Some(Shell::Tcsh));
        assert_eq!(Shell::from_program("elvish"), Some(Shell::Elvish));
        assert_eq!(Shell::from_program("xonsh"), Some(Shell::Xonsh));
        assert_eq!(Shell::from_program("python3"), None);
    }

    #[test]
    fn renders_each_shell() {
        let changes = [Change::Set("A", "it's".into()), Change::Unset("B")];
        assert_eq!(
            Shell::Bash.render(&changes).unwrap().as_str(),
            "export A='it'\\''s'\nunset B\n"
        );
        assert_eq!(
            Shell::Fish.render(&changes).unwrap().as_str(),
            "set -gx A 'it\\'s'\nif set -q B; set -e B; end\n"
        );
        assert_eq!(
            Shell::Powershell.render(&changes).unwrap().as_str(),
            "$Env:A = 'it''s'\nRemove-Item -LiteralPath Env:B -ErrorAction SilentlyContinue\n"
        );
    }

    #[test]
    fn refuses_nul_and_renders_nothing() {
        let changes = [
            Change::Set("A", "ok".into()),
            Change::Set("B", "a\0b".into()),
        ];
        for shell in [Shell::Bash, Shell::Fish, Shell::Powershell] {
            let err = shell.render(&changes).unwrap_err().to_string();
            assert!(err.contains("NUL"), "{err}");
        }
    }
}
