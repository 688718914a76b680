//! `mfa-env keys add|import|list|remove|rotate`: long-term keys in the OS keyring instead of
//! plain text, and their rotation with the MFA session.
//!
//! The rule (README "Keys"): keys in the credentials file win over the keyring, so a profile
//! whose keys are in the file never costs a keyring round trip; `import`, `add` and `list` say
//! which lines still hold them. Every change to a profile's stored keys forgets the sessions
//! cached with them (they are filed under the profile, not the key ID: see `KeySource`).

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::auth::{margin, Authenticator, Request};
use crate::cli::{KeysCommand, KeysRemoveArgs, KeysRotateArgs, KeysStoreArgs, ListArgs};
use crate::error::{fail, mask_key, sanitize_line, Exit};
use crate::iam::Iam;
use crate::keystore::{self, store_name, Held};
use crate::profile::{credentials_file_display, KeyOwner, KeySource, LongTermKeys, Profiles};
use crate::sts::{CaBundle, Limits, Signer, Sts, StsError};
use crate::tty::confirm;

pub fn run(command: KeysCommand) -> anyhow::Result<i32> {
    match command {
        KeysCommand::Add(args) => add(&args),
        KeysCommand::Import(args) => import(&args),
        KeysCommand::List(args) => list(&args),
        KeysCommand::Remove(args) => remove(&args),
        KeysCommand::Rotate(args) => rotate(&args),
    }
}

/// The profile whose keys `keys VERB profile` manages; `known_only`: a name in neither file is
/// an error (with the names it may have meant).
fn owner(profile: &str, verb: &str, known_only: bool) -> anyhow::Result<KeyOwner> {
    let profiles = Profiles::load()?;
    let owner = profiles.key_owner(profile, &format!("keys {verb}"))?;
    if known_only && !owner.known {
        return Err(profiles.not_found(profile));
    }
    if owner.profile != profile {
        eprintln!(
            "mfa-env: aws-mfa's '{profile}' holds the keys of '{}': using that name",
            owner.profile
        );
    }
    Ok(owner)
}

/// What to tell a user whose profile also has keys in the files, which win over the keyring.
fn shadowed_note(owner: &KeyOwner) -> Option<String> {
    match &owner.in_files {
        Some(KeySource::File(keys)) => Some(format!(
            "the files still hold the keys {}, which win over {}: {}",
            mask_key(&keys.access_key_id),
            store_name(),
            lines_to_delete(&owner.profile)
        )),
        Some(KeySource::Process { .. }) => Some(format!(
            "the credential_process of '{}' still wins over {}: remove it from the profile to use \
             the stored keys",
            owner.profile,
            store_name()
        )),
        _ => None,
    }
}

