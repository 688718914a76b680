//! `mfa-env list`: profiles that use MFA, their kind and device, and cached sessions.

use crate::auth::{margin, role_key, source_key};
use crate::cache::Cache;
use crate::cli::ListArgs;
use crate::error::mask_key;
use crate::profile::{KeySource, Profiles, Source};
use crate::shell::prompt::time_left;
use crate::sts::rfc3339;

/// The KEYS of a profile whose keys are in no file: the keyring's, if it holds them.
const KEYRING: &str = "keyring";
/// The KEYS of a profile that starts from an AWS Sign-In session: none, a sign-in.
const SIGN_IN: &str = "sign-in";

struct Row {
    name: String,
    kind: String,
    mfa_serial: String,
    role_arn: Option<String>,
    /// Where the keys that sign its STS call come from: a masked key ID from the files,
    /// `process`, `keyring`, or `none` (the keyring holds none either).
    keys: String,
    /// Seconds left of the session this profile would use now, if cached.
    cached: Option<i64>,
    /// Roles: seconds left of the source's MFA session, which assumes the role without a code.
    mfa_session: Option<i64>,
}

/// A row whose source is a sign-in (AWS Sign-In, Identity Center): its `mfa_serial` is who
/// signed in, not a device.
fn signed_in(r: &Row) -> bool {
    r.keys == SIGN_IN || r.keys == "sso"
}

/// What the files say of one profile, for its row: no cache state in it, so it can be
/// remembered while the files stay as they are.
#[derive(serde::Serialize, serde::Deserialize)]
struct Summary {
    // Short names: ten thousand of these are remembered.
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "k")]
    kind: String,
    #[serde(rename = "w")]
    who: String,
    #[serde(rename = "r")]
    role_arn: Option<String>,
    #[serde(rename = "y")]
    keys: String,
    #[serde(rename = "s")]
    source: String,
    /// The cache keys of its own session (a role's by either path, or its session token).
    #[serde(rename = "o")]
    own: Vec<String>,
    /// Those of its source's session (a role's MFA session, Identity Center credentials).
    #[serde(rename = "b")]
    behind: Vec<String>,
    /// A login source's session, whose credentials are in the login cache.
    #[serde(rename = "l")]
    login: Option<String>,
}

/// `list`'s reading of the files, as it was, while the files' stamps are these: this header,
/// then one `Summary` per profile, each a JSON value of its own (read one at a time).
#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    version: u32,
    stamp: crate::profile::FilesStamp,
    /// How many summaries follow.
    count: usize,
    /// The widest profile name (the table's first column).
    width: usize,
    /// The profiles whose keys are in no file: the keyring is asked about these.
    keyring: Vec<String>,
}

impl Header {
    fn of(stamp: crate::profile::FilesStamp, rows: &[Summary]) -> Header {
        let mut keyring: Vec<String> = rows
            .iter()
            .filter(|r| r.keys == KEYRING)
            .map(|r| r.source.clone())
            .collect();
        keyring.sort();
        keyring.dedup();
        Header {
            version: 2,
            stamp,
            count: rows.len(),
            width: rows
                .iter()
                .map(|r| r.name.chars().count())
                .max()
                .unwrap_or(7)
                .max(7),
            keyring,
        }
    }
}

fn summarize(profiles: &Profiles) -> Vec<Summary> {
    profiles
        .mfa_profiles()
        .into_iter()
        .map(|s| {
            let resolved = profiles.resolve(&s.name).ok();
            let (own, behind, login) = match &resolved {
                Some(r) => match &r.source {
                    Source::Login(l) if r.is_role() => (
                        vec![role_key(r, false)],
                        Vec::new(),
                        Some(l.session.clone()),
                    ),
                    Source::Login(l) => (Vec::new(), Vec::new(), Some(l.session.clone())),
                    _ if r.is_role() => (
                        vec![role_key(r, false), role_key(r, true)],
                        vec![source_key(r)],
                        None,
                    ),
                    _ => (vec![source_key(r)], Vec::new(), None),
                },
                None => (Vec::new(), Vec::new(), None),
            };
            let keys = match resolved.as_ref().map(|r| &r.source) {
                Some(Source::Mfa(m)) => match &m.keys {
                    KeySource::File(k) => mask_key(&k.access_key_id),
                    KeySource::Process { .. } => "process".to_string(),
                    KeySource::Store { .. } => KEYRING.to_string(),
                },
                Some(Source::Login(_)) => SIGN_IN.to_string(),
                Some(Source::Sso(_)) => "sso".to_string(),
                None => "-".to_string(),
            };
            Summary {
                keys,
                source: resolved
                    .as_ref()
                    .map_or_else(String::new, |r| r.source_profile.clone()),
                name: s.name,
                kind: s.kind.to_string(),
                who: s.mfa_serial,
                role_arn: s.role_arn,
                own,
                behind,
                login,
            }
        })
        .collect()
}

