//! mfa-env: one MFA code, short-lived AWS credentials in the environment, never on disk
//! under `~/.aws`. The binary is `src/main.rs`; this library holds everything so tests and
//! benchmarks reach the same code.

pub mod auth;
pub mod aws_files;
pub mod browser;
pub mod cache;
pub mod cli;
pub mod cmd;
pub mod config_edit;
#[cfg(windows)]
pub mod console;
pub mod digest;
pub mod duration;
pub mod env;
pub mod error;
pub mod harden;
pub mod http;
pub mod iam;
pub mod keystore;
pub mod log;
pub mod login;
pub mod long_term;
pub mod mfa;
pub mod process;
pub mod profile;
pub mod qr;
pub mod server;
pub mod settings;
pub mod shell;
pub mod signin;
pub mod sts;
pub mod tty;

use clap::CommandFactory;

use cli::{Cli, Command};

/// Parses the command line, runs the command and returns the exit status.
pub fn run() -> i32 {
    harden::no_dumps();
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(cmd::completions::VAR)
        .shells(cmd::completions::SHELLS)
        .complete();
    let cli = match parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    run_cli(cli)
}

/// Parses a command line. Help and version text go to stderr, not stdout, when the init
/// wrapper called `export` or `unset` (`mfa work --help`): it evaluates their stdout.
pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, i32> {
    use clap::FromArgMatches;
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let wrapper = shell::hint::wrapper();
    let evaluated = wrapper.is_some()
        && args
            .get(1)
            .is_some_and(|a| ["export", "unset", "off"].iter().any(|s| a == s));
    // `mfa --help` arrives as `export --shell SH --help`: the wrapper's help is the top-level
    // one (its profile, its options and the subcommands it passes on).
    let wrapper_help = wrapper.is_some()
        && args.get(1).is_some_and(|a| a == "export")
        && args
            .iter()
            .skip(1)
            .take_while(|a| *a != "--")
            .any(|a| a == "-h" || a == "--help");
    // The first word names a subcommand (`exec`, `credential-process`: the hot paths): the
    // top level's own arguments are never reached, so the parser is built without them.
    let named = !wrapper_help
        && args
            .get(1)
            .and_then(|a| a.to_str())
            .is_some_and(<Command as clap::Subcommand>::has_subcommand);
    let mut command = if named {
        cli::named()
    } else {
        let command = Cli::command();
        move_options_after_the_subcommand(&command, &mut args);
        command
    };
    if let Some(name) = &wrapper {
        // Help and usage name what the user typed: `mfa`, not mfa-env.
        command = command
            .bin_name(name)
            .after_help(cli::AFTER_HELP.replace("mfa-env", name));
        if wrapper_help {
            args.remove(1);
        }
    }
    let parsed = command.try_get_matches_from_mut(&args).and_then(|mut m| {
        let verbose = verbose_in(&m);
        let cli = if named {
            Command::from_arg_matches_mut(&mut m).map(|command| Cli {
                command: Some(command),
                export: cli::ExportArgs::default(),
                verbose,
            })
        } else {
            Cli::from_arg_matches_mut(&mut m).map(|cli| Cli { verbose, ..cli })
        };
        cli.map_err(|e| e.format(&mut command))
    });
    match parsed {
        Ok(cli) => Ok(cli),
        Err(e) => {
            if evaluated && !e.use_stderr() {
                eprint!("{}", e.render());
                return Err(0);
            }
            // The wrapper passes the shell it runs in: a --shell of the user's is a second one.
            if let (Some(name), clap::error::ErrorKind::ArgumentConflict) = (&wrapper, e.kind()) {
                let shells = args
                    .iter()
                    .take_while(|a| *a != "--")
                    .filter(|a| *a == "--shell" || *a == "-s")
                    .count();
                if shells > 1 {
                    eprintln!(
                        "mfa-env: {name} gives mfa-env the shell it runs in: drop --shell (it is \
                         for mfa-env without the wrapper)"
                    );
                    return Err(2);
                }
            }
            e.exit()
        }
    }
}

