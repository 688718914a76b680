//! Reading the AWS files and cutting them into sections: the index of each file's sections,
//! the sections one profile can need, header names, and the `[default]` keys the endpoint hides.

use super::*;

/// One of the two AWS files: the path exactly as the SDK will ask for it, the index of its
/// sections, and its text when something needs all of it.
///
/// A file on disk is read once in small chunks to index its sections; resolving a profile then
/// reads back only the sections it needs. A config of ten thousand profiles is megabytes: read
/// whole into fresh memory, the kernel's copying and page faults cost more than everything else
/// a cached session does.
pub(super) struct ConfigFile {
    pub(super) path: PathBuf,
    /// The open file the index was made from (`None`: the text was given).
    file: Option<std::fs::File>,
    /// What the file was when it was opened (`None`: the text was given).
    stamp: Option<Stamp>,
    /// The whole text, read at the first need (given, for a text that is not on disk).
    text: std::cell::OnceCell<Vec<u8>>,
    index: Index,
}

/// Where each section of a file starts and ends, and its name.
#[derive(Default)]
struct Index {
    sections: Vec<Section>,
    /// The sections' header lines, one after another (`Section`'s ranges point into it).
    names: String,
    /// Not UTF-8: the parser itself warns and reads the file as empty, so it gets all of it.
    utf8: bool,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

/// A run of lines of a file: a section from its header to the next, or what precedes the first
/// (no name), or one under a header this cannot read (no name: kept for the parser to judge).
struct Section {
    /// Its header line, and the name in it (ranges into `Index::names`).
    header: Option<std::ops::Range<usize>>,
    name: Option<std::ops::Range<usize>>,
    lines: std::ops::Range<u64>,
}

impl ConfigFile {
    /// A text that is not (or not yet) on disk.
    pub(super) fn new(path: PathBuf, bytes: Vec<u8>) -> ConfigFile {
        let index = scan_text(&bytes);
        let text = std::cell::OnceCell::new();
        let _ = text.set(bytes);
        ConfigFile {
            path,
            file: None,
            stamp: None,
            text,
            index,
        }
    }

    /// The file at `path`, indexed; `None` when it cannot be read (the parser then treats it as
    /// it treats a missing one).
    pub(super) fn open(path: PathBuf) -> Option<ConfigFile> {
        let file = std::fs::File::open(&path).ok()?;
        let meta = file.metadata().ok();
        let mut index = scan(&mut &file).ok()?;
        index.modified = meta.as_ref().and_then(|m| m.modified().ok());
        Some(ConfigFile {
            path,
            stamp: meta.as_ref().map(Stamp::of),
            file: Some(file),
            text: std::cell::OnceCell::new(),
            index,
        })
    }

    /// The byte ranges `kept(names)` joins: the sections named in `names` (and any section
    /// this cannot name); the whole file when it is not UTF-8.
    fn kept_ranges(&self, names: &BTreeSet<String>) -> Vec<std::ops::Range<u64>> {
        if !self.index.utf8 {
            return std::iter::once(0..self.index.len).collect();
        }
        self.index
            .sections
            .iter()
            .filter(|s| self.name(s).is_none_or(|n| names.contains(n)))
            .map(|s| s.lines.clone())
            .collect()
    }

    /// The whole text (read now if it was not yet; empty if it can no longer be read).
    pub(super) fn bytes(&self) -> &[u8] {
        self.text.get_or_init(|| {
            use std::io::{Read, Seek};
            let mut out = Vec::new();
            if let Some(mut f) = self.file.as_ref() {
                if f.rewind().and_then(|()| f.read_to_end(&mut out)).is_err() {
                    out.clear();
                }
            }
            out
        })
    }

    fn name(&self, section: &Section) -> Option<&str> {
        section.name.clone().map(|r| &self.index.names[r])
    }

    /// The sections named in `names`, one after another (and any section this cannot name).
    /// Not UTF-8: the whole file, which the parser itself warns about and reads as empty.
    pub(super) fn kept(&self, names: &BTreeSet<String>) -> Vec<u8> {
        if !self.index.utf8 {
            return self.bytes().to_vec();
        }
        let wanted = self.kept_ranges(names);
        let mut out = Vec::new();
        match (&self.file, self.text.get()) {
            (_, Some(text)) => {
                for s in wanted {
                    out.extend_from_slice(&text[s.start as usize..s.end as usize]);
                }
            }
            (Some(file), None) => {
                use std::io::{Read, Seek, SeekFrom};
                let mut f = file;
                for s in wanted {
                    let start = out.len();
                    out.resize(start + (s.end - s.start) as usize, 0);
                    let read = f
                        .seek(SeekFrom::Start(s.start))
                        .and_then(|_| f.read_exact(&mut out[start..]));
                    if read.is_err() {
                        return self.reread().kept(names);
                    }
                }
                // Changed since it was indexed (an editor saving it in place): start again
                // from what it holds now.
                let meta = file.metadata().ok();
                let same = meta.as_ref().is_some_and(|m| {
                    m.len() == self.index.len && m.modified().ok() == self.index.modified
                });
                if !same {
                    return self.reread().kept(names);
                }
            }
            (None, None) => {}
        }
        out
    }