/// The summaries of every profile: streamed from the cache while the files are unchanged (a
/// config of thousands of profiles is then neither parsed again nor held in memory whole),
/// else read from the files and remembered.
type Rows = Box<dyn Iterator<Item = anyhow::Result<Summary>>>;

fn summaries(cache: Option<&Cache>) -> anyhow::Result<(Header, Rows)> {
    let stamp = crate::profile::files_stamp();
    // The cache keys in the rows depend on the endpoints the environment names too.
    let mut parts = vec!["list".to_string()];
    parts.extend(stamp.paths());
    parts.extend(crate::profile::endpoint_environment());
    let key = crate::digest::digest(&parts.iter().map(String::as_str).collect::<Vec<_>>());
    if let Some(file) = cache.and_then(|c| c.memo_file(&key)) {
        use serde::Deserialize;
        let mut values = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
        let header = Header::deserialize(&mut values)
            .ok()
            .filter(|h| h.version == 2 && h.stamp == stamp);
        if let Some(header) = header {
            crate::debug!("the profiles as remembered (files unchanged)");
            let rows = std::iter::from_fn(move || {
                Some(Summary::deserialize(&mut values).map_err(|e| {
                    crate::error::fail(
                        crate::error::Exit::Other,
                        format!(
                            "mfa-env's record of the profiles is damaged ({e}): run `mfa-env \
                             logout --all` to drop it"
                        ),
                    )
                }))
            });
            let count = header.count;
            return Ok((header, Box::new(rows.take(count))));
        }
    }
    let (profiles, stamp) = Profiles::load_stamped()?;
    let rows = summarize(&profiles);
    drop(profiles);
    let header = Header::of(stamp, &rows);
    if let Some(cache) = cache {
        let mut bytes = serde_json::to_vec(&header).unwrap_or_default();
        for r in &rows {
            bytes.push(b'\n');
            if serde_json::to_writer(&mut bytes, r).is_err() {
                bytes.clear();
                break;
            }
        }
        if !bytes.is_empty() {
            cache.put_memo(&key, &bytes);
        }
    }
    Ok((header, Box::new(rows.into_iter().map(Ok))))
}

/// Stdout, buffered, with `print_stdout`'s errors.
struct Out(std::io::BufWriter<std::io::StdoutLock<'static>>);

impl Out {
    fn write(&mut self, text: &str) -> anyhow::Result<()> {
        use std::io::Write;
        self.0.write_all(text.as_bytes()).map_err(stdout_error)
    }

    fn finish(mut self) -> anyhow::Result<()> {
        use std::io::Write;
        self.0.flush().map_err(stdout_error)
    }
}

fn stdout_error(e: std::io::Error) -> anyhow::Error {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => {
            crate::error::fail(crate::error::Exit::StdoutClosed, "stdout was closed")
        }
        _ => crate::error::fail(
            crate::error::Exit::Other,
            format!("cannot write to stdout: {e}"),
        ),
    }
}

