//! Session cache: only temporary STS credentials, never long-term keys, never under `~/.aws`
//! (beside them: device locks, spent-code records, and which sections of the AWS files each
//! profile needs; none a secret).
//!
//! Location: `MFA_ENV_CACHE_DIR`, else `$XDG_RUNTIME_DIR/mfa-env` (memory-backed, per user)
//! when that runtime directory is the user's own, else the user cache directory. The directory
//! is 0700 and ours, files are 0600 and written atomically (temp file + rename); a lock per MFA
//! device makes parallel runs wait for the one that authenticates.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{fail, Exit};
use crate::sts::Credentials;

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

/// The session cache directory, checked once and then held: on Unix every file in it is
/// reached relative to that handle and never through a symbolic link, so swapping the
/// directory (or a file in it) after the check changes nothing.
#[derive(Clone)]
pub struct Cache {
    path: PathBuf,
    dir: Arc<dir::Dir>,
}

/// Where the cache lives, without creating it.
pub fn location() -> anyhow::Result<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = crate::settings::cache_dir() {
        return Ok(dir);
    }
    if let Some(run) = var("XDG_RUNTIME_DIR") {
        match dir::runtime_dir_is_ours(&run) {
            Ok(()) => return Ok(run.join("mfa-env")),
            // Someone else's runtime directory (root with a user's environment): its owner
            // could swap what is in it, so the cache goes where it would without one.
            Err(why) => crate::debug!("XDG_RUNTIME_DIR {} not used: {why}", run.display()),
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
        Cache::open_at(location()?)
    }

    /// Opens (creating if needed) the cache directory `path`, refusing one that is unsafe.
    pub fn open_at(path: PathBuf) -> anyhow::Result<Cache> {
        let mut created = false;
        if fs::symlink_metadata(&path).is_err() {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| unusable(&path, &e.to_string()))?;
            }
            match dir::create(&path) {
                // Another run created it first: the checks decide whether it is usable.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(unusable(&path, &e.to_string())),
                Ok(()) => created = true,
            }
        }
        let dir = dir::Dir::open(&path, created).map_err(|why| unusable(&path, &why))?;
        Ok(Cache {
            path,
            dir: Arc::new(dir),
        })
    }

    /// Opens the cache only if it already exists (for list and logout).
    pub fn existing() -> anyhow::Result<Option<Cache>> {
        let path = location()?;
        if fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        let dir = dir::Dir::open(&path, false).map_err(|why| unusable(&path, &why))?;
        Ok(Some(Cache {
            path,
            dir: Arc::new(dir),
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.path
    }

    fn entry_name(key: &str) -> String {
        format!("session-{key}.json")
    }

    /// The cached credentials for `key`, if present, readable and with more than `margin`
    /// seconds left. A corrupt entry is removed.
    pub fn get(&self, key: &str, margin: i64) -> Option<Credentials> {
        let name = Self::entry_name(key);
        let bytes = self.dir.read(&name).ok()?;
        let entry: Entry = match serde_json::from_slice(&bytes) {
            Ok(e) => e,
            Err(_) => {
                let _ = self.dir.remove(&name);
                return None;
            }
        };
        if entry.version != 1 || entry.access_key_id.is_empty() || entry.session_token.is_empty() {
            let _ = self.dir.remove(&name);
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
        self.write(&Self::entry_name(key), &json)?;
        self.sweep_expired();
        Ok(())
    }

    /// Writes `name` in the cache atomically, readable by its owner only.
    fn write(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.dir
            .write(name, bytes)
            .map_err(|e| unusable(&self.path, &e.to_string()))
    }

    /// What resolving a profile read of the AWS files (`profile::resolve_remembered`'s; no
    /// secret in it).
    pub fn memo(&self, key: &str) -> Option<Zeroizing<Vec<u8>>> {
        // `list`'s, for a config of ten thousand profiles, is a few MiB.
        const MEMO_CAP: u64 = 64 << 20;
        self.dir
            .read_up_to(&format!("files-{key}.json"), MEMO_CAP)
            .ok()
    }

    /// The same, as a file to read as a stream (`list`'s is read row by row).
    pub fn memo_file(&self, key: &str) -> Option<File> {
        self.dir.open_read(&format!("files-{key}.json")).ok()
    }

    /// Keeps it; a failure only costs the next run a full read of the files.
    pub fn put_memo(&self, key: &str, bytes: &[u8]) {
        if let Err(e) = self.write(&format!("files-{key}.json"), bytes) {
            crate::debug!("the sections read were not remembered: {e:#}");
        }
    }

    /// The keys of the sessions the cache holds (expired ones too), by one listing of the
    /// directory: `list` looks up only those instead of opening a file per profile.
    pub fn session_keys(&self) -> std::collections::HashSet<String> {
        self.dir
            .names()
            .into_iter()
            .filter(|n| own(n) == Some(Own::Session))
            .filter_map(|n| {
                n.strip_prefix("session-")
                    .and_then(|r| r.strip_suffix(".json"))
                    .map(str::to_string)
            })
            .collect()
    }

    /// The reuse record of the MFA device `key` (`mfa::Guard`'s; no secret in it).
    pub fn read_used(&self, key: &str) -> Option<String> {
        let bytes = self.dir.read(&format!("used-{key}")).ok()?;
        String::from_utf8(bytes.to_vec()).ok()
    }

    pub fn write_used(&self, key: &str, text: &str) -> anyhow::Result<()> {
        self.write(&format!("used-{key}"), text.as_bytes())
    }

    /// Removes sessions that have expired and temp files older than a minute (left by a run
    /// that was killed mid-write), so the cache holds nothing past its use. Only mfa-env's own
    /// names are looked at (`own`).
    fn sweep_expired(&self) {
        let now = crate::sts::now();
        for name in self.dir.names() {
            match own(&name) {
                Some(Own::Temp) => {
                    if self.dir.age(&name).is_some_and(|age| age.as_secs() > 60) {
                        let _ = self.dir.remove(&name);
                    }
                }
                Some(Own::Session) => {
                    let expired = self
                        .dir
                        .read(&name)
                        .ok()
                        .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).ok())
                        .is_some_and(|entry| entry.expiration <= now);
                    if expired {
                        let _ = self.dir.remove(&name);
                    }
                }
                Some(Own::Lock | Own::Used | Own::Memo) | None => {}
            }
        }
    }

    pub fn remove(&self, key: &str) -> bool {
        self.dir.remove(&Self::entry_name(key)).is_ok()
    }

    /// Removes what `logout --all` forgets, by exact name only (`own`): every session and
    /// leftover temp file, each device's lock that no run holds now, and the spent-code records
    /// whose window has passed. A record still in its window stays: forgetting sessions does
    /// not make a used code new again. Returns how many sessions.
    /// `refuses_still` says whether a spent-code record can still refuse a code (the record is
    /// `mfa::Guard`'s to read).
    pub fn clear(&self, refuses_still: impl Fn(&str) -> bool) -> usize {
        let mut sessions = 0;
        for name in self.dir.names() {
            match own(&name) {
                Some(Own::Session) => sessions += usize::from(self.dir.remove(&name).is_ok()),
                Some(Own::Temp | Own::Memo) => {
                    let _ = self.dir.remove(&name);
                }
                Some(Own::Lock) => self.remove_idle_lock(&name),
                Some(Own::Used) => {
                    let refuses = self
                        .dir
                        .read(&name)
                        .ok()
                        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
                        .is_some_and(|text| refuses_still(&text));
                    if !refuses {
                        let _ = self.dir.remove(&name);
                    }
                }
                None => {}
            }
        }
        sessions
    }

    /// Removes lock file `name` if no run holds it: taken without waiting, removed while held.
    /// A run that opened it just before locks a file no longer named, sees that (`try_lock`)
    /// and takes the new one.
    #[cfg(unix)]
    fn remove_idle_lock(&self, name: &str) {
        let Ok(file) = self.dir.open_lock(name, false) else {
            return;
        };
        if file.try_lock().is_ok() {
            let _ = self.dir.remove(name);
        }
    }

    /// Windows: a file being removed cannot be opened until its last handle closes, so a run
    /// starting then would fail; the lock files (a few bytes, no secret) stay.
    #[cfg(not(unix))]
    fn remove_idle_lock(&self, _name: &str) {}

    /// Takes the lock for one MFA device if no other run holds it, without waiting, and
    /// records in it who holds it (for the runs that wait). `None`: another run holds it.
    pub fn try_lock(&self, key: &str) -> anyhow::Result<Option<File>> {
        let name = lock_name(key);
        // `logout --all` removes a lock file no run holds: one opened just before that is
        // locked in vain, so the lock counts only while its name still leads to it.
        for _ in 0..10 {
            let file = self
                .dir
                .open_lock(&name, true)
                .map_err(|e| unusable(&self.path, &e.to_string()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(e)) => {
                    return Err(unusable(&self.path, &e.to_string()))
                }
            }
            if self.dir.still_names(&name, &file) {
                Holder::me().record(&file);
                return Ok(Some(file));
            }
        }
        Err(unusable(
            &self.path,
            &format!("{name} in it was removed each time it was taken"),
        ))
    }

    /// Takes the lock for one MFA device, waiting while another run holds it (it is asking
    /// for a code): saying which run, and for at most `MFA_ENV_LOCK_TIMEOUT`.
    pub fn lock(&self, key: &str, what: &str) -> anyhow::Result<File> {
        let limit = crate::settings::wait(crate::settings::LOCK_TIMEOUT)?;
        if let Some(file) = self.try_lock(key)? {
            return Ok(file);
        }
        let deadline = Instant::now() + limit;
        let holder = self.holder(key);
        let who = |holder: &Option<Holder>| match holder {
            Some(h) => format!("another mfa-env ({h})"),
            None => "another mfa-env".to_string(),
        };
        eprintln!(
            "mfa-env: waiting for {} that is authenticating {what}… (up to {})",
            who(&holder),
            wait_text(limit)
        );
        loop {
            std::thread::sleep(LOCK_POLL.min(deadline.saturating_duration_since(Instant::now())));
            if let Some(file) = self.try_lock(key)? {
                return Ok(file);
            }
            if Instant::now() >= deadline {
                let holder = self.holder(key).or(holder);
                let what_to_do = match &holder {
                    Some(Holder {
                        terminal: Some(t), ..
                    }) => format!("finish or end it on {t}"),
                    Some(Holder { pid, .. }) => format!("let it finish or end it (kill {pid})"),
                    None => "let it finish or end it".to_string(),
                };
                return Err(fail(
                    Exit::Mfa,
                    format!(
                        "gave up after {} waiting for {} that is authenticating {what}: \
                         {what_to_do}, or pass --no-cache (MFA_ENV_LOCK_TIMEOUT sets how long to wait)",
                        wait_text(limit),
                        who(&holder),
                    ),
                ));
            }
        }
    }

    /// Who holds the lock of device `key`, if it said so and is still running.
    fn holder(&self, key: &str) -> Option<Holder> {
        let bytes = self.dir.read(&lock_name(key)).ok()?;
        Holder::parse(std::str::from_utf8(&bytes).ok()?).filter(|h| dir::running(h.pid))
    }
}

/// What mfa-env keeps in the cache directory, known by exact name: `MFA_ENV_CACHE_DIR` may
/// name a directory that holds other files, and those are never touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Own {
    /// `session-KEY.json`: a cached session.
    Session,
    /// `lock-KEY`: one MFA device's lock, and who holds it.
    Lock,
    /// `used-KEY`: the last code spent with one device (`mfa::Guard`'s record).
    Used,
    /// `files-KEY.json`: which sections of the AWS files one profile needs (no secret).
    Memo,
    /// `.NAME.tmp.PID.NANOS` for a session or record NAME: a write before its rename.
    Temp,
}

