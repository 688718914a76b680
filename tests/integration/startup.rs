//! What every run pays before doing anything: on glibc, the binary needs libc and nothing else
//! (src/main.rs links the unwinder in and defines the one libm function it calls), so the dynamic
//! loader maps and relocates no other library. bench/RESULTS.md has the numbers.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_needs_only_libc_and_the_loader() {
    use crate::support::*;
    if !require("readelf") {
        return;
    }
    let out = sh("readelf", &["--dynamic", "--wide", BIN], &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let needed: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .collect();
    assert!(needed.contains(&"libc.so.6"), "{needed:?}");
    for lib in &needed {
        assert!(
            *lib == "libc.so.6" || lib.starts_with("ld-linux"),
            "the binary needs {lib}: {needed:?}"
        );
    }
}

/// What src/main.rs keeps of std's start-up when it starts at its own `main` on glibc (std's
/// start-up elsewhere does the same): a stream closed when mfa-env starts is opened on /dev/null,
/// so no file mfa-env opens takes its number, and the command it runs finds it there too; SIGPIPE
/// is ignored by mfa-env (a gone reader ends it with the status 141, not the signal) and at its
/// default again in the command it runs; the arguments arrive.
#[cfg(target_os = "linux")]
#[test]
fn closed_streams_and_sigpipe_are_handled_as_by_std() {
    use crate::support::*;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let f = Fixture::new();
    let code = f.code();
    // Reports, on stderr (the one stream left open), what the command sees.
    let report = "i=$(readlink /proc/$$/fd/0) o=$(readlink /proc/$$/fd/1); \
                  printf '0=%s\\n1=%s\\nargs=%s|%s\\n' \"$i\" \"$o\" \"$1\" \"$2\" >&2; \
                  grep '^SigIgn' /proc/$$/status >&2";
    let mut cmd = f.cmd();
    cmd.args([
        "exec", "dev", "-t", &code, "--", "sh", "-c", report, "sh", "a b", "",
    ]);
    // SAFETY: close(2) between fork and exec only.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(0);
            libc::close(1);
            Ok(())
        });
    }
    let out = Out::from(cmd.output().unwrap());
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("0=/dev/null\n1=/dev/null\n"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("args=a b|\n"), "{}", out.stderr);
    let ignored = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .map(|m| u64::from_str_radix(m.trim(), 16).unwrap())
        .expect("SigIgn in the report");
    assert_eq!(
        ignored & (1 << (libc::SIGPIPE - 1)),
        0,
        "the command runs with SIGPIPE ignored: {ignored:x}"
    );

    // mfa-env itself, stdout closed: the version goes to /dev/null, nothing is said.
    let mut cmd = f.cmd();
    cmd.arg("--version");
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(o.stderr.is_empty(), "{o:?}");

    // A reader that is gone: mfa-env sees the error and exits with 141 itself.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = f
        .cmd()
        .args(["completions", "bash"])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(o.status.signal(), None, "killed by a signal: {o:?}");
    assert_eq!(o.status.code(), Some(141), "{o:?}");
}