pub fn run(args: &ListArgs) -> anyhow::Result<i32> {
    let cache = Cache::existing()?;
    let margin = margin()?;
    let (header, summaries) = summaries(cache.as_ref())?;
    if header.count == 0 && !args.json {
        eprintln!(
            "mfa-env: no profile uses MFA yet: `mfa-env setup PROFILE` enrolls an MFA device for \
             the IAM user whose keys PROFILE holds (or finds its device) and writes mfa_serial to \
             {}; no keys yet? `mfa-env keys add PROFILE` first",
            crate::profile::config_file_display()
        );
        return Ok(0);
    }
    // Keys in no file may be in the keyring, or nowhere: ask it once, for those profiles only.
    let keyring: Option<std::collections::HashSet<String>> = if header.keyring.is_empty() {
        Some(std::collections::HashSet::new())
    } else {
        match crate::keystore::which_hold(&header.keyring) {
            Ok(held) => Some(
                header
                    .keyring
                    .iter()
                    .zip(held)
                    .filter(|(_, held)| *held)
                    .map(|(n, _)| n.clone())
                    .collect(),
            ),
            Err(e) => {
                crate::debug!("the keyring was not asked: {}", crate::one_line(&e));
                None
            }
        }
    };
    // The cache is listed once: only sessions it holds are read.
    let present = cache.as_ref().map(Cache::session_keys).unwrap_or_default();
    let left = |keys: &[String]| -> Option<i64> {
        let cache = cache.as_ref()?;
        keys.iter()
            .filter(|k| present.contains(k.as_str()))
            .filter_map(|k| cache.get(k, margin))
            .map(|c| c.seconds_left())
            .max()
    };
    let row = |s: Summary| -> Row {
        // A login source's credentials are in the login cache, not mfa-env's.
        let login = s.login.as_deref().and_then(|session| {
            crate::login::read(session, &s.source)
                .ok()
                .flatten()
                .map(|t| t.credentials.seconds_left())
                .filter(|&left| left > margin)
        });
        let (cached, mfa_session) = match (&s.login, s.role_arn.is_some()) {
            (Some(_), true) => (left(&s.own), login),
            (Some(_), false) => (login, None),
            (None, _) => (
                left(&s.own),
                (!s.behind.is_empty()).then(|| left(&s.behind)).flatten(),
            ),
        };
        let keys = match (&keyring, s.keys == KEYRING) {
            (Some(held), true) if !held.contains(&s.source) => "none".to_string(),
            (None, true) => format!("{KEYRING}?"),
            _ => s.keys,
        };
        Row {
            keys,
            name: s.name,
            kind: s.kind,
            mfa_serial: s.who,
            role_arn: s.role_arn,
            cached,
            mfa_session,
        }
    };
    let mut out = Out(std::io::BufWriter::with_capacity(
        64 * 1024,
        std::io::stdout().lock(),
    ));
    if args.json {
        out.write("[")?;
        for (i, s) in summaries.enumerate() {
            let r = row(s?);
            let item = serde_json::json!({
                "profile": r.name,
                "kind": r.kind,
                "mfa_serial": (!signed_in(&r)).then_some(&r.mfa_serial),
                "signed_in_as": signed_in(&r).then_some(&r.mfa_serial),
                "role_arn": r.role_arn,
                "keys": r.keys,
                "cached_seconds_left": r.cached,
                "cached_expiration": r.cached.map(|s| rfc3339(crate::sts::now() + s)),
                "mfa_session_seconds_left": r.mfa_session,
            });
            out.write(if i == 0 { "" } else { "," })?;
            out.write(&item.to_string())?;
        }
        out.write("]\n")?;
        return out.finish().map(|()| 0);
    }
    let width = header.width;
    out.write(&format!(
        "{:width$}  {:13}  {:9}  {:11}  MFA DEVICE OR SIGN-IN / ROLE\n",
        "PROFILE", "KIND", "KEYS", "CACHED"
    ))?;
    for s in summaries {
        let r = row(s?);
        // A role with no session of its own but a live MFA session needs no code either.
        let cached = match (r.cached, r.mfa_session) {
            (Some(s), _) => time_left(s),
            (None, Some(s)) if r.keys == SIGN_IN => format!("login {}", time_left(s)),
            (None, Some(s)) => format!("mfa {}", time_left(s)),
            (None, None) => "-".to_string(),
        };
        let target = match &r.role_arn {
            Some(arn) => format!("{} -> {arn}", r.mfa_serial),
            None => r.mfa_serial.clone(),
        };
        out.write(&format!(
            "{:width$}  {:13}  {:9}  {:11}  {target}\n",
            r.name, r.kind, r.keys, cached
        ))?;
    }
    out.finish().map(|()| 0)
}
