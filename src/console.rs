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

/// A process as the Toolhelp snapshot describes it (PROCESSENTRY32W).
#[repr(C)]
struct ProcessEntry {
    size: u32,
    usage: u32,
    process_id: u32,
    default_heap_id: usize,
    module_id: u32,
    threads: u32,
    parent_process_id: u32,
    pri_class_base: i32,
    flags: u32,
    exe_file: [u16; 260],
}

const TH32CS_SNAPPROCESS: u32 = 0x2;

#[link(name = "kernel32")]
extern "system" {
    fn CreateToolhelp32Snapshot(flags: u32, process_id: u32) -> RawHandle;
    fn Process32FirstW(snapshot: RawHandle, entry: *mut ProcessEntry) -> i32;
    fn Process32NextW(snapshot: RawHandle, entry: *mut ProcessEntry) -> i32;
    fn CloseHandle(handle: RawHandle) -> i32;
}

/// The executable name of this process's parent (`pwsh.exe`, `cmd.exe`), from a snapshot of
/// the processes: Windows has no getppid.
pub fn parent_process_name() -> Option<String> {
    // (pid, parent pid, name) of every process.
    let mut processes = Vec::new();
    // SAFETY: the snapshot handle is checked, read with entries whose size field is set as
    // the API requires, and closed once.
    unsafe {
        let snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snapshot.is_null() || snapshot as isize == -1 {
            return None;
        }
        let mut entry: ProcessEntry = std::mem::zeroed();
        entry.size = std::mem::size_of::<ProcessEntry>() as u32;
        let mut more = Process32FirstW(snapshot, &mut entry) != 0;
        while more {
            let len = entry.exe_file.iter().position(|c| *c == 0).unwrap_or(260);
            let name = String::from_utf16_lossy(&entry.exe_file[..len]);
            processes.push((entry.process_id, entry.parent_process_id, name));
            more = Process32NextW(snapshot, &mut entry) != 0;
        }
        CloseHandle(snapshot);
    }
    let me = std::process::id();
    let parent = processes.iter().find(|(pid, _, _)| *pid == me)?.1;
    processes
        .into_iter()
        .find(|(pid, _, _)| *pid == parent)
        .map(|(_, _, name)| name)
}
