//! Long-term keys in a real Secret Service (GNOME Keyring on a private D-Bus bus): import,
//! add typed in a pseudo-terminal, list, remove; the STS call signed with the stored key; a
//! cache hit that never reaches the keyring; a locked or missing keyring.

use rexpect::session::spawn_command;

use crate::support::*;

/// The fixture with `dev`'s keys moved out of the credentials file (its section emptied).
fn without_file_keys(f: &mut Fixture) {
    f.write_credentials("");
}

fn signed_with(f: &Fixture, n: usize) -> Option<String> {
    f.sts
        .requests()
        .get(n)
        .and_then(|r| r.access_key_id.clone())
}

#[test]
fn imported_keys_sign_sts_and_a_cache_hit_never_reads_the_keyring() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let alice = f.sts.alice();
    let address = keyring.address.clone();
    let env = [("DBUS_SESSION_BUS_ADDRESS", address.as_str())];

    let out = f.run_with(&["keys", "import", "dev"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    out.assert_says("stored the keys AKIA…0001 of 'dev' in the Secret Service keyring");
    // The keys were checked with STS first, with the keys themselves.
    let checked: Vec<_> = f
        .sts
        .requests()
        .into_iter()
        .map(|r| (r.action, r.access_key_id))
        .collect();
    assert_eq!(
        checked,
        [(
            "GetCallerIdentity".to_string(),
            Some(alice.access_key_id.clone())
        )]
    );
    f.sts.state().requests.clear();
    // The file is not touched (the fixture checks at the end); the user is told the lines.
    let file = f.aws_dir().join("credentials");
    out.assert_says(&format!(
        "delete from {} (mfa-env never writes it) line 2 (aws_access_key_id), line 3 \
         (aws_secret_access_key)",
        file.display()
    ));
    f.assert_no_secret(&out.stderr);

    // Rotating them now would rotate the file's keys, which mfa-env never writes: the import
    // is done, so what is left is the lines to delete.
    let out = f.run_with(&["keys", "rotate", "dev"], &env);
    f.assert_failure(
        &out,
        3,
        &format!(
            "the keys AKIA…0001 of 'dev' are in the files, which mfa-env never writes: the Secret \
             Service keyring holds them too (imported): delete from {} (mfa-env never writes it) \
             line 2 (aws_access_key_id), line 3 (aws_secret_access_key), then rotate",
            file.display()
        ),
    );
    assert!(!out.stderr.contains("keys import"), "{}", out.stderr);

    // While the file holds keys they win, and list says so.
    let out = f.run_with(&["keys", "list"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "PROFILE  KEY ID       STORE\n\
         dev      AKIA…0001    secret-service (the files' keys AKIA…0001 win)\n"
    );

    without_file_keys(&mut f);
    // `list` says where the keys come from: the keyring holds dev's (it is asked which
    // profiles it has items for, no secret read).
    let out = f.run_with(&["list"], &env);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("dev ") && l.contains(" keyring ")),
        "{}",
        out.stdout
    );
    let out = f.run_with(&["keys", "list", "--json"], &env);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"profile": "dev", "access_key_id": "AKIA…0001",
                            "store": "secret-service", "shadowed_by": null,
                            "file_access_key_id": null}])
    );

    // The first STS call is signed with the stored key; verbose says where it came from.
    let out = f.run_with(&["dev", "--shell", "bash", "-v", "-t", &f.code()], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("keys in the Secret Service keyring from 'dev'");
    assert_eq!(
        signed_with(&f, 0).as_deref(),
        Some(alice.access_key_id.as_str())
    );
    assert!(out.stdout.contains("export AWS_SESSION_TOKEN="));

    // The cached session is served with the keyring gone: a hit never reaches it.
    drop(keyring);
    let out = f.run_with(&["dev", "--shell", "bash", "-v"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("cache hit");
    assert_eq!(f.sts.requests().len(), 1);
    // The role of the same source needs the keyring no more than its session does.
    let out = f.run_with(&["admin", "--shell", "bash"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        signed_with(&f, 1).map(|k| k.starts_with("ASIA")),
        Some(true)
    );
    f.assert_no_secret_in_files();
}

#[test]
fn removed_keys_are_gone_with_their_cached_sessions() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let env = keyring.env();
    assert_eq!(f.run_with(&["keys", "import", "dev"], &env).status, 0);
    f.sts.state().requests.clear();
    without_file_keys(&mut f);
    let out = f.run_with(&["dev", "--shell", "bash", "-t", &f.code()], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);

    let out = f.run_with(&["keys", "remove", "dev", "--yes"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("removed the keys AKIA…0001 of 'dev' from the Secret Service keyring");
    // The session of the removed keys is not served from the cache any more.
    let out = f.run_with(&["dev", "--shell", "bash"], &env);
    f.assert_failure(
        &out,
        3,
        "profile 'dev' has no long-term keys: store them with `mfa-env keys add dev`",
    );
    assert_eq!(f.sts.requests().len(), 1);
    let out = f.run_with(&["keys", "remove", "dev"], &env);
    f.assert_failure(&out, 3, "no keys of 'dev' in the Secret Service keyring");
    let out = f.run_with(&["keys", "list"], &env);
    assert_eq!((out.status, out.stdout.as_str()), (0, ""));
    out.assert_says("no keys in the Secret Service keyring");
}

#[test]
fn keys_in_the_file_win_over_the_keyring() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let env = keyring.env();
    let alice = f.sts.alice();
    // Store alice's keys under another profile's name, then point dev's file keys elsewhere:
    // bob's keys in the file must be the ones used.
    let bob = fake_sts::User::new("bob", 2);
    f.write_credentials(&format!(
        "{}{}",
        alice.credentials_section("stored"),
        bob.credentials_section("dev")
    ));
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\n[profile stored]\nmfa_serial = {SERIAL}\n"
    ));
    assert_eq!(f.run_with(&["keys", "import", "stored"], &env).status, 0);
    f.sts.state().requests.clear();
    let out = f.run_with(&["dev", "--shell", "bash", "-t", &f.code()], &env);
    // bob is not a user of the fake STS: the call was signed with the file's key.
    assert_eq!(out.status, 5, "{}", out.stderr);
    assert_eq!(
        signed_with(&f, 0).as_deref(),
        Some(bob.access_key_id.as_str())
    );
}

#[test]
fn a_role_profile_points_to_its_source() {
    let f = Fixture::new();
    let out = f.run(&["keys", "add", "admin"]);
    f.assert_failure(
        &out,
        3,
        "profile 'admin' takes its long-term keys from its source profile 'dev': run `mfa-env keys add dev`",
    );
    let out = f.run(&["keys", "import", "nosuch"]);
    f.assert_failure(&out, 3, "profile 'nosuch' not found");
}

#[test]
fn keys_typed_in_a_terminal_are_stored_and_sign_sts() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let alice = f.sts.alice();
    without_file_keys(&mut f);
    let stty = f.root.path().join("stty");
    let script = format!(
        "stty echo icanon isig; {BIN} keys add dev; st=$?; stty -a > '{}'; echo \"DONE:$st\"",
        stty.display()
    );
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env("TERM", "dumb")
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    let mut p = spawn_command(cmd, Some(15_000)).expect("spawn in pty");
    p.exp_string("AWS access key ID for 'dev': ").unwrap();
    // A temporary key is refused and asked again.
    p.send_line("ASIAIOSFODNN7EXAMPLE").unwrap();
    p.exp_string("temporary key").unwrap();
    p.exp_string("AWS access key ID for 'dev': ").unwrap();
    p.send_line(&alice.access_key_id).unwrap();
    // The key ID is shown as typed.
    p.exp_string(&alice.access_key_id).unwrap();
    p.exp_string("AWS secret access key (not shown): ").unwrap();
    p.send_line(&alice.secret_access_key).unwrap();
    let before = p.exp_string("DONE:0").unwrap();
    assert!(
        // (rexpect reads the pty as Latin-1: the ellipsis of the mask arrives as three bytes)
        before.contains("stored the keys AKIA") && before.contains("0001 of 'dev'"),
        "{before}"
    );
    assert!(
        !before.contains(&alice.secret_access_key),
        "the secret was echoed"
    );
    let flags = std::fs::read_to_string(&stty).unwrap();
    assert!(flags.split_whitespace().any(|w| w == "echo"), "{flags}");

    let out = f.run_with(&["dev", "--shell", "bash", "-t", &f.code()], &keyring.env());
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        signed_with(&f, 0).as_deref(),
        Some(alice.access_key_id.as_str())
    );
}