/// `mfa-env -v status`, `mfa-env -t CODE exec work -- …`: options typed before the command's
/// name are the command's (the top level's own options are `export`'s, so clap would take the
/// name for a profile). When the first word that is not an option (nor an option's value) names
/// a subcommand, the options before it move after it.
/// Whether `-v` was given to the command or to any subcommand on the way (each has its own).
fn verbose_in(matches: &clap::ArgMatches) -> bool {
    let mut at = Some(matches);
    let mut verbose = false;
    while let Some(m) = at {
        verbose |= matches!(m.try_get_one::<bool>("verbose"), Ok(Some(true)));
        at = m.subcommand().map(|(_, sub)| sub);
    }
    verbose
}

fn move_options_after_the_subcommand(command: &clap::Command, args: &mut Vec<std::ffi::OsString>) {
    let takes_value = |word: &str| {
        command.get_arguments().any(|a| {
            a.get_action().takes_values()
                && (a.get_long().is_some_and(|l| word == format!("--{l}"))
                    || a.get_short().is_some_and(|c| word == format!("-{c}")))
        })
    };
    let mut i = 1;
    while let Some(word) = args.get(i).and_then(|w| w.to_str()) {
        if word == "--" || !word.starts_with('-') || word == "-" {
            break;
        }
        i += if takes_value(word) { 2 } else { 1 };
    }
    if i == 1 || i >= args.len() {
        return;
    }
    let Some(name) = args[i].to_str() else { return };
    let is_subcommand = command
        .get_subcommands()
        .any(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name));
    if is_subcommand {
        let sub = args.remove(i);
        args.insert(1, sub);
    }
}

/// Runs a parsed command line and returns the exit status.
pub fn run_cli(cli: Cli) -> i32 {
    let env_verbose = settings::verbose();
    log::set_verbose(cli.verbose || env_verbose);
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            if error::exit_kind(&err) != Some(error::Exit::StdoutClosed) {
                eprintln!("mfa-env: {}", one_line(&err));
            }
            error::exit_code(&err)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        None => cmd::export::run(&cli.export),
        Some(Command::Export(args)) => cmd::export::run(&args),
        Some(Command::Exec(args)) => cmd::exec::run(args),
        Some(Command::Shell(args)) => cmd::shell::run(args),
        Some(Command::Status(args)) => cmd::status::run(&args),
        Some(Command::Unset(args)) => cmd::unset::run(&args),
        Some(Command::CredentialProcess(args)) => cmd::credential_process::run(&args),
        Some(Command::Console(args)) => cmd::console::run(&args),
        Some(Command::List(args)) => cmd::list::run(&args),
        Some(Command::Login(args)) => cmd::login::run(&args),
        Some(Command::Logout(args)) => cmd::logout::run(&args),
        Some(Command::Keys(args)) => cmd::keys::run(args.command),
        Some(Command::Policy(args)) => cmd::policy::run(&args),
        Some(Command::Setup(args)) => cmd::setup::run(&args),
        Some(Command::Device(args)) => cmd::device::run(args.command),
        Some(Command::Doctor(args)) => cmd::doctor::run(&args),
        Some(Command::Init(args)) => cmd::init::run(&args),
        Some(Command::Completions(args)) => cmd::completions::run(args.shell),
        Some(Command::Wrap(args)) => cmd::wrap::run(&args),
    }
}

