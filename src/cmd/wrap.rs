//! `mfa-env wrap --shell tcsh -- ARGS…` (hidden): the tcsh `mfa` alias, which cannot branch on
//! its arguments, evaluates what this prints. `off`/`unset` and profiles become `unset` and
//! `export` for tcsh, run here; any other subcommand comes back as a quoted command line for
//! tcsh to run (so it keeps the terminal and its stdout). The routing is the other wrappers',
//! from the same list (`init::passthrough_words`).

use crate::cli::WrapArgs;
use crate::error::{fail, Exit};
use crate::shell::{hint, Shell};

pub fn run(args: &WrapArgs) -> anyhow::Result<i32> {
    if args.shell != Shell::Tcsh {
        return Err(fail(Exit::Usage, "wrap is for tcsh's init wrapper only"));
    }
    let first = args.args.first().map_or("", String::as_str);
    if super::init::passthrough_words().iter().any(|w| w == first) {
        let mut line = match hint::wrapper() {
            Some(name) => format!("env {}={name} mfa-env", hint::WRAPPER_VAR),
            None => "mfa-env".to_string(),
        };
        for arg in &args.args {
            if arg.contains(['\n', '\r']) {
                return Err(fail(
                    Exit::Usage,
                    "an argument holds a line break, which tcsh's eval cannot carry; run \
                     mfa-env itself",
                ));
            }
            line.push(' ');
            line.push_str(&Shell::Tcsh.quote(arg));
        }
        line.push_str(";\n");
        super::print_stdout(&line)?;
        return Ok(0);
    }
    let (subcommand, rest) = match first {
        "off" | "unset" => ("unset", &args.args[1..]),
        "export" => ("export", &args.args[1..]),
        _ => ("export", &args.args[..]),
    };
    let argv = ["mfa-env", subcommand, "--shell", "tcsh"]
        .into_iter()
        .map(String::from)
        .chain(rest.iter().cloned())
        .map(std::ffi::OsString::from);
    Ok(match crate::parse(argv) {
        Ok(cli) => crate::run_cli(cli),
        Err(code) => code,
    })
}
