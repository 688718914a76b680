//! Long-term keys in the operating system's secret store, through the keyring-core crates:
//! the Secret Service on Linux and the BSDs (GNOME Keyring, KWallet, KeePassXC), the login
//! Keychain on macOS, Credential Manager on Windows.
//!
//! One item per profile: service `mfa-env`, account the profile's name, and as its secret a
//! JSON object in the shape of a `credential_process` answer (`Version`, `AccessKeyId`,
//! `SecretAccessKey`) plus `Profile`, so that listing needs nothing but the items themselves.
//!
//! Every call is bounded in time (`MFA_ENV_KEYRING_TIMEOUT`): a store may open an unlock prompt
//! and wait for a person. The store is only reached when STS is about to be called, or by
//! `keys`; a cached session never touches it.

use std::collections::HashMap;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use keyring_core::{Entry, Error as StoreError};
use zeroize::Zeroizing;

use crate::error::{fail, sanitize_line, Exit};
use crate::long_term::LongTermKeys;

/// The service every item of mfa-env is filed under.
pub const SERVICE: &str = "mfa-env";

/// The store of this platform, as the user knows it.
pub fn store_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "the macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "the Secret Service keyring"
    }
}

/// A short name for tables (`keys list`).
pub fn store_short_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "keychain"
    } else if cfg!(windows) {
        "credential-manager"
    } else {
        "secret-service"
    }
}

/// Keys found in the store, with the profile they belong to.
pub struct Stored {
    pub profile: String,
    pub keys: LongTermKeys,
}

type Store = Arc<keyring_core::CredentialStore>;

#[cfg(all(unix, not(target_os = "macos")))]
fn connect() -> keyring_core::Result<Store> {
    let store: Store = zbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn connect() -> keyring_core::Result<Store> {
    let store: Store = apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

#[cfg(windows)]
fn connect() -> keyring_core::Result<Store> {
    let store: Store = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(not(any(unix, windows)))]
fn connect() -> keyring_core::Result<Store> {
    Err(StoreError::NotSupportedByStore(
        "no secret store on this platform".to_string(),
    ))
}

/// The item of `profile`. The Secret Service gets a label for its UIs (Seahorse, KWallet);
/// Credential Manager a target name of its own (`mfa-env:PROFILE`, found again by `list`) kept
/// on this machine rather than roamed with a domain profile.
fn entry(store: &Store, profile: &str) -> keyring_core::Result<Entry> {
    let label = format!("mfa-env: AWS long-term keys of profile {profile}");
    let target = format!("{SERVICE}:{profile}");
    let modifiers: HashMap<&str, &str> = if cfg!(windows) {
        HashMap::from([("target", target.as_str()), ("persistence", "Local")])
    } else if cfg!(target_os = "macos") {
        HashMap::new()
    } else {
        HashMap::from([("label", label.as_str())])
    };
    store.build(SERVICE, profile, Some(&modifiers))
}

/// What finds every item of mfa-env.
fn search_spec() -> HashMap<&'static str, &'static str> {
    if cfg!(windows) {
        HashMap::from([("pattern", "^mfa-env:")])
    } else {
        HashMap::from([("service", SERVICE)])
    }
}

/// Runs `op` against the store in a thread of its own, so that a store that never answers (an
/// unlock prompt nobody sees) ends in a bounded time. `what` says what was being done.
fn with_store<T: Send + 'static>(
    what: &Doing,
    op: impl FnOnce(&Store) -> keyring_core::Result<T> + Send + 'static,
) -> Result<T, Failed> {
    let limit = timeout().map_err(Failed::other)?;
    let (tx, rx) = mpsc::channel();
    // Dropped when the thread ends, however it ends: what a call that timed out is watched by.
    let (running, ended) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("keyring".to_string())
        .spawn(move || {
            let _running = running;
            let result = connect().map_err(Step::Connect).and_then(|store| {
                let out = op(&store).map_err(Step::Use);
                drop(store);
                out
            });
            let _ = tx.send(result);
        })
        .map_err(|e| Failed::other(fail(Exit::Other, format!("cannot start a thread: {e}"))))?;
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(step)) => Err(Failed {
            unreachable: matches!(step, Step::Connect(_)),
            error: explain(what, step),
            pending: None,
        }),
        Err(_) => Err(Failed {
            unreachable: false,
            error: fail(
                Exit::Config,
                format!(
                    "{} did not answer in {} while {} (is an unlock prompt waiting?); unlock it \
                     and try again, or raise MFA_ENV_KEYRING_TIMEOUT",
                    store_name(),
                    seconds(limit),
                    what.text
                ),
            ),
            pending: Some(Pending(ended)),
        }),
    }
}