/// The error chain on one line: the failure's own words, then the contexts around it. Messages
/// quote what servers and files said (an error text, a device's serial): a control character
/// in them (an escape sequence that retitles the window or rewrites the screen, a bidi override
/// that reorders the line) becomes a space, so what the user reads is what was said.
pub(crate) fn one_line(err: &anyhow::Error) -> String {
    format!("{err:#}")
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// clap's own checks of the definition, on every subcommand (each defines its arguments
    /// only when built: `cli::definition` builds them all).
    #[test]
    fn the_command_line_definition_is_consistent() {
        crate::cli::definition().debug_assert();
        let exec = crate::cli::definition();
        let exec = exec.find_subcommand("exec").expect("exec");
        assert!(exec
            .get_arguments()
            .any(|a| a.get_long() == Some("token-code")));
    }

    /// A subcommand's help starts with its own description once its deferred arguments are
    /// defined (an argument struct's doc comment would replace it).
    #[test]
    fn each_subcommand_keeps_its_description() {
        use clap::CommandFactory;
        let cli = crate::cli::Cli::command();
        for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
            let about = sub.get_about().expect("an about").to_string();
            let help = crate::cli::Cli::command()
                .try_get_matches_from(["mfa-env", sub.get_name(), "--help"])
                .expect_err("help")
                .to_string();
            let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                words(&help).starts_with(&words(&about)),
                "{}: {help}",
                sub.get_name()
            );
        }
    }

    /// Every subcommand still parses its own options and positionals when only it is built,
    /// and its help and errors name them.
    #[test]
    fn a_deferred_subcommand_parses_its_arguments() {
        let cli =
            super::parse(["mfa-env", "exec", "work", "-t", "123456", "--", "env"].map(Into::into))
                .expect("parses");
        let Some(crate::cli::Command::Exec(args)) = cli.command else {
            panic!("exec")
        };
        assert_eq!(args.command, ["env"]);
        // Options before the subcommand move after it, as before.
        let cli = super::parse(["mfa-env", "-v", "list", "--json"].map(Into::into)).expect("list");
        assert!(cli.verbose);
        assert!(matches!(cli.command, Some(crate::cli::Command::List(_))));
        // -v wherever it is given: each command has its own, nested ones too.
        for line in [
            &["mfa-env", "work", "-v"][..],
            &["mfa-env", "--verbose", "work"],
            &["mfa-env", "exec", "-v", "work", "--", "env"],
            &["mfa-env", "keys", "-v", "rotate", "work"],
            &["mfa-env", "keys", "rotate", "work", "--verbose"],
            &["mfa-env", "device", "remove", "work", "-v"],
        ] {
            let cli = super::parse(line.iter().map(Into::into)).expect("parses");
            assert!(cli.verbose, "{line:?}");
        }
        for line in [
            &["mfa-env", "work"][..],
            &["mfa-env", "keys", "rotate", "work"],
        ] {
            let cli = super::parse(line.iter().map(Into::into)).expect("parses");
            assert!(!cli.verbose, "{line:?}");
        }
        // Every subcommand, nested ones included, takes it.
        fn walk(cmd: &clap::Command, path: String) {
            assert!(
                cmd.get_arguments().any(|a| a.get_long() == Some("verbose")),
                "{path}"
            );
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, format!("{path} {}", sub.get_name()));
            }
        }
        walk(&crate::cli::definition(), "mfa-env".into());
        // An unknown option of a subcommand is refused with the subcommand's suggestion.
        use clap::CommandFactory;
        let err = crate::cli::Cli::command()
            .try_get_matches_from(["mfa-env", "list", "--jsn"])
            .expect_err("refused");
        assert!(err.to_string().contains("--json"), "{err}");
    }

    /// A command line whose first word names a subcommand is parsed without the top level's own
    /// arguments (`cli::named`): for every subcommand, nested ones included, and a spread of
    /// lines (none, help, a profile, options, an unknown option, a missing value, `-v`), both
    /// parsers give the same result or the same error, word for word, with the wrapper's name
    /// too; and `parse` takes that path exactly when the first word names a subcommand.
    #[test]
    fn a_line_naming_a_subcommand_parses_as_with_the_whole_top_level() {
        use crate::cli::Cli;
        use clap::{CommandFactory, FromArgMatches};
        fn outcome(mut command: clap::Command, line: &[String], named: bool) -> String {
            match command.try_get_matches_from_mut(line) {
                Ok(mut m) => {
                    let cli = if named {
                        crate::cli::Command::from_arg_matches_mut(&mut m).map(|c| Cli {
                            command: Some(c),
                            export: crate::cli::ExportArgs::default(),
                            verbose: false,
                        })
                    } else {
                        Cli::from_arg_matches_mut(&mut m)
                    };
                    match cli {
                        Ok(cli) => format!("{cli:?}"),
                        Err(e) => format!("{:?}: {}", e.kind(), e.format(&mut command).render()),
                    }
                }
                Err(e) => format!("{:?}: {}", e.kind(), e.render()),
            }
        }
        let mut paths = Vec::new();
        fn walk(cmd: &clap::Command, path: Vec<String>, paths: &mut Vec<Vec<String>>) {
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let mut p = path.clone();
                p.push(sub.get_name().to_string());
                paths.push(p.clone());
                walk(sub, p, paths);
            }
        }
        walk(&crate::cli::definition(), Vec::new(), &mut paths);
        assert!(paths.len() > 19, "{paths:?}");
        let tails: [&[&str]; 12] = [
            &[],
            &["--help"],
            &["-h"],
            &["work"],
            &["work", "-v"],
            &["--profile", "work"],
            &["work", "--shell", "fish", "-t", "123456"],
            &["--no-such-option"],
            &["--duration"],
            &["work", "--", "env", "-i"],
            &["a", "b", "c"],
            &["work", "--json", "--yes", "--remote"],
        ];
        let (mut compared, mut parsed) = (0, 0);
        for path in &paths {
            for tail in tails {
                let line: Vec<String> = std::iter::once("mfa-env")
                    .chain(path.iter().map(String::as_str))
                    .chain(tail.iter().copied())
                    .map(String::from)
                    .collect();
                for bin in [None, Some("mfa")] {
                    let (mut full, mut named) = (Cli::command(), crate::cli::named());
                    if let Some(name) = bin {
                        full = full.bin_name(name);
                        named = named.bin_name(name);
                    }
                    assert_eq!(
                        outcome(named, &line, true),
                        outcome(full, &line, false),
                        "{line:?} ({bin:?})"
                    );
                    compared += 1;
                }
            }
            // parse() itself takes the path and gives the same command.
            let line: Vec<std::ffi::OsString> = std::iter::once("mfa-env")
                .chain(path.iter().map(String::as_str))
                .chain(["work", "-v"])
                .map(Into::into)
                .collect();
            // (parse exits on an error: only lines the whole parser takes.)
            let full = Cli::command()
                .try_get_matches_from(&line)
                .ok()
                .and_then(|m| Cli::from_arg_matches(&m).ok());
            if let Some(mut full) = full {
                let cli = super::parse(line.clone()).expect("parses");
                full.verbose = true;
                assert_eq!(format!("{cli:?}"), format!("{full:?}"), "{line:?}");
                parsed += 1;
            }
        }
        assert_eq!(compared, paths.len() * tails.len() * 2);
        assert!(parsed > 10, "{parsed}");
        // The top level's own lines are not subcommands: `mfa-env work`, `mfa-env help exec`.
        assert!(!<crate::cli::Command as clap::Subcommand>::has_subcommand(
            "work"
        ));
        assert!(!<crate::cli::Command as clap::Subcommand>::has_subcommand(
            "help"
        ));
        assert!(<crate::cli::Command as clap::Subcommand>::has_subcommand(
            "credential-process"
        ));
    }

    #[test]
    fn one_line_keeps_no_control_character() {
        let err = anyhow::anyhow!("serial arn:x\x1b]0;owned\x07y\x1b[2J\u{9b}31m")
            .context("first\r\nsecond\tthird\u{202e}txt.exe");
        assert_eq!(
            super::one_line(&err),
            "first  second third txt.exe: serial arn:x ]0;owned y [2J 31m"
        );
    }
}