/// "delete these lines from FILE (mfa-env never writes it): 3 (aws_access_key_id), …".
fn lines_to_delete(profile: &str) -> String {
    let lines = crate::profile::key_lines(profile);
    if lines.is_empty() {
        return format!("delete them from {}", credentials_file_display());
    }
    let mut files: Vec<&std::path::Path> = lines.iter().map(|l| l.path.as_path()).collect();
    files.dedup();
    files
        .iter()
        .map(|file| {
            let here: Vec<String> = lines
                .iter()
                .filter(|l| l.path == *file)
                .map(|l| format!("line {} ({})", l.line, l.key))
                .collect();
            format!(
                "delete from {} (mfa-env never writes it) {}",
                file.display(),
                here.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Forgets every cached session made with the stored keys of `profile` (its own and those of
/// the roles it is the source of). Returns how many were forgotten.
fn forget_sessions(profile: &str) -> usize {
    let identity = KeySource::Store {
        profile: profile.to_string(),
        temporary_in_file: false,
    }
    .cache_identity();
    crate::cmd::logout::forget_sessions_of(|r| r.source.cache_identity() == identity)
}

/// An access key ID of an IAM user: `AKIA` and 16 more capitals or digits.
fn check_key_id(id: &str) -> Result<(), String> {
    let shaped = id.len() == 20
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if id.starts_with("ASIA") && shaped {
        return Err(
            "that is a temporary key (ASIA…): mfa-env needs an IAM user's long-term key, \
                    which starts with AKIA"
                .to_string(),
        );
    }
    if !(shaped && id.starts_with("AKIA")) {
        return Err(
            "an access key ID is 20 characters, capitals and digits, starting with AKIA"
                .to_string(),
        );
    }
    Ok(())
}

/// A secret access key: 40 characters of base64 (letters, digits, `+`, `/`).
fn check_secret(secret: &str) -> Result<(), String> {
    let shaped = secret.len() == 40
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "a secret access key is 40 characters of letters, digits, + and / (that was {})",
            secret.chars().count()
        ))
    }
}

/// Asks until `check` accepts (three tries).
fn ask(
    prompt: &str,
    noun: &str,
    echo: bool,
    check: fn(&str) -> Result<(), String>,
) -> anyhow::Result<Zeroizing<String>> {
    let how = crate::tty::Ask {
        noun,
        no_terminal: "run `mfa-env keys add` in a terminal, or put the keys in the credentials \
                      file and run `mfa-env keys import`",
        exit: Exit::Config,
        echo,
    };
    let mut tries = 3;
    loop {
        let line = crate::tty::read_line(prompt, &how)?;
        let value = Zeroizing::new(line.trim().to_string());
        match check(&value) {
            Ok(()) => return Ok(value),
            Err(why) if tries > 1 => {
                tries -= 1;
                let left = if tries == 1 { "1 try" } else { "2 tries" };
                eprintln!("mfa-env: {why}; try again ({left} left)");
            }
            Err(why) => return Err(fail(Exit::Config, format!("{why}; nothing was stored"))),
        }
    }
}

fn add(args: &KeysStoreArgs) -> anyhow::Result<i32> {
    let owner = owner(args.profile_name(), "add", false)?;
    let p = &owner.profile;
    // As commands in messages write it: quoted only when a shell needs it.
    let qp = crate::shell::hint::arg(p);
    if !owner.known {
        eprintln!(
            "mfa-env: note: there is no profile '{p}' in {} or {} yet: once the keys are \
             stored, `mfa-env setup {qp}` writes it (and enrolls an MFA device if there is none)",
            crate::profile::config_file_display(),
            credentials_file_display()
        );
    }
    // The store first: without one (or with one that refuses) a secret typed would be for
    // nothing.
    let before = keystore::held(p)?;
    let id = ask(
        &format!("AWS access key ID for '{p}': "),
        "access key ID",
        true,
        check_key_id,
    )?;
    let secret = ask(
        "AWS secret access key (not shown): ",
        "secret access key",
        false,
        check_secret,
    )?;
    let keys = LongTermKeys {
        access_key_id: id.to_string(),
        secret_access_key: secret,
    };
    store(p, &keys, &owner, before, args.yes)
}

/// Writes `keys` for `p` once STS accepts them and, when other keys are stored, the user
/// agrees to replace them (`yes`: agreed beforehand); forgets the sessions of the keys they
/// replace, and says so.
fn store(
    p: &str,
    keys: &LongTermKeys,
    owner: &KeyOwner,
    before: Held,
    yes: bool,
) -> anyhow::Result<i32> {
    let new_id = mask_key(&keys.access_key_id);
    let arn = check_keys(p, keys)?;
    // What is replaced, as the question names it and as the report does.
    let replaced = match &before {
        // The same key with a secret STS has just accepted: nothing that works is lost.
        Held::Keys(old) if old.access_key_id == keys.access_key_id => None,
        Held::Keys(old) => {
            let id = mask_key(&old.access_key_id);
            Some((format!("the keys {id}"), id))
        }
        Held::Unusable(why) => Some((
            format!("the unusable item ({why})"),
            "an unusable item".to_string(),
        )),
        Held::Nothing => None,
    };
    if let Some((old, _)) = &replaced {
        let question = format!(
            "Replace {old} of '{p}' in {} with {new_id} ({arn})? AWS never shows a secret again: \
             without another copy they are lost. [y/N] ",
            store_name()
        );
        if !yes
            && !confirm(
                &question,
                "pass --yes to replace the stored keys without asking",
            )?
        {
            eprintln!("mfa-env: nothing stored; {old} of '{p}' stay");
            return Ok(0);
        }
    }
    keystore::put(p, keys)?;
    let forgot = forget_sessions(p);
    eprintln!(
        "mfa-env: stored the keys {new_id} of '{p}' in {}{}{}; STS says they are {arn}",
        store_name(),
        replaced
            .map(|(_, short)| format!(", replacing {short}"))
            .unwrap_or_default(),
        if forgot > 0 {
            " (cached sessions of the keys before them forgotten)"
        } else {
            ""
        }
    );
    if let Some(note) = shadowed_note(owner) {
        eprintln!("mfa-env: {note}");
    }
    Ok(0)
}

/// Whose keys these are, asked with the keys themselves (GetCallerIdentity needs no permission
/// and no MFA): a mistyped secret, or a key deactivated or deleted, is caught before it replaces
/// anything. Keys that cannot be checked are not stored either.
fn check_keys(p: &str, keys: &LongTermKeys) -> anyhow::Result<String> {
    let place = Profiles::load()?.sts_place(p)?;
    let ca = place.ca_bundle.as_deref().map(CaBundle::load).transpose()?;
    let (region, endpoint_url) = (place.region.as_deref(), place.endpoint_url.as_deref());
    let http = crate::sts::http_client(&crate::sts::endpoint(region, endpoint_url), ca.as_ref());
    let sts = Sts::new(
        &Signer {
            access_key_id: &keys.access_key_id,
            secret_access_key: &keys.secret_access_key,
            session_token: None,
        },
        region,
        endpoint_url,
        &http,
        Limits::from_env()?,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(Exit::Other, format!("cannot start the async runtime: {e}")))?;
    let id = mask_key(&keys.access_key_id);
    match rt.block_on(sts.caller_arn()) {
        Ok(arn) => Ok(sanitize_line(&arn, 300)),
        Err(StsError::InvalidKeys { code, .. }) => Err(fail(
            Exit::Denied,
            format!(
                "STS refused the keys {id} ({code}): the key ID or the secret is wrong, or the key \
                 is deactivated or deleted; nothing was stored"
            ),
        )),
        Err(e) => Err(fail(
            e.exit(),
            format!("checking the keys {id} with STS failed ({e}); nothing was stored"),
        )),
    }
}

fn import(args: &KeysStoreArgs) -> anyhow::Result<i32> {
    let owner = owner(args.profile_name(), "import", true)?;
    let p = &owner.profile;
    // As commands in messages write it: quoted only when a shell needs it.
    let qp = crate::shell::hint::arg(p);
    let keys = match &owner.in_files {
        Some(KeySource::File(keys)) => keys.clone(),
        Some(KeySource::Process { .. }) => {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{p}' takes its keys from its credential_process, not from the \
                     credentials file: there is nothing to import"
                ),
            ))
        }
        _ if owner.temporary_in_file => {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{p}' holds temporary credentials in the files (aws_session_token, \
                     as aws-mfa writes them), not an IAM user's long-term keys: there is nothing \
                     to import; to store the long-term keys, run `mfa-env keys add {qp}`"
                ),
            ))
        }
        _ => {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{p}' has no keys in {} to import (its section needs \
                     aws_access_key_id and aws_secret_access_key); to type them instead, run \
                     `mfa-env keys add {qp}`",
                    credentials_file_display()
                ),
            ))
        }
    };
    if let Err(why) = check_key_id(&keys.access_key_id) {
        return Err(fail(
            Exit::Config,
            format!("profile '{p}' in the files: {why}; nothing was stored"),
        ));
    }
    let before = keystore::held(p)?;
    store(p, &keys, &owner, before, args.yes)
}

