//! The one change mfa-env makes to `~/.aws/config`, for `setup` and `login`, after the user has
//! seen it:
//! keys set in a profile's section (the section added when missing), every other byte kept.
//!
//! Sections are found as aws-config's parser finds them: a line that starts with `[`, its name
//! after `profile ` (or `default`). The parser merges every section of a profile, a later line
//! winning, and ignores `[default]` when `[profile default]` exists; so a key is replaced on every
//! line of the profile's sections the parser reads that sets it, or, when none does, added after
//! the last line that holds something in the last of them (trailing blank lines and comments stay
//! where they are). `setup` then checks the result with the parser itself before writing it.

use crate::error::{fail, Exit};

/// One line the change adds, or replaces (`old`), for showing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub section: String,
    /// The 1-based line of the section's header in the text given; None for a new section. It
    /// tells a profile's duplicate sections apart.
    pub at: Option<usize>,
    pub old: Option<String>,
    pub new: String,
}

/// The header of the section of profile `name` in the config file.
pub fn header(name: &str) -> String {
    if name == "default" {
        "[default]".to_string()
    } else {
        format!("[profile {name}]")
    }
}

/// Whether `line` is the header of profile `name`'s section: `Some(true)` for `[profile name]`,
/// `Some(false)` for `[default]` (the default profile's other spelling).
fn header_of(line: &str, name: &str) -> Option<bool> {
    let line = line.trim_matches([' ', '\t']);
    let line = line.find(['#', ';']).map_or(line, |i| &line[..i]);
    let inner = line
        .trim_matches([' ', '\t'])
        .strip_prefix('[')?
        .strip_suffix(']')?;
    let words: Vec<&str> = inner.split_whitespace().collect();
    match words.as_slice() {
        ["profile", n] if *n == name => Some(true),
        [n] if *n == "default" && name == "default" => Some(false),
        _ => None,
    }
}

/// The sections of profile `name` the parser reads, as line ranges (header, end): all of them,
/// but `[default]` only when there is no `[profile default]`.
fn sections_of(lines: &[&str], name: &str) -> Vec<(usize, usize)> {
    let headers: Vec<(usize, bool)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with('['))
        .filter_map(|(i, l)| header_of(l.trim_end_matches(['\r', '\n']), name).map(|p| (i, p)))
        .collect();
    let prefixed = headers.iter().any(|&(_, p)| p);
    headers
        .into_iter()
        .filter(|&(_, p)| p || !prefixed)
        .map(|(start, _)| {
            let end = lines[start + 1..]
                .iter()
                .position(|l| l.starts_with('['))
                .map_or(lines.len(), |i| start + 1 + i);
            (start, end)
        })
        .collect()
}

/// Whether `line` sets `key` (not an indented continuation line; keys are case-insensitive, as
/// the parser lower-cases them).
fn sets(line: &str, key: &str) -> bool {
    !line.starts_with([' ', '\t'])
        && line
            .split_once('=')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(key))
}

