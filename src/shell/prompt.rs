//! Time-left text for status and messages; the shell snippets in `shell/` compute the same
//! text themselves, without forking.

/// `11h58m`, `59m`, `4m`, `1m` in the last minute, `expired` once past. Minutes are rounded
/// up, as a countdown does: a 12-hour session shows `12h00m` for its first minute, everywhere
/// (status, list, messages and the prompts in shell/, which compute the same).
pub fn time_left(seconds: i64) -> String {
    if seconds <= 0 {
        return "expired".to_string();
    }
    let total_minutes = (seconds + 59) / 60;
    let hours = total_minutes / 60;
    let minutes = total_minutes % 60;
    if hours > 0 {
        format!("{hours}h{minutes:02}m")
    } else {
        format!("{minutes}m")
    }
}

/// A moment in the local time zone (UTC when it is unknown), to the second.
pub fn local_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .map(|t| match time::UtcOffset::current_local_offset() {
            Ok(off) => t.to_offset(off),
            Err(_) => t,
        })
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| crate::sts::rfc3339(unix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_time_left() {
        assert_eq!(time_left(43_200), "12h00m");
        assert_eq!(time_left(43_199), "12h00m");
        assert_eq!(time_left(43_140), "11h59m");
        assert_eq!(time_left(43_080), "11h58m");
        assert_eq!(time_left(3_600), "1h00m");
        assert_eq!(time_left(3_599), "1h00m");
        assert_eq!(time_left(3_540), "59m");
        assert_eq!(time_left(59), "1m");
        assert_eq!(time_left(1), "1m");
        assert_eq!(time_left(0), "expired");
        assert_eq!(time_left(-5), "expired");
        assert_eq!(time_left(5_000), "1h24m");
    }
}