/// What wins over a stored key: `"file"` (with the masked ID of the file's key) or
/// `"credential_process"`.
type Shadow = (&'static str, Option<String>);

fn list(args: &ListArgs) -> anyhow::Result<i32> {
    let stored = keystore::list()?;
    let profiles = Profiles::load().ok();
    let rows: Vec<(String, String, Option<Shadow>)> = stored
        .iter()
        .map(|s| {
            let shadow = profiles
                .as_ref()
                .and_then(|p| p.key_owner(&s.profile, "list").ok())
                .and_then(|o| match o.in_files {
                    Some(KeySource::File(k)) => Some(("file", Some(mask_key(&k.access_key_id)))),
                    Some(KeySource::Process { .. }) => Some(("credential_process", None)),
                    _ => None,
                });
            (s.profile.clone(), mask_key(&s.keys.access_key_id), shadow)
        })
        .collect();
    if args.json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|(profile, key, shadow)| {
                serde_json::json!({
                    "profile": profile,
                    "access_key_id": key,
                    "store": keystore::store_short_name(),
                    "shadowed_by": shadow.as_ref().map(|s| s.0),
                    "file_access_key_id": shadow.as_ref().and_then(|s| s.1.clone()),
                })
            })
            .collect();
        super::print_stdout(&format!("{}\n", serde_json::Value::Array(items)))?;
        return Ok(0);
    }
    if rows.is_empty() {
        eprintln!(
            "mfa-env: no keys in {}: store some with `mfa-env keys add PROFILE` or `mfa-env keys \
             import PROFILE`",
            store_name()
        );
        return Ok(0);
    }
    let width = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut text = format!("{:width$}  {:11}  STORE\n", "PROFILE", "KEY ID");
    for (profile, key, shadow) in &rows {
        let store = match shadow {
            Some((_, Some(file_key))) => format!(
                "{} (the files' keys {file_key} win)",
                keystore::store_short_name()
            ),
            Some((_, None)) => format!(
                "{} (its credential_process wins)",
                keystore::store_short_name()
            ),
            None => keystore::store_short_name().to_string(),
        };
        text.push_str(&format!("{profile:width$}  {key:11}  {store}\n"));
    }
    super::print_stdout(&text)?;
    Ok(0)
}

