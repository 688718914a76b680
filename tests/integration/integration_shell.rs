//! `init` and `completions` in real shells.

use std::collections::BTreeMap;

use crate::support::*;

const COMPLETION_FILES: [(&str, &str); 8] = [
    ("bash", "mfa-env.bash"),
    ("zsh", "_mfa-env"),
    ("fish", "mfa-env.fish"),
    ("powershell", "_mfa-env.ps1"),
    ("elvish", "mfa-env.elv"),
    ("nu", "mfa-env.nu"),
    ("tcsh", "mfa-env.tcsh"),
    ("xonsh", "mfa-env.xsh"),
];

#[test]
fn committed_completions_are_fresh() {
    let f = Fixture::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in COMPLETION_FILES {
        let out = f.run(&["completions", shell]);
        assert_eq!(out.status, 0);
        let path = dir.join(file);
        if std::env::var_os("MFA_ENV_UPDATE_COMPLETIONS").is_some() {
            std::fs::write(&path, &out.stdout).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == out.stdout, "completions/{file} is stale: run MFA_ENV_UPDATE_COMPLETIONS=1 cargo test committed_completions");
    }
}

/// A `COMPLETE` exported for another tool (clap's generic name) does not turn
/// `eval "$(mfa-env …)"` into a completion script: mfa-env asks for completions under its own
/// name, MFA_ENV_COMPLETE.
#[test]
fn another_tools_complete_variable_does_not_reach_eval() {
    let f = Fixture::new();
    // A code for the first; the others are served from the cache.
    let code = f.code();
    for (shell, args) in [
        ("bash", vec!["-t", code.as_str()]),
        ("fish", vec![]),
        ("zsh", vec![]),
    ] {
        let mut all = vec!["dev", "--shell", "bash"];
        all.extend(args);
        let out = f.run_with(&all, &[("COMPLETE", shell)]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert!(
            out.stdout.starts_with("export AWS_ACCESS_KEY_ID='"),
            "COMPLETE={shell}: {}",
            out.stdout
        );
        assert!(!out.stdout.contains("complete"), "{}", out.stdout);
    }
    let out = f.run_with(&["dev"], &[("MFA_ENV_COMPLETE", "bash")]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("MFA_ENV_COMPLETE=\"bash\""),
        "{}",
        out.stdout
    );
}

/// The man pages in completions/man, one per command, generated from the same clap definitions as
/// `--help` and the completions: fresh, and clean for groff.
#[test]
fn committed_man_pages_are_fresh_and_render() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/man");
    let fresh = tempfile::tempdir().unwrap();
    // clap_mangen::generate_to, with the version in every page's footer (subcommands have none).
    fn generate(cmd: &clap::Command, dir: &std::path::Path) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            generate(sub, dir);
        }
        clap_mangen::Man::new(cmd.clone().version(env!("CARGO_PKG_VERSION")))
            .generate_to(dir)
            .unwrap();
    }
    use clap::CommandFactory;
    // Built here rather than by cli::definition: without the help subcommand, which has no page.
    let mut cli = mfa_env::cli::Cli::command().disable_help_subcommand(true);
    cli.build();
    generate(&cli, fresh.path());
    add_value_names_to_synopses(fresh.path());
    if std::env::var_os("MFA_ENV_UPDATE_COMPLETIONS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for page in std::fs::read_dir(fresh.path()).unwrap() {
            let page = page.unwrap().path();
            std::fs::copy(&page, dir.join(page.file_name().unwrap())).unwrap();
        }
    }
    let pages = |d: &std::path::Path| -> BTreeMap<String, String> {
        std::fs::read_dir(d)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().path())
                    .map(|p| {
                        let name = p.file_name().unwrap().to_string_lossy().into_owned();
                        (name, std::fs::read_to_string(&p).unwrap())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (want, have) = (pages(fresh.path()), pages(&dir));
    assert!(
        want.contains_key("mfa-env.1") && want.contains_key("mfa-env-exec.1"),
        "{:?}",
        want.keys()
    );
    assert!(
        want == have,
        "completions/man is stale: run MFA_ENV_UPDATE_COMPLETIONS=1 cargo test committed_"
    );
    if !require("groff") {
        return;
    }
    for name in have.keys() {
        let path = dir.join(name);
        let out = sh(
            "groff",
            &["-man", "-Tutf8", "-ww", path.to_str().unwrap()],
            &[],
        );
        assert_eq!(out.status, 0, "{name}: {}", out.stderr);
        assert_eq!(out.stderr, "", "groff warns about {name}");
        assert!(out.stdout.contains("mfa-env"), "{name} renders empty");
    }
}

/// clap_mangen writes `[-t|--token-code]` in a synopsis, without the value the option takes:
/// each page's SYNOPSIS gets it (`[-t|--token-code CODE]`), as its OPTIONS section has it. The
/// test below then requires every value name in the synopsis, so a change in clap_mangen's
/// layout cannot drop them silently.
fn add_value_names_to_synopses(dir: &std::path::Path) {
    fn walk(cmd: &clap::Command, file: String, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands() {
            walk(sub, format!("{file}-{}", sub.get_name()), out);
        }
        out.push((format!("{file}.1"), cmd.clone()));
    }
    let mut pages = Vec::new();
    walk(
        &mfa_env::cli::definition(),
        "mfa-env".to_string(),
        &mut pages,
    );
    for (file, cmd) in pages {
        let path = dir.join(&file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // The one-code-many-roles text under its own name rather than clap's "EXTRA".
        if let Some(extra) = lines.iter().position(|l| l == ".SH EXTRA") {
            if lines.get(extra + 1).map(String::as_str) == Some("ONE CODE, MANY ROLES:") {
                lines[extra] = ".SH \"ONE CODE, MANY ROLES\"".to_string();
                lines.remove(extra + 1);
            }
        }
        let at = lines
            .iter()
            .position(|l| l == ".SH SYNOPSIS")
            .expect("a synopsis")
            + 1;
        // A command after `--` (exec's CMD) is written so: `[-- CMD...]`.
        for arg in cmd.get_positionals().filter(|a| a.is_last_set()) {
            let names = arg
                .get_value_names()
                .map(|n| n.join(" "))
                .unwrap_or_default();
            let bare = format!("[\\fI{names}\\fR]");
            assert!(
                lines[at].contains(&bare),
                "{file}: {bare} not in {}",
                lines[at]
            );
            lines[at] = lines[at].replace(&bare, &format!("[\\fB\\-\\-\\fR \\fI{names}\\fR...]"));
        }
        for arg in cmd
            .get_arguments()
            .filter(|a| !a.is_positional() && !a.is_hide_set())
        {
            let takes_value = arg.get_action().takes_values();
            let Some(names) = arg.get_value_names().filter(|_| takes_value) else {
                continue;
            };
            let value = names.join(" ");
            let flag = match (arg.get_long(), arg.get_short()) {
                (Some(long), _) => format!("\\fB\\-\\-{}\\fR]", long.replace('-', "\\-")),
                (None, Some(short)) => format!("\\fB\\-{short} \\fR]"),
                (None, None) => continue,
            };
            let with = format!("{} \\fI{value}\\fR]", flag.trim_end_matches(']'));
            assert!(
                lines[at].contains(&flag),
                "{file}: {flag} not in {}",
                lines[at]
            );
            lines[at] = lines[at].replace(&flag, &with);
        }
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
}

/// Runs a shell in the fixture's environment with the binary's directory first on PATH (the
/// scripts call `mfa-env` by name).
fn run_shell(f: &Fixture, shell: &str, args: &[&str]) -> Out {
    let path = path_with_bin();
    f.sh(shell, args, &[("PATH", &path)])
}

#[test]
fn init_wrapper_sets_and_drops_the_session_under_strict_modes() {
    let f = Fixture::new();
    let code = f.code();
    let body = format!("mfa dev -t {code}; echo \"set=$MFA_ENV_PROFILE\"; mfa status >/dev/null && echo live; mfa off; echo \"after=${{MFA_ENV_PROFILE-none}}\"");
    let out = run_shell(
        &f,
        "bash",
        &[
            "-c",
            &format!("set -eu; eval \"$(mfa-env init bash)\"; {body}"),
        ],
    );
    assert!(
        out.stdout.contains("set=dev\nlive\nafter=none"),
        "bash: {}{}",
        out.stdout,
        out.stderr
    );
    if require("zsh") {
        let body = body.replace(&code, &f.sts.alice().next_code());
        let out = run_shell(
            &f,
            "zsh",
            &[
                "-e",
                "-u",
                "-c",
                &format!("eval \"$(mfa-env init zsh)\"; mfa logout --all; {body}"),
            ],
        );
        assert!(
            out.stdout.contains("set=dev\nlive\nafter=none"),
            "zsh: {}{}",
            out.stdout,
            out.stderr
        );
    }
    if require("fish") {
        let out = run_shell(&f, "fish", &["-c", "mfa-env init fish | source; mfa dev; echo set=$MFA_ENV_PROFILE; mfa off; set -q MFA_ENV_PROFILE; or echo after=none"]);
        assert!(
            out.stdout.contains("set=dev\nafter=none"),
            "fish: {}{}",
            out.stdout,
            out.stderr
        );
    }
}

/// `mfa SUBCOMMAND` runs that subcommand for every subcommand the CLI has (read from its
/// definition, so a new one is covered the day it is added), never a profile of that name.
#[test]
fn init_wrapper_passes_every_subcommand_to_mfa_env() {
    use clap::CommandFactory;
    let f = Fixture::new();
    let names: Vec<String> = mfa_env::cli::Cli::command()
        .get_subcommands()
        .filter(|s| !["export", "unset"].contains(&s.get_name()))
        .map(|s| s.get_name().to_string())
        .collect();
    assert!(names.len() >= 8, "{names:?}");
    let calls: String = names
        .iter()
        .map(|n| format!("mfa {n} --help | grep -m1 -o 'Usage: mfa {n}' || echo 'MISSING {n}'; "))
        .collect();
    let fish_calls: String = names
        .iter()
        .map(|n| format!("mfa {n} --help | grep -m1 -o 'Usage: mfa {n}'; or echo 'MISSING {n}'; "))
        .collect();
    let mut runs = vec![(
        "bash",
        run_shell(
            &f,
            "bash",
            &["-c", &format!("eval \"$(mfa-env init bash)\"; {calls}")],
        ),
    )];
    if require("zsh") {
        runs.push((
            "zsh",
            run_shell(
                &f,
                "zsh",
                &["-c", &format!("eval \"$(mfa-env init zsh)\"; {calls}")],
            ),
        ));
    }
    if require("fish") {
        runs.push((
            "fish",
            run_shell(
                &f,
                "fish",
                &["-c", &format!("mfa-env init fish | source; {fish_calls}")],
            ),
        ));
    }
    for (shell, out) in runs {
        for n in &names {
            assert!(
                // The wrapper's name in the usage line: the help of the subcommand itself.
                out.stdout.contains(&format!("Usage: mfa {n}\n")),
                "{shell}: mfa {n} was not passed to mfa-env {n}: {}{}",
                out.stdout,
                out.stderr
            );
        }
        assert!(!out.stdout.contains("MISSING"), "{shell}: {}", out.stdout);
    }
}

#[test]
fn init_cmd_renames_the_function_and_failures_apply_nothing() {
    let f = Fixture::new();
    let out = run_shell(&f, "bash", &["-c", "set -u; eval \"$(mfa-env init bash --cmd aws-mfa)\"; aws-mfa nosuchprofile -t 123456; echo \"st=$? p=${MFA_ENV_PROFILE-none}\"; type mfa >/dev/null 2>&1 || echo no-mfa"]);
    assert!(
        out.stdout.contains("st=3 p=none") && out.stdout.contains("no-mfa"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let out = f.run(&["init", "bash", "--cmd", "bad name;rm"]);
    assert_eq!(out.status, 2);
}

#[test]
fn prompt_segment_for_live_near_expiry_expired_and_none() {
    let f = Fixture::new();
    let now = crate::support::fake_sts::now();
    let cases = [
        // Minutes rounded up, and the segment carries its own trailing space.
        (Some(now + 5_000), "[work 1h24m] "),
        (Some(now + 299), "[work 5m] "),
        (Some(now - 5), "[work expired] "),
        (None, ""),
    ];
    for (exp, want) in cases {
        let set = match exp {
            Some(e) => format!("MFA_ENV_PROFILE=work MFA_ENV_EXPIRATION={e}"),
            None => "unset MFA_ENV_PROFILE".to_string(),
        };
        let bash = run_shell(&f, "bash", &["-c", &format!("set -eu; eval \"$(mfa-env init bash)\"; {set}; export MFA_ENV_PROFILE 2>/dev/null || true; printf '<%s>' \"$(mfa_env_prompt)\"")]);
        assert!(
            bash.stdout.contains(&format!("<{want}>")),
            "bash {want}: {}{}",
            bash.stdout,
            bash.stderr
        );
        if require("zsh") {
            let zsh = run_shell(
                &f,
                "zsh",
                &[
                    "-e",
                    "-u",
                    "-c",
                    &format!(
                        "eval \"$(mfa-env init zsh)\"; {set}; printf '<%s>' \"$(mfa_env_prompt)\""
                    ),
                ],
            );
            assert!(
                zsh.stdout.contains(&format!("<{want}>")),
                "zsh {want}: {}{}",
                zsh.stdout,
                zsh.stderr
            );
        }
        if require("fish") {
            let fset = match exp {
                Some(e) => format!("set -gx MFA_ENV_PROFILE work; set -gx MFA_ENV_EXPIRATION {e}"),
                None => "set -e MFA_ENV_PROFILE".to_string(),
            };
            let fish = run_shell(
                &f,
                "fish",
                &[
                    "-c",
                    &format!("mfa-env init fish | source; {fset}; printf '<%s>' (mfa_env_prompt)"),
                ],
            );
            assert!(
                fish.stdout.contains(&format!("<{want}>")),
                "fish {want}: {}{}",
                fish.stdout,
                fish.stderr
            );
        }
    }
}

#[test]
fn powershell_init_and_session_scripts_parse() {
    let f = Fixture::new();
    let out = f.run(&["init", "powershell"]);
    let tree = crate::powershell::parse(&out.stdout);
    assert!(
        !tree.root_node().has_error(),
        "init powershell does not parse:\n{}",
        out.stdout
    );
    for file in ["session.ps1", "prompt.ps1", "init.ps1"] {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("shell")
                .join(file),
        )
        .unwrap();
        assert!(
            !crate::powershell::parse(&text).root_node().has_error(),
            "{file} does not parse"
        );
    }
}

#[test]
fn shell_scripts_are_shellcheck_clean_and_fish_indented() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shell");
    if require("shellcheck") {
        for file in [
            "prompt.sh",
            "init.sh",
            "session.bash",
            "session.zsh",
            "session.zshenv",
            "session.sh",
        ] {
            let out = sh("shellcheck", &[dir.join(file).to_str().unwrap()], &[]);
            assert_eq!(out.status, 0, "{file}: {}", out.stdout);
        }
    }
    if require("fish") {
        for file in ["prompt.fish", "init.fish", "session.fish"] {
            let path = dir.join(file);
            let out = sh("fish", &["--no-execute", path.to_str().unwrap()], &[]);
            assert_eq!(out.status, 0, "{file}: {}", out.stderr);
            let out = sh(
                "fish",
                &["-c", &format!("fish_indent < '{}'", path.display())],
                &[],
            );
            assert_eq!(
                out.stdout,
                std::fs::read_to_string(&path).unwrap(),
                "{file} is not fish_indent-stable"
            );
        }
    }
}

#[test]
fn profiles_complete_in_bash_and_fish() {
    let mut f = Fixture::new();
    f.write_config(&format!("[profile dev]\nmfa_serial = {SERIAL}\n[profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n[profile zeta]\nregion = eu-west-1\n"));
    let out = run_shell(&f, "bash", &["-c", "eval \"$(mfa-env completions bash)\"; COMP_WORDS=(mfa-env exec ''); COMP_CWORD=2; COMP_TYPE=9; _clap_complete_mfa_env mfa-env '' exec; printf '%s\\n' \"${COMPREPLY[@]}\""]);
    for p in ["admin", "dev", "zeta"] {
        assert!(
            out.stdout.lines().any(|l| l == p),
            "bash completes {p}: {}{}",
            out.stdout,
            out.stderr
        );
    }
    let out = run_shell(&f, "bash", &["-c", "eval \"$(mfa-env init bash)\"; COMP_WORDS=(mfa a); COMP_CWORD=1; COMP_TYPE=9; _clap_complete_mfa mfa a mfa; printf '%s\\n' \"${COMPREPLY[@]}\""]);
    assert!(
        out.stdout.lines().any(|l| l == "admin"),
        "the wrapper completes profiles: {}{}",
        out.stdout,
        out.stderr
    );
    if require("fish") {
        let out = run_shell(
            &f,
            "fish",
            &[
                "-c",
                "mfa-env completions fish | source; complete -C 'mfa-env exec '",
            ],
        );
        for p in ["admin", "dev", "zeta"] {
            assert!(
                out.stdout.lines().any(|l| l.split('\t').next() == Some(p)),
                "fish completes {p}: {}{}",
                out.stdout,
                out.stderr
            );
        }
    }
    if require("zsh") {
        // zsh's completion function, with the word list zsh would give it; `_describe` (which
        // would show the menu) prints what it receives instead.
        let script = "autoload -Uz compinit && compinit -u -d \"$HOME/.zcompdump\"; \
                      eval \"$(mfa-env init zsh)\"; \
                      _describe() { print -rl -- \"${(@P)3}\"; }; \
                      words=(mfa-env exec ''); CURRENT=3; _clap_dynamic_completer_mfa_env; \
                      words=(mfa a); CURRENT=2; _clap_dynamic_completer_mfa";
        let out = run_shell(&f, "zsh", &["-c", script]);
        let lines: Vec<&str> = out.stdout.lines().collect();
        for p in ["admin", "dev", "zeta"] {
            assert!(
                lines.contains(&p),
                "zsh completes {p}: {}{}",
                out.stdout,
                out.stderr
            );
        }
        assert_eq!(
            lines.iter().filter(|l| **l == "admin").count(),
            2,
            "and for the wrapper: {}",
            out.stdout
        );
    }
}

/// bash completion as a user meets it: the subcommands (`unset` by its name), and after
/// `exec PROFILE --` a command from PATH, then files; nothing offered for a command without `--`.
#[test]
fn bash_completes_subcommands_and_commands_after_the_double_dash() {
    let f = Fixture::new();
    let bin = f.root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let tool = bin.join("zzmfatool");
    std::fs::write(&tool, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(f.root.path().join("zzdata.txt"), "").unwrap();
    let complete = |words: &[&str]| -> Vec<String> {
        let script =
            format!(
            "eval \"$(mfa-env completions bash)\"; COMP_WORDS=({}); COMP_CWORD={}; COMP_TYPE=9; \
             _clap_complete_mfa_env mfa-env '{}' 2>/dev/null; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            words.len() - 1,
            words[words.len() - 1],
        );
        let path = format!("{}:{}", bin.display(), path_with_bin());
        let mut c = f.command("bash");
        c.args(["--norc", "-c", &script])
            .env("PATH", path)
            .current_dir(f.root.path());
        let out = Out::from(c.output().unwrap());
        out.stdout
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    let subcommands = complete(&["mfa-env", ""]);
    for name in ["export", "exec", "shell", "status", "unset"] {
        assert!(
            subcommands.contains(&name.to_string()),
            "{name}: {subcommands:?}"
        );
    }
    assert_eq!(
        complete(&["mfa-env", "exec", "dev", "--", "zzmfa"]),
        ["zzmfatool"]
    );
    assert_eq!(complete(&["mfa-env", "exec", "--", "zzmfa"]), ["zzmfatool"]);
    assert_eq!(
        complete(&["mfa-env", "exec", "dev", "--", "zzmfatool", "zzda"]),
        ["zzdata.txt"]
    );
    assert!(complete(&["mfa-env", "exec", "dev", "zzmfa"]).is_empty());
    // --profile completes profile names wherever it is taken.
    for words in [
        &["mfa-env", "--profile", ""][..],
        &["mfa-env", "exec", "--profile", ""],
        &["mfa-env", "keys", "add", "--profile", ""],
        &["mfa-env", "setup", "--profile", ""],
        &["mfa-env", "policy", "role-trust", "--profile", ""],
    ] {
        let offered = complete(words);
        assert!(
            offered.contains(&"dev".to_string()) && offered.contains(&"admin".to_string()),
            "{words:?}: {offered:?}"
        );
    }
}

/// The values listed under "Possible values:" in a help text.
fn possible_values(help: &str, option: &str) -> Vec<String> {
    let at = help
        .find(option)
        .unwrap_or_else(|| panic!("{option} in {help}"));
    let rest = &help[at..];
    let list = &rest[rest.find("Possible values:").expect("possible values")..];
    list.lines()
        .skip(1)
        .take_while(|l| l.trim_start().starts_with("- ") || l.starts_with("            "))
        .filter_map(|l| l.trim_start().strip_prefix("- "))
        .map(|l| l.split(':').next().unwrap().trim().to_string())
        .collect()
}

/// Each command's help lists exactly the shells it takes: every value listed gets past the
/// command line, every other is refused there with exit 2 (shell: the formats; init: sh, cmd
/// and the formats, each with what to use instead).
#[test]
fn each_command_lists_exactly_the_shells_it_accepts() {
    let f = Fixture::new();
    let all = [
        "bash",
        "zsh",
        "sh",
        "fish",
        "powershell",
        "elvish",
        "tcsh",
        "xonsh",
        "nu",
        "cmd",
        "json",
        "dotenv",
    ];
    // A 5-digit code: refused after the command line is parsed, before anything is sent.
    let cases: [(&str, &[&str], &str); 4] = [
        (
            "export",
            &["export", "dev", "-t", "12345", "--shell"],
            "--shell",
        ),
        ("unset", &["unset", "--shell"], "--shell"),
        (
            "shell",
            &["shell", "dev", "-t", "12345", "--shell"],
            "--shell",
        ),
        ("init", &["init"], "<SHELL>"),
    ];
    for (command, args, option) in cases {
        let help = f.run(&[command, "--help"]).stdout;
        let listed = possible_values(&help, option);
        for name in all {
            let mut argv = args.to_vec();
            argv.push(name);
            let out = f.run(&argv);
            if listed.iter().any(|l| l == name) {
                assert_ne!(out.status, 2, "{command} {name} is listed: {}", out.stderr);
            } else {
                assert_eq!(
                    out.status, 2,
                    "{command} {name} is not listed: {}",
                    out.stderr
                );
                assert_eq!(out.stdout, "");
            }
        }
        let expected: &[&str] = match command {
            "shell" => &all[..10],
            "init" => &[
                "bash",
                "zsh",
                "fish",
                "powershell",
                "elvish",
                "tcsh",
                "xonsh",
                "nu",
            ],
            _ => &all,
        };
        assert_eq!(listed, expected, "{command}");
    }
    let out = f.run(&["init", "sh"]);
    assert!(
        out.stderr
            .contains("with sh use eval \"$(mfa-env PROFILE)\" and eval \"$(mfa-env unset)\""),
        "{}",
        out.stderr
    );
    let out = f.run(&["shell", "dev", "--shell", "json"]);
    assert!(
        out.stderr
            .contains("json is an output format, not a shell: pick a shell for mfa-env shell"),
        "{}",
        out.stderr
    );
    assert!(f.sts.requests().is_empty(), "nothing was sent");
}

/// `mfa --help` through the init wrapper names `mfa` (the top-level help: the wrapper's profile,
/// its options, the subcommands it passes on), as do the subcommands' helps; the one-code rule
/// is said once, in the top-level help.
#[test]
fn help_through_the_wrapper_names_it_and_says_the_role_rule_once() {
    let f = Fixture::new();
    let out = run_shell(
        &f,
        "bash",
        &[
            "-c",
            "eval \"$(mfa-env init bash)\"; mfa --help 2>&1; echo ===; mfa exec --help; echo ===; \
             mfa -h 2>&1",
        ],
    );
    let parts: Vec<&str> = out.stdout.split("===\n").collect();
    assert_eq!(parts.len(), 3, "{}{}", out.stdout, out.stderr);
    assert!(
        parts[0].contains("Usage: mfa [OPTIONS] [PROFILE]\n       mfa <COMMAND>"),
        "{}",
        parts[0]
    );
    assert!(!parts[0].contains("Usage: mfa-env"), "{}", parts[0]);
    assert!(
        parts[1].contains("Usage: mfa exec [OPTIONS]"),
        "{}",
        parts[1]
    );
    assert!(
        parts[2].contains("Run 'mfa --help' for the one-code-many-roles rule"),
        "{}",
        parts[2]
    );
    let rule = "A role profile whose MFA device belongs to its source profile";
    assert_eq!(f.run(&["--help"]).stdout.matches(rule).count(), 1);
    for command in ["export", "exec", "shell"] {
        let help = f.run(&[command, "--help"]).stdout;
        assert!(!help.contains(rule), "{command}");
        assert!(
            help.contains("ONE CODE, MANY ROLES: how a role is reached (--via-session, --direct) is in 'mfa-env --help'"),
            "{command}: {help}"
        );
    }
}

/// Every optional PROFILE and --profile says its default the same way, and no help says "as for
/// export" or ends a default with a period.
#[test]
fn defaults_are_worded_one_way() {
    fn walk(cmd: &clap::Command, path: String, out: &mut Vec<(String, String, String)>) {
        for arg in cmd.get_arguments() {
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            out.push((path.clone(), arg.get_id().to_string(), help));
        }
        for sub in cmd.get_subcommands() {
            walk(sub, format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut args = Vec::new();
    walk(&mfa_env::cli::definition(), "mfa-env".into(), &mut args);
    let chain = "[default: $AWS_PROFILE, then the live session's, then \"default\"]";
    for (path, id, help) in &args {
        assert!(!help.contains("as for export"), "{path} {id}: {help}");
        assert!(!help.contains("]."), "{path} {id}: {help}");
        if id == "profile" && help.contains("[default") {
            assert!(help.ends_with(chain), "{path} {id}: {help}");
        }
    }
    assert!(args
        .iter()
        .any(|(p, id, h)| p == "mfa-env logout" && id == "profile" && h.ends_with(chain)));
}

/// The yellow warning starts when the segment first shows `9m`: with 9 m 50 s left it reads
/// `10m` (minutes rounded up) and is not yellow yet; with 9 m it reads `9m`, yellow.
#[test]
fn the_warning_colour_changes_with_the_text() {
    let f = Fixture::new();
    for shell in ["bash", "zsh"] {
        if !require(shell) {
            continue;
        }
        let script = format!(
            "eval \"$(mfa-env init {shell})\"; zmodload zsh/datetime 2>/dev/null; \
             export MFA_ENV_PROFILE=work; for d in 590 540 60; do \
             MFA_ENV_EXPIRATION=$((EPOCHSECONDS + d)); __mfa_env_update; \
             printf '<%s|%s>' \"$__mfa_env_seg\" \"$__mfa_env_warn\"; done"
        );
        let out = run_shell(&f, shell, &["-c", &script]);
        assert_eq!(
            out.stdout, "<[work 10m] |0><[work 9m] |1><[work 1m] |1>",
            "{shell}: {}",
            out.stderr
        );
    }
    if require("fish") {
        let script = "mfa-env init fish | source; set -gx MFA_ENV_PROFILE work; \
                      for d in 590 540 60; \
                      set -gx MFA_ENV_EXPIRATION (math (date +%s) + $d); \
                      printf '<%s|%s>' (mfa_env_prompt) (__mfa_env_warn); end";
        let out = run_shell(&f, "fish", &["-c", script]);
        assert_eq!(
            out.stdout, "<[work 10m] |0><[work 9m] |1><[work 1m] |1>",
            "fish: {}",
            out.stderr
        );
    }
}
