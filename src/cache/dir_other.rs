//! The cache directory's file operations where there is no Unix: paths, as the OS gives them
//! (see dir_unix.rs for what Unix adds).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use zeroize::Zeroizing;

const READ_CAP: u64 = 1 << 20;

pub struct Dir {
    path: PathBuf,
}

pub fn runtime_dir_is_ours(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        Ok(())
    } else {
        Err("it is not a directory".into())
    }
}

/// Windows keeps no terminal names; a locked file cannot be read there anyway.
pub fn terminal_name() -> Option<String> {
    None
}

pub fn running(_pid: u32) -> bool {
    true
}

pub fn create(path: &Path) -> io::Result<()> {
    fs::create_dir(path)
}

impl Dir {
    pub fn open(path: &Path, _created: bool) -> Result<Dir, String> {
        if !path.is_dir() {
            return Err("it is not a directory".into());
        }
        Ok(Dir {
            path: path.to_path_buf(),
        })
    }

    pub fn read(&self, name: &str) -> io::Result<Zeroizing<Vec<u8>>> {
        self.read_up_to(name, READ_CAP)
    }

    pub fn open_read(&self, name: &str) -> io::Result<File> {
        File::open(self.path.join(name))
    }

    pub fn read_up_to(&self, name: &str, cap: u64) -> io::Result<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(Vec::new());
        File::open(self.path.join(name))?
            .take(cap)
            .read_to_end(&mut out)?;
        Ok(out)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        super::write_atomic(&self.path.join(name), bytes, 0o600)
    }

    pub fn remove(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.path.join(name))
    }

    pub fn names(&self) -> Vec<String> {
        let Ok(rd) = fs::read_dir(&self.path) else {
            return Vec::new();
        };
        rd.flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect()
    }

    pub fn age(&self, name: &str) -> Option<Duration> {
        fs::symlink_metadata(self.path.join(name))
            .and_then(|m| m.modified())
            .ok()?
            .elapsed()
            .ok()
    }

    pub fn open_lock(&self, name: &str, create: bool) -> io::Result<File> {
        OpenOptions::new()
            .create(create)
            .truncate(false)
            .read(true)
            .write(true)
            .open(self.path.join(name))
    }

    /// Lock files are not removed here (`Cache::remove_idle_lock`).
    pub fn still_names(&self, _name: &str, _file: &File) -> bool {
        true
    }
}
