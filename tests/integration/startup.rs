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