/// `text` with each `key = value` of `pairs` set in profile `name`'s section; the lines that
/// change, section by section.
pub fn set(text: &str, name: &str, pairs: &[(&str, &str)]) -> (String, Vec<Line>) {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let entry = |key: &str, value: &str| format!("{key} = {value}");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let bare = |l: &str| l.trim_end_matches(['\r', '\n']).to_string();
    let sections = sections_of(&lines, name);
    let Some(&(last_start, last_end)) = sections.last() else {
        // A new section at the end, after a blank line.
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        if !out.is_empty() && !out.ends_with(&format!("{newline}{newline}")) {
            out.push_str(newline);
        }
        out.push_str(&header(name));
        out.push_str(newline);
        let mut changes = Vec::new();
        for (key, value) in pairs {
            out.push_str(&entry(key, value));
            out.push_str(newline);
            changes.push(Line {
                section: header(name),
                at: None,
                old: None,
                new: entry(key, value),
            });
        }
        return (out, changes);
    };
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut changes = Vec::new();
    let mut found = vec![false; pairs.len()];
    for &(start, end) in &sections {
        for i in start + 1..end {
            let Some(k) = pairs.iter().position(|(key, _)| sets(lines[i], key)) else {
                continue;
            };
            found[k] = true;
            let (key, value) = pairs[k];
            let old = bare(lines[i]);
            let current = old.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
            if current == value {
                continue;
            }
            let ending = &lines[i][lines[i].trim_end_matches(['\r', '\n']).len()..];
            out[i] = format!("{}{ending}", entry(key, value));
            changes.push(Line {
                section: bare(lines[start]).trim().to_string(),
                at: Some(start + 1),
                old: Some(old),
                new: entry(key, value),
            });
        }
    }
    let missing: Vec<(&str, &str)> = pairs
        .iter()
        .zip(&found)
        .filter(|(_, found)| !**found)
        .map(|(pair, _)| *pair)
        .collect();
    if !missing.is_empty() {
        // After the last line of the last section that holds something.
        let last = (last_start..last_end)
            .rev()
            .find(|&i| {
                let t = lines[i].trim();
                i == last_start || !(t.is_empty() || t.starts_with('#') || t.starts_with(';'))
            })
            .unwrap_or(last_start);
        if !out[last].ends_with('\n') {
            out[last].push_str(newline);
        }
        let added: String = missing
            .iter()
            .map(|(key, value)| format!("{}{newline}", entry(key, value)))
            .collect();
        out.insert(last + 1, added);
        for (key, value) in missing {
            changes.push(Line {
                section: bare(lines[last_start]).trim().to_string(),
                at: Some(last_start + 1),
                old: None,
                new: entry(key, value),
            });
        }
    }
    (out.concat(), changes)
}

/// What `propose` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file already says all of it.
    Unchanged,
    /// The user said no (nothing written).
    Declined,
    Written,
}

/// Sets `wanted` (each profile with its keys and values) in the config file: the change
/// shown on stderr, checked with the SDK's parser, written once the user agrees (or `yes`).
/// `rerun`: the command that shows the change again, should the file change meanwhile.
pub fn propose(
    wanted: &[(String, Vec<(&str, String)>)],
    yes: bool,
    rerun: &str,
) -> anyhow::Result<Outcome> {
    let path = crate::profile::config_file_path();
    let read = read_config(&path)?;
    let original = match &read {
        Some(bytes) => std::str::from_utf8(bytes).map_err(|_| {
            fail(
                Exit::Config,
                format!("{} is not UTF-8 text: nothing written", path.display()),
            )
        })?,
        None => "",
    };
    let mut text = original.to_string();
    let mut changes = Vec::new();
    for (name, keys) in wanted {
        let pairs: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (next, more) = set(&text, name, &pairs);
        text = next;
        changes.extend(more);
    }
    check_result(&text, wanted, &path)?;
    if changes.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    eprintln!(
        "mfa-env: the change to {}:\n{}",
        path.display(),
        describe(&changes)
    );
    if !yes
        && !crate::tty::confirm(
            &format!("Write it to {}? [y/N] ", path.display()),
            "pass --yes to write the change without asking",
        )?
    {
        return Ok(Outcome::Declined);
    }
    // The file may have been edited while the change was on the screen: writing the text made
    // from what was read would undo that edit without a word.
    if read_config(&path)? != read {
        return Err(fail(
            Exit::Config,
            format!(
                "{} changed since mfa-env read it: nothing written; run `{rerun}` again to see \
                 the change against what it holds now",
                path.display(),
            ),
        ));
    }
    write(&path, &text)?;
    Ok(Outcome::Written)
}

/// The config file's bytes; None when there is none.
fn read_config(path: &std::path::Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(
            Exit::Config,
            format!("cannot read {}: {e}; nothing written", path.display()),
        )),
    }
}

