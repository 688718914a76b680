//! Where a profile's long-term keys come from: the files, a source's `credential_process`,
//! the OS keyring; and the lines of the files that hold them.

use super::*;

/// Where the long-term keys that sign the first STS call come from. Only an access key ID in a
/// file is known up front; the others are fetched when STS is called, never for a cache hit.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `aws_access_key_id` / `aws_secret_access_key` in the profile's section.
    File(LongTermKeys),
    /// The source profile's `credential_process` (a password manager, a vault script), whose
    /// answer must be long-term keys.
    Process { profile: String, command: String },
    /// The OS secret store (`mfa-env keys add`), for a profile with no long-term keys in the
    /// files (`temporary_in_file`: its section holds temporary credentials, as aws-mfa writes).
    Store {
        profile: String,
        temporary_in_file: bool,
    },
}

impl KeySource {
    /// What cached sessions made with these keys are filed under: the access key ID, or for
    /// a process, its profile and command (it is not run to look the cache up).
    pub fn cache_identity(&self) -> String {
        match self {
            KeySource::File(keys) => keys.access_key_id.clone(),
            KeySource::Process { profile, command } => format!("process:{profile}:{command}"),
            // Not the key ID (reading it would cost a store round trip on every cache hit):
            // `keys` forgets the profile's sessions whenever it changes the stored keys.
            KeySource::Store { profile, .. } => format!("store:{profile}"),
        }
    }

    /// Where the keys come from, for messages (no secret).
    pub fn describe(&self) -> String {
        match self {
            KeySource::File(keys) => {
                format!("keys {}", crate::error::mask_key(&keys.access_key_id))
            }
            KeySource::Process { .. } => "keys from credential_process".to_string(),
            KeySource::Store { .. } => format!("keys in {}", crate::keystore::store_name()),
        }
    }

    /// Why AWS refused these keys of `profile` (STS's `code`: InvalidClientTokenId,
    /// SignatureDoesNotMatch…), where they are and how to replace them.
    pub fn rejected(&self, profile: &str, code: &str) -> anyhow::Error {
        let p = crate::shell::hint::arg(profile);
        let (which, fix) = match self {
            KeySource::File(keys) => {
                let lines = key_lines(profile);
                let place = match lines.first() {
                    Some(l) => format!("{} line {}", l.path.display(), l.line),
                    None => credentials_file_display(),
                };
                (
                    format!(
                        "{} of '{profile}' in {place}",
                        crate::error::mask_key(&keys.access_key_id)
                    ),
                    format!(
                        "put a working key there, or store one with `mfa-env keys add {p}` and \
                         delete the file's lines"
                    ),
                )
            }
            KeySource::Process { .. } => (
                format!("that the credential_process of '{profile}' gives"),
                "check what that program returns".to_string(),
            ),
            KeySource::Store { .. } => (
                format!("of '{profile}' in {}", crate::keystore::store_name()),
                format!("store a working key with `mfa-env keys add {p}`"),
            ),
        };
        fail(
            Exit::Denied,
            format!(
                "AWS rejected the long-term keys ({code}) {which}: the key is wrong, deactivated \
                 or deleted; {fix}"
            ),
        )
    }

