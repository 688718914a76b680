//! The cache directory's file operations on Unix: a directory handle, every file opened
//! relative to it with no link followed, and checked (a regular file, ours) before it is read,
//! written or re-permissioned; a directory or file swapped after the check is not the one used.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::Duration;

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Stat, CWD};
use zeroize::Zeroizing;

/// Anything larger is not a file mfa-env wrote (a session is about 2 KiB).
const READ_CAP: u64 = 1 << 20;

pub struct Dir {
    fd: OwnedFd,
}

fn me() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// A runtime directory may hold the cache only if it is a real directory of this user's.
pub fn runtime_dir_is_ours(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Err("it is not a directory".into());
    }
    if meta.uid() != me() {
        return Err(format!(
            "it is owned by uid {}, not by you (uid {})",
            meta.uid(),
            me()
        ));
    }
    Ok(())
}

/// The terminal this process was started on (its stderr's, else stdin's or stdout's).
pub fn terminal_name() -> Option<String> {
    use std::os::fd::AsFd;
    let name = |fd: std::os::fd::BorrowedFd<'_>| {
        rustix::termios::ttyname(fd, Vec::new())
            .ok()
            .and_then(|n| n.into_string().ok())
    };
    name(io::stderr().as_fd())
        .or_else(|| name(io::stdin().as_fd()))
        .or_else(|| name(io::stdout().as_fd()))
}

/// Whether process `pid` still runs (one of another user's counts).
pub fn running(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    rustix::process::test_kill_process(pid) != Err(rustix::io::Errno::SRCH)
}

pub fn create(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

impl Dir {
    /// Opens `path` without following a link and checks what was opened: a directory, ours,
    /// closed to others. `created`: this run just made it (then its mode is set exactly).
    pub fn open(path: &Path, created: bool) -> Result<Dir, String> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rfs::openat(CWD, path, flags, Mode::empty()).map_err(|e| {
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => "it is a symbolic link".to_string(),
                Ok(m) if !m.is_dir() => "it is not a directory".to_string(),
                _ => io::Error::from(e).to_string(),
            }
        })?;
        let st = rfs::fstat(&fd).map_err(|e| io::Error::from(e).to_string())?;
        if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
            return Err("it is not a directory".into());
        }
        if st.st_uid != me() {
            return Err(format!(
                "it is owned by uid {}, not by you (uid {})",
                st.st_uid,
                me()
            ));
        }
        if created {
            // The umask can only remove bits, but be explicit.
            rfs::fchmod(&fd, Mode::RWXU).map_err(|e| io::Error::from(e).to_string())?;
        } else {
            let mode = Mode::from_raw_mode(st.st_mode);
            if mode.intersects(Mode::RWXG | Mode::RWXO) {
                return Err(format!(
                    "it is open to others (mode {:04o}); run chmod 700 on it",
                    mode.bits()
                ));
            }
        }
        Ok(Dir { fd })
    }

    /// Opens `name` in the directory with `flags`, no link followed, and checks it.
    fn open_file(&self, name: &str, flags: OFlags) -> io::Result<(OwnedFd, Stat)> {
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rfs::openat(&self.fd, name, flags, Mode::RUSR | Mode::WUSR).map_err(|e| {
            if e == rustix::io::Errno::LOOP {
                io::Error::other(format!(
                    "{name} in it is a symbolic link, not a file mfa-env made (remove it)"
                ))
            } else {
                io::Error::from(e)
            }
        })?;
        let st = rfs::fstat(&fd)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(io::Error::other(format!(
                "{name} in it is not a regular file, not a file mfa-env made (remove it)"
            )));
        }
        if st.st_uid != me() {
            return Err(io::Error::other(format!(
                "{name} in it is owned by uid {}, not by you (uid {}) (remove it)",
                st.st_uid,
                me()
            )));
        }
        Ok((fd, st))
    }

    /// The content of `name`, at most `READ_CAP` bytes.
    pub fn read(&self, name: &str) -> io::Result<Zeroizing<Vec<u8>>> {
        self.read_up_to(name, READ_CAP)
    }

    /// `name`, open for reading (checked as every file here is).
    pub fn open_read(&self, name: &str) -> io::Result<File> {
        let (fd, _) = self.open_file(name, OFlags::RDONLY | OFlags::NONBLOCK)?;
        Ok(File::from(fd))
    }

    /// The content of `name`, at most `cap` bytes.
    pub fn read_up_to(&self, name: &str, cap: u64) -> io::Result<Zeroizing<Vec<u8>>> {
        // NONBLOCK: a FIFO planted under the name must not hang the open.
        let (fd, st) = self.open_file(name, OFlags::RDONLY | OFlags::NONBLOCK)?;
        let size = usize::try_from(st.st_size).unwrap_or(0);
        let mut out = Zeroizing::new(Vec::with_capacity(size.min(cap as usize)));
        File::from(fd).take(cap).read_to_end(&mut out)?;
        Ok(out)
    }

    /// Replaces `name` with `bytes` at once, mode 0600: a new temp file beside it, written,
    /// synced, then renamed over it. On failure nothing changed.
    pub fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let tmp = super::temp_name(name);
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL;
        let result = (|| -> io::Result<()> {
            let (fd, _) = self.open_file(&tmp, flags)?;
            rfs::fchmod(&fd, Mode::RUSR | Mode::WUSR)?;
            let mut f = File::from(fd);
            f.write_all(bytes)?;
            f.sync_all()?;
            rfs::renameat(&self.fd, &tmp, &self.fd, name)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = rfs::unlinkat(&self.fd, &tmp, AtFlags::empty());
        }
        result
    }

    pub fn remove(&self, name: &str) -> io::Result<()> {
        Ok(rfs::unlinkat(&self.fd, name, AtFlags::empty())?)
    }

    /// The names in the directory (those that are UTF-8: mfa-env makes no others).
    pub fn names(&self) -> Vec<String> {
        let Ok(entries) = rfs::Dir::read_from(&self.fd) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().ok().map(str::to_string))
            .filter(|n| n != "." && n != "..")
            .collect()
    }

    /// How long ago `name` (itself, not what a link names) was last modified.
    pub fn age(&self, name: &str) -> Option<Duration> {
        let st = rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        let then = u64::try_from(st.st_mtime).ok()?;
        Some(Duration::from_secs(now.saturating_sub(then)))
    }

    /// Opens the lock file `name` (creating it if `create`), mode 0600.
    pub fn open_lock(&self, name: &str, create: bool) -> io::Result<File> {
        let flags = if create {
            OFlags::RDWR | OFlags::CREATE
        } else {
            OFlags::RDWR
        };
        let (fd, st) = self.open_file(name, flags)?;
        if Mode::from_raw_mode(st.st_mode) != (Mode::RUSR | Mode::WUSR) {
            rfs::fchmod(&fd, Mode::RUSR | Mode::WUSR)?;
        }
        Ok(File::from(fd))
    }

    /// Whether `name` is still the file `file` has open (not removed or replaced since).
    pub fn still_names(&self, name: &str, file: &File) -> bool {
        match (
            rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW),
            rfs::fstat(file),
        ) {
            (Ok(named), Ok(open)) => named.st_dev == open.st_dev && named.st_ino == open.st_ino,
            _ => false,
        }
    }
}