    /// The file as it is now, read whole.
    fn reread(&self) -> ConfigFile {
        ConfigFile::new(
            self.path.clone(),
            std::fs::read(&self.path).unwrap_or_default(),
        )
    }

    /// As `kept`, with each line left out kept as an empty line (the file's line numbers).
    pub(super) fn kept_in_place(&self, names: &BTreeSet<String>) -> Vec<u8> {
        match std::str::from_utf8(self.bytes()) {
            Ok(text) => keep_sections(text, names).into_bytes(),
            Err(_) => self.bytes().to_vec(),
        }
    }
}

/// What a file was when it was read: enough to tell, without reading it, that it is unchanged
/// (its size and times, and on Unix the inode and the time of its last change of any kind,
/// which an edit cannot set back).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Stamp {
    len: u64,
    modified_ns: Option<u128>,
    #[serde(default)]
    unix: Option<(u64, u64, i64, i64)>,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        let ns = |t: std::io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
        };
        #[cfg(unix)]
        let unix = {
            use std::os::unix::fs::MetadataExt;
            Some((meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let unix = None;
        Stamp {
            len: meta.len(),
            modified_ns: ns(meta.modified()),
            unix,
        }
    }
}

/// The AWS files as they are: each path the SDK would read and its stamp (`None`: missing or
/// unreadable). Equal stamps, equal files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilesStamp(Vec<(PathBuf, Option<Stamp>)>);

impl FilesStamp {
    /// The files `env` names, as they are now.
    pub(super) fn now(env: &Env) -> FilesStamp {
        FilesStamp(
            SDK_FILES
                .into_iter()
                .map(|(var, default)| {
                    let path = sdk_path(env, &env.get(var).unwrap_or_else(|_| default.to_string()));
                    let stamp = std::fs::metadata(&path).ok().map(|m| Stamp::of(&m));
                    (path, stamp)
                })
                .collect(),
        )
    }

    /// The stamps of `files` as they were opened (what `read_files` gave), for the paths
    /// `env` names.
    pub(super) fn of(env: &Env, files: &[ConfigFile]) -> FilesStamp {
        FilesStamp(
            SDK_FILES
                .into_iter()
                .map(|(var, default)| {
                    let path = sdk_path(env, &env.get(var).unwrap_or_else(|_| default.to_string()));
                    let stamp = files
                        .iter()
                        .find(|f| f.path == path)
                        .and_then(|f| f.stamp.clone());
                    (path, stamp)
                })
                .collect(),
        )
    }

    /// The paths, for a key.
    pub fn paths(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(p, _)| p.to_string_lossy().into_owned())
            .collect()
    }
}

/// Which sections of the files resolving one profile read: the files' paths and stamps, and the
/// byte ranges of those sections. Kept in the session cache (`Cache::memo`): while neither file
/// has changed, the next run reads those ranges alone and parses the same text, instead of
/// scanning megabytes of other profiles. Nothing in it is a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Memo {
    version: u32,
    files: Vec<MemoFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct MemoFile {
    path: PathBuf,
    stamp: Stamp,
    ranges: Vec<(u64, u64)>,
}

