//! Reading the AWS files and cutting them into sections: the index of each file's sections,
//! the sections one profile can need, header names, and the `[default]` keys the endpoint hides.

use super::*;

/// One of the two AWS files as read from disk: the path exactly as the SDK will ask for it.
pub(super) struct ConfigFile {
    pub(super) path: PathBuf,
    pub(super) bytes: Vec<u8>,
    /// Where each section starts and ends (`None`: not UTF-8), made at the first need: one
    /// pass over the file, however many times its sections are picked from.
    pub(super) sections: std::cell::OnceCell<Option<Vec<Section>>>,
}

/// A run of lines of a file: a section from its header to the next, or what precedes the first
/// (no name), or one under a header this cannot read (no name: kept for the parser to judge).
pub(super) struct Section {
    pub(super) name: Option<std::ops::Range<usize>>,
    pub(super) lines: std::ops::Range<usize>,
}

impl ConfigFile {
    pub(super) fn new(path: PathBuf, bytes: Vec<u8>) -> ConfigFile {
        ConfigFile {
            path,
            bytes,
            sections: std::cell::OnceCell::new(),
        }
    }

    pub(super) fn sections(&self) -> Option<&[Section]> {
        self.sections
            .get_or_init(|| std::str::from_utf8(&self.bytes).ok().map(sections))
            .as_deref()
    }

    /// The sections named in `names`, one after another (and any section this cannot name).
    /// Not UTF-8: the whole file, which the parser itself warns about and reads as empty.
    pub(super) fn kept(&self, names: &BTreeSet<String>) -> Vec<u8> {
        let Some(sections) = self.sections() else {
            return self.bytes.clone();
        };
        let mut out = Vec::new();
        for s in sections {
            let keep = s.name.as_ref().is_none_or(|n| {
                std::str::from_utf8(&self.bytes[n.clone()]).is_ok_and(|n| names.contains(n))
            });
            if keep {
                out.extend_from_slice(&self.bytes[s.lines.clone()]);
            }
        }
        out
    }

    /// As `kept`, with each line left out kept as an empty line (the file's line numbers).
    pub(super) fn kept_in_place(&self, names: &BTreeSet<String>) -> Vec<u8> {
        match std::str::from_utf8(&self.bytes) {
            Ok(text) => keep_sections(text, names).into_bytes(),
            Err(_) => self.bytes.clone(),
        }
    }
}

/// The sections of `text`, split where `keep_sections` splits it: at each line that starts
/// with `[`. Found by looking for `[` alone (memchr), since values rarely hold one: a file of
/// ten thousand profiles is crossed in its headers, not its lines.
pub(super) fn sections(text: &str) -> Vec<Section> {
    let bytes = text.as_bytes();
    let starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'[', bytes).filter(|&at| at == 0 || bytes[at - 1] == b'\n'))
        .chain(std::iter::once(bytes.len()))
        .collect();
    let mut out = Vec::with_capacity(starts.len());
    for pair in starts.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        if end == start {
            continue;
        }
        let name = if bytes[start] == b'[' {
            let line_end = memchr::memchr(b'\n', &bytes[start..end]).map_or(end, |n| start + n);
            let line = &text[start..line_end];
            let line = line.strip_suffix('\r').unwrap_or(line);
            section_name(line).map(|n| {
                let offset = n.as_ptr() as usize - text.as_ptr() as usize;
                offset..offset + n.len()
            })
        } else {
            None
        };
        out.push(Section {
            name,
            lines: start..end,
        });
    }
    out
}

/// Keys of a `[default]` profile that make SDKs take credentials from it before a container
/// credentials endpoint.
pub(super) const DEFAULT_CREDENTIAL_KEYS: [&str; 7] = [
    "aws_access_key_id",
    "role_arn",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
    "credential_source",
];

/// For the config and credentials files whose `[default]` profile gives SDKs credentials
/// (SDKs with no profile selected use it before a container endpoint): the variable that
/// names the file, its path, and the key found. Each file is parsed alone, with the SDK's
/// parser, to tell which one it is.
pub fn default_credentials_in_files() -> Vec<(&'static str, PathBuf, &'static str)> {
    let env = Env::real();
    let wanted: BTreeSet<String> = ["default".to_string()].into();
    SDK_FILES
        .into_iter()
        .filter_map(|(var, default)| {
            let path = sdk_path(&env, &env.get(var).unwrap_or_else(|_| default.to_string()));
            let bytes = std::fs::read(&path).ok()?;
            let file = ConfigFile::new(path.clone(), bytes);
            let profiles =
                Profiles::parse(&env, std::slice::from_ref(&file), Some(&wanted)).ok()?;
            let default = profiles.profile("default")?;
            let key = DEFAULT_CREDENTIAL_KEYS
                .into_iter()
                .find(|k| default.get(k).is_some())?;
            Some((var, path, key))
        })
        .collect()
}