fn remove(args: &KeysRemoveArgs) -> anyhow::Result<i32> {
    let owner = owner(args.profile_name(), "remove", false)?;
    let p = &owner.profile;
    let none = || {
        fail(
            Exit::Config,
            format!("no keys of '{p}' in {}: nothing removed", store_name()),
        )
    };
    // Read first, to ask about and then name the key that goes (never an item's content).
    let what = match keystore::held(p)? {
        Held::Nothing => return Err(none()),
        Held::Keys(k) => format!("the keys {}", mask_key(&k.access_key_id)),
        Held::Unusable(why) => format!("the unusable item ({why})"),
    };
    if !args.yes {
        let copy = match &owner.in_files {
            Some(KeySource::File(keys)) => format!(
                "{} still holds the keys {}",
                credentials_file_display(),
                mask_key(&keys.access_key_id)
            ),
            _ => "AWS never shows a secret again: if this is the only copy, it is lost".to_string(),
        };
        let question = format!(
            "Delete {what} of '{p}' from {}? {copy}. [y/N] ",
            store_name()
        );
        if !confirm(&question, "pass --yes to remove the keys without asking")? {
            eprintln!("mfa-env: nothing removed");
            return Ok(0);
        }
    }
    if !keystore::delete(p)? {
        return Err(none());
    }
    forget_sessions(p);
    eprintln!(
        "mfa-env: removed {what} of '{p}' from {} and forgot their cached sessions",
        store_name()
    );
    if let Some(KeySource::File(keys)) = &owner.in_files {
        eprintln!(
            "mfa-env: '{p}' still has the keys {} in {}",
            mask_key(&keys.access_key_id),
            credentials_file_display()
        );
    }
    Ok(0)
}

/// How long an MFA session must still last to be used for a rotation.
const ROTATION_TIME: i64 = 120;

