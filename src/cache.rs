//! Session cache: only temporary STS credentials, never long-term keys, never under `~/.aws`.
//!
//! Location: `MFA_ENV_CACHE_DIR`, else `$XDG_RUNTIME_DIR/mfa-env` (memory-backed, per user),
//! else the user cache directory. The directory is 0700 and ours, files are 0600 and written
//! atomically (temp file + rename); a lock per MFA device makes parallel runs wait for the
//! one that authenticates.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{fail, Exit};
use crate::sts::Credentials;

/// Stable short name for a list of parts (none of them a secret).
pub fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    crate::mfa::hex(&h.finalize()[..16])
}

#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    profile: String,
    kind: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: i64,
    identity: String,
}

impl Drop for Entry {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.secret_access_key.zeroize();
        self.session_token.zeroize();
    }
}

pub struct Cache {
    dir: PathBuf,
}

/// Where the cache lives, without creating it.
pub fn location() -> anyhow::Result<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("MFA_ENV_CACHE_DIR") {
        return Ok(dir);
    }
    if let Some(run) = var("XDG_RUNTIME_DIR") {
        if run.is_dir() {
            return Ok(run.join("mfa-env"));
        }
    }
    if let Some(cache) = var("XDG_CACHE_HOME") {
        return Ok(cache.join("mfa-env"));
    }
    let home = var("HOME");
    // Windows: the per-user local application data (HOME is set only by Unix-like shells there).
    if cfg!(windows) && home.is_none() {
        if let Some(local) = var("LOCALAPPDATA") {
            return Ok(local.join("mfa-env"));
        }
    }
    let home = home.ok_or_else(|| {
        fail(
            Exit::Config,
            "cannot place the session cache: HOME is not set (set MFA_ENV_CACHE_DIR or use --no-cache)",
        )
    })?;
    if cfg!(target_os = "macos") {
        Ok(home.join("Library/Caches/mfa-env"))
    } else {
        Ok(home.join(".cache/mfa-env"))
    }
}

impl Cache {
    /// Opens (creating if needed) the cache directory, refusing one that is unsafe.
    pub fn open() -> anyhow::Result<Cache> {
        let dir = location()?;
        if fs::symlink_metadata(&dir).is_err() {
            if let Some(parent) = dir.parent() {
                fs::create_dir_all(parent).map_err(|e| unusable(&dir, &e.to_string()))?;
            }
            match create_private_dir(&dir) {
                // Another run created it first: the checks below decide whether it is usable.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(unusable(&dir, &e.to_string())),
                Ok(()) => {}
            }
        }
        check_private_dir(&dir)?;
        Ok(Cache { dir })
    }