/// Which of mfa-env's files `name` is, if any. KEY is a `digest`: 32 lower-case hex digits.
fn own(name: &str) -> Option<Own> {
    let is_key =
        |k: &str| k.len() == 32 && k.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if let Some(key) = name
        .strip_prefix("session-")
        .and_then(|r| r.strip_suffix(".json"))
    {
        return is_key(key).then_some(Own::Session);
    }
    if let Some(key) = name.strip_prefix("lock-") {
        return is_key(key).then_some(Own::Lock);
    }
    if let Some(key) = name.strip_prefix("used-") {
        return is_key(key).then_some(Own::Used);
    }
    if let Some(key) = name
        .strip_prefix("files-")
        .and_then(|r| r.strip_suffix(".json"))
    {
        return is_key(key).then_some(Own::Memo);
    }
    let (target, suffix) = name.strip_prefix('.')?.split_once(".tmp.")?;
    let (pid, nanos) = suffix.split_once('.')?;
    let written = matches!(own(target), Some(Own::Session | Own::Used | Own::Memo));
    (written && digits(pid) && digits(nanos)).then_some(Own::Temp)
}

/// How often a run waiting for a device's lock tries it again.
const LOCK_POLL: Duration = Duration::from_millis(100);

fn lock_name(key: &str) -> String {
    format!("lock-{key}")
}

