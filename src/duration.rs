//! Durations as users write them: `3600`, `90m`, `12h`, `1h30m`, `45s`.

use crate::error::{fail, Exit};

pub fn parse(text: &str) -> anyhow::Result<u32> {
    let t = text.trim();
    let bad = || {
        fail(
            Exit::Config,
            format!(
                "'{}' is not a duration: write seconds (3600) or units (90m, 12h, 1h30m)",
                crate::error::sanitize_line(t, 40)
            ),
        )
    };
    if t.is_empty() {
        return Err(bad());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = total.saturating_add(n.saturating_mul(unit));
    }
    if !number.is_empty() {
        return Err(bad());
    }
    u32::try_from(total).map_err(|_| bad())
}

/// `12h`, `1h30m`, `15m`, `45s`: for messages.
pub fn human(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_durations() {
        assert_eq!(parse("3600").unwrap(), 3600);
        assert_eq!(parse("90m").unwrap(), 5400);
        assert_eq!(parse("12h").unwrap(), 43200);
        assert_eq!(parse("1h30m").unwrap(), 5400);
        assert_eq!(parse("45s").unwrap(), 45);
        for bad in ["", "h", "12x", "1.5h", "-5", "99999999999999"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(human(5400), "1h30m");
        assert_eq!(human(43200), "12h");
    }
}
