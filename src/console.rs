//! The Windows console calls that `exec` and the code prompt share (kernel32, std-only FFI).

use std::os::windows::io::RawHandle;

/// A console control handler: returns non-zero when it handled the event.
pub type Handler = unsafe extern "system" fn(u32) -> i32;

#[link(name = "kernel32")]
extern "system" {
    pub fn GetConsoleMode(console: RawHandle, mode: *mut u32) -> i32;
    pub fn SetConsoleMode(console: RawHandle, mode: u32) -> i32;
    pub fn SetConsoleCtrlHandler(handler: Option<Handler>, add: i32) -> i32;
}

/// Ctrl-C or Ctrl-Break (CTRL_C_EVENT, CTRL_BREAK_EVENT); not close, logoff or shutdown.
pub fn is_interrupt(event: u32) -> bool {
    event == 0 || event == 1
}

/// Ctrl-C reaches every process of the console: the child (the command of `exec`, the shell of
/// `shell`) handles it, and mfa-env must not die first and leave it orphaned. A handler that
/// reports the event handled, not `SetConsoleCtrlHandler(NULL, TRUE)`: that "ignore" attribute
/// is inherited, and the child would ignore Ctrl-C too. Closing the console or logging off still
/// ends mfa-env as usual.
pub fn leave_interrupts_to_children() {
    unsafe extern "system" fn handled(event: u32) -> i32 {
        i32::from(is_interrupt(event))
    }
    // SAFETY: registers a handler that touches nothing; it stays for the life of the process.
    unsafe {
        SetConsoleCtrlHandler(Some(handled), 1);
    }
}