    /// The keys themselves: for a process, it is run now.
    pub fn load(&self) -> anyhow::Result<LongTermKeys> {
        match self {
            KeySource::File(keys) => Ok(keys.clone()),
            KeySource::Process { profile, command } => keys_from_process(profile, command),
            KeySource::Store {
                profile,
                temporary_in_file,
            } => {
                let temporary = if *temporary_in_file {
                    " (its section in the files holds temporary credentials, aws_session_token, \
                     not an IAM user's long-term keys)"
                } else {
                    ""
                };
                use crate::keystore::Lookup;
                let q = crate::shell::hint::arg(profile);
                match crate::keystore::lookup(profile) {
                    Ok(Lookup::Found(keys)) => Ok(keys),
                    // No keyring here at all: the files are what the user most likely meant.
                    Ok(Lookup::Unreachable(e)) => Err(fail(
                        Exit::Config,
                        format!(
                            "profile '{profile}' has no long-term keys{temporary}: add \
                             aws_access_key_id and aws_secret_access_key to [{profile}] in {}, \
                             or store them with `mfa-env keys add {q}` where a keyring \
                             runs ({e:#})",
                            credentials_file_display()
                        ),
                    )),
                    Ok(Lookup::Missing) => Err(fail(
                        Exit::Config,
                        format!(
                            "profile '{profile}' has no long-term keys{temporary}: store them with \
                             `mfa-env keys add {q}`, or add aws_access_key_id and \
                             aws_secret_access_key to [{profile}] in {}",
                            credentials_file_display()
                        ),
                    )),
                    Err(e) if *temporary_in_file => Err(fail(
                        Exit::Config,
                        format!("profile '{profile}' has no long-term keys{temporary}, and {e:#}"),
                    )),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

/// The most a `credential_process` may print: the SDKs' answers are well under 4 KiB.
pub(super) const PROCESS_ANSWER_CAP: u64 = 64 * 1024;

/// Runs a source profile's `credential_process` and reads long-term keys from its answer, with
/// the SDKs' rules: JSON, `Version` 1, `AccessKeyId` and `SecretAccessKey`. Session credentials
/// (a `SessionToken`) are refused: GetSessionToken and an MFA AssumeRole need an IAM user's keys.
pub(super) fn keys_from_process(profile: &str, command: &str) -> anyhow::Result<LongTermKeys> {
    let what = format!("credential_process of profile '{profile}'");
    let out = crate::process::run_bounded(command, &what, PROCESS_ANSWER_CAP, Exit::Config)?;
    parse_process_answer(&out, &what)
}

pub(super) fn parse_process_answer(out: &[u8], what: &str) -> anyhow::Result<LongTermKeys> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        version: Option<serde_json::Value>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
        session_token: Option<String>,
    }
    // The error of a failed parse can quote the input: it is not passed on.
    let answer: Answer = serde_json::from_slice(out).map_err(|_| {
        fail(
            Exit::Config,
            format!("{what} did not print a JSON object of credentials (Version 1)"),
        )
    })?;
    if answer.version != Some(serde_json::Value::from(1)) {
        return Err(fail(
            Exit::Config,
            format!(
                "{what} printed credentials without \"Version\": 1, the only version the SDKs read"
            ),
        ));
    }
    // Owned by zeroizing buffers from here on.
    let secret = answer.secret_access_key.map(Zeroizing::new);
    let token = answer.session_token.map(Zeroizing::new);
    if token.as_ref().is_some_and(|t| !t.trim().is_empty()) {
        return Err(fail(
            Exit::Config,
            format!(
                "{what} printed temporary credentials (a SessionToken): GetSessionToken needs the \
                 long-term keys of an IAM user; have it print AccessKeyId and SecretAccessKey only"
            ),
        ));
    }
    match (answer.access_key_id, secret) {
        (Some(id), Some(secret)) if !id.trim().is_empty() && !secret.trim().is_empty() => {
            Ok(LongTermKeys {
                access_key_id: id.trim().to_string(),
                secret_access_key: Zeroizing::new(secret.trim().to_string()),
            })
        }
        _ => Err(fail(
            Exit::Config,
            format!("{what} printed no AccessKeyId and SecretAccessKey"),
        )),
    }
}

/// What `keys` needs to know about the profile whose keys it manages.
#[derive(Debug)]
pub struct KeyOwner {
    /// The name the store files the keys under: the source profile's.
    pub profile: String,
    /// Whether either file has a section for it.
    pub known: bool,
    /// Keys the files give it (in a section, or through a `credential_process`): these win
    /// over the store.
    pub in_files: Option<KeySource>,
    /// Its section holds temporary credentials (aws-mfa's output), which are not keys to keep.
    pub temporary_in_file: bool,
}

/// One line of the AWS files that holds a long-term key of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLine {
    pub path: PathBuf,
    /// 1-based, as editors count.
    pub line: usize,
    /// `aws_access_key_id` or `aws_secret_access_key`.
    pub key: &'static str,
}

/// The lines of the config and credentials files that hold `profile`'s keys (in its section or
/// aws-mfa's `profile-long-term` one): what to delete once the keys are in the store.
pub fn key_lines(profile: &str) -> Vec<KeyLine> {
    let env = Env::real();
    let files = read_files(&env);
    // aws-mfa's long-term section holds the keys when it has any; `[profile]` then holds its
    // temporary output, which is not what to delete.
    for name in [format!("{profile}{LONG_TERM_SUFFIX}"), profile.to_string()] {
        let mut found = Vec::new();
        for file in &files {
            let Ok(text) = std::str::from_utf8(file.bytes()) else {
                continue;
            };
            found.extend(
                key_lines_in(text, std::slice::from_ref(&name))
                    .into_iter()
                    .map(|(line, key)| KeyLine {
                        path: file.path.clone(),
                        line,
                        key,
                    }),
            );
        }
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

pub(super) fn key_lines_in(text: &str, sections: &[String]) -> Vec<(usize, &'static str)> {
    const KEYS: [&str; 2] = ["aws_access_key_id", "aws_secret_access_key"];
    let mut inside = false;
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('[') {
            inside = section_name(line).is_some_and(|n| sections.iter().any(|s| s == n));
            continue;
        }
        // An indented line continues the property above it, as the parser reads it.
        if !inside || line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        if let Some(k) = KEYS.into_iter().find(|k| key.trim() == *k) {
            found.push((i + 1, k));
        }
    }
    found
}