/// Checks, with the SDK's own parser, that the config file as `text` (and the credentials file
/// as it is) gives each profile the values `setup` means to write: the edit found its section
/// by reading the text itself, and another line may still win (a key in the credentials file).
fn check_result(
    text: &str,
    wanted: &[(String, Vec<(&str, String)>)],
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let after = crate::profile::Profiles::with_config_text(text)
        .map_err(|e| fail(Exit::Config, format!("{e:#}; nothing written")))?;
    let each = wanted
        .iter()
        .flat_map(|(name, keys)| keys.iter().map(move |(key, value)| (name, key, value)));
    for (name, key, value) in each {
        let read = after.setting(name, key);
        if read != Some(value.as_str()) {
            return Err(fail(
                Exit::Config,
                format!(
                    "with the change, the AWS SDK would read {key} of profile '{name}' as {}, \
                     not {value}: another line wins (in {} or {}); nothing written: set it there \
                     by hand",
                    read.map_or("missing".to_string(), |v| format!("'{v}'")),
                    path.display(),
                    crate::profile::credentials_file_display()
                ),
            ));
        }
    }
    Ok(())
}

fn describe(changes: &[Line]) -> String {
    let mut out = String::new();
    let mut section = None;
    for c in changes {
        // Each section once, a profile's duplicate sections each with its own lines.
        if section != Some((&c.section, c.at)) {
            // A section the change adds is marked as its lines are.
            let added = if c.at.is_none() { "+ " } else { "" };
            out.push_str(&format!("  {added}{}\n", c.section));
            section = Some((&c.section, c.at));
        }
        if let Some(old) = &c.old {
            out.push_str(&format!("  - {old}\n"));
        }
        out.push_str(&format!("  + {}\n", c.new));
    }
    out.trim_end().to_string()
}

/// Replaces the file at once (a temporary file renamed over it), with its mode; a new file is
/// private (0600) in a directory made private (0700). A symbolic link is followed: its target
/// is what changes.
fn write(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let cannot = |e: &dyn std::fmt::Display| {
        fail(
            Exit::Other,
            format!(
                "cannot write {}: {e} (the new file is written in {} and renamed over it); \
                 nothing written",
                target.display(),
                dir.display()
            ),
        )
    };
    let mode = file_mode(&target);
    // A file made read-only says: do not change me.
    if target.exists() && mode & 0o222 == 0 {
        return Err(fail(
            Exit::Config,
            format!(
                "{} is read-only (mode {mode:04o}): nothing written; make it writable, or add \
                 the lines above yourself",
                target.display()
            ),
        ));
    }
    if !dir.exists() {
        crate::cache::create_private_dirs(&dir).map_err(|e| cannot(&e))?;
    }
    crate::cache::write_atomic(&target, text.as_bytes(), mode).map_err(|e| cannot(&e))
}