    /// Opens the cache only if it already exists (for list and logout).
    pub fn existing() -> anyhow::Result<Option<Cache>> {
        let dir = location()?;
        if fs::symlink_metadata(&dir).is_err() {
            return Ok(None);
        }
        check_private_dir(&dir)?;
        Ok(Some(Cache { dir }))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("session-{key}.json"))
    }

    /// The cached credentials for `key`, if present, readable and with more than `margin`
    /// seconds left. A corrupt entry is removed.
    pub fn get(&self, key: &str, margin: i64) -> Option<Credentials> {
        let path = self.entry_path(key);
        let text = Zeroizing::new(fs::read_to_string(&path).ok()?);
        let entry: Entry = match serde_json::from_str(&text) {
            Ok(e) => e,
            Err(_) => {
                let _ = fs::remove_file(&path);
                return None;
            }
        };
        if entry.version != 1 || entry.access_key_id.is_empty() || entry.session_token.is_empty() {
            let _ = fs::remove_file(&path);
            return None;
        }
        let creds = Credentials {
            access_key_id: entry.access_key_id.clone(),
            secret_access_key: Zeroizing::new(entry.secret_access_key.clone()),
            session_token: Zeroizing::new(entry.session_token.clone()),
            expiration: entry.expiration,
            identity: entry.identity.clone(),
        };
        (creds.seconds_left() > margin).then_some(creds)
    }

    pub fn put(
        &self,
        key: &str,
        profile: &str,
        kind: &str,
        creds: &Credentials,
    ) -> anyhow::Result<()> {
        let entry = Entry {
            version: 1,
            profile: profile.to_string(),
            kind: kind.to_string(),
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.to_string(),
            session_token: creds.session_token.to_string(),
            expiration: creds.expiration,
            identity: creds.identity.clone(),
        };
        let json = Zeroizing::new(serde_json::to_vec(&entry)?);
        write_private(&self.entry_path(key), &json)?;
        self.sweep_expired();
        Ok(())
    }

    /// Removes sessions that have expired and temp files older than a minute (left by a run
    /// that was killed mid-write), so the cache holds nothing past its use.
    fn sweep_expired(&self) {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = crate::sts::now();
        for e in rd.flatten() {
            let path = e.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.contains(".tmp.") {
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age.as_secs() > 60);
                if old {
                    let _ = fs::remove_file(&path);
                }
            } else if name.starts_with("session-") && name.ends_with(".json") {
                let expired = fs::read_to_string(&path)
                    .ok()
                    .map(Zeroizing::new)
                    .and_then(|t| serde_json::from_str::<Entry>(&t).ok())
                    .is_some_and(|entry| entry.expiration <= now);
                if expired {
                    let _ = fs::remove_file(&path);
                }
            }
        }
    }

    pub fn remove(&self, key: &str) -> bool {
        fs::remove_file(self.entry_path(key)).is_ok()
    }

    /// Removes every session and leftover temp file (logout --all); returns how many sessions.
    /// The spent-code records stay: forgetting sessions does not make a used code new again.
    pub fn clear(&self) -> usize {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut sessions = 0;
        for e in rd.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let ours = name.starts_with("session-") || name.contains(".tmp.");
            let counted = name.starts_with("session-") && name.ends_with(".json");
            if ours && fs::remove_file(e.path()).is_ok() && counted {
                sessions += 1;
            }
        }
        sessions
    }

    /// Takes the lock for one MFA device, waiting (and saying so) while another run holds it.
    pub fn lock(&self, key: &str, what: &str) -> anyhow::Result<File> {
        let path = self.dir.join(format!("lock-{key}"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| unusable(&self.dir, &e.to_string()))?;
        set_private(&file)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                eprintln!("mfa-env: waiting for another mfa-env that is authenticating {what}…");
                file.lock()
                    .map_err(|e| unusable(&self.dir, &e.to_string()))?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(unusable(&self.dir, &e.to_string())),
        }
        Ok(file)
    }
}

fn unusable(dir: &Path, why: &str) -> anyhow::Error {
    fail(
        Exit::Config,
        format!(
            "cannot use the session cache {}: {why}; fix it, set MFA_ENV_CACHE_DIR, or pass --no-cache",
            dir.display()
        ),
    )
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new().mode(0o700).create(dir)?;
    // The umask can only remove bits, but be explicit.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir(dir)
}

/// The directory must be a real directory (not a symlink), ours, and closed to others.
#[cfg(unix)]
fn check_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(dir).map_err(|e| unusable(dir, &e.to_string()))?;
    if meta.file_type().is_symlink() {
        return Err(unusable(dir, "it is a symbolic link"));
    }
    if !meta.is_dir() {
        return Err(unusable(dir, "it is not a directory"));
    }
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(unusable(
            dir,
            &format!("it is owned by uid {}, not by you (uid {me})", meta.uid()),
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(unusable(
            dir,
            &format!("it is open to others (mode {mode:04o}); run chmod 700 on it"),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Err(unusable(dir, "it is not a directory"));
    }
    Ok(())
}

#[cfg(unix)]
fn set_private(file: &File) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_private(_file: &File) -> anyhow::Result<()> {
    Ok(())
}

/// Writes a file readable by its owner only, atomically: a temp file beside it, then rename.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    write_atomic(path, bytes, 0o600).map_err(|e| unusable(dir, &e.to_string()))
}

/// Replaces `path` with `bytes` at once, with permissions `mode` (Unix; whatever the umask): a
/// temporary file beside it, written, synced, then renamed over it. On failure nothing changed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".{name}.tmp.{}.{nanos}", std::process::id()));
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| -> std::io::Result<()> {
        let mut f = opts.open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates `dir` and any missing parents, each private to the user (0700 on Unix).
pub fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_stable_and_separates_parts() {
        assert_eq!(digest(&["a", "b"]), digest(&["a", "b"]));
        assert_ne!(digest(&["ab", ""]), digest(&["a", "b"]));
        assert_eq!(digest(&["x"]).len(), 32);
    }
}
