fn main() {
    std::process::exit(mfa_env::run());
}

// Start-up on glibc: a cache hit does little more than start, so what the dynamic loader maps on
// every run matters (bench/RESULTS.md). Two libraries are mapped only for a few functions:
//
// - libgcc_s.so.1, for std's unwinder (backtraces; panics abort). GCC's static unwinder, the one
//   Rust's own static glibc builds use, is linked in whole instead, so `--as-needed` drops
//   libgcc_s: no mapping, no relocation, no start-up CPU probing.
// - libm.so.6, for `pow` alone (the cube root in the SDK's retry rate limiter). It is defined
//   here from rust-lang's port of musl's libm, so the binary's own call binds to it and libm is
//   not needed.
//
// tests/integration/startup.rs checks the binary needs nothing but libc.
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    not(target_feature = "crt-static")
))]
#[link(name = "gcc_eh", kind = "static", modifiers = "+whole-archive")]
extern "C" {}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[no_mangle]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::pow;

    #[test]
    fn pow_gives_the_c_library_answers() {
        assert_eq!(pow(2.0, 10.0), 1024.0);
        assert_eq!(pow(2.0, 0.5), std::f64::consts::SQRT_2);
        assert_eq!(pow(10.0, -2.0), 0.01);
        assert_eq!(pow(1.5, 3.0), 3.375);
        assert_eq!(pow(0.0, 0.0), 1.0);
        assert_eq!(pow(f64::NAN, 0.0), 1.0);
        assert_eq!(pow(-2.0, 3.0), -8.0);
        assert!(pow(-8.0, 1.0 / 3.0).is_nan());
        assert_eq!(pow(0.0, -1.0), f64::INFINITY);
        assert_eq!(pow(2.0, 1024.0), f64::INFINITY);
        // The SDK's use: a cube root in its retry rate limiter.
        assert!((pow(27.0, 1.0 / 3.0) - 3.0).abs() < 1e-15);
        assert!((pow(0.125, 1.0 / 3.0) - 0.5).abs() < 1e-16);
    }
}
