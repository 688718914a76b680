//! `init` in elvish, tcsh, xonsh and nushell, run by the real interpreters: the wrapper sets and
//! drops a session and passes every subcommand on, help never reaches the shell as code, the
//! prompt segment, and completion through each shell's own machinery (a pseudo-terminal for
//! tcsh and elvish, xonsh's completer, nushell's --ide-complete).

use rexpect::session::spawn_command;

use crate::support::*;

/// How a script in each shell loads the init code and says things.
struct Lang {
    shell: &'static str,
    file: &'static str,
    /// Lines that load the init code, given the file `init.EXT` (as `file`'s) that holds `mfa-env init`'s
    /// output (elvish: its text at the top level, as rc.elv has it; tcsh loads it the README's
    /// way; xonsh and nushell `source` the saved file, as the README says).
    load: fn() -> &'static str,
    /// `echo LABEL=$NAME`, or `LABEL=none` when NAME is not set.
    show: fn(&str, &str) -> String,
    /// Runs a wrapper call whose failure must not end the script.
    tolerate: fn(&str) -> String,
}

const LANGS: [Lang; 4] = [
    Lang {
        shell: "elvish",
        file: "t.elv",
        load: || "",
        show: |label, name| {
            format!(
                "if (has-env {name}) {{ echo {label}=(get-env {name}) }} else {{ echo {label}=none }}"
            )
        },
        tolerate: |call| format!("try {{ {call} }} catch {{ echo failed }}"),
    },
    Lang {
        shell: "tcsh",
        file: "t.tcsh",
        load: || "eval \"`mfa-env init tcsh`\"",
        show: |label, name| {
            format!(
                "if ( $?{name} ) then\necho \"{label}=${name}\"\nelse\necho {label}=none\nendif"
            )
        },
        tolerate: |call| format!("{call}\necho \"status=$status\""),
    },
    Lang {
        shell: "xonsh",
        file: "t.xsh",
        load: || "source init.xsh",
        show: |label, name| format!("print(\"{label}=\" + ${{...}}.get(\"{name}\", \"none\"))"),
        tolerate: |call| format!("{call}\nprint(\"tolerated\")"),
    },
    Lang {
        shell: "nu",
        file: "t.nu",
        load: || "source init.nu",
        show: |label, name| format!("print $\"{label}=($env.{name}? | default none)\""),
        // A failure ends the call with mfa-env's status, as an external command's does.
        tolerate: |call| {
            format!("try {{ {call} }} catch {{ print $\"status=($env.LAST_EXIT_CODE)\" }}")
        },
    },
];

/// Runs `body` after the init code in `lang`'s shell, with the binary on PATH and `env`.
fn run_script(f: &Fixture, lang: &Lang, body: &str, env: &[(&str, &str)]) -> Out {
    let dir = f.root.path();
    let init = f.run(&["init", lang.shell]);
    assert_eq!(init.status, 0, "{}", init.stderr);
    let ext = lang.file.rsplit('.').next().unwrap();
    std::fs::write(dir.join(format!("init.{ext}")), &init.stdout).unwrap();
    let script = if lang.shell == "elvish" {
        format!("{}\n{body}\n", init.stdout)
    } else {
        format!("{}\n{body}\n", (lang.load)())
    };
    std::fs::write(dir.join(lang.file), script).unwrap();
    let mut c = f.command(lang.shell);
    match lang.shell {
        "tcsh" => c.args(["-f", lang.file]),
        "xonsh" => c.args(["--no-rc", lang.file]),
        "nu" => c.args(["-n", lang.file]),
        _ => c.arg(lang.file),
    };
    c.current_dir(dir)
        .env("PATH", path_with_bin())
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    Out::from(c.output().unwrap())
}

