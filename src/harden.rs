//! Keeping this process's secrets to itself: no core dumps, no same-user debugger.
//!
//! mfa-env holds long-term keys while it calls STS, and `shell` and `exec --server` stay as
//! parents for hours with sessions (and for the endpoint, what renews them) in memory. On
//! Linux a process that is not dumpable writes no core dump (a Ctrl-\ during a network call
//! would otherwise put the secret key on disk), cannot be attached to with ptrace by other
//! processes of the same user, and its `/proc/PID` files (`mem`, `environ`) belong to root.
//! The setting is cleared at execve, so the command `exec` runs and the shell `shell` starts
//! are unaffected, and no resource limit is changed (RLIMIT_CORE would be inherited).
//! Elsewhere nothing equivalent is set: macOS has no core dumps unless enabled, and its
//! PT_DENY_ATTACH would also apply to the debugger a user points at an exec'd command.

/// Makes this process non-dumpable where the platform allows it; at the start of every run.
pub fn no_dumps() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: prctl with PR_SET_DUMPABLE takes plain integers and changes only this process.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Whether this process may be dumped (Linux; elsewhere `None`).
pub fn dumpable() -> Option<bool> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: PR_GET_DUMPABLE reads a flag of this process.
        let flag = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
        Some(flag != 0)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_process_is_not_dumpable_after() {
        super::no_dumps();
        if cfg!(target_os = "linux") {
            assert_eq!(super::dumpable(), Some(false));
        }
    }
}
