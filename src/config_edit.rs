//! The one change mfa-env makes to `~/.aws/config`, for `setup`, after the user has seen it:
//! keys set in a profile's section (the section added when missing), every other byte kept.
//!
//! Sections are found as aws-config's parser finds them: a line that starts with `[`, its name
//! after `profile ` (or `default`). A key is replaced where it is, or added after the last line
//! of the section that holds something, so trailing blank lines and comments stay where they are.

/// One line the change adds, or replaces (`old`), for showing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub section: String,
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

/// Whether `line` is the header of profile `name`'s section (`[profile name]`, or `[default]` /
/// `[profile default]` for the default profile).
fn is_header_of(line: &str, name: &str) -> bool {
    let line = line.trim_matches([' ', '\t']);
    let line = line.find(['#', ';']).map_or(line, |i| &line[..i]);
    let Some(inner) = line
        .trim_matches([' ', '\t'])
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
    else {
        return false;
    };
    let words: Vec<&str> = inner.split_whitespace().collect();
    match words.as_slice() {
        ["profile", n] => *n == name,
        [n] => *n == "default" && name == "default",
        _ => false,
    }
}

/// `text` with `key = value` set in profile `name`'s section; the lines that change.
pub fn set(text: &str, name: &str, key: &str, value: &str) -> (String, Vec<Line>) {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let entry = format!("{key} = {value}");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with('[') && is_header_of(l.trim_end_matches(['\r', '\n']), name));
    let Some(start) = start else {
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
        out.push_str(&entry);
        out.push_str(newline);
        let change = Line {
            section: header(name),
            old: None,
            new: entry,
        };
        return (out, vec![change]);
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    let bare = |l: &str| l.trim_end_matches(['\r', '\n']).to_string();
    // The key where it is (not an indented continuation line).
    let existing = (start + 1..end).find(|&i| {
        !lines[i].starts_with([' ', '\t'])
            && lines[i]
                .split_once('=')
                .is_some_and(|(k, _)| k.trim() == key)
    });
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let change = match existing {
        Some(i) => {
            let old = bare(lines[i]);
            let current = old.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
            if current == value {
                return (text.to_string(), Vec::new());
            }
            let ending = &lines[i][lines[i].trim_end_matches(['\r', '\n']).len()..];
            out[i] = format!("{entry}{ending}");
            Line {
                section: header(name),
                old: Some(old),
                new: entry,
            }
        }
        None => {
            // After the last line of the section that holds something.
            let last = (start..end)
                .rev()
                .find(|&i| {
                    let t = lines[i].trim();
                    i == start || !(t.is_empty() || t.starts_with('#') || t.starts_with(';'))
                })
                .unwrap_or(start);
            if !out[last].ends_with('\n') {
                out[last].push_str(newline);
            }
            out.insert(last + 1, format!("{entry}{newline}"));
            Line {
                section: header(name),
                old: None,
                new: entry,
            }
        }
    };
    (out.concat(), vec![change])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_goes_into_its_section_and_nothing_else_moves() {
        let text =
            "# mine\n[profile a]\nregion = x\n\n# about b\n[profile b] ; note\nregion = y\n\n";
        let (out, lines) = set(text, "a", "mfa_serial", "arn:m");
        assert_eq!(
            out,
            "# mine\n[profile a]\nregion = x\nmfa_serial = arn:m\n\n# about b\n[profile b] ; note\nregion = y\n\n"
        );
        assert_eq!(lines[0].old, None);
        let (out, _) = set(text, "b", "mfa_serial", "arn:m");
        assert_eq!(
            out,
            "# mine\n[profile a]\nregion = x\n\n# about b\n[profile b] ; note\nregion = y\nmfa_serial = arn:m\n\n"
        );
    }

    #[test]
    fn an_existing_key_is_replaced_in_place_or_left_alone() {
        let text = "[default]\r\nmfa_serial = old\r\nregion = x\r\n";
        let (out, lines) = set(text, "default", "mfa_serial", "new");
        assert_eq!(out, "[default]\r\nmfa_serial = new\r\nregion = x\r\n");
        assert_eq!(lines[0].old.as_deref(), Some("mfa_serial = old"));
        let (same, none) = set(&out, "default", "mfa_serial", "new");
        assert_eq!((same.as_str(), none.len()), (out.as_str(), 0));
    }

    #[test]
    fn a_missing_section_is_added_at_the_end() {
        assert_eq!(
            set("[profile a]\nregion = x", "b", "k", "v").0,
            "[profile a]\nregion = x\n\n[profile b]\nk = v\n"
        );
        assert_eq!(set("", "b", "k", "v").0, "[profile b]\nk = v\n");
        // `[b]` in the config file is not profile b (only `default` goes without `profile`).
        assert_eq!(set("[b]\n", "b", "k", "v").0, "[b]\n\n[profile b]\nk = v\n");
        assert_eq!(
            set("[profile  default ]\n", "default", "k", "v").0,
            "[profile  default ]\nk = v\n"
        );
    }
}
