// On glibc the program starts at its own `main` rather than std's: std's start-up spends more on
// every run than a cached session's whole lookup does (bench/RESULTS.md), nearly all of it in
// one thing mfa-env does without: a handler that turns a stack overflow into a message instead
// of a plain SIGSEGV. To place it, std asks glibc where the main thread's stack ends, and glibc
// finds out by reading and sscanf-ing /proc/self/maps (four system calls, the kernel writing out
// every mapping, ~90,000 instructions), then maps a signal stack. The rest of std's start-up is
// kept, below; the arguments need nothing, as glibc hands them to std's own constructor
// (`std::env::args_os` works before and without `main`). Elsewhere (musl, macOS, Windows) std
// takes its arguments in its start-up, so it keeps its own `main`; the static release binary
// does not have the glibc cost anyway. tests/integration/startup.rs checks each kept step.
// (Not in the unit-test build of this file, whose `main` is the test harness's.)
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

#[cfg(any(not(all(target_os = "linux", target_env = "gnu")), test))]
fn main() {
    std::process::exit(mfa_env::run());
}

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[no_mangle]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: called once, first, on the only thread, as std's own start-up is.
    unsafe { start_up() };
    // exit() runs std's clean-up: stdout's buffer is flushed, as after std's `main`.
    std::process::exit(mfa_env::run());
}

/// What std's start-up does on Linux and mfa-env keeps (library/std/src/sys/pal/unix/mod.rs):
///
/// - A closed stdin, stdout or stderr is opened on /dev/null, so no file opened later (the cache,
///   a config written by setup) takes its number and receives what was meant for the stream.
/// - SIGPIPE is ignored: a closed stdout is an error mfa-env ends on quietly (`Exit::StdoutClosed`)
///   rather than a signal, and the endpoint outlives a client that hangs up. std's `Command`
///   restores the default for the programs mfa-env starts, as it does after std's start-up.
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
unsafe fn start_up() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    let closed: [bool; 3] = loop {
        // SAFETY: three valid pollfd structures, a zero timeout.
        if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } != -1 {
            break fds.map(|p| p.revents & libc::POLLNVAL != 0);
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            // poll refused (no memory, too many descriptors): ask about each one instead.
            // SAFETY: F_GETFD on a number only reads its flags.
            _ => break [0, 1, 2].map(|fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1),
        }
    };
    for (fd, closed) in (0..).zip(closed) {
        // The lowest free number is the closed stream's, as the ones before it are open.
        // SAFETY: a constant path; the descriptor is kept for the process's lifetime.
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } != fd {
            // As std does: without the stream, writing to it could reach another file.
            std::process::abort();
        }
    }
    // SAFETY: setting a signal's disposition to ignore, before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
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