/// How long a store call may take: `MFA_ENV_KEYRING_TIMEOUT` (an unlock prompt waits for a
/// person).
pub fn timeout() -> anyhow::Result<Duration> {
    crate::settings::wait(crate::settings::KEYRING_TIMEOUT)
}

/// A store call still running when its time was up. The thread is not stopped (nothing can stop
/// a D-Bus call or a Keychain prompt halfway), so it may yet do what it was asked: a write may
/// land after its caller was told it failed.
pub struct Pending(mpsc::Receiver<()>);

impl Pending {
    /// Waits at most `limit` for the call to end, however it ends; false while it still runs.
    pub fn settle(&self, limit: Duration) -> bool {
        !matches!(
            self.0.recv_timeout(limit),
            Err(mpsc::RecvTimeoutError::Timeout)
        )
    }
}

/// A store call that failed; `unreachable`: there was no store to talk to at all (no Secret
/// Service on the bus, no bus), as opposed to one that refused or failed.
pub struct Failed {
    pub unreachable: bool,
    pub error: anyhow::Error,
    /// The call did not answer in time and still runs.
    pub pending: Option<Pending>,
}

impl Failed {
    fn other(error: anyhow::Error) -> Failed {
        Failed {
            unreachable: false,
            error,
            pending: None,
        }
    }
}

impl From<Failed> for anyhow::Error {
    fn from(f: Failed) -> anyhow::Error {
        f.error
    }
}