#[test]
fn init_wrapper_sets_drops_and_passes_subcommands_in_elvish_tcsh_xonsh_and_nu() {
    use clap::CommandFactory;
    let names: Vec<String> = mfa_env::cli::Cli::command()
        .get_subcommands()
        .filter(|s| !["export", "unset"].contains(&s.get_name()))
        .map(|s| s.get_name().to_string())
        .collect();
    for lang in &LANGS {
        if !require(lang.shell) {
            continue;
        }
        let f = Fixture::new();
        let show = lang.show;
        let mut body = vec![
            format!("mfa dev -t {}", f.code()),
            show("set", "MFA_ENV_PROFILE"),
            show("key", "AWS_ACCESS_KEY_ID"),
            "mfa status".to_string(),
            "mfa off".to_string(),
            show("after", "MFA_ENV_PROFILE"),
            show("keyafter", "AWS_ACCESS_KEY_ID"),
            // A failure applies nothing and says why; the script goes on.
            (lang.tolerate)("mfa nosuchprofile -t 123456"),
            show("failed", "MFA_ENV_PROFILE"),
            // Arguments reach the subcommand as typed, quotes and dollars included.
            format!("mfa exec dev -- printf '<%s>' 'a \"b\" $c'"),
            // Help for the applied commands goes to stderr: nothing of it is evaluated.
            (lang.tolerate)("mfa dev --help"),
        ];
        body.extend(names.iter().map(|n| format!("mfa {n} --help")));
        let out = run_script(&f, lang, &body.join("\n"), &[]);
        let shell = lang.shell;
        let said = format!("{shell}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("set=dev\nkey=ASIAFAKE"), "{said}");
        assert!(out.stdout.contains("profile:    dev"), "mfa status: {said}");
        assert!(out.stdout.contains("after=none\nkeyafter=none\n"), "{said}");
        assert!(out.stdout.contains("failed=none"), "{said}");
        if ["tcsh", "nu"].contains(&shell) {
            assert!(out.stdout.contains("status=3"), "mfa-env's status: {said}");
        }
        assert!(out.stdout.contains("<a \"b\" $c>"), "{said}");
        assert!(
            out.stderr.contains("profile 'nosuchprofile' not found"),
            "{said}"
        );
        // The wrapper's own help, naming it.
        assert!(
            out.stderr.contains("Usage: mfa [OPTIONS] [PROFILE]"),
            "help of export on stderr: {said}"
        );
        assert!(!out.stdout.contains("Usage: mfa [OPTIONS]"), "{said}");
        for n in &names {
            assert!(
                out.stdout.contains(&format!("Usage: mfa {n}")),
                "{shell}: mfa {n} was not passed to mfa-env {n}: {said}"
            );
        }
        assert!(!out.stderr.contains("Traceback"), "{said}");
        assert!(!out.stderr.contains("Error: nu::"), "{said}");
        assert_eq!(f.sts.count("GetSessionToken"), 1, "{said}");
        f.assert_no_secret(&out.stderr);
    }
}

/// bash had the same hole: `mfa dev --help` evaluated the help text.
#[test]
fn help_through_the_bash_wrapper_is_not_evaluated() {
    let f = Fixture::new();
    let out = f.sh(
        "bash",
        &[
            "-c",
            "eval \"$(mfa-env init bash)\"; mfa dev --help; echo \"status=$?\"",
        ],
        &[("PATH", &path_with_bin())],
    );
    assert!(
        out.stdout.starts_with("status=0"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stderr.contains("Usage: mfa [OPTIONS] [PROFILE]"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("syntax error"), "{}", out.stderr);
}

#[test]
fn prompt_segment_in_elvish_tcsh_xonsh_and_nu() {
    let f = Fixture::new();
    let now = crate::support::fake_sts::now();
    let call = |shell: &str| match shell {
        "elvish" => "echo '<'(mfa-env-prompt)'>'",
        "tcsh" => "echo \"<`mfa_env_prompt`>\"",
        "xonsh" => "print(\"<\" + mfa_env_prompt() + \">\")",
        _ => "print $\"<(mfa_env_prompt)>\"",
    };
    for lang in &LANGS {
        if !require(lang.shell) {
            continue;
        }
        for (exp, want) in [
            (Some(now + 5_000), "<[work 1h24m] >"),
            (Some(now + 299), "<[work 5m] >"),
            (Some(now - 5), "<[work expired] >"),
            (None, "<>"),
        ] {
            let exp = exp.map(|e| e.to_string());
            let env: Vec<(&str, &str)> = match &exp {
                Some(e) => vec![("MFA_ENV_PROFILE", "work"), ("MFA_ENV_EXPIRATION", e)],
                None => vec![],
            };
            let out = run_script(&f, lang, call(lang.shell), &env);
            assert!(
                out.stdout.contains(want),
                "{} {want}: {}{}",
                lang.shell,
                out.stdout,
                out.stderr
            );
        }
    }
}

#[test]
fn profiles_complete_in_elvish_tcsh_xonsh_and_nu() {
    let mut f = Fixture::new();
    f.write_config(&format!("[profile dev]\nmfa_serial = {SERIAL}\n[profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n[profile zeta]\nregion = eu-west-1\n"));
    let dir = f.root.path();
    if require("xonsh") {
        // xonsh's own completer, as its prompt calls it, with our registration loaded.
        let body = "from xonsh.completer import Completer\n\
                    for line in [\"mfa-env exec \", \"mfa a\"]:\n    \
                    got = Completer().complete(\"\", line, len(line), len(line), ctx={}, multiline_text=line, cursor_index=len(line))[0]\n    \
                    print(\"|\".join(sorted(str(c).strip() for c in got)))";
        let out = run_script(&f, &LANGS[2], body, &[]);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{}{}", out.stdout, out.stderr);
        for p in ["admin", "dev", "zeta"] {
            assert!(
                lines[0].split('|').any(|c| c == p),
                "xonsh {p}: {}",
                out.stdout
            );
        }
        assert_eq!(lines[1], "admin", "the wrapper: {}", out.stdout);
    }
    if require("nu") {
        // nushell's completion engine through --ide-complete, at the end of a file that sources
        // the init module.
        let init = f.run(&["init", "nu"]);
        std::fs::write(dir.join("init.nu"), &init.stdout).unwrap();
        for (line, want) in [
            ("mfa-env exec ", vec!["admin", "dev", "zeta"]),
            ("mfa a", vec!["admin"]),
        ] {
            let text = format!("source init.nu\n{line}");
            std::fs::write(dir.join("c.nu"), &text).unwrap();
            let mut c = f.command("nu");
            c.args(["-n", "--ide-complete", &text.len().to_string(), "c.nu"])
                .current_dir(dir)
                .env("PATH", path_with_bin());
            let out = Out::from(c.output().unwrap());
            let got: serde_json::Value = serde_json::from_str(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
            let got: Vec<&str> = got["completions"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|v| v.as_str())
                .filter(|v| !v.starts_with('-'))
                .collect();
            assert_eq!(got, want, "nu {line}");
        }
    }
    // tcsh lists the candidates on Ctrl-D and completes the only one on Tab; elvish's editor
    // completes on Tab after rc.elv ran init.
    let config = f.home.join(".config/elvish");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("rc.elv"),
        "eval (mfa-env init elvish | slurp)\n",
    )
    .unwrap();
    for shell in ["tcsh", "elvish"] {
        if !require(shell) {
            continue;
        }
        let mut c = f.command(shell);
        if shell == "tcsh" {
            c.arg("-f");
        }
        c.current_dir(dir)
            .env("PATH", path_with_bin())
            .env("MFA_ENV_TOKEN_CODE", f.code())
            // tcsh edits no line on a dumb terminal.
            .env("TERM", "xterm");
        let mut p = spawn_command(c, Some(20_000)).unwrap();
        if shell == "tcsh" {
            // Each line once the prompt is back (typed ahead, tcsh may drop it).
            p.send_line("set prompt = 'T''C> '").unwrap();
            p.exp_string("TC> ").unwrap();
            p.send_line("eval \"`mfa-env init tcsh`\"").unwrap();
            p.exp_string("TC> ").unwrap();
            p.send("mfa-env exec \x04").unwrap();
            p.flush().unwrap();
            // The listing up to the prompt back, in columns whose order depends on how many
            // options there are: each profile once, wherever it lands.
            let listing = p.exp_string("TC> mfa-env exec ").unwrap();
            for name in ["admin", "dev", "zeta"] {
                let words = listing.split_whitespace().filter(|w| *w == name).count();
                assert_eq!(words, 1, "{name} in the tcsh listing: {listing:?}");
            }
            p.send("\x15").unwrap();
            p.flush().unwrap();
        }
        // Tab completes the only profile; Enter runs the wrapper with it (elvish redraws only
        // what changed, so the line is checked by its effect: the role's session applied).
        p.send("mfa a\t").unwrap();
        p.flush().unwrap();
        // The completed rest of the word on the screen, then Enter.
        p.exp_string("dmin").unwrap();
        p.send("\r").unwrap();
        p.flush().unwrap();
        let show = if shell == "tcsh" {
            "echo PROFILE=$MFA_ENV_PROFILE"
        } else {
            "echo PROFILE=$E:MFA_ENV_PROFILE"
        };
        p.send_line(show).unwrap();
        p.exp_string("PROFILE=admin").unwrap();
        p.send("mfa-env exec z\t").unwrap();
        p.flush().unwrap();
        p.exp_string("eta").unwrap();
        p.send("\r").unwrap();
        p.flush().unwrap();
        p.exp_string("profile 'zeta'").unwrap();
        p.send_line("exit").unwrap();
        p.exp_eof().unwrap();
    }
}
