//! `mfa-env shell`, `exec`, `status`, `unset` and the nesting rules, in real shells and a
//! real pseudo-terminal.

use rexpect::session::{spawn_command, PtySession};

use crate::support::fake_sts::Scripted;
use crate::support::*;

fn pty(f: &Fixture, args: &[&str], extra: &[(&str, &str)]) -> PtySession {
    let mut cmd = f.command(BIN);
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
    let config = f.home.join(".config");
    for (file, text) in [
        (
            "fish/config.fish",
            "set -g MARKER fishrc\nfunction fish_prompt; printf 'user> '; end\n",
        ),
        (
            "elvish/rc.elv",
            "set-env MARKER elvishrc\nset edit:prompt = { put 'user> ' }\nset edit:rprompt = { put '' }\n",
        ),
        (
            "nushell/config.nu",
            "$env.MARKER = 'nurc'\n$env.PROMPT_COMMAND = {|| 'user' }\n$env.PROMPT_COMMAND_RIGHT = ''\n$env.PROMPT_INDICATOR = '> '\n$env.config.show_banner = false\n",
        ),
    ] {
        let path = config.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(
        f.home.join(".tcshrc"),
        "setenv MARKER tcshrc\nset prompt = 'user> '\n",
    )
    .unwrap();
    std::fs::write(
        f.home.join(".xonshrc"),
        "$MARKER = 'xonshrc'\n$PROMPT = 'user> '\n$RIGHT_PROMPT = ''\n$XONSH_SHOW_TRACEBACK = True\n",
    )
    .unwrap();
}

/// How each shell prints the marker and the key (`echo "marker=$MARKER key=$AWS_ACCESS_KEY_ID"`
/// where it reads that).
fn echo_marker_and(shell: &str, name: &str) -> String {
    match shell {
        "elvish" => format!("echo marker=$E:MARKER' {name}='$E:AWS_ACCESS_KEY_ID"),
        "nu" => format!("print $\"marker=($env.MARKER) {name}=($env.AWS_ACCESS_KEY_ID)\""),
        "xonsh" => format!("print(f\"marker={{$MARKER}} {name}={{$AWS_ACCESS_KEY_ID}}\")"),
        _ => format!("echo \"marker=$MARKER {name}=$AWS_ACCESS_KEY_ID\""),
    }
}

/// Waits for `pattern` (a regex), answering the cursor-position queries on the way (nushell's
/// line editor asks at each prompt and waits for the terminal's answer).
fn expect(p: &mut PtySession, pattern: &str) {
    loop {
        let (_, found) = p
            .exp_regex(&format!("\x1b\\[6n|{pattern}"))
            .unwrap_or_else(|e| panic!("waiting for {pattern}: {e}"));
        if found != "\x1b[6n" {
            return;
        }
        p.send("\x1b[1;1R").unwrap();
        p.flush().unwrap();
    }
}

/// How each shell ends with status 3 (xonsh's `exit` takes no status).
fn exit_3(shell: &str) -> &'static str {
    match shell {
        "xonsh" => "import os; os._exit(3)",
        _ => "exit 3",
    }
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
    expect(
        &mut p,
        &format!(r"\[dev (2h00m|1h59m)\] {}", regex_escape(user_prompt)),
    );
    p.send_line(&echo_marker_and(shell, "key")).unwrap();
    expect(&mut p, &format!("marker={marker} key=ASIAFAKE"));
    // Refresh in place: a new GetSessionToken, new keys in this shell.
    p.send_line(&format!("mfa-env-refresh -t {}", f.sts.alice().next_code()))
        .unwrap();
    // The countdown follows the new session (12h, the default; elvish redraws only the part
    // of its prompt that changed). Typing ahead is not safe: nushell's line editor drops what
    // arrives while it waits for the cursor position.
    expect(
        &mut p,
        &format!(r"(12h00m|11h59m)\] {}", regex_escape(user_prompt)),
    );
    p.send_line(&echo_marker_and(shell, "after")).unwrap();
    expect(&mut p, "after=ASIAFAKE000000000002");
    assert_eq!(f.sts.count("GetSessionToken"), 2);
    p.send_line(exit_3(shell)).unwrap();
    expect(
        &mut p,
        &regex_escape("left the shell of session 'dev' (exit status 3)"),
    );
    let status = wait_exit(&p, std::time::Duration::from_secs(20));
    let leftovers: Vec<_> = std::fs::read_dir(f.tmp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("mfa-env-shell-")
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "the startup files were not cleaned up"
    );
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
fn elvish_subshell_keeps_the_users_rc_and_counts_down() {
    if require("elvish") {
        subshell_flow("elvish", "elvishrc", "user> ");
    }
}

#[test]
fn tcsh_subshell_keeps_the_users_rc_and_counts_down() {
    if require("tcsh") {
        subshell_flow("tcsh", "tcshrc", "user> ");
    }
}

#[test]
fn xonsh_subshell_keeps_the_users_rc_and_counts_down() {
    if require("xonsh") {
        subshell_flow("xonsh", "xonshrc", "user> ");
    }
}

#[test]
fn nushell_subshell_keeps_the_users_config_and_counts_down() {
    if require("nu") {
        subshell_flow("nu", "nurc", "user> ");
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
        use crate::support::fake_sts::{iso8601, now};
        let expires = now() + 4;
        let soon = iso8601(expires);
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
        // The first prompt shows the last minute, or already `expired` if the shell was slow
        // to start; either way the next prompt after the expiry must say `expired`.
        p.exp_regex(r"\[dev (1m|expired)\]").unwrap();
        while now() <= expires {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        p.send_line("").unwrap();
        p.exp_string("[dev expired]").unwrap();
        leave(&mut p);
    }
}

fn exec(f: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Out {
    f.run_with(args, env)
}

#[test]
fn exec_returns_the_commands_exit_status_and_passes_streams() {
    let f = Fixture::new();
    let code = f.code();
    let out = exec(
        &f,
        &[
            "exec",
            "dev",
            "-t",
            &code,
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 7",
        ],
        // Not verbose here: stderr must be the command's, after the one line a code used says.
        &[("MFA_ENV_VERBOSE", "0")],
    );
    assert_eq!(out.status, 7);
    assert_eq!(out.stdout, "out\n");
    let (said, rest) = out.stderr.split_once('\n').unwrap();
    assert!(
        said.starts_with("mfa-env: 'dev' authenticated"),
        "{}",
        out.stderr
    );
    assert_eq!(rest, "err\n");
    for (script, status) in [("exit 0", 0), ("exit 1", 1), ("kill -TERM $$", 128 + 15)] {
        let out = exec(&f, &["exec", "dev", "--", "sh", "-c", script], &[]);
        assert_eq!(out.status, status, "{script}: {}", out.stderr);
    }
    // stdin passes through
    let mut cmd = f.cmd();
    cmd.args(["exec", "dev", "--", "cat"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped input")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "piped input");
    assert_eq!(
        f.sts.count("GetSessionToken"),
        1,
        "one code, then the cache"
    );
}

#[test]
fn exec_sets_exactly_the_intended_environment() {
    let f = Fixture::new();
    let out = exec(
        &f,
        &["exec", "dev", "-t", &f.code(), "--", "env"],
        &[
            ("AWS_PROFILE", "old"),
            ("AWS_DEFAULT_PROFILE", "old"),
            ("AWS_SECURITY_TOKEN", "stale"),
            ("KEEP_ME", "yes"),
        ],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let env: std::collections::BTreeMap<&str, &str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .collect();
    assert!(env["AWS_ACCESS_KEY_ID"].starts_with("ASIAFAKE"));
    assert!(env.contains_key("AWS_SECRET_ACCESS_KEY") && env.contains_key("AWS_SESSION_TOKEN"));
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
    assert_eq!(env["MFA_ENV_PROFILE"], "dev");
    assert_eq!(env["KEEP_ME"], "yes");
    for gone in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"] {
        assert!(!env.contains_key(gone), "{gone} must be unset");
    }
}

#[test]
fn exec_not_found_and_not_executable_follow_the_shell_convention() {
    let f = Fixture::new();
    let out = exec(
        &f,
        &["exec", "dev", "-t", &f.code(), "--", "no-such-command-xyz"],
        &[],
    );
    f.assert_failure(&out, 127, "command not found: no-such-command-xyz");
    let script = f.root.path().join("noexec.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let out = exec(&f, &["exec", "dev", "--", script.to_str().unwrap()], &[]);
    f.assert_failure(&out, 126, "permission denied");
}

#[test]
fn exec_without_a_command_runs_the_users_shell() {
    let f = Fixture::new();
    let script = f.root.path().join("fake-shell");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"shell ran with $MFA_ENV_PROFILE\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = exec(
        &f,
        &["exec", "dev", "-t", &f.code()],
        &[("SHELL", script.to_str().unwrap())],
    );
    assert_eq!(out.stdout, "shell ran with dev\n", "{}", out.stderr);
}

/// Evaluates `mfa-env` output in a real shell and runs `after` there.
fn in_shell(f: &Fixture, shell: &str, setup: &str, after: &str) -> Out {
    let script = format!("{setup}\n{after}");
    f.sh(shell, &["-c", &script], &[])
}

#[test]
fn status_and_unset_in_real_shells() {
    let f = Fixture::new();
    let code = f.code();
    let setup = format!("eval \"$({BIN} dev --shell bash -t {code})\" || exit 99");
    let out = in_shell(&f, "bash", &setup, &format!("{BIN} status; echo \"st=$?\"; {BIN} status --json; eval \"$({BIN} unset)\"; {BIN} status; echo \"after=$? key=${{AWS_ACCESS_KEY_ID-none}} region=${{AWS_REGION-none}}\""));
    assert!(
        out.stdout.contains("profile:    dev\n"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(out.stdout.contains("kind:       session-token"));
    // Minutes round up everywhere: a 12-hour session shows 12h00m for its first minute.
    assert!(out.stdout.contains("time left:  12h00m"), "{}", out.stdout);
    assert!(out.stdout.contains("st=0"));
    assert!(out.stdout.contains("\"active\":true") && out.stdout.contains("\"profile\":\"dev\""));
    assert!(
        out.stdout.contains("after=7 key=none region=none"),
        "{}",
        out.stdout
    );
    f.assert_no_secret(&out.stdout);
    if require("fish") {
        let out = in_shell(&f, "fish", &format!("{BIN} dev | source"), &format!("{BIN} status >/dev/null; echo st=$status; {BIN} unset | source; {BIN} status; echo after=$status; set -q AWS_SESSION_TOKEN; or echo gone"));
        assert!(
            out.stdout.contains("st=0")
                && out.stdout.contains("after=7")
                && out.stdout.contains("gone"),
            "{}{}",
            out.stdout,
            out.stderr
        );
    }
}

/// export unsets AWS_PROFILE and AWS_DEFAULT_PROFILE (they would make boto3 and the CLI skip
/// the keys); `unset` gives back what they held before the session, also after a second session
/// applied over the first, and leaves a selection made during the session as it is.
#[test]
fn unset_gives_back_the_profile_selected_before_the_session() {
    let f = Fixture::new();
    let code = f.code();
    let posix = |shell: &str, code: &str| {
        let script = format!(
            "export AWS_PROFILE=dev AWS_DEFAULT_PROFILE=other\n\
             eval \"$({BIN} --shell {shell} {code})\" || exit 99\n\
             echo \"during=${{AWS_PROFILE-none}}/${{AWS_DEFAULT_PROFILE-none}}\"\n\
             eval \"$({BIN} admin --shell {shell})\" || exit 98\n\
             eval \"$({BIN} unset --shell {shell})\"\n\
             echo \"after=${{AWS_PROFILE-none}}/${{AWS_DEFAULT_PROFILE-none}} \
             saved=${{MFA_ENV_SAVED_AWS_PROFILE-none}}\"\n\
             eval \"$({BIN} dev --shell {shell})\"; export AWS_PROFILE=mine\n\
             eval \"$({BIN} unset --shell {shell})\"; echo \"mine=$AWS_PROFILE\"\n\
             unset AWS_PROFILE AWS_DEFAULT_PROFILE\n\
             eval \"$({BIN} dev --shell {shell})\"; eval \"$({BIN} unset --shell {shell})\"\n\
             echo \"none=${{AWS_PROFILE-none}}/${{AWS_DEFAULT_PROFILE-none}}\""
        );
        f.sh(shell, &["-c", &script], &[])
    };
    let expect = |out: &Out, shell: &str| {
        for line in [
            "during=none/none",
            "after=dev/other saved=none",
            "mine=mine",
            "none=none/none",
        ] {
            assert!(
                out.stdout.lines().any(|l| l == line),
                "{shell}: {line}: {}{}",
                out.stdout,
                out.stderr
            );
        }
    };
    // The first run needs the code; the others find dev's session (and admin's) in the cache.
    expect(&posix("bash", &format!("-t {code}")), "bash");
    if require("zsh") {
        expect(&posix("zsh", ""), "zsh");
    }
    if require("fish") {
        let script = format!(
            "set -gx AWS_PROFILE dev; set -gx AWS_DEFAULT_PROFILE other\n\
             {BIN} --shell fish | source; or exit 99\n\
             set -q AWS_PROFILE AWS_DEFAULT_PROFILE; or echo during=none/none\n\
             {BIN} admin --shell fish | source; or exit 98\n\
             {BIN} unset --shell fish | source\n\
             set -q MFA_ENV_SAVED_AWS_PROFILE; or echo after=$AWS_PROFILE/$AWS_DEFAULT_PROFILE saved=none\n\
             {BIN} dev --shell fish | source; set -gx AWS_PROFILE mine\n\
             {BIN} unset --shell fish | source; echo mine=$AWS_PROFILE\n\
             set -e AWS_PROFILE; set -e AWS_DEFAULT_PROFILE\n\
             {BIN} dev --shell fish | source; {BIN} unset --shell fish | source\n\
             set -q AWS_PROFILE; or set -q AWS_DEFAULT_PROFILE; or echo none=none/none"
        );
        expect(&f.sh("fish", &["-c", &script], &[]), "fish");
    }
}

#[test]
fn status_says_expired_with_its_own_exit_code() {
    let f = Fixture::new();
    let out = f.run_with(
        &["status"],
        &[("MFA_ENV_PROFILE", "dev"), ("MFA_ENV_EXPIRATION", "1000")],
    );
    assert_eq!(out.status, 8);
    assert!(out.stdout.contains("time left:  expired"));
    // The way out: a new session, or none.
    out.assert_says(
        "the session of 'dev' has expired: start a new one with: eval \"$(mfa-env dev)\"",
    );
    out.assert_says("or drop it with: eval \"$(mfa-env unset)\"");
    // In the subshell of `mfa-env shell`: its own refresh, or exit.
    let out = f.run_with(
        &["status"],
        &[
            ("MFA_ENV_PROFILE", "dev"),
            ("MFA_ENV_EXPIRATION", "1000"),
            ("MFA_ENV_SUBSHELL", "1"),
        ],
    );
    out.assert_says("renew it in place with mfa-env-refresh, or type exit to leave it");
    let out = f.run(&["status", "--json"]);
    assert_eq!(out.status, 7);
    assert_eq!(out.stdout, "{\"active\":false}\n");
}

/// logout forgets the cache, not the environment: in a shell holding a live session of the
/// profile logged out, it says the session lives on and how to drop it; not for another's.
#[test]
fn logout_says_a_live_session_in_the_shell_lives_on() {
    let f = Fixture::new();
    let setup = format!(
        "eval \"$({BIN} admin --shell bash -t {})\" || exit 99",
        f.code()
    );
    let out = in_shell(
        &f,
        "bash",
        &setup,
        &format!("{BIN} logout dev; {BIN} status >/dev/null; echo st=$?"),
    );
    assert!(out.stdout.contains("st=0"), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "forgot 2 cached sessions for 'dev' (its MFA session and the roles assumed with it)"
        ) && out.stderr.contains(
            "the session of 'admin' in this environment still lives (1h00m left): drop it \
                 with: eval \"$(mfa-env unset)\""
        ),
        "{}",
        out.stderr
    );
    let out = in_shell(
        &f,
        "bash",
        &setup.replace(&f.code(), &f.sts.alice().next_code()),
        &format!("{BIN} logout --all"),
    );
    out.assert_says("the session of 'admin' in this environment still lives");
    let mut g = Fixture::new();
    g.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\n[profile solo]\nmfa_serial = {SERIAL}\n"
    ));
    g.write_credentials(&format!(
        "{}{}",
        g.sts.alice().credentials_section("dev"),
        g.sts.alice().credentials_section("solo")
    ));
    let out = g.run_with(
        &["logout", "solo"],
        &[
            ("MFA_ENV_PROFILE", "dev"),
            ("MFA_ENV_EXPIRATION", "9999999999"),
        ],
    );
    assert!(!out.stderr.contains("still lives"), "{}", out.stderr);
}

#[test]
fn a_live_session_in_the_environment_is_reused_without_a_code() {
    let f = Fixture::new();
    let code = f.code();
    let setup = format!("eval \"$({BIN} dev --shell bash --no-cache -t {code})\" || exit 99");
    // No code given the second time, no terminal: only reuse can succeed.
    let out = in_shell(
        &f,
        "bash",
        &setup,
        &format!("{BIN} exec dev --no-cache -- sh -c 'echo reused=$MFA_ENV_PROFILE' </dev/null"),
    );
    assert!(
        out.stdout.contains("reused=dev"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    // With less than the margin left it is renewed instead.
    let out = in_shell(
        &f,
        "bash",
        &setup.replace(&code, &f.sts.alice().next_code()),
        &format!(
            "MFA_ENV_MARGIN=13h {BIN} exec dev --no-cache -t {} -- true; echo st=$?",
            f.sts.alice().code_at(crate::support::fake_sts::now() - 30)
        ),
    );
    assert!(out.stdout.contains("st=0"), "{}{}", out.stdout, out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 3);
}

#[test]
fn switching_profiles_replaces_everything_of_the_old_session() {
    let mut f = Fixture::new();
    let alice = f.sts.alice();
    f.write_config(&format!("[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n[profile other]\nmfa_serial = {SERIAL}\nsource_profile = dev\nrole_arn = {ADMIN_ARN}\n"));
    let _ = alice;
    let setup = format!(
        "eval \"$({BIN} dev --shell bash -t {})\" || exit 99",
        f.code()
    );
    let out = in_shell(&f, "bash", &setup, &format!("old=$AWS_ACCESS_KEY_ID; eval \"$({BIN} other --shell bash)\"; [ \"$old\" != \"$AWS_ACCESS_KEY_ID\" ] && echo switched; echo \"p=$MFA_ENV_PROFILE r=${{AWS_REGION-none}} id=$MFA_ENV_IDENTITY\""));
    assert!(
        out.stdout.contains("switched"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout
            .contains("p=other r=eu-west-1 id=arn:aws:sts::123456789012:assumed-role/Admin/"),
        "{}",
        out.stdout
    );
}

#[test]
fn shell_inside_a_live_session_of_another_profile_is_refused() {
    let f = Fixture::new();
    let later = (crate::support::fake_sts::now() + 3600).to_string();
    let out = f.run_with(
        &["shell", "admin", "-t", &f.code()],
        &[("MFA_ENV_PROFILE", "dev"), ("MFA_ENV_EXPIRATION", &later)],
    );
    f.assert_failure(&out, 3, "already inside an mfa-env session of 'dev'");
    assert!(out.stderr.contains("--force"));
    // An expired marker never blocks: the shell starts (and ends at once: no terminal).
    let out = f.run_with(
        &["shell", "admin", "--shell", "bash", "-t", &f.code()],
        &[("MFA_ENV_PROFILE", "dev"), ("MFA_ENV_EXPIRATION", "1000")],
    );
    out.assert_says("left the shell of session 'admin'");
    let out = f.run_with(
        &["shell", "admin", "--force", "--shell", "bash"],
        &[("MFA_ENV_PROFILE", "dev"), ("MFA_ENV_EXPIRATION", &later)],
    );
    out.assert_says("left the shell of session 'admin'");
}

/// Ctrl-C at the subshell interrupts the shell's command, not the session: the shell and
/// mfa-env go on, and the shell's own exit status comes back. Job control off (`set +m`), so
/// the shell gives the terminal back to the process group it shares with mfa-env, and Ctrl-C
/// reaches mfa-env too.
#[test]
fn ctrl_c_in_the_subshell_belongs_to_the_shell() {
    if !require("dash") {
        return;
    }
    let f = Fixture::new();
    let mut p = pty(
        &f,
        &["shell", "dev", "--shell", "sh", "-t", &f.code()],
        &[("SHELL", "/bin/dash")],
    );
    p.send_line("set +m; PS1='ready> '").unwrap();
    p.exp_string("ready> ").unwrap();
    p.send_line("sleep 20").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    p.send_control('c').unwrap();
    p.exp_string("ready> ").unwrap();
    p.send_line("echo alive-$MFA_ENV_PROFILE").unwrap();
    p.exp_string("alive-dev").unwrap();
    p.send_line("exit 4").unwrap();
    p.exp_string("left the shell of session 'dev' (exit status 4)")
        .unwrap();
    let status = wait_exit(&p, std::time::Duration::from_secs(20));
    assert!(status.ends_with(", 4)"), "{status}");
}

/// Runs `mfa-env shell dev` for `shell` in a pty with the given rc text, and returns the session
/// at its first prompt (a 2-hour session: the segment reads `[dev 2h00m] `).
fn shell_with_rc(f: &Fixture, shell: &str, rc: &str) -> PtySession {
    match shell {
        "bash" => std::fs::write(f.home.join(".bashrc"), rc).unwrap(),
        "zsh" => std::fs::write(f.home.join(".zshrc"), rc).unwrap(),
        _ => {
            let fish = f.home.join(".config/fish");
            std::fs::create_dir_all(&fish).unwrap();
            std::fs::write(fish.join("config.fish"), rc).unwrap();
        }
    }
    let path = path_with_bin();
    pty(
        f,
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
        &[("PATH", &path)],
    )
}

/// Types `exit` at the shell and waits for mfa-env to end.
fn leave(p: &mut PtySession) {
    p.send_line("exit").unwrap();
    wait_exit(p, std::time::Duration::from_secs(20));
}

/// The next prompt's text, up to `marker` (the user's own prompt): the segment must be there
/// exactly once, in front of it.
fn assert_one_segment(p: &mut PtySession, marker: &str, what: &str) {
    p.send_line("").unwrap();
    let before = p.exp_string(marker).unwrap();
    let line = before.rsplit(['\n', '\r']).next().unwrap_or("");
    assert!(
        line.ends_with("[dev 2h00m] "),
        "{what}: no segment before {marker:?}: {before:?}"
    );
    assert_eq!(line.matches("[dev ").count(), 1, "{what}: {before:?}");
}

/// Prompts rebuilt at every prompt (starship, themes, PROMPT_COMMAND='PS1=…') keep the
/// countdown: bash re-applies it after the user's prompt code, once, with PROMPT_COMMAND as a
/// string, as an array (bash 5.1+), or a starship-style function; zsh after a precmd.
#[test]
fn prompts_rebuilt_at_every_prompt_keep_the_countdown() {
    let cases = [
        (
            "bash",
            "PROMPT_COMMAND='PS1=\"dyn-bash \\w\\$ \"'\n",
            "dyn-bash ",
        ),
        (
            "bash",
            "PROMPT_COMMAND=('PS1=\"arr-bash$ \"')\n",
            "arr-bash$ ",
        ),
        (
            "bash",
            "starship_precmd() { PS1=\"star$ \"; }\nPROMPT_COMMAND=starship_precmd\n",
            "star$ ",
        ),
        ("zsh", "precmd() { PROMPT=\"dyn-zsh%% \" }\n", "dyn-zsh% "),
    ];
    for (shell, rc, marker) in cases {
        if !require(shell) {
            continue;
        }
        let f = Fixture::new();
        let mut p = shell_with_rc(&f, shell, rc);
        p.exp_string(marker).unwrap();
        for round in 0..2 {
            assert_one_segment(&mut p, marker, &format!("{shell} {rc:?} prompt {round}"));
        }
        leave(&mut p);
    }
}

/// A prompt that shows the segment already (init's mfa_env_prompt in the user's rc) gets no
/// second one in `mfa-env shell`.
#[test]
fn a_prompt_that_shows_the_segment_gets_no_second_one() {
    let cases = [
        (
            "bash",
            "eval \"$(mfa-env init bash)\"\nPS1='$(mfa_env_prompt)user$ '\n",
            "user$ ",
        ),
        (
            "bash",
            "eval \"$(mfa-env init bash)\"\nPROMPT_COMMAND='PS1=\"$(mfa_env_prompt)dyn$ \"'\n",
            "dyn$ ",
        ),
        (
            "zsh",
            "eval \"$(mfa-env init zsh)\"\nsetopt prompt_subst\nPROMPT='$(mfa_env_prompt)user%% '\n",
            "user% ",
        ),
        (
            "zsh",
            "eval \"$(mfa-env init zsh)\"\nprecmd() { PROMPT=\"$(mfa_env_prompt)dyn%% \" }\n",
            "dyn% ",
        ),
        (
            "fish",
            "mfa-env init fish | source\nfunction fish_prompt; mfa_env_prompt; printf 'user> '; end\n",
            "user> ",
        ),
    ];
    for (shell, rc, marker) in cases {
        if !require(shell) {
            continue;
        }
        let f = Fixture::new();
        let mut p = shell_with_rc(&f, shell, rc);
        p.exp_string(marker).unwrap();
        assert_one_segment(&mut p, marker, shell);
        leave(&mut p);
    }
}

/// mfa-env-refresh in fish ends with mfa-env's own status: 130 after Ctrl-C at the prompt.
#[test]
fn fish_refresh_reports_ctrl_c() {
    if !require("fish") {
        return;
    }
    let f = Fixture::new();
    let mut p = shell_with_rc(&f, "fish", "function fish_prompt; printf 'user> '; end\n");
    p.exp_string("user> ").unwrap();
    p.send_line("mfa-env-refresh; echo st=$status").unwrap();
    p.exp_string("Enter MFA code").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("st=130").unwrap();
    leave(&mut p);
}

/// `mfa-env shell` starts the shell the user is typing in (as export detects it), not `$SHELL`.
#[test]
fn shell_starts_the_calling_shell_before_dollar_shell() {
    if !require("zsh") {
        return;
    }
    let f = Fixture::new();
    std::fs::write(f.home.join(".zshrc"), "PROMPT='zsh-user%% '\n").unwrap();
    let script = format!("{BIN} shell dev -t {}; echo after", f.code());
    let mut cmd = f.command("zsh");
    cmd.args(["-f", "-c", &script])
        .env("SHELL", "/bin/bash")
        .env("TERM", "dumb");
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("zsh-user% ").unwrap();
    p.send_line("echo \"version=$ZSH_VERSION\"").unwrap();
    p.exp_regex(r"version=\d").unwrap();
    p.send_line("exit").unwrap();
    p.exp_string("after").unwrap();
}

/// Hints are written in the caller's shell, and as `mfa …` through the init wrapper; `shell`
/// inside an applied session says how to drop it (exit would close the terminal), inside a
/// subshell to type exit.
#[test]
fn hints_speak_the_callers_shell() {
    let f = Fixture::new();
    let later = (crate::support::fake_sts::now() + 3600).to_string();
    let live = [
        ("MFA_ENV_PROFILE", "dev"),
        ("MFA_ENV_EXPIRATION", later.as_str()),
    ];
    let out = f.run_with(&["shell", "admin"], &live);
    f.assert_failure(&out, 3, "drop it first with: eval \"$(mfa-env unset)\"");
    let mut in_subshell = live.to_vec();
    in_subshell.push(("MFA_ENV_SUBSHELL", "1"));
    let out = f.run_with(&["shell", "admin"], &in_subshell);
    f.assert_failure(&out, 3, "type exit to leave it first");
    let mut wrapped = live.to_vec();
    wrapped.push(("MFA_ENV_WRAPPER", "mfa"));
    let out = f.run_with(&["shell", "admin"], &wrapped);
    f.assert_failure(&out, 3, "drop it first with: mfa off");

    let path = path_with_bin();
    let out = f.sh(
        "bash",
        &["-c", "eval \"$(mfa-env init bash)\"; mfa status"],
        &[("PATH", &path)],
    );
    out.assert_says("start one with: mfa PROFILE");
    let out = f.sh("bash", &["-c", "mfa-env status"], &[("PATH", &path)]);
    assert!(
        out.stderr
            .contains("start one with: eval \"$(mfa-env PROFILE)\""),
        "{}",
        out.stderr
    );
    if require("fish") {
        let out = f.sh("fish", &["-c", "mfa-env status"], &[("PATH", &path)]);
        assert!(
            out.stderr
                .contains("start one with: mfa-env PROFILE | source"),
            "{}",
            out.stderr
        );
        let out = f.sh(
            "fish",
            &["-c", "mfa-env init fish | source; mfa status"],
            &[("PATH", &path)],
        );
        assert!(
            out.stderr.contains("start one with: mfa PROFILE"),
            "{}",
            out.stderr
        );
    }
    // Every shell is found as the parent process and gets its own line (a second command keeps
    // the shell from replacing itself with mfa-env).
    for (shell, args, hint) in [
        (
            "nu",
            vec!["-n", "-c"],
            "mfa-env PROFILE --shell nu | from json",
        ),
        (
            "elvish",
            vec!["-c"],
            "eval (mfa-env PROFILE --shell elvish | slurp)",
        ),
        (
            "tcsh",
            vec!["-f", "-c"],
            "eval \"`mfa-env PROFILE --shell tcsh`\"",
        ),
        (
            "xonsh",
            vec!["--no-rc", "-c"],
            "execx($(mfa-env PROFILE --shell xonsh))",
        ),
    ] {
        if !require(shell) {
            continue;
        }
        let script = if shell == "nu" {
            "^mfa-env status; print done"
        } else {
            "mfa-env status; echo done"
        };
        let mut args = args.clone();
        args.push(script);
        let out = f.sh(shell, &args, &[("PATH", &path), ("SHELL", "/bin/sh")]);
        assert!(
            out.stderr.contains(&format!("start one with: {hint}")),
            "{shell}: {}",
            out.stderr
        );
    }
    // The wrapper's marker is for its own call: a command run under exec does not inherit it.
    let out = f.run_with(
        &[
            "exec",
            "dev",
            "-t",
            &f.code(),
            "--",
            "sh",
            "-c",
            "echo w=${MFA_ENV_WRAPPER-none}",
        ],
        &[("MFA_ENV_WRAPPER", "mfa")],
    );
    assert_eq!(out.stdout, "w=none\n", "{}", out.stderr);
}

#[test]
fn exec_without_the_double_dash_says_where_the_command_goes() {
    let f = Fixture::new();
    let out = f.run(&["exec", "dev", "env", "-0"]);
    f.assert_failure(
        &out,
        2,
        "the command goes after --: mfa-env exec dev -- env -0",
    );
    assert!(f.sts.requests().is_empty());
}

/// --duration starts sessions; a cached one is used as it is, and mfa-env says so.
#[test]
fn duration_with_a_cached_session_is_pointed_out() {
    let f = Fixture::new();
    assert_eq!(
        f.run(&["dev", "--shell", "bash", "-t", &f.code()]).status,
        0
    );
    let out = f.run(&["dev", "--shell", "bash", "--duration", "2h"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "using the cached session of 'dev' (12h00m left); --duration 2h applies to a new \
             session: add --refresh to start one"
        ),
        "{}",
        out.stderr
    );
    let out = f.run(&["dev", "--shell", "bash"]);
    assert!(!out.stderr.contains("--duration"), "{}", out.stderr);
}

#[test]
fn logout_words_an_empty_cache_one_way() {
    let f = Fixture::new();
    assert_eq!(
        f.run(&["dev", "--shell", "bash", "-t", &f.code()]).status,
        0
    );
    let out = f.run(&["logout", "admin"]);
    out.assert_says("forgot 1 cached session for 'admin'");
    let out = f.run(&["logout", "admin"]);
    out.assert_says("no cached sessions for 'admin'");
    let out = f.run(&["logout", "--all"]);
    out.assert_says("no cached sessions\n");
}

/// `init zsh` loaded before compinit (a common .zshrc order) still registers completions for
/// mfa-env and the wrapper: at the first prompt, once compinit has run.
#[test]
fn zsh_completions_register_when_init_comes_before_compinit() {
    if !require("zsh") {
        return;
    }
    let f = Fixture::new();
    let rc = "eval \"$(mfa-env init zsh)\"\nautoload -Uz compinit\ncompinit -u -d \"$HOME/.zcompdump\"\nPROMPT='user%% '\n";
    let mut p = shell_with_rc(&f, "zsh", rc);
    p.exp_string("user% ").unwrap();
    p.send_line("print -r -- \"c1=${_comps[mfa-env]} c2=${_comps[mfa]}\"")
        .unwrap();
    p.exp_string("c1=_clap_dynamic_completer_mfa_env c2=_clap_dynamic_completer_mfa")
        .unwrap();
    leave(&mut p);
}

/// `mfa-env … | source` in fish ends with status 0 when it worked, so `; and …` chains hold:
/// unsetting a variable that is not set is not a failure.
#[test]
fn fish_source_succeeds_with_status_zero() {
    if !require("fish") {
        return;
    }
    let f = Fixture::new();
    let script = format!(
        "{BIN} dev -t {} | source; and echo applied; {BIN} unset | source; and echo dropped; \
         {BIN} unset | source; and echo again",
        f.code()
    );
    let out = f.sh("fish", &["-c", &script], &[]);
    assert_eq!(out.stdout, "applied\ndropped\nagain\n", "{}", out.stderr);
}

/// A precmd that puts untrusted text into PROMPT (a git branch named `$(touch …)`, as vcs_info
/// does) stays text under `mfa-env shell` and `init zsh`: mfa-env never turns prompt_subst on,
/// and with the user's own prompt_subst on, the segment it inserts is quoted for it.
#[test]
fn zsh_prompts_never_run_untrusted_prompt_text() {
    if !require("zsh") {
        return;
    }
    let f = Fixture::new();
    let pwned = f.home.join("pwned");
    let branch = format!("$(touch {})", pwned.display());
    for (what, rc) in [
        (
            "a vcs_info-style precmd",
            format!("branch='{branch}'\nprecmd() {{ PROMPT=\"vcs:[$branch] user%% \" }}\n"),
        ),
        (
            "init zsh and its hook",
            format!(
                "eval \"$(mfa-env init zsh)\"\nautoload -Uz add-zsh-hook\nadd-zsh-hook precmd mfa_env_precmd\nbranch='{branch}'\nprecmd() {{ PROMPT=\"vcs:[$branch] user%% \" }}\n"
            ),
        ),
    ] {
        let mut p = shell_with_rc(&f, "zsh", &rc);
        p.exp_string("] user% ").unwrap();
        for round in 0..2 {
            assert_one_segment(&mut p, "vcs:[", &format!("{what} prompt {round}"));
        }
        p.send_line("[[ -o prompt_subst ]] && echo SUBST-ON || echo SUBST-OFF")
            .unwrap();
        p.exp_string("SUBST-OFF").unwrap();
        leave(&mut p);
        assert!(!pwned.exists(), "{what}: the prompt ran the branch name");
    }
    // The user's own prompt_subst (their choice) is kept, and the segment mfa-env inserts is
    // quoted for the prompt: a profile name with prompt escapes (the SDKs' profile names allow
    // `%`, not `$` or backquotes) shows as text.
    let mut f = f;
    let hostile = "w%d%%x";
    let alice = f.sts.alice();
    f.write_credentials(&alice.credentials_section(hostile));
    f.write_config(&format!("[profile {hostile}]\nmfa_serial = {SERIAL}\n"));
    std::fs::write(
        f.home.join(".zshrc"),
        "setopt prompt_subst\nPROMPT='user%% '\n",
    )
    .unwrap();
    let path = path_with_bin();
    let mut p = pty(
        &f,
        &["shell", hostile, "--shell", "zsh", "-t", &f.code()],
        &[("PATH", &path)],
    );
    p.exp_string("user% ").unwrap();
    p.send_line("[[ -o prompt_subst ]] && echo SUBST-ON || echo SUBST-OFF")
        .unwrap();
    p.exp_string("SUBST-ON").unwrap();
    p.send_line("").unwrap();
    let before = p.exp_string("user% ").unwrap();
    assert!(before.contains(&format!("[{hostile} ")), "{before:?}");
    leave(&mut p);
}

/// In a role's countdown shell, `mfa-env-refresh` renews the role from the cached MFA session:
/// no code is asked while that session lives (before, it started a new MFA session).
#[test]
fn refresh_in_a_role_shell_needs_no_code() {
    let f = Fixture::new();
    std::fs::write(f.home.join(".bashrc"), "PS1='user$ '\n").unwrap();
    let path = path_with_bin();
    let mut p = pty(
        &f,
        &["shell", "admin", "--shell", "bash", "-t", &f.code()],
        &[("PATH", &path)],
    );
    p.exp_string("user$ ").unwrap();
    p.send_line("old=$AWS_ACCESS_KEY_ID; mfa-env-refresh; echo \"rc=$? changed=$([ \"$old\" != \"$AWS_ACCESS_KEY_ID\" ] && echo yes)\"")
        .unwrap();
    p.exp_string("rc=0 changed=yes").unwrap();
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    assert_eq!(f.sts.count("AssumeRole"), 2);
    leave(&mut p);
}

/// A login session's countdown shell: the credentials' 15 minutes, `mfa-env-refresh` renewing
/// them from the refresh token (no browser, no code); with --server, the countdown runs to the
/// end of the sign-in (12 hours after it) while the endpoint renews.
#[test]
fn a_login_session_shell_counts_down_and_refreshes_without_a_browser() {
    let mut f = Fixture::new();
    f.write_config("[profile web]\nregion = eu-west-1\n");
    let out = f.sign_in("web");
    assert_eq!(out.status, 0, "{}", out.stderr);
    std::fs::write(f.home.join(".bashrc"), "PS1='user$ '\n").unwrap();
    let path = path_with_bin();
    let url = f.sts.url();
    let env = [
        ("PATH", path.as_str()),
        ("AWS_ENDPOINT_URL_SIGNIN", url.as_str()),
    ];
    let mut p = pty(&f, &["shell", "web", "--shell", "bash"], &env);
    expect(&mut p, r"\[web (15m|14m)\] user\$ ");
    p.send_line("old=$AWS_ACCESS_KEY_ID; mfa-env-refresh; echo \"rc=$? changed=$([ \"$old\" != \"$AWS_ACCESS_KEY_ID\" ] && echo yes)\"")
        .unwrap();
    p.exp_string("rc=0 changed=yes").unwrap();
    assert_eq!(f.sts.token_calls(), (1, 1));
    leave(&mut p);
    let mut p = pty(&f, &["shell", "web", "--shell", "bash", "--server"], &env);
    expect(&mut p, r"\[web (12h00m|11h59m)\] user\$ ");
    leave(&mut p);
}