/// What looking a profile's keys up found.
pub enum Lookup {
    Found(LongTermKeys),
    Missing,
    /// No store to ask (the error says why).
    Unreachable(anyhow::Error),
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// What a store call was doing, for its messages; `for_sts`: reading keys to sign an STS call,
/// where keeping them elsewhere is advice worth giving.
struct Doing {
    text: String,
    for_sts: bool,
}

impl Doing {
    fn new(text: String) -> Doing {
        Doing {
            text,
            for_sts: false,
        }
    }
}

enum Step {
    Connect(StoreError),
    Use(StoreError),
}

/// One line that says what went wrong and what to do. Store errors can carry the bytes of an
/// item (`BadEncoding`, `BadDataFormat`): those are never shown.
fn explain(doing: &Doing, step: Step) -> anyhow::Error {
    let store = store_name();
    let what = &doing.text;
    let elsewhere = if doing.for_sts {
        format!(
            ", or keep the keys in {} or behind a credential_process (pass, 1Password's op)",
            crate::aws_files::credentials_file_display()
        )
    } else {
        String::new()
    };
    let unlock_on_server = "printf PASSWORD | gnome-keyring-daemon --replace --unlock \
                            --components=secrets";
    let message = match step {
        Step::Connect(e) => format!(
            "cannot reach {store} while {what}: {}; {}{elsewhere}",
            platform_detail(&e),
            if cfg!(any(target_os = "macos", windows)) {
                "check that you are logged in to a desktop session"
            } else {
                "GNOME Keyring, KWallet or KeePassXC provide it in a desktop session (a server \
                 has none: run `dbus-run-session -- $SHELL`, then in it `printf PASSWORD | \
                 gnome-keyring-daemon --replace --unlock --components=secrets`); keys in \
                 ~/.aws/credentials work without one"
            }
        ),
        Step::Use(StoreError::NoStorageAccess(e)) => {
            let why = e.to_string();
            let why = if why.contains("prompt dismissed") {
                "its unlock prompt was dismissed or could not be shown".to_string()
            } else {
                sanitize_line(&why, 200)
            };
            let how = if cfg!(any(target_os = "macos", windows)) {
                "unlock it".to_string()
            } else {
                format!(
                    "unlock it (on a desktop, log in or unlock the wallet; on a server, \
                     `{unlock_on_server}`)"
                )
            };
            format!(
                "{store} is locked or refused access while {what} ({why}): {how} and try \
                 again{elsewhere}"
            )
        }
        Step::Use(StoreError::Ambiguous(items)) => format!(
            "{store} holds {} items of service '{SERVICE}' for this profile while {what}; remove \
             the extra ones with the store's own tool and try again",
            items.len()
        ),
        Step::Use(StoreError::BadEncoding(_)) | Step::Use(StoreError::BadDataFormat(..)) => {
            format!("an item of {store} is not text while {what}: it was not written by mfa-env")
        }
        Step::Use(e) => format!("{store} failed while {what}: {}", platform_detail(&e)),
    };
    fail(Exit::Config, message)
}

fn platform_detail(e: &StoreError) -> String {
    let text = match e {
        StoreError::PlatformFailure(inner) | StoreError::NoStorageAccess(inner) => {
            inner.to_string()
        }
        StoreError::BadEncoding(_) | StoreError::BadDataFormat(..) => {
            "an item is not in the expected format".to_string()
        }
        other => other.to_string(),
    };
    sanitize_line(&text, 300)
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Item {
    version: u32,
    profile: String,
    access_key_id: String,
    secret_access_key: String,
}

fn encode(profile: &str, keys: &LongTermKeys) -> Zeroizing<String> {
    let item = Item {
        version: 1,
        profile: profile.to_string(),
        access_key_id: keys.access_key_id.clone(),
        secret_access_key: keys.secret_access_key.to_string(),
    };
    let text = Zeroizing::new(serde_json::to_string(&item).unwrap_or_default());
    drop(Zeroizing::new(item.secret_access_key));
    text
}

/// The keys in an item's secret, or why they are unusable (never quoting the secret).
fn decode(secret: &str) -> Result<(String, LongTermKeys), &'static str> {
    let item: Item = serde_json::from_str(secret).map_err(|_| "not an item written by mfa-env")?;
    let secret_access_key = Zeroizing::new(item.secret_access_key);
    if item.version != 1 {
        return Err("written by a newer mfa-env (Version is not 1)");
    }
    if item.access_key_id.is_empty() || secret_access_key.is_empty() {
        return Err("it holds no key");
    }
    Ok((
        item.profile,
        LongTermKeys {
            access_key_id: item.access_key_id,
            secret_access_key,
        },
    ))
}

/// The keys stored for `profile`, if any.
pub fn get(profile: &str) -> anyhow::Result<Option<LongTermKeys>> {
    match lookup(profile)? {
        Lookup::Found(keys) => Ok(Some(keys)),
        Lookup::Missing => Ok(None),
        Lookup::Unreachable(e) => Err(e),
    }
}

/// The secret of `profile`'s item, if there is one.
fn read_secret(profile: &str, doing: &Doing) -> Result<Option<Zeroizing<String>>, Failed> {
    let name = profile.to_string();
    with_store(doing, move |store| {
        match entry(store, &name)?.get_password() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(StoreError::NoEntry) => Ok(None),
            Err(e) => Err(e),
        }
    })
}

