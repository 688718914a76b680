//! `mfa-env shell`, `exec`, `status`, `unset` and the nesting rules, in real shells and a
//! real pseudo-terminal.

use std::process::Command;

use rexpect::session::{spawn_command, PtySession};

use crate::support::fake_sts::Scripted;
use crate::support::*;

fn pty(f: &Fixture, args: &[&str], extra: &[(&str, &str)]) -> PtySession {
    let mut cmd = Command::new(BIN);
    cmd.env_clear();
    for (k, v) in f.cmd().get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("TERM", "dumb").args(args);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    spawn_command(cmd, Some(20_000)).expect("spawn in pty")
}

/// Writes each shell's rc so it sets a marker and a plain prompt of its own.
fn user_rc(f: &Fixture) {
    std::fs::write(f.home.join(".bashrc"), "MARKER=bashrc; PS1='user$ '\n").unwrap();
    std::fs::write(f.home.join(".zshrc"), "MARKER=zshrc; PROMPT='user%% '\n").unwrap();
    let fish = f.home.join(".config/fish");
    std::fs::create_dir_all(&fish).unwrap();
    std::fs::write(
        fish.join("config.fish"),
        "set -g MARKER fishrc\nfunction fish_prompt; printf 'user> '; end\n",
    )
    .unwrap();
}

fn subshell_flow(shell: &str, marker: &str, user_prompt: &str) {
    let f = Fixture::new();
    user_rc(&f);
    let mut p = pty(
        &f,
        &[
            "shell",
            "dev",
            "--shell",
            shell,
            "--duration",
            "2h",
            "-t",
            &f.code(),
        ],
        &[],
    );
    p.exp_regex(&format!(
        r"\[dev (2h00m|1h59m)\] {}",
        regex_escape(user_prompt)
    ))
    .unwrap();
    p.send_line("echo \"marker=$MARKER key=$AWS_ACCESS_KEY_ID\"")
        .unwrap();
    p.exp_string(&format!("marker={marker} key=ASIAFAKE"))
        .unwrap();
    // Refresh in place: a new GetSessionToken, new keys in this shell.
    p.send_line(&format!("mfa-env-refresh -t {}", f.sts.alice().next_code()))
        .unwrap();
    p.send_line("echo \"after=$AWS_ACCESS_KEY_ID\"").unwrap();
    p.exp_string("after=ASIAFAKE000000000002").unwrap();
    assert_eq!(f.sts.count("GetSessionToken"), 2);
    p.send_line("exit 3").unwrap();
    p.exp_string("left the shell of session 'dev' (exit status 3)")
        .unwrap();
    p.exp_eof().unwrap();
    let status = format!("{:?}", p.process().wait().unwrap());
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 3)"),
        "{status}"
    );
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if "$.*+?()[]{}|^\\".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[test]
fn bash_subshell_keeps_the_users_rc_and_counts_down() {
    if require("bash") {
        subshell_flow("bash", "bashrc", "user$ ");
    }
}

#[test]
fn zsh_subshell_keeps_the_users_rc_and_counts_down() {
    if require("zsh") {
        subshell_flow("zsh", "zshrc", "user% ");
    }
}

#[test]
fn fish_subshell_keeps_the_users_config_and_counts_down() {
    if require("fish") {
        subshell_flow("fish", "fishrc", "user> ");
    }
}

#[test]
fn a_session_that_expires_shows_expired() {
    for shell in ["bash", "zsh", "fish"] {
        if !require(shell) {
            continue;
        }
        let f = Fixture::new();
        user_rc(&f);
        let soon = crate::support::fake_sts::iso8601(crate::support::fake_sts::now() + 3);
        f.sts.push(Scripted::Credentials {
            access_key_id: "ASIASOON".into(),
            secret: "s".into(),
            token: "t".into(),
            expiration: soon,
        });
        let mut p = pty(
            &f,
            &[
                "shell",
                "dev",
                "--no-cache",
                "--shell",
                shell,
                "-t",
                &f.code(),
            ],
            &[],
        );
        p.exp_string("[dev 0m]").unwrap();
        std::thread::sleep(std::time::Duration::from_secs(4));
        p.send_line("").unwrap();
        p.exp_string("[dev expired]").unwrap();
        p.send_line("exit").unwrap();
        p.exp_eof().unwrap();
    }
}
