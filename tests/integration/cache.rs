//! The session cache, one code for many roles, the reused-code guard, credential_process,
//! list and logout.

use std::os::unix::fs::PermissionsExt;

use crate::support::fake_sts::Role;
use crate::support::*;

fn two_roles(f: &mut Fixture) {
    f.sts.add_role(Role::new("ReadOnly"));
    let alice = f.sts.alice();
    let _ = alice;
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n\
         [profile readonly]\nrole_arn = arn:aws:iam::123456789012:role/ReadOnly\nsource_profile = dev\n"
    ));
}

#[test]
fn two_roles_of_one_source_cost_one_code() {
    let mut f = Fixture::new();
    two_roles(&mut f);
    let out = f.run(&["admin", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    // No code and no terminal: only the cached MFA session can make this work.
    let out = f.run(&["readonly", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    assert_eq!(f.sts.count("AssumeRole"), 2);
    // And the role session itself is cached too.
    let out = f.run(&["readonly", "--shell", "bash"]);
    assert_eq!(out.status, 0);
    assert_eq!(f.sts.count("AssumeRole"), 2);
}

/// STS credentials are not tied to a region: roles in two regions, whose source is in a third,
/// share one MFA session and one code, and each role is still asked for in its own region.
#[test]
fn one_code_serves_roles_in_other_regions() {
    let mut f = Fixture::new();
    f.sts.add_role(Role::new("ReadOnly"));
    f.write_config(&format!(
        "[profile my-project]\nmfa_serial = {SERIAL}\nregion = eu-west-2\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = my-project\nregion = us-west-2\n\
         [profile readonly]\nrole_arn = arn:aws:iam::123456789012:role/ReadOnly\n\
         source_profile = my-project\nregion = ap-southeast-2\n"
    ));
    f.write_credentials(&f.sts.alice().credentials_section("my-project"));
    // A code for the first; then no code and no terminal: only the one MFA session can serve.
    let code = f.code();
    for (profile, region, args) in [
        ("admin", "us-west-2", vec!["-t", code.as_str()]),
        ("readonly", "ap-southeast-2", vec![]),
        ("my-project", "eu-west-2", vec![]),
    ] {
        let mut all = vec![profile, "--shell", "bash"];
        all.extend(args);
        let out = f.run(&all);
        assert_eq!(out.status, 0, "{profile}: {}", out.stderr);
        let want = format!("export AWS_REGION='{region}'");
        assert!(out.stdout.contains(&want), "{profile}: {}", out.stdout);
    }
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    let regions: Vec<_> = f
        .sts
        .requests()
        .iter()
        .map(|r| (r.action.clone(), r.region.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        regions,
        [
            ("GetSessionToken".to_string(), "us-west-2".to_string()),
            ("AssumeRole".to_string(), "us-west-2".to_string()),
            ("AssumeRole".to_string(), "ap-southeast-2".to_string()),
        ]
    );
    // Another partition is another session: a code is needed there.
    f.write_config(&format!(
        "[profile my-project]\nmfa_serial = {SERIAL}\nregion = eu-west-2\n\
         [profile cn]\nrole_arn = {ADMIN_ARN}\nsource_profile = my-project\nregion = cn-north-1\n"
    ));
    let out = f.run(&["cn", "--shell", "bash"]);
    f.assert_failure(&out, 4, "no terminal to ask for the MFA code");
}

/// A role through a new MFA session makes its two calls on one connection (one TCP handshake,
/// and over HTTPS one TLS handshake: tls.rs), as does a chain of roles; a direct role is one call.
#[test]
fn a_fresh_role_session_makes_its_calls_on_one_connection() {
    let mut f = Fixture::new();
    f.sts.add_role(Role::new("Second"));
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n\
         [profile chained]\nrole_arn = arn:aws:iam::123456789012:role/Second\nsource_profile = admin\n"
    ));
    let out = f.run(&["chained", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let requests = f.sts.requests();
    let calls: Vec<_> = requests
        .iter()
        .map(|r| (r.action.as_str(), r.connection))
        .collect();
    let first = requests[0].connection;
    assert_eq!(
        calls,
        [
            ("GetSessionToken", first),
            ("AssumeRole", first),
            ("AssumeRole", first)
        ]
    );
}

/// `--refresh` on a role renews the role from the cached MFA session, with no code (what
/// `mfa-env-refresh` in a role's countdown shell does); `--refresh-mfa` starts a new MFA session
/// (a new code), as the message for a rejected MFA session says.
#[test]
fn refresh_renews_a_role_from_the_mfa_session_and_refresh_mfa_starts_a_new_one() {
    let f = Fixture::new();
    let out = f.run(&["admin", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    // No terminal, no code: a code would be an error here.
    let out = f.run(&["admin", "--shell", "bash", "--refresh"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    assert_eq!(f.sts.count("AssumeRole"), 2);
    let out = f.run(&["admin", "--shell", "bash", "--refresh-mfa"]);
    f.assert_failure(&out, 4, "no terminal to ask for the MFA code");
    let out = f.run(&[
        "admin",
        "--shell",
        "bash",
        "--refresh-mfa",
        "-t",
        &f.sts.alice().next_code(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 2);
    assert_eq!(f.sts.count("AssumeRole"), 3);
    let assumes: Vec<_> = f
        .sts
        .requests()
        .into_iter()
        .filter(|r| r.action == "AssumeRole")
        .map(|r| r.access_key_id)
        .collect();
    assert_eq!(
        assumes[0], assumes[1],
        "--refresh used the cached MFA session"
    );
    assert_ne!(
        assumes[1], assumes[2],
        "the third role was assumed with the new MFA session"
    );
    // And the new MFA session is the cached one: another role needs no code.
    let out = f.run(&["dev", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(assumes[2].as_deref().unwrap()),
        "{}",
        out.stdout
    );
}

/// An MFA session that would end before the renewed role credentials is ending: `--refresh`
/// asks for a code then (the last hour of a 12-hour session, here a 30-minute one).
#[test]
fn refresh_of_a_role_asks_for_a_code_when_the_mfa_session_is_ending() {
    let f = Fixture::new();
    f.sts.state().session_lifetime = Some(1800);
    let out = f.run(&["admin", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = f.run(&["admin", "--shell", "bash", "--refresh"]);
    f.assert_failure(&out, 4, "no terminal to ask for the MFA code");
    assert_eq!(f.sts.count("GetSessionToken"), 1);
}

#[test]
fn cache_files_are_private_under_a_permissive_umask() {
    let f = Fixture::new();
    let mut cmd = f.cmd();
    cmd.args(["admin", "--shell", "bash", "-t", &f.code()]);
    use std::os::unix::process::CommandExt;
    // SAFETY: umask is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    let out = Out::from(cmd.output().unwrap());
    assert_eq!(out.status, 0, "{}", out.stderr);
    let dir = f.cache_dir();
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let mut files = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        files += 1;
        let mode = e.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", e.path());
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        assert!(
            !text.contains(&f.sts.alice().secret_access_key),
            "long-term secret in the cache"
        );
    }
    assert!(files >= 3, "sessions, lock and guard files");
}

#[test]
fn unsafe_cache_directories_are_refused() {
    let f = Fixture::new();
    let open = f.root.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = f.run_with(
        &["dev", "-t", &f.code()],
        &[("MFA_ENV_CACHE_DIR", open.to_str().unwrap())],
    );
    f.assert_failure(&out, 3, "it is open to others (mode 0777)");
    let link = f.root.path().join("link");
    let real = f.root.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = f.run_with(
        &["dev", "-t", &f.code()],
        &[("MFA_ENV_CACHE_DIR", link.to_str().unwrap())],
    );
    f.assert_failure(&out, 3, "it is a symbolic link");
    let out = f.run_with(&["dev", "-t", &f.code()], &[("MFA_ENV_CACHE_DIR", "/")]);
    f.assert_failure(&out, 3, "cannot use the session cache");
    assert!(f.sts.requests().is_empty());
}

#[test]
fn xdg_runtime_dir_is_the_default_location() {
    let f = Fixture::new();
    let run = f.root.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let out = Out::from(
        f.cmd()
            .env_remove("MFA_ENV_CACHE_DIR")
            .env("XDG_RUNTIME_DIR", &run)
            .args(["dev", "--shell", "bash", "-t", &f.code()])
            .output()
            .unwrap(),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(run.join("mfa-env").is_dir());
    assert!(!f.aws_dir().join("cli").exists());
}

#[test]
fn a_corrupt_entry_is_ignored_and_replaced() {
    let f = Fixture::new();
    assert_eq!(
        f.run(&["dev", "--shell", "bash", "-t", &f.code()]).status,
        0
    );
    for e in std::fs::read_dir(f.cache_dir()).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("session-") {
            std::fs::write(e.path(), b"{not json").unwrap();
        }
    }
    // A half-written temp file from a killed run is ignored too.
    std::fs::write(
        f.cache_dir()
            .join(".session-0123456789abcdef0123456789abcdef.json.tmp.1.2"),
        b"{\"version\":1,",
    )
    .unwrap();
    let out = f.run(&["dev", "--shell", "bash", "-t", &f.sts.alice().next_code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 2);
    let out = f.run(&["dev", "--shell", "bash"]);
    assert_eq!(out.status, 0, "replaced entry is used: {}", out.stderr);
    assert_eq!(f.sts.count("GetSessionToken"), 2);
}

#[test]
fn a_changed_source_key_or_serial_misses_the_cache() {
    let mut f = Fixture::new();
    assert_eq!(
        f.run(&["dev", "--shell", "bash", "-t", &f.code()]).status,
        0
    );
    let bob = crate::support::fake_sts::User::new("bob", 2);
    f.sts.add_user(bob.clone());
    f.write_credentials(&bob.credentials_section("dev"));
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {}\nregion = eu-west-1\n",
        bob.mfa_serial
    ));
    let out = f.run(&["dev", "--shell", "bash"]);
    f.assert_failure(&out, 4, "no terminal to ask for the MFA code");
    let out = f.run(&["dev", "--shell", "bash", "-t", &bob.code_now()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        f.sts.requests().last().unwrap().access_key_id.as_deref(),
        Some(bob.access_key_id.as_str())
    );
}

#[test]
fn sessions_within_the_margin_are_renewed() {
    let f = Fixture::new();
    assert_eq!(
        f.run(&[
            "dev",
            "--shell",
            "bash",
            "--duration",
            "15m",
            "-t",
            &f.code()
        ])
        .status,
        0
    );
    // 15 minutes left, margin 20 minutes: renewed, so a code is needed.
    let out = f.run_with(&["dev", "--shell", "bash"], &[("MFA_ENV_MARGIN", "20m")]);
    f.assert_failure(&out, 4, "no terminal");
    let out = f.run_with(&["dev", "--shell", "bash"], &[("MFA_ENV_MARGIN", "5m")]);
    assert_eq!(out.status, 0, "{}", out.stderr);
}

#[test]
fn a_code_already_used_is_not_sent_again() {
    let f = Fixture::new();
    let code = f.code();
    assert_eq!(
        f.run(&["dev", "--no-cache", "--shell", "bash", "-t", &code])
            .status,
        0
    );
    // --no-cache keeps no guard file; a run with the cache records the code it spent.
    let code2 = f.sts.alice().next_code();
    assert_eq!(
        f.run(&["dev", "--shell", "bash", "--refresh", "-t", &code2])
            .status,
        0
    );
    let before = f.sts.requests().len();
    let out = f.run(&["dev", "--shell", "bash", "--refresh", "-t", &code2]);
    f.assert_failure(
        &out,
        4,
        "this code was already used and AWS accepts each code once: wait",
    );
    assert_eq!(f.sts.requests().len(), before, "not sent");
}

#[test]
fn parallel_cold_runs_make_one_authentication() {
    let f = Fixture::new();
    let code = f.code();
    let children: Vec<_> = (0..6)
        .map(|_| {
            f.cmd()
                .args([
                    "exec",
                    "dev",
                    "-t",
                    &code,
                    "--",
                    "sh",
                    "-c",
                    "echo $AWS_ACCESS_KEY_ID",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Out> = children
        .into_iter()
        .map(|c| Out::from(c.wait_with_output().unwrap()))
        .collect();
    for o in &outs {
        assert_eq!(o.status, 0, "{}", o.stderr);
    }
    assert_eq!(f.sts.count("GetSessionToken"), 1);
    let keys: std::collections::BTreeSet<&str> = outs.iter().map(|o| o.stdout.as_str()).collect();
    assert_eq!(keys.len(), 1, "all six got the same session");
}

#[test]
fn logout_forgets_and_list_shows() {
    let mut f = Fixture::new();
    two_roles(&mut f);
    assert_eq!(
        f.run(&["admin", "--shell", "bash", "-t", &f.code()]).status,
        0
    );
    let out = f.run(&["list"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("PROFILE"), "{}", out.stdout);
    assert!(
        lines.iter().any(|l| l.starts_with("admin ")
            && l.contains("role")
            && (l.contains("59m") || l.contains("1h00m"))
            && l.contains(ADMIN_ARN)),
        "{}",
        out.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with("dev ")
            && l.contains("session-token")
            && l.contains(" AKIA…0001 ")
            && (l.contains("11h59m") || l.contains("12h00m"))),
        "{}",
        out.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with("readonly ")
            && (l.contains(" mfa 11h59m ") || l.contains(" mfa 12h00m "))),
        "{}",
        out.stdout
    );
    let json: serde_json::Value = serde_json::from_str(&f.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    let out = f.run(&["logout", "admin"]);
    assert!(
        out.stderr.contains("forgot 2 cached sessions for 'admin'"),
        "{}",
        out.stderr
    );
    f.assert_failure(&f.run(&["readonly"]), 4, "no terminal");
    assert_eq!(
        f.run(&["dev", "-t", &f.sts.alice().next_code(), "--shell", "bash"])
            .status,
        0
    );
    let out = f.run(&["logout", "--all"]);
    assert!(
        out.stderr.contains("forgot 1 cached session"),
        "{}",
        out.stderr
    );
}

#[test]
fn credential_process_prints_version_1_json() {
    let f = Fixture::new();
    let out = f.run(&["credential-process", "admin", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["Version"], 1);
    assert!(v["AccessKeyId"].as_str().unwrap().starts_with("ASIAFAKE"));
    assert!(v["SessionToken"].as_str().is_some() && v["SecretAccessKey"].as_str().is_some());
    assert!(v["Expiration"].as_str().unwrap().ends_with('Z'));
    let out = f.run(&["credential-process", "readonly-missing"]);
    f.assert_failure(&out, 3, "not found");
}

/// A profile `name` whose credentials come from `mfa-env credential-process admin`, with the
/// cache warm: SDKs give the process no terminal to ask on.
fn credential_process_fixture(name: &str) -> Fixture {
    let mut f = Fixture::new();
    f.write_config(&format!(
        "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n\
         [profile {name}]\ncredential_process = {} credential-process admin\nregion = eu-west-1\n",
        bin()
    ));
    let out = f.run(&["admin", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    f
}

#[test]
fn aws_cli_uses_mfa_env_as_credential_process() {
    if !require_file("/usr/bin/aws") {
        return;
    }
    let f = credential_process_fixture("work");
    let mut aws = f.command("/usr/bin/aws");
    aws.args([
        "sts",
        "get-caller-identity",
        "--profile",
        "work",
        "--endpoint-url",
        &f.sts.url(),
        "--output",
        "json",
    ]);
    let out = Out::from(aws.output().unwrap());
    assert_eq!(out.status, 0, "aws: {}", out.stderr);
    assert!(
        out.stdout
            .contains("arn:aws:sts::123456789012:assumed-role/Admin/mfa-env-alice"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_cached_mfa_session_that_sts_rejects_is_replaced() {
    let mut f = Fixture::new();
    two_roles(&mut f);
    assert_eq!(
        f.run(&["admin", "--shell", "bash", "-t", &f.code()]).status,
        0
    );
    f.sts.revoke_sessions();
    let out = f.run(&[
        "readonly",
        "--shell",
        "bash",
        "-t",
        &f.sts.alice().next_code(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the cached MFA session was not accepted"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("STS rejected the MFA session credentials (InvalidClientTokenId)"),
        "{}",
        out.stderr
    );
    assert_eq!(f.sts.count("GetSessionToken"), 2);
}

#[test]
fn expired_entries_are_swept_when_a_session_is_written() {
    let f = Fixture::new();
    assert_eq!(
        f.run(&["dev", "--shell", "bash", "-t", &f.code()]).status,
        0
    );
    let dir = f.cache_dir();
    let stale = dir.join("session-0123456789abcdef0123456789abcdef.json");
    std::fs::write(&stale, r#"{"version":1,"profile":"old","kind":"session-token","access_key_id":"ASIAOLD","secret_access_key":"s","session_token":"t","expiration":1000,"identity":""}"#).unwrap();
    assert_eq!(f.run(&["admin", "--shell", "bash"]).status, 0);
    assert!(!stale.exists(), "an expired session stays on disk");
}

#[test]
fn boto3_uses_mfa_env_as_credential_process() {
    let Some(python) = crate::moto::venv_tool("MFA_ENV_PYTHON", "python") else {
        require_present(false, "the venv python with boto3");
        return;
    };
    let f = credential_process_fixture("py");
    let script = format!(
        "import boto3; print(boto3.Session(profile_name='py').client('sts', endpoint_url='{}').get_caller_identity()['Arn'])",
        f.sts.url()
    );
    let out = f.sh(python.to_str().unwrap(), &["-c", &script], &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("arn:aws:sts::123456789012:assumed-role/Admin/mfa-env-alice"),
        "{}",
        out.stdout
    );
}

#[test]
fn logout_does_not_forget_which_code_was_spent() {
    let f = Fixture::new();
    let code = f.code();
    assert_eq!(f.run(&["dev", "--shell", "bash", "-t", &code]).status, 0);
    assert_eq!(f.run(&["logout", "--all"]).status, 0);
    let before = f.sts.requests().len();
    let out = f.run(&["dev", "--shell", "bash", "-t", &code]);
    f.assert_failure(&out, 4, "this code was already used");
    assert_eq!(f.sts.requests().len(), before, "not sent");
}

/// The one file in the cache directory whose name starts with `prefix`.
fn only_file(dir: &std::path::Path, prefix: &str) -> std::path::PathBuf {
    let found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    assert_eq!(found.len(), 1, "{prefix}: {found:?}");
    found[0].clone()
}

/// The device's lock file is opened without following a link: one planted in its place is
/// refused, what it points at keeps its content and mode, and a dangling one creates nothing.
#[test]
fn a_symlinked_lock_file_is_refused_and_its_target_untouched() {
    let f = Fixture::new();
    assert_eq!(
        f.run(&["dev", "--shell", "bash", "-t", &f.code()]).status,
        0
    );
    let lock = only_file(&f.cache_dir(), "lock-");
    let target = f.root.path().join("precious");
    std::fs::write(&target, "precious\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let missing = f.root.path().join("created-through-the-link");
    for points_at in [&target, &missing] {
        std::fs::remove_file(&lock).unwrap();
        std::os::unix::fs::symlink(points_at, &lock).unwrap();
        let code = f.sts.alice().next_code();
        let out = f.run(&["dev", "--shell", "bash", "--refresh", "-t", &code]);
        f.assert_failure(&out, 3, "is a symbolic link, not a file mfa-env made");
        assert!(std::fs::symlink_metadata(&lock)
            .unwrap()
            .file_type()
            .is_symlink());
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the link's target was re-permissioned");
    assert!(!missing.exists(), "a file was created through the link");
    assert_eq!(f.sts.count("GetSessionToken"), 1);
}

/// A runtime directory that is not the user's (root with a user's XDG_RUNTIME_DIR: its owner
/// could swap what is in it) does not hold the cache: the user cache directory does.
#[test]
fn a_runtime_dir_owned_by_someone_else_is_not_used() {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !require_present(
        root,
        "root (to chown a directory to another user; CI runs as root)",
    ) {
        return;
    }
    let f = Fixture::new();
    let run = f.root.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&run, Some(65534), Some(65534)).unwrap();
    // Outside HOME: the fixture checks that no secret lands there.
    let cache_home = f.root.path().join("cache-home");
    let out = Out::from(
        f.cmd()
            .env_remove("MFA_ENV_CACHE_DIR")
            .env("XDG_RUNTIME_DIR", &run)
            .env("XDG_CACHE_HOME", &cache_home)
            .args(["dev", "--shell", "bash", "-t", &f.code()])
            .output()
            .unwrap(),
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        !run.join("mfa-env").exists(),
        "the foreign runtime dir was used"
    );
    out.assert_says("not used: it is owned by uid 65534, not by you");
    assert!(cache_home.join("mfa-env").is_dir());
}

/// A run that finds the device's lock held (another run asking for a code in a terminal)
/// waits, says which run and terminal it waits for, and gives up after MFA_ENV_LOCK_TIMEOUT
/// with a message that names them too and nothing on stdout; the holder is unaffected.
#[test]
fn a_held_lock_is_waited_for_with_its_holder_named_then_given_up() {
    let f = Fixture::new();
    let mut holder = f.command("bash");
    holder
        .args([
            "--norc",
            "--noprofile",
            "-c",
            "echo \"HOLDER $$ $(tty)\"; exec \"$0\" dev --shell bash",
            &bin(),
        ])
        .env("TERM", "dumb");
    let mut p = rexpect::session::spawn_command(holder, Some(15_000)).unwrap();
    let (_, line) = p.exp_regex(r"HOLDER \d+ /dev/\S+").unwrap();
    let mut words = line.split_whitespace().skip(1);
    let (pid, tty) = (words.next().unwrap(), words.next().unwrap());
    p.exp_string("Enter MFA code").unwrap();

    let start = std::time::Instant::now();
    let mut waiter = f
        .cmd()
        .args(["dev", "--shell", "bash", "-t", &f.code()])
        .env("MFA_ENV_LOCK_TIMEOUT", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while waiter.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = waiter.kill();
            let out = Out::from(waiter.wait_with_output().unwrap());
            panic!("still waiting for the lock after 20s: {}", out.stderr);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let took = start.elapsed();
    let out = Out::from(waiter.wait_with_output().unwrap());
    out.assert_says(&format!(
        "mfa-env: waiting for another mfa-env (pid {pid} on {tty}) that is authenticating \
         with {SERIAL}… (up to 1s)"
    ));
    f.assert_failure(
        &out,
        4,
        &format!(
            "gave up after 1s waiting for another mfa-env (pid {pid} on {tty}) that is \
             authenticating with {SERIAL}: finish or end it on {tty}, or pass --no-cache"
        ),
    );
    assert!(
        took >= std::time::Duration::from_secs(1) && took < std::time::Duration::from_secs(10),
        "{took:?}"
    );
    assert_eq!(f.sts.count("GetSessionToken"), 0);

    p.send_line(&f.code()).unwrap();
    p.exp_string("'dev' is authenticated").unwrap();
    let status = wait_exit(&p, std::time::Duration::from_secs(10));
    assert!(status.ends_with(", 0)"), "{status}");
}

/// Writes `name` in `dir` with `text`, last modified `age` ago.
fn plant(dir: &std::path::Path, name: &str, text: &str, age: std::time::Duration) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

/// `logout --all` and the sweep touch only mfa-env's own files, known by exact name: in a
/// cache directory shared with other files those survive. mfa-env's leftovers go (sessions,
/// stale temp files, locks no run holds, spent-code records past their window); a lock a run
/// holds and the record of a code still in its window stay.
#[test]
fn logout_all_and_the_sweep_remove_only_mfa_envs_own_files() {
    let f = Fixture::new();
    let code = f.code();
    assert_eq!(f.run(&["dev", "--shell", "bash", "-t", &code]).status, 0);
    let dir = f.cache_dir();
    let old = std::time::Duration::from_secs(600);
    let foreign = [
        "session-notes.txt",
        "a.tmp.b",
        "lock-file-of-someone",
        "used-car.txt",
        ".session-notes.txt.tmp.1.2",
        "session-0123456789ABCDEF0123456789ABCDEF.json",
    ];
    for name in foreign {
        plant(&dir, name, "not mfa-env's\n", old);
    }
    let key = "0123456789abcdef0123456789abcdef";
    let stale_temp = format!(".session-{key}.json.tmp.999.1");
    let expired = format!("session-{key}.json");
    let idle_lock = format!("lock-{key}");
    let old_record = format!("used-{key}");
    plant(&dir, &stale_temp, "{\"version\":1,", old);
    plant(
        &dir,
        &expired,
        r#"{"version":1,"profile":"old","kind":"session-token","access_key_id":"ASIAOLD","secret_access_key":"s","session_token":"t","expiration":1000,"identity":""}"#,
        old,
    );
    plant(&dir, &idle_lock, "", old);
    plant(&dir, &old_record, "1 0000\n", old);

    // The sweep, when a session is written.
    assert_eq!(f.run(&["admin", "--shell", "bash"]).status, 0);
    for name in foreign {
        assert!(dir.join(name).exists(), "the sweep removed {name}");
    }
    assert!(!dir.join(&stale_temp).exists(), "a stale temp file stays");
    assert!(!dir.join(&expired).exists(), "an expired session stays");

    // logout --all while a run holds the device's lock (this test, as one would).
    let held: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("lock-") && n != idle_lock && n != "lock-file-of-someone"
        })
        .collect();
    assert_eq!(held.len(), 1, "{held:?}");
    let holding = std::fs::File::open(&held[0]).unwrap();
    holding.lock().unwrap();
    let out = f.run(&["logout", "--all"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("forgot 2 cached sessions");
    for name in foreign {
        assert_eq!(
            std::fs::read_to_string(dir.join(name)).unwrap(),
            "not mfa-env's\n",
            "logout --all touched {name}"
        );
    }
    let left: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !foreign.contains(&n.as_str()))
        .collect();
    let used: Vec<_> = left.iter().filter(|n| n.starts_with("used-")).collect();
    assert_eq!(
        used.len(),
        1,
        "only alice's record, in its window: {left:?}"
    );
    assert!(!left.contains(&old_record), "{left:?}");
    let held_name = held[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        left.contains(&held_name),
        "a held lock was removed: {left:?}"
    );
    assert_eq!(left.len(), 2, "{left:?}");

    // Released, it goes; and the code spent is still refused.
    drop(holding);
    assert_eq!(f.run(&["logout", "--all"]).status, 0);
    assert!(!held[0].exists(), "an idle lock stays");
    let out = f.run(&["dev", "--shell", "bash", "-t", &code]);
    f.assert_failure(&out, 4, "this code was already used");
}

/// The demo's commands (`cargo run -p local-sts`) put mfa-env's sessions in the demo's own
/// directory, which the demo removes when it stops: run as printed, in bash, they leave nothing
/// in the user's session cache.
#[test]
fn the_demo_keeps_its_sessions_in_its_own_directory() {
    let f = Fixture::new();
    let demo = f.root.path().join("demo");
    let run = f.root.path().join("run");
    for dir in [&demo, &run] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    }
    let alice = f.sts.alice();
    std::fs::write(demo.join("credentials"), alice.credentials_section("demo")).unwrap();
    std::fs::write(
        demo.join("config"),
        format!(
            "[profile demo]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\n\
             [profile demo-admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = demo\n\n\
             [profile demo-web]\nregion = eu-west-1\n"
        ),
    )
    .unwrap();
    f.sts.auto_approve(true);
    let text = fake_sts::demo::instructions(&f.sts.url(), &demo);
    let bash: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("bash or zsh"))
        .take_while(|l| !l.starts_with("fish"))
        .filter(|l| l.trim_start().starts_with("export "))
        .collect();
    assert_eq!(bash.len(), 4, "{text}");
    let script = format!(
        "{}\neval \"$(mfa-env demo -t {})\" || exit 9\nmfa-env exec demo-admin -- true\n\
         mfa-env login demo-web --yes || exit 8\nmfa-env exec demo-web -- true",
        bash.join("\n"),
        f.code()
    );
    let mut c = f.command("bash");
    c.args(["--norc", "-c", &script])
        .env_remove("MFA_ENV_CACHE_DIR")
        .env_remove("AWS_LOGIN_CACHE_DIRECTORY")
        .env("BROWSER", f.url_opener())
        .env("XDG_RUNTIME_DIR", &run)
        .env("PATH", path_with_bin());
    let out = Out::from(c.output().unwrap());
    assert_eq!(out.status, 0, "{}", out.stderr);
    let kept = std::fs::read_dir(fake_sts::demo::cache_dir(&demo))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(kept >= 2, "the demo's sessions are not in its directory");
    let signed_in = std::fs::read_dir(fake_sts::demo::login_cache_dir(&demo))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(signed_in, 1, "the demo's sign-in is not in its directory");
    assert!(!f.home.join(".aws/login").exists());
    for elsewhere in [run.join("mfa-env"), f.home.join(".cache/mfa-env")] {
        assert!(
            !elsewhere.exists(),
            "a session went to {}",
            elsewhere.display()
        );
    }
}

/// With thousands of profiles, a run remembers which sections a profile needs: the next run
/// reads only those while the files are unchanged, and sees any change to them at once.
#[test]
fn the_sections_a_profile_needs_are_remembered_until_the_files_change() {
    let mut f = Fixture::new();
    let mut config = String::new();
    for i in 0..3000 {
        config.push_str(&format!(
            "[profile p{i:04}]\nmfa_serial = arn:aws:iam::123456789012:mfa/u{i}\n\n"
        ));
    }
    let base = format!(
        "{config}[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n"
    );
    f.write_config(&base);
    let out = f.run(&["admin", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("remembered"), "{}", out.stderr);
    let memos: Vec<String> = std::fs::read_dir(f.cache_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("files-"))
        .collect();
    assert_eq!(memos.len(), 1, "{memos:?}");
    let memo = std::fs::read_to_string(f.cache_dir().join(&memos[0])).unwrap();
    f.assert_no_secret(&memo);
    assert!(!memo.contains("AKIA"), "{memo}");
    // Unchanged: from the remembered sections, the same answer.
    let out = f.run(&["admin", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.assert_says("from the sections remembered");
    assert!(
        out.stdout.contains("export AWS_REGION='eu-west-1'"),
        "{}",
        out.stdout
    );
    // Changed (the same length, even): read again.
    f.write_config(&base.replace("eu-west-1", "eu-west-2"));
    let out = f.run(&["admin", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("remembered"), "{}", out.stderr);
    assert!(
        out.stdout.contains("export AWS_REGION='eu-west-2'"),
        "{}",
        out.stdout
    );
    // The chain itself changed: the role's source gone is said, not a stale answer.
    f.write_config(&base.replace("source_profile = dev", "source_profile = gone"));
    let out = f.run(&["admin", "--shell", "bash"]);
    f.assert_failure(&out, 3, "names source_profile 'gone', which does not exist");
    // logout --all removes the memos with the sessions.
    let out = f.run(&["logout", "--all"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let left = std::fs::read_dir(f.cache_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("files-"))
        .count();
    assert_eq!(left, 0);
}

/// `list` remembers what it made of the files: unchanged, the rows come from the cache (the
/// same table); the cached sessions are looked up live each time; a change to the files, or
/// to the endpoints the environment names, makes it read them again.
#[test]
fn list_remembers_the_profiles_until_the_files_change() {
    let mut f = Fixture::new();
    let mut config = String::new();
    for i in 0..500 {
        config.push_str(&format!(
            "[profile p{i:03}]\nmfa_serial = arn:aws:iam::123456789012:mfa/u{i}\n\n"
        ));
    }
    let base = format!(
        "{config}[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n\n\
         [profile admin]\nrole_arn = {ADMIN_ARN}\nsource_profile = dev\n"
    );
    f.write_config(&base);
    // (The rows are remembered in the session cache, once there is one: a first session.)
    let out = f.run(&["dev", "--shell", "bash", "-t", &f.code()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let first = f.run(&["list"]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(!first.stderr.contains("as remembered"), "{}", first.stderr);
    let again = f.run(&["list"]);
    again.assert_says("the profiles as remembered");
    assert_eq!(again.stdout, first.stdout);
    let json = f.run(&["list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 502);
    // A session cached since: shown, from the remembered rows.
    let out = f.run(&["admin", "--shell", "bash"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let out = f.run(&["list"]);
    out.assert_says("the profiles as remembered");
    let admin = out
        .stdout
        .lines()
        .find(|l| l.starts_with("admin "))
        .unwrap();
    assert!(admin.contains("59m") || admin.contains("1h00m"), "{admin}");
    let dev = out.stdout.lines().find(|l| l.starts_with("dev ")).unwrap();
    assert!(dev.contains("h"), "{dev}");
    // Another endpoint: other cache keys, read again.
    let out = f.run_with(&["list"], &[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]);
    assert!(!out.stderr.contains("as remembered"), "{}", out.stderr);
    let admin = out
        .stdout
        .lines()
        .find(|l| l.starts_with("admin "))
        .unwrap();
    assert!(admin.contains(" - "), "{admin}");
    // A profile added: there at once.
    f.write_config(&format!("{base}\n[profile newer]\nmfa_serial = {SERIAL}\n"));
    let out = f.run(&["list"]);
    assert!(!out.stderr.contains("as remembered"), "{}", out.stderr);
    assert!(
        out.stdout.lines().any(|l| l.starts_with("newer ")),
        "{}",
        out.stdout
    );
}
