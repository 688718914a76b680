//! The floor for `mfa-env exec -- true` in scripts/bench: a Rust program that does nothing but
//! set one variable and replace itself with its arguments, built like the release binary
//! (opt-level 3, panic=abort). The difference to it is what mfa-env's own work costs.
use std::os::unix::process::CommandExt;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: exec-floor PROGRAM [ARGS...]");
        std::process::exit(2);
    };
    let err = std::process::Command::new(program)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "ASIAFLOOR")
        .exec();
    eprintln!("exec-floor: {err}");
    std::process::exit(127);
}