/// Who holds a device's lock: the holder writes it into the lock file once it has the lock, so
/// that a run waiting can say which terminal is asking for the code.
struct Holder {
    pid: u32,
    terminal: Option<String>,
}

impl Holder {
    fn me() -> Holder {
        Holder {
            pid: std::process::id(),
            terminal: dir::terminal_name(),
        }
    }

    /// Writes `PID TERMINAL` (`-`: none) over the lock file's content. Only informative: a
    /// failure is not worth failing the run.
    fn record(&self, mut file: &File) {
        let line = format!("{} {}\n", self.pid, self.terminal.as_deref().unwrap_or("-"));
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(line.as_bytes()));
    }

    fn parse(text: &str) -> Option<Holder> {
        let (pid, terminal) = text.trim_end().split_once(' ')?;
        let terminal = match terminal {
            "-" => None,
            // Shown on the waiting run's terminal: only a plain device name, as ttyname gives.
            t if t.len() <= 64 && t.bytes().all(|b| b.is_ascii_graphic()) => Some(t.to_string()),
            _ => return None,
        };
        Some(Holder {
            pid: pid.parse().ok()?,
            terminal,
        })
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.terminal {
            Some(t) => write!(f, "pid {} on {t}", self.pid),
            None => write!(f, "pid {}, no terminal", self.pid),
        }
    }
}