#[cfg(unix)]
fn file_mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(_path: &std::path::Path) -> u32 {
    0o600
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_goes_into_its_section_and_nothing_else_moves() {
        let text =
            "# mine\n[profile a]\nregion = x\n\n# about b\n[profile b] ; note\nregion = y\n\n";
        let (out, lines) = set(text, "a", &[("mfa_serial", "arn:m")]);
        assert_eq!(
            out,
            "# mine\n[profile a]\nregion = x\nmfa_serial = arn:m\n\n# about b\n[profile b] ; note\nregion = y\n\n"
        );
        assert_eq!(lines[0].old, None);
        let (out, _) = set(text, "b", &[("mfa_serial", "arn:m")]);
        assert_eq!(
            out,
            "# mine\n[profile a]\nregion = x\n\n# about b\n[profile b] ; note\nregion = y\nmfa_serial = arn:m\n\n"
        );
    }

    #[test]
    fn an_existing_key_is_replaced_in_place_or_left_alone() {
        let text = "[default]\r\nmfa_serial = old\r\nregion = x\r\n";
        let (out, lines) = set(text, "default", &[("mfa_serial", "new")]);
        assert_eq!(out, "[default]\r\nmfa_serial = new\r\nregion = x\r\n");
        assert_eq!(lines[0].old.as_deref(), Some("mfa_serial = old"));
        let (same, none) = set(&out, "default", &[("mfa_serial", "new")]);
        assert_eq!((same.as_str(), none.len()), (out.as_str(), 0));
    }

    #[test]
    fn a_missing_section_is_added_at_the_end() {
        assert_eq!(
            set("[profile a]\nregion = x", "b", &[("k", "v")]).0,
            "[profile a]\nregion = x\n\n[profile b]\nk = v\n"
        );
        assert_eq!(set("", "b", &[("k", "v")]).0, "[profile b]\nk = v\n");
        // `[b]` in the config file is not profile b (only `default` goes without `profile`).
        assert_eq!(
            set("[b]\n", "b", &[("k", "v")]).0,
            "[b]\n\n[profile b]\nk = v\n"
        );
        assert_eq!(
            set("[profile  default ]\n", "default", &[("k", "v")]).0,
            "[profile  default ]\nk = v\n"
        );
    }

    /// The sections the parser reads decide: `[profile default]` over `[default]`, and every
    /// duplicate section (a later line wins, so every line that sets the key changes).
    #[test]
    fn the_section_the_parser_reads_is_the_one_changed() {
        let text = "[default]\nregion = a\n\n[profile default]\nregion = b\n";
        let (out, lines) = set(text, "default", &[("mfa_serial", "m")]);
        assert_eq!(
            out,
            "[default]\nregion = a\n\n[profile default]\nregion = b\nmfa_serial = m\n"
        );
        assert_eq!(
            (lines[0].section.as_str(), lines[0].at),
            ("[profile default]", Some(4))
        );
        let text = "[default]\nmfa_serial = x\n[profile default]\nregion = b\n";
        assert_eq!(
            set(text, "default", &[("mfa_serial", "m")]).0,
            "[default]\nmfa_serial = x\n[profile default]\nregion = b\nmfa_serial = m\n",
            "[default] is ignored by the parser: it stays as it is"
        );

        let text = "[profile a]\nMFA_Serial = one\n[profile b]\n[profile a]\nmfa_serial = two\n";
        let (out, lines) = set(text, "a", &[("mfa_serial", "m")]);
        assert_eq!(
            out,
            "[profile a]\nmfa_serial = m\n[profile b]\n[profile a]\nmfa_serial = m\n"
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].at, Some(4));
        // No line sets it: the last section gets it.
        assert_eq!(
            set(
                "[profile a]\nx = 1\n[profile a]\ny = 2\n\n",
                "a",
                &[("k", "v")]
            )
            .0,
            "[profile a]\nx = 1\n[profile a]\ny = 2\nk = v\n\n"
        );
    }

    /// Several keys of one profile: one new section, or each set where it is and the others
    /// added together.
    #[test]
    fn several_keys_of_one_profile() {
        let pairs = [("role_arn", "arn:r"), ("source_profile", "a")];
        let (out, lines) = set("[profile a]\n", "a-r", &pairs);
        assert_eq!(
            out,
            "[profile a]\n\n[profile a-r]\nrole_arn = arn:r\nsource_profile = a\n"
        );
        assert!(lines
            .iter()
            .all(|l| (l.section.as_str(), l.at) == ("[profile a-r]", None)));
        let (out, lines) = set(
            "[profile a-r]\nsource_profile = b\nregion = x\n",
            "a-r",
            &pairs,
        );
        assert_eq!(
            out,
            "[profile a-r]\nsource_profile = a\nregion = x\nrole_arn = arn:r\n"
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].old.as_deref(), Some("source_profile = b"));
    }
}