fn rotate(args: &KeysRotateArgs) -> anyhow::Result<i32> {
    let owner = owner(args.profile_name(), "rotate", true)?;
    let p = owner.profile.clone();
    // As commands in messages write it: quoted only when a shell needs it.
    let qp = crate::shell::hint::arg(&p);
    match &owner.in_files {
        Some(KeySource::File(keys)) => {
            let id = mask_key(&keys.access_key_id);
            // What the keyring holds decides the next step: an import already done leaves only
            // the file's lines to delete.
            let next = match keystore::get(&p).ok().flatten() {
                Some(stored) if stored.access_key_id == keys.access_key_id => format!(
                    "{} holds them too (imported): {}, then rotate",
                    store_name(),
                    lines_to_delete(&p)
                ),
                Some(stored) => format!(
                    "{} holds other keys, {}, which the files' win over: to rotate those, {}; to \
                     rotate {id}, replace them with `mfa-env keys import {qp}` first",
                    store_name(),
                    mask_key(&stored.access_key_id),
                    lines_to_delete(&p)
                ),
                None => format!(
                    "move them to {} with `mfa-env keys import {qp}`, delete the lines it names, \
                     then rotate",
                    store_name()
                ),
            };
            return Err(fail(
                Exit::Config,
                format!(
                    "the keys {id} of '{p}' are in the files, which mfa-env never writes: {next}"
                ),
            ));
        }
        Some(KeySource::Process { .. }) => {
            return Err(fail(
                Exit::Config,
                format!(
                    "the keys of '{p}' come from its credential_process: rotate them where that \
                     program keeps them"
                ),
            ))
        }
        _ => {}
    }
    let old = keystore::get(&p)?.ok_or_else(|| {
        fail(
            Exit::Config,
            format!(
                "no keys of '{p}' in {}: store them with `mfa-env keys add {qp}` or `mfa-env keys \
                 import {qp}` first",
                store_name()
            ),
        )
    })?;
    let mut auth = Authenticator::new(
        Request {
            profile: p.clone(),
            token_code: args.token_code.clone(),
            ..Request::default()
        },
        margin()?,
    )?;
    let r = auth.resolved().clone();
    let limits = Limits::from_env()?;
    let wait = crate::settings::wait(crate::settings::NEW_KEY_TIMEOUT)?;
    let ca = r.ca_bundle.as_deref().map(CaBundle::load).transpose()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(Exit::Other, format!("cannot start the async runtime: {e}")))?;
    let sts_endpoint = crate::sts::endpoint(r.region.as_deref(), r.endpoint_url.as_deref());
    let http = crate::sts::http_client(&sts_endpoint, ca.as_ref());
    let sts = |keys: &LongTermKeys| {
        Sts::new(
            &Signer {
                access_key_id: &keys.access_key_id,
                secret_access_key: &keys.secret_access_key,
                session_token: None,
            },
            r.region.as_deref(),
            r.endpoint_url.as_deref(),
            &http,
            limits,
        )
    };
    // Whose key it is, asked with the key itself: GetCallerIdentity needs no permission and no
    // MFA, and proves the stored key works before a code is asked.
    let unchanged = |e: StsError| fail(e.exit(), format!("{e}; nothing changed"));
    let user_arn = rt.block_on(sts(&old).caller_arn()).map_err(unchanged)?;
    let user = crate::iam::user_name(&user_arn).ok_or_else(|| {
        fail(
            Exit::Config,
            format!(
                "the keys of '{p}' belong to {user_arn}, not to an IAM user: only an IAM user's \
                 access keys can be rotated here"
            ),
        )
    })?;
    let (session, _) = auth.credentials(ROTATION_TIME).map_err(|e| {
        let exit = crate::error::exit_kind(&e).unwrap_or(Exit::Other);
        fail(exit, format!("{e:#}; nothing changed"))
    })?;
    let iam = Iam::new(
        &Signer {
            access_key_id: &session.access_key_id,
            secret_access_key: &session.secret_access_key,
            session_token: Some(&session.session_token),
        },
        r.region.as_deref(),
        r.iam_endpoint_url.as_deref(),
        ca.as_ref(),
        limits,
    );
    crate::debug!("IAM at {}, user '{user}'", iam.endpoint());
    let existing = rt
        .block_on(iam.list_access_keys(&user))
        .map_err(unchanged)?;
    let ids: Vec<String> = existing
        .iter()
        .map(|k| mask_key(&k.access_key_id))
        .collect();
    if !existing
        .iter()
        .any(|k| k.access_key_id == old.access_key_id)
    {
        return Err(fail(
            Exit::Config,
            format!(
                "IAM does not list the stored key {} among the keys of user '{user}' ({}); \
                 nothing changed",
                mask_key(&old.access_key_id),
                ids.join(", ")
            ),
        ));
    }
    if existing.len() >= 2 {
        let other: Vec<String> = existing
            .iter()
            .filter(|k| k.access_key_id != old.access_key_id)
            .map(|k| mask_key(&k.access_key_id))
            .collect();
        return Err(fail(
            Exit::Config,
            format!(
                "IAM user '{user}' already has two access keys ({}), the most IAM allows: delete \
                 the one mfa-env does not hold ({}) if nothing uses it (`aws iam \
                 list-access-keys`, `aws iam delete-access-key`), then rotate again; nothing \
                 changed",
                ids.join(", "),
                other.join(", ")
            ),
        ));
    }
    let new = rt
        .block_on(iam.create_access_key(&user))
        .map_err(unchanged)?;
    let (old_id, new_id) = (mask_key(&old.access_key_id), mask_key(&new.access_key_id));
    eprintln!("mfa-env: created the key {new_id} for IAM user '{user}'; checking that it works");
    // Undoes the creation when the new key cannot be used: the old key stays the one stored.
    let undo = |why: String| -> anyhow::Error {
        match rt.block_on(iam.delete_access_key(&user, &new.access_key_id)) {
            Ok(()) => fail(
                Exit::Config,
                format!(
                    "{why}; the new key {new_id} was deleted again. Nothing changed: {} still \
                     holds {old_id}, which works",
                    store_name()
                ),
            ),
            Err(e) => fail(
                e.exit(),
                format!(
                    "{why}; deleting the new key {new_id} failed too ({e}). IAM user '{user}' now \
                     has {old_id} (in {}, works) and {new_id} (unused): delete {new_id} with `aws \
                     iam delete-access-key`",
                    store_name()
                ),
            ),
        }
    };
    // New keys take a few seconds to be accepted everywhere: retry, bounded.
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(500);
    loop {
        match rt.block_on(sts(&new).caller_arn()) {
            Ok(arn) if arn == user_arn => break,
            Ok(arn) => {
                return Err(undo(format!(
                    "the new key {new_id} signs as {arn}, not as {user_arn}"
                )))
            }
            Err(e @ (StsError::InvalidKeys { .. } | StsError::Http { .. }))
                if Instant::now() + pause < deadline =>
            {
                crate::debug!("the new key is not accepted yet: {e}");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(4));
            }
            Err(e) => {
                return Err(undo(format!(
                    "the new key {new_id} did not work within {} s ({e})",
                    wait.as_secs()
                )))
            }
        }
    }
    let mut noted = String::new();
    if let Err(failed) = keystore::put(&p, &new) {
        let why = format!("storing the new key failed ({:#})", failed.error);
        // A failed write may have happened all the same: deleting the new key while the store
        // holds it would leave no working secret at all. What the store holds decides.
        match held_after_failed_put(&p, failed, &old, &new) {
            AfterPut::Old => return Err(undo(why)),
            AfterPut::New => {
                noted = format!(
                    " ({} reported a failure but holds the new key)",
                    store_name()
                )
            }
            AfterPut::Unknown(state) => {
                return Err(fail(
                    Exit::Config,
                    format!(
                        "{why}, and what {store} holds now is unknown ({state}). Both keys are \
                         kept: IAM user '{user}' has {old_id}, stored before the rotation, and \
                         {new_id}, created now, which {store} may hold instead; once it answers, \
                         `mfa-env keys list` shows which one it holds: delete the other with `aws \
                         iam delete-access-key --user-name {user} --access-key-id ID`",
                        store = store_name()
                    ),
                ))
            }
        }
    }
    forget_sessions(&p);
    if let Err(e) = rt.block_on(iam.delete_access_key(&user, &old.access_key_id)) {
        return Err(fail(
            e.exit(),
            format!(
                "{} now holds the new key {new_id}, which works; deleting the old key {old_id} \
                 failed ({e}): it still exists in IAM, so delete it with `aws iam \
                 delete-access-key --user-name {user}` and its ID",
                store_name()
            ),
        ));
    }
    eprintln!(
        "mfa-env: rotated the keys of '{p}': {new_id} is in {} and works, {old_id} is deleted \
         in IAM; cached sessions of the old key are forgotten{noted}",
        store_name()
    );
    Ok(0)
}