/// A bound as people say it: `2m`, `1m30s`, `45s`, `0.5s`.
fn wait_text(d: Duration) -> String {
    if d.subsec_millis() != 0 {
        return format!("{}s", d.as_secs_f64());
    }
    match (d.as_secs() / 60, d.as_secs() % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
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

/// The name of a temporary file beside `name`, unique to this process and moment.
fn temp_name(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(".{name}.tmp.{}.{nanos}", std::process::id())
}

#[cfg(unix)]
#[path = "cache/dir_unix.rs"]
mod dir;

#[cfg(not(unix))]
#[path = "cache/dir_other.rs"]
mod dir;

/// Replaces `path` with `bytes` at once, with permissions `mode` (Unix; whatever the umask): a
/// temporary file beside it, written, synced, then renamed over it. On failure nothing changed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
    let tmp = dir.join(temp_name(name));
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
    fn only_mfa_envs_own_names_are_its_files() {
        let key = crate::digest::digest(&["x"]);
        assert_eq!(own(&format!("session-{key}.json")), Some(Own::Session));
        assert_eq!(own(&format!("lock-{key}")), Some(Own::Lock));
        assert_eq!(own(&format!("used-{key}")), Some(Own::Used));
        assert_eq!(
            own(&temp_name(&format!("session-{key}.json"))),
            Some(Own::Temp)
        );
        assert_eq!(own(&temp_name(&format!("used-{key}"))), Some(Own::Temp));
        for foreign in [
            "session-notes.txt".to_string(),
            "session-.json".to_string(),
            format!("session-{}.json", key.to_uppercase()),
            format!("session-{key}.json.bak"),
            format!("lock-{key}x"),
            "lock-file-of-someone".to_string(),
            "used-car".to_string(),
            "a.tmp.b".to_string(),
            format!("session-{key}.json.tmp.1.2"),
            format!(".session-{key}.json.tmp.1"),
            format!(".session-{key}.json.tmp.1.2x"),
            format!(".lock-{key}.tmp.1.2"),
            ".notes.tmp.1.2".to_string(),
        ] {
            assert_eq!(own(&foreign), None, "{foreign}");
        }
    }

    #[test]
    fn lock_waits_and_holders_read_as_people_say_them() {
        assert_eq!(wait_text(Duration::from_secs(120)), "2m");
        assert_eq!(wait_text(Duration::from_secs(90)), "1m30s");
        assert_eq!(wait_text(Duration::from_secs(1)), "1s");
        assert_eq!(wait_text(Duration::from_millis(500)), "0.5s");
        let h = Holder::parse("1234 /dev/pts/3\n").unwrap();
        assert_eq!(h.to_string(), "pid 1234 on /dev/pts/3");
        assert_eq!(
            Holder::parse("77 -\n").unwrap().to_string(),
            "pid 77, no terminal"
        );
        for bad in ["", "1234", "x /dev/pts/3", "1 /dev/\u{1b}[2J", "1 a b"] {
            assert!(Holder::parse(bad).is_none(), "{bad:?}");
        }
    }
}