impl Memo {
    /// What `files` hold for `names`; `None` for a text given rather than read.
    pub(super) fn of(files: &[ConfigFile], names: &BTreeSet<String>) -> Option<Memo> {
        let files = files
            .iter()
            .map(|f| {
                Some(MemoFile {
                    path: f.path.clone(),
                    stamp: f.stamp.clone()?,
                    ranges: f
                        .kept_ranges(names)
                        .into_iter()
                        .map(|r| (r.start, r.end))
                        .collect(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Memo { version: 1, files })
    }

    /// The files as the texts the memo names, read back, if the files `env` points at are
    /// exactly the ones remembered and unchanged (before and after the reads); else `None`.
    pub(super) fn read_back(&self, env: &Env) -> Option<Vec<ConfigFile>> {
        use std::io::{Read, Seek, SeekFrom};
        if self.version != 1 {
            return None;
        }
        // The same files, in the same order, as `read_files` would open now.
        let paths: Vec<PathBuf> = SDK_FILES
            .into_iter()
            .map(|(var, default)| {
                sdk_path(env, &env.get(var).unwrap_or_else(|_| default.to_string()))
            })
            .collect();
        let mut out = Vec::new();
        let mut remembered = self.files.iter().peekable();
        for path in paths {
            let file = std::fs::File::open(&path).ok();
            let Some(file) = file else {
                // A file missing then and now: nothing of it either way.
                if remembered.peek().is_some_and(|m| m.path == path) {
                    return None;
                }
                continue;
            };
            let m = remembered.next().filter(|m| m.path == path)?;
            let stamp = |f: &std::fs::File| f.metadata().ok().map(|meta| Stamp::of(&meta));
            if stamp(&file).as_ref() != Some(&m.stamp) {
                return None;
            }
            let mut text = Vec::new();
            let mut f = &file;
            for &(start, end) in &m.ranges {
                let at = text.len();
                text.resize(at + usize::try_from(end.checked_sub(start)?).ok()?, 0);
                f.seek(SeekFrom::Start(start)).ok()?;
                f.read_exact(&mut text[at..]).ok()?;
            }
            if stamp(&file).as_ref() != Some(&m.stamp) {
                return None;
            }
            out.push(ConfigFile::new(path, text));
        }
        remembered.next().is_none().then_some(out)
    }
}

/// Indexes the sections of a file, split where `keep_sections` splits it: at each line that
/// starts with `[`. Read in chunks of whole lines (a header, and a UTF-8 sequence, never spans a
/// newline), so a large file is never held whole; headers are found by looking for `[` alone
/// (memchr), since values rarely hold one.
fn scan(input: &mut impl std::io::Read) -> std::io::Result<Index> {
    use std::io::Read;
    const CHUNK: u64 = 64 * 1024;
    let mut indexer = Indexer::default();
    // What was read and not yet indexed: always from the start of a line. Filled straight from
    // the reader (no zeroed buffer in between), so a small file costs what it holds.
    let mut pending: Vec<u8> = Vec::new();
    loop {
        // read_to_end retries an interrupted read itself.
        let n = input.by_ref().take(CHUNK).read_to_end(&mut pending)?;
        if n == 0 {
            indexer.lines(&pending);
            return Ok(indexer.finish());
        }
        if let Some(i) = memchr::memrchr(b'\n', &pending) {
            indexer.lines(&pending[..=i]);
            pending.drain(..=i);
        }
    }
}

/// Indexes text already in memory: `scan` in one pass.
fn scan_text(text: &[u8]) -> Index {
    let mut indexer = Indexer::default();
    indexer.lines(text);
    indexer.finish()
}

/// `scan`'s state between runs of whole lines.
struct Indexer {
    index: Index,
    /// Where the next run of lines starts in the file.
    offset: u64,
    /// The section being read: where it starts, its header and name.
    start: u64,
    header: Option<std::ops::Range<usize>>,
    name: Option<std::ops::Range<usize>>,
}

impl Default for Indexer {
    fn default() -> Indexer {
        Indexer {
            index: Index {
                utf8: true,
                ..Index::default()
            },
            offset: 0,
            start: 0,
            header: None,
            name: None,
        }
    }
}

impl Indexer {
    /// Indexes `region`: whole lines that follow what was indexed before (the last may lack
    /// its newline only at the end of the file).
    fn lines(&mut self, region: &[u8]) {
        let index = &mut self.index;
        index.utf8 &= std::str::from_utf8(region).is_ok();
        for at in memchr::memchr_iter(b'[', region).filter(|&p| p == 0 || region[p - 1] == b'\n') {
            let abs = self.offset + at as u64;
            if abs > self.start {
                index.sections.push(Section {
                    header: self.header.take(),
                    name: self.name.take(),
                    lines: self.start..abs,
                });
            }
            self.start = abs;
            let line_end = memchr::memchr(b'\n', &region[at..]).map_or(region.len(), |i| at + i);
            self.header = None;
            self.name = None;
            if let Ok(line) = std::str::from_utf8(&region[at..line_end]) {
                let line = line.strip_suffix('\r').unwrap_or(line);
                let from = index.names.len();
                index.names.push_str(line);
                let stored = &index.names[from..];
                self.name = section_name(stored).map(|n| {
                    let at = from + (n.as_ptr() as usize - stored.as_ptr() as usize);
                    at..at + n.len()
                });
                self.header = Some(from..index.names.len());
            }
        }
        self.offset += region.len() as u64;
    }

    fn finish(mut self) -> Index {
        if self.offset > self.start {
            self.index.sections.push(Section {
                header: self.header,
                name: self.name,
                lines: self.start..self.offset,
            });
        }
        self.index.len = self.offset;
        self.index
    }
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
            let file = ConfigFile::open(path.clone())?;
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
            ConfigFile::open(path)
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
    section_pair_in_full(line)
}

/// `section_pair` the long way, for any header: comments cut, whitespace trimmed as aws-config
/// trims it.
pub(super) fn section_pair_in_full(line: &str) -> Option<(Option<&str>, &str)> {
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
        let Some(file) = ConfigFile::open(path) else {
            continue;
        };
        if !file.index.utf8 {
            continue;
        }
        let config = i == 0;
        let headers = file.index.sections.iter().filter_map(|s| {
            s.header
                .clone()
                .map(|r| &file.index.names[r])
                .filter(|l| l.starts_with('['))
        });
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