#[test]
fn ctrl_c_at_the_secret_prompt_stores_nothing_and_restores_the_terminal() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    without_file_keys(&mut f);
    let stty = f.root.path().join("stty");
    let script = format!(
        "stty echo icanon isig; {BIN} keys add dev; st=$?; stty -a > '{}'; echo \"DONE:$st\"",
        stty.display()
    );
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env("TERM", "dumb")
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    let mut p = spawn_command(cmd, Some(15_000)).expect("spawn in pty");
    p.exp_string("AWS access key ID for 'dev': ").unwrap();
    p.send_line(&f.sts.alice().access_key_id).unwrap();
    p.exp_string("(not shown): ").unwrap();
    p.send("wJalrXUtnF").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("DONE:130").unwrap();
    let flags = std::fs::read_to_string(&stty).unwrap();
    for flag in ["echo", "icanon", "isig"] {
        assert!(
            flags.split_whitespace().any(|w| w == flag),
            "{flag}: {flags}"
        );
    }
    let out = f.run_with(&["keys", "list"], &keyring.env());
    assert_eq!((out.status, out.stdout.as_str()), (0, ""), "{}", out.stderr);
}

#[test]
fn a_locked_or_missing_keyring_is_a_clear_error_and_nothing_is_sent() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    assert_eq!(
        f.run_with(&["keys", "import", "dev"], &keyring.env())
            .status,
        0
    );
    f.sts.state().requests.clear();
    without_file_keys(&mut f);
    keyring.lock();
    let out = f.run_with(&["dev", "--shell", "bash", "-t", &f.code()], &keyring.env());
    f.assert_failure(
        &out,
        3,
        "the Secret Service keyring is locked or refused access while reading the keys of 'dev'",
    );
    out.assert_says("unlock it");
    let out = f.run_with(&["keys", "list"], &keyring.env());
    f.assert_failure(&out, 3, "is locked");

    // No Secret Service on the bus, and no bus at all.
    drop(keyring);
    for address in ["unix:path=/nonexistent/bus", ""] {
        let out = f.run_with(
            &["dev", "--shell", "bash", "-t", &f.code()],
            &[
                ("DBUS_SESSION_BUS_ADDRESS", address),
                ("XDG_RUNTIME_DIR", "/nonexistent"),
            ],
        );
        f.assert_failure(
            &out,
            3,
            "cannot reach the Secret Service keyring while reading the keys of 'dev'",
        );
        out.assert_says("dbus-run-session");
        // Importing fails the same way, and the file keeps its keys.
        let alice = f.sts.alice();
        f.write_credentials(&alice.credentials_section("dev"));
        let out = f.run_with(
            &["keys", "import", "dev"],
            &[
                ("DBUS_SESSION_BUS_ADDRESS", address),
                ("XDG_RUNTIME_DIR", "/nonexistent"),
            ],
        );
        f.assert_failure(
            &out,
            3,
            "cannot reach the Secret Service keyring while looking up the keys stored for 'dev'",
        );
        without_file_keys(&mut f);
    }
    assert!(f.sts.requests().is_empty());
}