/// What the store holds for a profile, as `keys` sees it before replacing or deleting it.
pub enum Held {
    Keys(LongTermKeys),
    Nothing,
    /// An item that is not usable keys (why, never its content).
    Unusable(&'static str),
}

/// What the store holds for `profile`; no store, or one that refuses, is an error.
pub fn held(profile: &str) -> anyhow::Result<Held> {
    let doing = Doing::new(format!("looking up the keys stored for '{profile}'"));
    match read_secret(profile, &doing)? {
        None => Ok(Held::Nothing),
        Some(secret) => Ok(match decode(&secret) {
            Ok((_, keys)) => Held::Keys(keys),
            Err(why) => Held::Unusable(why),
        }),
    }
}

/// The keys stored for `profile`, telling a store that holds none from no store at all.
pub fn lookup(profile: &str) -> anyhow::Result<Lookup> {
    let doing = Doing {
        text: format!("reading the keys of '{profile}'"),
        for_sts: true,
    };
    let secret = match read_secret(profile, &doing) {
        Ok(Some(secret)) => secret,
        Ok(None) => return Ok(Lookup::Missing),
        Err(f) if f.unreachable => return Ok(Lookup::Unreachable(f.error)),
        Err(f) => return Err(f.error),
    };
    match decode(&secret) {
        Ok((_, keys)) => Ok(Lookup::Found(keys)),
        Err(why) => Err(fail(
            Exit::Config,
            format!(
                "the item of profile '{profile}' in {} is unusable ({why}): store the keys again \
                 with `mfa-env keys add {}`",
                store_name(),
                crate::shell::hint::arg(profile)
            ),
        )),
    }
}

/// Stores `keys` for `profile`, replacing what was there: one write, nothing half-done. A
/// failure does not prove that nothing was written: an answer can be lost after the write, and a
/// write that did not answer in time may still land (`Failed::pending`).
pub fn put(profile: &str, keys: &LongTermKeys) -> Result<(), Failed> {
    let name = profile.to_string();
    let secret = encode(profile, keys);
    with_store(
        &Doing::new(format!("storing the keys of '{profile}'")),
        move |store| entry(store, &name)?.set_password(&secret),
    )
}

/// Deletes the keys of `profile`; false when there were none.
pub fn delete(profile: &str) -> anyhow::Result<bool> {
    let name = profile.to_string();
    Ok(with_store(
        &Doing::new(format!("removing the keys of '{profile}'")),
        move |store| match entry(store, &name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(StoreError::NoEntry) => Ok(false),
            Err(e) => Err(e),
        },
    )?)
}

/// Whether the store holds an item for each of `profiles`, asked in one connection and without
/// reading a secret (`list`). `Missing` for them all when there is no store to ask.
pub fn which_hold(profiles: &[String]) -> anyhow::Result<Vec<bool>> {
    if profiles.is_empty() {
        return Ok(Vec::new());
    }
    let names = profiles.to_vec();
    let result = with_store(
        &Doing::new("looking up which profiles have stored keys".to_string()),
        move |store| {
            names
                .iter()
                .map(|name| match entry(store, name)?.get_attributes() {
                    Ok(_) | Err(StoreError::Ambiguous(_)) => Ok(true),
                    Err(StoreError::NoEntry) => Ok(false),
                    Err(e) => Err(e),
                })
                .collect()
        },
    );
    match result {
        Ok(held) => Ok(held),
        Err(f) if f.unreachable => Ok(vec![false; profiles.len()]),
        Err(f) => Err(f.error),
    }
}

/// Every profile with keys in the store, sorted by name. Items that are not mfa-env's own
/// shape are skipped.
pub fn list() -> anyhow::Result<Vec<Stored>> {
    let secrets = with_store(&Doing::new("listing stored keys".to_string()), |store| {
        let mut secrets = Vec::new();
        for item in store.search(&search_spec())? {
            match item.get_password() {
                Ok(secret) => secrets.push(Zeroizing::new(secret)),
                Err(StoreError::NoEntry)
                | Err(StoreError::BadEncoding(_))
                | Err(StoreError::BadDataFormat(..)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(secrets)
    })?;
    let mut stored: Vec<Stored> = secrets
        .iter()
        .filter_map(|s| decode(s).ok())
        .map(|(profile, keys)| Stored { profile, keys })
        .collect();
    stored.sort_by(|a, b| a.profile.cmp(&b.profile));
    stored.dedup_by(|a, b| a.profile == b.profile);
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_and_refuse_garbage() {
        let keys = LongTermKeys {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_string(),
            secret_access_key: Zeroizing::new("a".repeat(40)),
        };
        let text = encode("dev", &keys);
        let (profile, back) = decode(&text).unwrap();
        assert_eq!(profile, "dev");
        assert_eq!(back.access_key_id, keys.access_key_id);
        assert_eq!(*back.secret_access_key, *keys.secret_access_key);
        assert!(decode("hunter2").is_err());
        assert!(
            decode(r#"{"Version":2,"Profile":"p","AccessKeyId":"A","SecretAccessKey":"s"}"#)
                .unwrap_err()
                .contains("newer")
        );
        assert!(
            decode(r#"{"Version":1,"Profile":"p","AccessKeyId":"","SecretAccessKey":""}"#).is_err()
        );
    }
}
