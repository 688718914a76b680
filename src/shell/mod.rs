//! The shells mfa-env speaks: rendering, quoting, detection and prompt text.

mod detect;
pub mod hint;
pub mod prompt;
mod quote;

pub use detect::{calling_shell, detect};
pub use quote::{quote_fish, quote_posix, quote_powershell};

use crate::env::Change;

/// A closed set: adding a shell means handling it in every `match` below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    /// POSIX sh, dash, ash, ksh.
    Sh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
}

impl Shell {
    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Sh => "sh",
            Shell::Fish => "fish",
            Shell::Powershell => "powershell",
        }
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
            _ => None,
        }
    }

    /// Quotes one value so this shell reads it back byte for byte.
    pub fn quote(self, value: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh | Shell::Sh => quote_posix(value),
            Shell::Fish => quote_fish(value),
            Shell::Powershell => quote_powershell(value),
        }
    }

    fn render_one(self, change: &Change) -> String {
        match (self, change) {
            (Shell::Bash | Shell::Zsh | Shell::Sh, Change::Set(n, v)) => {
                format!("export {n}={}\n", quote_posix(v))
            }
            (Shell::Bash | Shell::Zsh | Shell::Sh, Change::Unset(n)) => format!("unset {n}\n"),
            (Shell::Fish, Change::Set(n, v)) => format!("set -gx {n} {}\n", quote_fish(v)),
            // `set -e` of a variable that is not set fails (status 4), which would make
            // `mfa-env … | source; and …` take a success for a failure.
            (Shell::Fish, Change::Unset(n)) => format!("if set -q {n}; set -e {n}; end\n"),
            (Shell::Powershell, Change::Set(n, v)) => {
                format!("$Env:{n} = {}\n", quote_powershell(v))
            }
            (Shell::Powershell, Change::Unset(n)) => {
                format!("Remove-Item -LiteralPath Env:{n} -ErrorAction SilentlyContinue\n")
            }
        }
    }

    /// Renders the changes as code for this shell. A value no environment can hold is refused
    /// before anything is produced, so the caller prints all or nothing.
    pub fn render(self, changes: &[Change]) -> anyhow::Result<String> {
        crate::env::validate(changes)?;
        Ok(changes.iter().map(|c| self.render_one(c)).collect())
    }
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
        assert_eq!(Shell::from_program("python3"), None);
    }

    #[test]
    fn renders_each_shell() {
        let changes = [Change::Set("A", "it's".into()), Change::Unset("B")];
        assert_eq!(
            Shell::Bash.render(&changes).unwrap(),
            "export A='it'\\''s'\nunset B\n"
        );
        assert_eq!(
            Shell::Fish.render(&changes).unwrap(),
            "set -gx A 'it\\'s'\nif set -q B; set -e B; end\n"
        );
        assert_eq!(
            Shell::Powershell.render(&changes).unwrap(),
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

/// The shell snippets under `shell/`, compiled in.
pub mod scripts {
    pub const PROMPT_SH: &str = include_str!("../../shell/prompt.sh");
    pub const PROMPT_FISH: &str = include_str!("../../shell/prompt.fish");
    pub const PROMPT_PS1: &str = include_str!("../../shell/prompt.ps1");
    pub const INIT_SH: &str = include_str!("../../shell/init.sh");
    pub const INIT_FISH: &str = include_str!("../../shell/init.fish");
    pub const INIT_PS1: &str = include_str!("../../shell/init.ps1");
    pub const SESSION_BASH: &str = include_str!("../../shell/session.bash");
    pub const SESSION_ZSHENV: &str = include_str!("../../shell/session.zshenv");
    pub const SESSION_ZSH: &str = include_str!("../../shell/session.zsh");
    pub const SESSION_FISH: &str = include_str!("../../shell/session.fish");
    pub const SESSION_PS1: &str = include_str!("../../shell/session.ps1");
    pub const SESSION_SH: &str = include_str!("../../shell/session.sh");
    /// The function name the init scripts use, replaced by `--cmd`.
    pub const CMD_PLACEHOLDER: &str = "__mfa_env_cmd";
    /// Where the init scripts list the subcommands they pass to mfa-env as they are.
    pub const PASSTHROUGH_PLACEHOLDER: &str = "__mfa_env_passthrough";
}
