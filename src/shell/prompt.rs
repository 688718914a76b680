//! Time-left text for status and messages; the shell snippets in `shell/` compute the same
//! text themselves, without forking.

/// `11h58m`, `59m`, `4m` (minutes rounded down), `0m` in the last minute, `expired` once past.
pub fn time_left(seconds: i64) -> String {
    if seconds <= 0 {
        return "expired".to_string();
    }
    let hours = seconds / 3600;
    let minutes = (seconds % 3600) / 60;
    if hours > 0 {
        format!("{hours}h{minutes:02}m")
    } else {
        format!("{minutes}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_time_left() {
        assert_eq!(time_left(43_080), "11h58m");
        assert_eq!(time_left(3_600), "1h00m");
        assert_eq!(time_left(3_599), "59m");
        assert_eq!(time_left(59), "0m");
        assert_eq!(time_left(0), "expired");
        assert_eq!(time_left(-5), "expired");
        assert_eq!(time_left(5_000), "1h23m");
    }
}
