//! `mfa-env init SHELL [--cmd NAME]`: the `mfa` function, the prompt segment and completion
//! registration for mfa-env and for the function, to load from the rc file.

use clap::CommandFactory;

use crate::cli::{Cli, InitArgs};
use crate::cmd::completions::script_for;
use crate::error::{fail, Exit};
use crate::shell::{Init, Shell, CMD_PLACEHOLDER, PASSTHROUGH_PLACEHOLDER};

pub fn script(shell: Shell, cmd: &str) -> anyhow::Result<String> {
    let Some(parts) = shell.init_parts() else {
        return Err(fail(Exit::Usage, shell.no_init()));
    };
    let mut out = String::new();
    out.push_str(parts.prompt);
    out.push('\n');
    out.push_str(
        &parts
            .script
            .replace(CMD_PLACEHOLDER, cmd)
            .replace(PASSTHROUGH_PLACEHOLDER, &passthrough_pattern(parts)),
    );
    out.push('\n');
    let mut registrations = script_for(parts.completion, "mfa-env")?;
    if parts.complete_wrapper {
        registrations.push_str(&script_for(parts.completion, cmd)?);
    }
    match parts.wrap_completion {
        Some(wrap) => out.push_str(&wrap(&registrations)),
        None => out.push_str(&registrations),
    }
    Ok(out)
}

/// The subcommands whose output the wrapper applies to the shell instead of passing it on.
pub const APPLIED: [&str; 2] = ["export", "unset"];

/// Every word the wrapper passes to mfa-env as it is: each subcommand and alias of the CLI
/// definition except those in `APPLIED`, then help and version. Read from the definition, so a
/// new subcommand is never taken for a profile name.
pub fn passthrough_words() -> Vec<String> {
    let cli = Cli::command();
    let mut words = Vec::new();
    for sub in cli.get_subcommands() {
        if APPLIED.contains(&sub.get_name()) {
            continue;
        }
        words.push(sub.get_name().to_string());
        words.extend(sub.get_all_aliases().map(str::to_string));
    }
    words.extend(["help", "-h", "--help", "-V", "--version"].map(String::from));
    words
}

/// `passthrough_words` as the pattern each shell's script has in place of the placeholder.
fn passthrough_pattern(parts: &Init) -> String {
    passthrough_words().join(parts.passthrough_separator)
}

pub fn run(args: &InitArgs) -> anyhow::Result<i32> {
    super::print_stdout(&script(args.shell, &args.cmd)?)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_lists_every_subcommand_and_alias() {
        let words = passthrough_words();
        for sub in Cli::command().get_subcommands() {
            let applied = APPLIED.contains(&sub.get_name());
            for name in std::iter::once(sub.get_name()).chain(sub.get_all_aliases()) {
                assert_eq!(
                    words.iter().any(|w| w == name),
                    !applied,
                    "{name} in the passthrough list"
                );
            }
        }
        // The words go into case patterns unquoted: plain names only.
        for w in &words {
            assert!(
                w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{w}"
            );
        }
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Powershell,
            Shell::Elvish,
            Shell::Xonsh,
            Shell::Nu,
        ] {
            let text = script(shell, "mfa").unwrap();
            assert!(!text.contains(PASSTHROUGH_PLACEHOLDER), "{shell:?}");
            let parts = shell.init_parts().unwrap();
            assert!(text.contains(&passthrough_pattern(parts)), "{shell:?}");
        }
    }
}