/// What the store holds after a write of the new key failed.
enum AfterPut {
    Old,
    New,
    /// Neither can be known (why).
    Unknown(String),
}

/// Reads the item back once the failed write has surely ended: a write still running when its
/// time was up is given as long again to finish (an unlock prompt answered late), and one that
/// runs on after that may land at any time, so nothing read before it ends can be trusted.
fn held_after_failed_put(
    p: &str,
    failed: keystore::Failed,
    old: &LongTermKeys,
    new: &LongTermKeys,
) -> AfterPut {
    if let Some(pending) = &failed.pending {
        let limit = keystore::timeout().unwrap_or(Duration::from_secs(120));
        eprintln!(
            "mfa-env: {} did not answer in time while storing the new key; waiting up to {} s \
             more for it to finish (unlock it if it asks), to know which key to keep",
            store_name(),
            limit.as_secs_f64()
        );
        if !pending.settle(limit) {
            return AfterPut::Unknown("it has still not finished writing".to_string());
        }
    }
    let same = |a: &LongTermKeys, b: &LongTermKeys| {
        a.access_key_id == b.access_key_id && *a.secret_access_key == *b.secret_access_key
    };
    match keystore::held(p) {
        Ok(Held::Keys(k)) if same(&k, new) => AfterPut::New,
        Ok(Held::Keys(k)) if same(&k, old) => AfterPut::Old,
        Ok(Held::Keys(k)) => AfterPut::Unknown(format!(
            "it holds {}, neither of them",
            mask_key(&k.access_key_id)
        )),
        Ok(Held::Nothing) => AfterPut::Unknown("it holds no keys of the profile".to_string()),
        Ok(Held::Unusable(why)) => AfterPut::Unknown(format!("its item is unusable: {why}")),
        Err(e) => AfterPut::Unknown(format!("reading it back failed: {e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shapes() {
        assert!(check_key_id("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(check_key_id("ASIAIOSFODNN7EXAMPLE")
            .unwrap_err()
            .contains("temporary"));
        for bad in [
            "",
            "AKIA",
            "akiaiosfodnn7example",
            "AKIAIOSFODNN7EXAMPLE1",
            "AIDAIOSFODNN7EXAMPLE",
        ] {
            assert!(check_key_id(bad).is_err(), "{bad}");
        }
        assert!(check_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_ok());
        assert!(check_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE").is_err());
        assert!(check_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE!").is_err());
    }

    #[test]
    fn user_names_from_arns() {
        assert_eq!(
            crate::iam::user_name("arn:aws:iam::123456789012:user/alice").as_deref(),
            Some("alice")
        );
        assert_eq!(
            crate::iam::user_name("arn:aws-cn:iam::123456789012:user/team/bob").as_deref(),
            Some("bob")
        );
        assert_eq!(
            crate::iam::user_name("arn:aws:iam::123456789012:root"),
            None
        );
        assert_eq!(
            crate::iam::user_name("arn:aws:iam::123456789012:user/a\x1b]0;x\x07b"),
            None
        );
        assert_eq!(
            crate::iam::user_name("arn:aws:sts::123456789012:assumed-role/R/s"),
            None
        );
    }
}