/// aws-mfa's layout: `[dev-long-term]` holds the keys, `[dev]` the temporary credentials it
/// wrote. Import names only the long-term lines; with those gone, the temporary ones in `[dev]`
/// do not hide the stored keys.
#[test]
fn aws_mfa_users_move_their_long_term_keys() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let env = keyring.env();
    let alice = f.sts.alice();
    let temporary = "[dev]\naws_access_key_id = ASIATEMPTEMPTEMPTEMP\n\
                     aws_secret_access_key = temporarysecret\naws_session_token = token\n";
    f.write_credentials(&format!(
        "{temporary}{}",
        alice.credentials_section("dev-long-term")
    ));
    let out = f.run_with(&["keys", "import", "dev"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("line 6 (aws_access_key_id), line 7 (aws_secret_access_key)");
    assert!(!out.stderr.contains("line 2"), "{}", out.stderr);

    // Only aws-mfa's temporary output is left: nothing to import, and the stored keys sign.
    f.write_credentials(temporary);
    let out = f.run_with(&["keys", "import", "dev"], &env);
    f.assert_failure(&out, 3, "holds temporary credentials in the files");
    let out = f.run_with(&["dev", "--shell", "bash", "-t", &f.code()], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        signed_with(&f, 0).as_deref(),
        Some(alice.access_key_id.as_str())
    );

    // Without stored keys the message says both.
    assert_eq!(
        f.run_with(&["keys", "remove", "dev", "--yes"], &env).status,
        0
    );
    let out = f.run_with(
        &[
            "dev",
            "--shell",
            "bash",
            "--refresh",
            "-t",
            &f.sts.alice().next_code(),
        ],
        &env,
    );
    f.assert_failure(
        &out,
        3,
        "has no long-term keys (its section in the files holds temporary credentials",
    );
    out.assert_says("mfa-env keys add dev");
}

#[test]
fn storing_over_other_keys_says_which_it_replaces() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let env = keyring.env();
    assert_eq!(f.run_with(&["keys", "import", "dev"], &env).status, 0);
    let bob = fake_sts::User::new("bob", 2);
    f.sts.add_user(bob.clone());
    f.write_credentials(&bob.credentials_section("dev"));
    // No terminal to ask on: replacing needs --yes, and nothing changes without it.
    let out = f.run_with(&["keys", "import", "dev"], &env);
    f.assert_failure(
        &out,
        3,
        "no terminal to ask for the answer on: pass --yes to replace the stored keys without asking",
    );
    let out = f.run_with(&["keys", "list"], &env);
    assert!(out.stdout.contains("AKIA…0001"), "{}", out.stdout);
    let out = f.run_with(&["keys", "import", "dev", "--yes"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(
        "stored the keys AKIA…0002 of 'dev' in the Secret Service keyring, replacing AKIA…0001",
    );
    out.assert_says("STS says they are arn:aws:iam::123456789012:user/bob");
    let out = f.run_with(&["keys", "import", "dve"], &env);
    f.assert_failure(&out, 3, "profile 'dve' not found: did you mean 'dev'?");
}

/// Keys typed or imported are checked with STS first: keys it refuses are not stored, keys it
/// accepts are stored with whose they are.
#[test]
fn keys_sts_refuses_are_not_stored() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let env = keyring.env();
    // bob is not a user of the fake STS: his key is unknown to it.
    let bob = fake_sts::User::new("bob", 2);
    f.write_credentials(&bob.credentials_section("dev"));
    let out = f.run_with(&["keys", "import", "dev"], &env);
    f.assert_failure(
        &out,
        5,
        "STS refused the keys AKIA…0002 (InvalidClientTokenId): the key ID or the secret is wrong",
    );
    out.assert_says("nothing was stored");
    let out = f.run_with(&["keys", "list"], &env);
    assert_eq!((out.status, out.stdout.as_str()), (0, ""), "{}", out.stderr);

    // Typed at the terminal: the same.
    without_file_keys(&mut f);
    let script = format!("{BIN} keys add dev; echo \"DONE:$?\"");
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env("TERM", "dumb")
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    let mut p = spawn_command(cmd, Some(15_000)).expect("spawn in pty");
    p.exp_string("AWS access key ID for 'dev': ").unwrap();
    p.send_line(&bob.access_key_id).unwrap();
    p.exp_string("(not shown): ").unwrap();
    p.send_line(&bob.secret_access_key).unwrap();
    let said = p.exp_string("DONE:5").unwrap();
    assert!(said.contains("STS refused the keys AKIA"), "{said}");
    let out = f.run_with(&["keys", "list"], &env);
    assert_eq!((out.status, out.stdout.as_str()), (0, ""), "{}", out.stderr);

    // Keys STS accepts are stored, with the identity they belong to.
    f.write_credentials(&f.sts.alice().credentials_section("dev"));
    let out = f.run_with(&["keys", "import", "dev"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(
        "stored the keys AKIA…0001 of 'dev' in the Secret Service keyring; STS says they are \
         arn:aws:iam::123456789012:user/alice",
    );
}

/// Runs `mfa-env ARGS` in a pty with the keyring, answers `answer` to its question, and returns
/// the question and what followed.
fn answer_in_pty(
    f: &Fixture,
    keyring: &Keyring,
    args: &str,
    typed: &[&str],
    answer: &str,
) -> String {
    let script = format!("{BIN} {args}; echo \"DONE:$?\"");
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env("TERM", "dumb")
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    let mut p = spawn_command(cmd, Some(15_000)).expect("spawn in pty");
    for line in typed {
        p.exp_string(": ").unwrap();
        p.send_line(line).unwrap();
    }
    let question = p.exp_string("[y/N] ").unwrap();
    p.send_line(answer).unwrap();
    let rest = p.exp_string("DONE:").unwrap();
    let status = p.exp_regex("[0-9]+").unwrap().1;
    format!("{question}[y/N] {rest}DONE:{status}")
}

/// `keys remove` asks first (the stored secret may be the only copy): no terminal and no
/// --yes removes nothing, `n` removes nothing, `y` removes.
#[test]
fn removing_stored_keys_asks_first() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let env = keyring.env();
    assert_eq!(f.run_with(&["keys", "import", "dev"], &env).status, 0);
    without_file_keys(&mut f);
    let out = f.run_with(&["keys", "remove", "dev"], &env);
    f.assert_failure(
        &out,
        3,
        "no terminal to ask for the answer on: pass --yes to remove the keys without asking",
    );
    let stored = |f: &Fixture| f.run_with(&["keys", "list"], &env).stdout.contains("dev ");
    assert!(stored(&f));

    let said = answer_in_pty(&f, &keyring, "keys remove dev", &[], "n");
    assert!(
        said.contains("Delete the keys AKIA") && said.contains("0001 of 'dev' from the Secret Service keyring? AWS never shows a secret again: if this is the only copy, it is lost. [y/N]"),
        "{said}"
    );
    assert!(
        said.contains("nothing removed") && said.ends_with("DONE:0"),
        "{said}"
    );
    assert!(stored(&f));

    let said = answer_in_pty(&f, &keyring, "keys remove dev", &[], "y");
    assert!(said.contains("removed the keys AKIA"), "{said}");
    assert!(!stored(&f));
}

/// `keys add` over stored keys asks before replacing them, naming both keys and whose the new
/// one is: `n` keeps the stored keys.
#[test]
fn replacing_stored_keys_asks_first() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let env = keyring.env();
    assert_eq!(f.run_with(&["keys", "import", "dev"], &env).status, 0);
    without_file_keys(&mut f);
    let bob = fake_sts::User::new("bob", 2);
    f.sts.add_user(bob.clone());
    let typed = [bob.access_key_id.as_str(), bob.secret_access_key.as_str()];
    let said = answer_in_pty(&f, &keyring, "keys add dev", &typed, "n");
    assert!(
        said.contains("Replace the keys AKIA")
            && said.contains(
                "0002 (arn:aws:iam::123456789012:user/bob)? AWS never shows a secret again"
            ),
        "{said}"
    );
    assert!(
        said.contains("nothing stored") && said.ends_with("DONE:0"),
        "{said}"
    );
    let out = f.run_with(&["keys", "list"], &env);
    assert!(out.stdout.contains("AKIA…0001"), "{}", out.stdout);
    assert!(
        !said.contains(&bob.secret_access_key),
        "the secret was echoed"
    );

    let said = answer_in_pty(&f, &keyring, "keys add dev", &typed, "y");
    assert!(said.contains("replacing AKIA"), "{said}");
    let out = f.run_with(&["keys", "list"], &env);
    assert!(out.stdout.contains("AKIA…0002"), "{}", out.stdout);
}

/// `keys rotate` against the fake STS's IAM, whose access-key calls can be made to fail: every
/// outcome leaves the keyring holding a key that works, and says which keys exist.
struct Rotation {
    f: Fixture,
    keyring: Keyring,
    iam: String,
}

impl Rotation {
    /// `dev`'s keys in the keyring only, IAM at the fake STS.
    fn new() -> Option<Rotation> {
        let mut f = Fixture::new();
        let keyring = Keyring::start(&f)?;
        let imported = f.run_with(&["keys", "import", "dev"], &keyring.env());
        assert_eq!(imported.status, 0, "{}", imported.stderr);
        f.write_credentials("");
        let iam = f.sts.url();
        Some(Rotation { f, keyring, iam })
    }

    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Out {
        let mut env = vec![
            ("DBUS_SESSION_BUS_ADDRESS", self.keyring.address.as_str()),
            ("AWS_ENDPOINT_URL_IAM", self.iam.as_str()),
        ];
        env.extend_from_slice(extra);
        self.f.run_with(args, &env)
    }

    /// `keys rotate dev` with a code, and the key it started from.
    fn rotate(&self, extra: &[(&str, &str)]) -> (Out, String) {
        let old = self.f.sts.alice().access_key_id;
        let code = self.f.code();
        (
            self.run(&["keys", "rotate", "dev", "-t", &code], extra),
            old,
        )
    }
}

fn keys_of_alice(f: &Fixture) -> Vec<String> {
    f.sts
        .state()
        .users_named("alice")
        .into_iter()
        .map(|u| u.access_key_id)
        .collect()
}

#[test]
fn rotation_replaces_the_key_and_the_next_session_uses_the_new_one() {
    let Some(r) = Rotation::new() else {
        return;
    };
    let f = &r.f;
    let extra: &[(&str, &str)] = &[];
    let (out, old) = r.rotate(extra);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let keys = keys_of_alice(f);
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_ne!(keys[0], old);
    let new = keys[0].clone();
    out.assert_says(&format!(
        "rotated the keys of 'dev': {} is in the Secret Service keyring and works, {} is deleted",
        mask(&new),
        mask(&old)
    ));
    f.assert_no_secret(&out.stderr);
    let out = r.run(
        &["dev", "--shell", "bash", "-t", &f.sts.alice().next_code()],
        extra,
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let last = f.sts.requests().last().unwrap().clone();
    assert_eq!(
        (last.action.as_str(), last.access_key_id.as_deref()),
        ("GetSessionToken", Some(new.as_str()))
    );
    f.assert_no_secret_in_files();
}

fn mask(key: &str) -> String {
    format!("{}…{}", &key[..4], &key[key.len() - 4..])
}

#[test]
fn a_new_key_that_never_works_is_deleted_and_the_old_one_stays() {
    let Some(r) = Rotation::new() else {
        return;
    };
    let f = &r.f;
    let extra: &[(&str, &str)] = &[("MFA_ENV_NEW_KEY_TIMEOUT", "1")];
    f.sts.state().reject_new_keys = true;
    let (out, old) = r.rotate(extra);
    f.assert_failure(&out, 3, "did not work within 1 s");
    out.assert_says(&format!(
        "was deleted again. Nothing changed: the Secret Service keyring still holds {}, which works",
        mask(&old)
    ));
    assert_eq!(keys_of_alice(f), vec![old.clone()]);
    let out = r.run(&["keys", "list"], extra);
    assert!(out.stdout.contains(&mask(&old)), "{}", out.stdout);
}

#[test]
fn an_old_key_that_cannot_be_deleted_is_named_and_the_new_one_is_stored() {
    let Some(r) = Rotation::new() else {
        return;
    };
    let f = &r.f;
    let extra: &[(&str, &str)] = &[];
    f.sts.state().iam_failures.insert(
        "DeleteAccessKey".to_string(),
        (403, "AccessDenied".to_string()),
    );
    let (out, old) = r.rotate(extra);
    assert_eq!(out.status, 5, "{}", out.stderr);
    let keys = keys_of_alice(f);
    assert_eq!(keys.len(), 2, "{keys:?}");
    let new = keys.iter().find(|k| **k != old).unwrap().clone();
    out.assert_says(&format!(
        "the Secret Service keyring now holds the new key {}, which works; deleting the old key {} failed",
        mask(&new),
        mask(&old)
    ));
    out.assert_says("delete it with `aws iam delete-access-key --user-name alice`");
    let out = r.run(&["keys", "list"], extra);
    assert!(out.stdout.contains(&mask(&new)), "{}", out.stdout);
    // A failure before anything is created changes nothing.
    f.sts.state().iam_failures.clear();
    f.sts.state().iam_failures.insert(
        "ListAccessKeys".to_string(),
        (403, "AccessDenied".to_string()),
    );
    let code = f.sts.alice().next_code();
    let out = r.run(&["keys", "rotate", "dev", "-t", &code], extra);
    f.assert_failure(&out, 5, "nothing changed");
    assert_eq!(keys_of_alice(f).len(), 2);
}

impl Rotation {
    /// `keys rotate dev` started in the background (its output piped), and the key it starts
    /// from.
    fn start_rotate(&self, extra: &[(&str, &str)]) -> (std::process::Child, String) {
        let old = self.f.sts.alice().access_key_id;
        let code = self.f.code();
        let mut c = self.f.cmd();
        c.args(["keys", "rotate", "dev", "-t", &code])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.keyring.address)
            .env("AWS_ENDPOINT_URL_IAM", &self.iam)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in extra {
            c.env(k, v);
        }
        (c.spawn().expect("start keys rotate"), old)
    }

    /// Stops the keyring's daemon just before rotate stores the new key: the new key (refused by
    /// STS, as `reject_new_keys` makes it) is accepted only once the daemon is stopped, and the
    /// write follows at once. Returns the new key and when STS accepted it.
    fn pause_keyring_for_the_write(&self, old: &str) -> (String, std::time::Instant) {
        use std::time::{Duration, Instant};
        let f = &self.f;
        let deadline = Instant::now() + Duration::from_secs(20);
        let checks = |id: &str| {
            f.sts
                .requests()
                .iter()
                .filter(|r| {
                    r.action == "GetCallerIdentity" && r.access_key_id.as_deref() == Some(id)
                })
                .count()
        };
        let new = loop {
            if let Some(new) = keys_of_alice(f).into_iter().find(|k| k != old) {
                if checks(&new) > 0 {
                    break new;
                }
            }
            assert!(Instant::now() < deadline, "rotate never tried a new key");
            std::thread::sleep(Duration::from_millis(20));
        };
        self.keyring.pause();
        let tried = checks(&new);
        f.sts.state().rejected_keys.clear();
        while checks(&new) == tried {
            assert!(
                Instant::now() < deadline,
                "rotate stopped trying the new key"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        (new, Instant::now())
    }

    /// Asserts the rule of rotation: the key the keyring holds is one IAM still has.
    fn assert_stored_key_exists(&self) {
        let out = self.run(&["keys", "list", "--json"], &[]);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let stored = json[0]["access_key_id"].as_str().unwrap().to_string();
        let in_iam: Vec<String> = keys_of_alice(&self.f).iter().map(|k| mask(k)).collect();
        assert!(
            in_iam.contains(&stored),
            "the keyring holds {stored}, which IAM no longer has ({in_iam:?}): its secret is the \
             only one left and it works nowhere"
        );
    }
}

/// A keyring write that does not answer in time and lands later (an unlock prompt answered
/// late): rotate waits for it, reads the item back, finds the new key and keeps it. Deleting the
/// new key then (what a failed write used to cause) would leave the keyring holding a key IAM no
/// longer has; DeleteAccessKey is slowed so that the late write lands while that would happen.
#[test]
fn a_keyring_write_that_lands_late_keeps_the_new_key() {
    use std::time::{Duration, Instant};
    let Some(r) = Rotation::new() else {
        return;
    };
    let f = &r.f;
    f.sts.state().reject_new_keys = true;
    f.sts
        .state()
        .delays
        .insert("DeleteAccessKey".to_string(), Duration::from_secs(3));
    let (child, old) = r.start_rotate(&[
        ("MFA_ENV_KEYRING_TIMEOUT", "2"),
        ("MFA_ENV_NEW_KEY_TIMEOUT", "30"),
    ]);
    let (new, accepted) = r.pause_keyring_for_the_write(&old);
    // After the 2 s the write is given, within the 2 s more rotate waits for it.
    std::thread::sleep(
        (accepted + Duration::from_secs(3)).saturating_duration_since(Instant::now()),
    );
    r.keyring.resume();
    let out = Out::from(child.wait_with_output().unwrap());
    r.assert_stored_key_exists();
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says(
        "the Secret Service keyring did not answer in time while storing the new key; waiting up \
         to 2 s more",
    );
    out.assert_says(&format!(
        "rotated the keys of 'dev': {} is in the Secret Service keyring and works, {} is deleted",
        mask(&new),
        mask(&old)
    ));
    out.assert_says("(the Secret Service keyring reported a failure but holds the new key)");
    assert_eq!(keys_of_alice(f), vec![new]);
    f.assert_no_secret(&out.stderr);
}

/// A keyring write that never answers: which key the keyring will hold is unknown, so both IAM
/// keys stay, and the message says which is where and what to do.
#[test]
fn a_keyring_write_that_never_answers_keeps_both_keys() {
    let Some(r) = Rotation::new() else {
        return;
    };
    let f = &r.f;
    f.sts.state().reject_new_keys = true;
    let (child, old) = r.start_rotate(&[
        ("MFA_ENV_KEYRING_TIMEOUT", "1"),
        ("MFA_ENV_NEW_KEY_TIMEOUT", "30"),
    ]);
    let (new, _) = r.pause_keyring_for_the_write(&old);
    let out = Out::from(child.wait_with_output().unwrap());
    r.keyring.resume();
    f.assert_failure(&out, 3, "storing the new key failed");
    out.assert_says(&format!(
        "what the Secret Service keyring holds now is unknown (it has still not finished \
         writing). Both keys are kept: IAM user 'alice' has {}, stored before the rotation, and {}, \
         created now, which the Secret Service keyring may hold instead",
        mask(&old),
        mask(&new)
    ));
    out.assert_says("delete the other with `aws iam delete-access-key --user-name alice");
    let mut keys = keys_of_alice(f);
    keys.sort();
    assert_eq!(keys, [old, new]);
    r.assert_stored_key_exists();
}

/// Keys first, then setup, with empty files: `keys add work` stores the keys of a profile no
/// file names yet, `setup work` finds the IAM user with them (the fake IAM, where alice has her
/// device) and writes the section it needs, and the profile then works, its keys from the
/// keyring.
#[test]
fn keys_added_first_then_setup_writes_the_profile() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let alice = f.sts.alice();
    f.write_credentials("");
    f.write_config("");
    let said = answer_keys_add(&f, &keyring, "work", &alice);
    assert!(
        said.contains("there is no profile 'work'") && said.contains("`mfa-env setup work`"),
        "{said}"
    );
    assert!(said.contains("DONE:0"), "{said}");

    let iam = f.sts.url();
    let env = [
        ("DBUS_SESSION_BUS_ADDRESS", keyring.address.as_str()),
        ("AWS_ENDPOINT_URL_IAM", iam.as_str()),
    ];
    let out = f.run_with(&["setup", "work", "--yes"], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("IAM user 'alice' already has an MFA device");
    let config = std::fs::read_to_string(f.aws_dir().join("config")).unwrap();
    assert_eq!(config, format!("[profile work]\nmfa_serial = {SERIAL}\n"));
    f.write_config(&config);

    let out = f.run_with(&["work", "--shell", "bash", "-t", &f.code()], &env);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("export MFA_ENV_PROFILE='work'"));
    let signed = f
        .sts
        .requests()
        .last()
        .and_then(|r| r.access_key_id.clone());
    assert_eq!(signed.as_deref(), Some(alice.access_key_id.as_str()));

    // A name with no keys anywhere is still not found.
    let out = f.run_with(&["setup", "nosuch", "--yes"], &env);
    f.assert_failure(&out, 3, "profile 'nosuch' not found");
}

/// `keys add PROFILE` in a pty, typing `user`'s keys; what it said, ending `DONE:STATUS`.
fn answer_keys_add(f: &Fixture, keyring: &Keyring, profile: &str, user: &fake_sts::User) -> String {
    let script = format!("{BIN} keys add {profile}; echo \"DONE:$?\"");
    let mut cmd = f.command("bash");
    cmd.args(["--norc", "--noprofile", "-c", &script])
        .env("TERM", "dumb")
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    let mut p = spawn_command(cmd, Some(15_000)).expect("spawn in pty");
    let mut said = p
        .exp_string(&format!("AWS access key ID for '{profile}': "))
        .unwrap();
    p.send_line(&user.access_key_id).unwrap();
    p.exp_string("AWS secret access key (not shown): ").unwrap();
    p.send_line(&user.secret_access_key).unwrap();
    said.push_str(&p.exp_string("DONE:").unwrap());
    said.push_str("DONE:");
    said.push_str(&p.exp_regex("[0-9]+").unwrap().1);
    said
}

/// `list`'s KEYS column says `none` for a profile with keys in no file and none in the keyring
/// (or no keyring at all), `keyring` where the keyring holds them.
#[test]
fn list_says_none_for_a_profile_with_no_keys_anywhere() {
    let mut f = Fixture::new();
    let Some(keyring) = Keyring::start(&f) else {
        return;
    };
    let alice = f.sts.alice();
    f.write_credentials(&alice.credentials_section("dev"));
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\n[profile bare]\nmfa_serial = {SERIAL}\n\
         [profile stored]\nmfa_serial = {SERIAL}\n[profile bare-admin]\nrole_arn = {ADMIN_ARN}\n\
         source_profile = bare\n"
    ));
    let out = f.run_with(&["keys", "import", "dev"], &keyring.env());
    assert_eq!(out.status, 0, "{}", out.stderr);
    // `stored` gets dev's keys in the keyring under its own name.
    let said = answer_keys_add(&f, &keyring, "stored", &alice);
    assert!(said.contains("DONE:0"), "{said}");
    let keys_of = |out: &Out, profile: &str| -> String {
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(profile))
            .unwrap_or_else(|| panic!("{profile}: {}", out.stdout));
        line.split_whitespace().nth(2).unwrap().to_string()
    };
    let out = f.run_with(&["list"], &keyring.env());
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(keys_of(&out, "dev"), "AKIA…0001");
    assert_eq!(keys_of(&out, "stored"), "keyring");
    assert_eq!(keys_of(&out, "bare"), "none");
    assert_eq!(keys_of(&out, "bare-admin"), "none");
    let out = f.run_with(&["list", "--json"], &keyring.env());
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let bare = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["profile"] == "bare")
        .unwrap();
    assert_eq!(bare["keys"], "none");
    // No keyring to ask: no keys there either.
    let out = f.run(&["list"]);
    assert_eq!(keys_of(&out, "stored"), "none");
}