/// Reads the config and credentials files at the SDK's paths: `AWS_CONFIG_FILE` /
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/...`, with `~` expanded as the SDK does. A file
/// that cannot be read is left out: the parser then treats it as it treats a missing one.
pub(super) fn read_files(env: &Env) -> Vec<ConfigFile> {
    SDK_FILES
        .into_iter()
        .filter_map(|(var, default)| {
            let path = sdk_path(env, &env.get(var).unwrap_or_else(|_| default.to_string()));
            let bytes = std::fs::read(&path).ok()?;
            Some(ConfigFile::new(path, bytes))
        })
        .collect()
}

/// `text` with only the sections whose name is in `names`. A section starts at a line that
/// begins with `[`, exactly where aws-config's parser starts one, and runs to the next; its name
/// is what the parser makes of the header (`[profile x]`, `[x]`, `[services x]` all name `x`).
/// Lines before the first section, and any header this cannot read, are kept for the parser to
/// judge. Each line left out becomes an empty line, so the parser's messages name the right line.
pub(super) fn keep_sections(text: &str, names: &BTreeSet<String>) -> String {
    let mut out = String::new();
    let mut keep = true;
    for line in text.split_inclusive('\n') {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        let bare = bare.strip_suffix('\r').unwrap_or(bare);
        if bare.starts_with('[') {
            keep = section_name(bare).is_none_or(|n| names.contains(n));
        }
        if keep {
            out.push_str(line);
        } else if line.ends_with('\n') {
            // An empty line in place of one left out: the parser's line numbers stay the file's.
            out.push('\n');
        }
    }
    out
}

/// The name in a section header as aws-config reads it: comments (`#`, `;`) cut, brackets
/// stripped, then the part after the first space or tab (or all of it), trimmed.
pub(super) fn section_name(line: &str) -> Option<&str> {
    section_pair(line).map(|(_, name)| name)
}

/// A header's prefix (`profile`, `sso-session`, `services`…; none for `[x]`) and name, as
/// aws-config splits it.
pub(super) fn section_pair(line: &str) -> Option<(Option<&str>, &str)> {
    // The usual header, `[profile NAME]` or `[NAME]` and nothing else, read at once (a file
    // of thousands of profiles has as many headers).
    if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
        let odd = |b: u8| matches!(b, b'#' | b';' | b'\t');
        if !inner.bytes().any(odd) {
            match inner.bytes().position(|b| b == b' ') {
                None => return Some((None, inner)),
                Some(i)
                    if i > 0
                        && !inner.as_bytes()[i + 1..].contains(&b' ')
                        && i + 1 < inner.len() =>
                {
                    return Some((Some(&inner[..i]), &inner[i + 1..]));
                }
                Some(_) => {}
            }
        }
    }
    const WHITESPACE: &[char] = &[' ', '\t'];
    let line = line.trim_matches(WHITESPACE);
    let line = line.find(['#', ';']).map_or(line, |i| &line[..i]);
    let inner = line
        .trim_matches(WHITESPACE)
        .strip_prefix('[')?
        .strip_suffix(']')?
        .trim_matches(WHITESPACE);
    Some(match inner.split_once(WHITESPACE) {
        Some((prefix, name)) => (Some(prefix.trim()), name.trim()),
        None => (None, inner.trim()),
    })
}

/// The profile names in the files from their section headers alone, as aws-config accepts
/// them (`[profile x]` and `[default]` in the config file, `[x]` in the credentials file, valid
/// names only), aws-mfa's `x-long-term` offered as `x`; sorted. For completion, which runs at
/// every Tab: a scan of the headers, not a parse (which decides nothing here).
pub fn names_from_headers() -> Vec<String> {
    names_from_headers_in(&Env::real())
}

pub(super) fn names_from_headers_in(env: &Env) -> Vec<String> {
    let mut names = Vec::new();
    for (i, (var, default)) in SDK_FILES.into_iter().enumerate() {
        let path = sdk_path(env, &env.get(var).unwrap_or_else(|_| default.to_string()));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let config = i == 0;
        let headers = sections(text)
            .into_iter()
            .filter_map(|s| text[s.lines].lines().next().filter(|l| l.starts_with('[')));
        for line in headers {
            let name = match section_pair(line) {
                Some((Some("profile"), name)) if config => name,
                Some((None, "default")) if config => "default",
                Some((None, name)) if !config => name,
                _ => continue,
            };
            if valid_identifier(name) {
                let name = name.strip_suffix(LONG_TERM_SUFFIX).unwrap_or(name);
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// aws-config's rule for a profile name.
pub(super) fn valid_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}
