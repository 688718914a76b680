//! `--verbose`: what mfa-env decides and calls, on stderr. Never a secret: keys are masked
//! and codes, secrets and tokens are never passed here.

use std::sync::atomic::{AtomicBool, Ordering};

static VERBOSE: AtomicBool = AtomicBool::new(false);

pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::verbose() {
            eprintln!("mfa-env: {}", format!($($arg)*));
        }
    };
}
