//! A QR code drawn on the terminal with Unicode half blocks: each character is two modules, one
//! above the other. Black on white whatever the terminal's colours (a phone camera needs dark
//! modules on a light ground, and many terminals are light on dark), with the 4-module quiet
//! zone the standard asks for.

use qrcodegen::{QrCode, QrCodeEcc};

const QUIET: i32 = 4;

/// The lines that draw `text` as a QR code, or None when it is too long for one.
pub fn lines(text: &str) -> Option<Vec<String>> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = qr.size();
    let dark =
        |x: i32, y: i32| (0..size).contains(&x) && (0..size).contains(&y) && qr.get_module(x, y);
    let mut out = Vec::new();
    let mut y = -QUIET;
    while y < size + QUIET {
        // Black text on a white ground; the reset at the end of each line.
        let mut line = String::from("\x1b[30;107m");
        for x in -QUIET..size + QUIET {
            line.push(match (dark(x, y), dark(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        line.push_str("\x1b[0m");
        out.push(line);
        y += 2;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_square_with_its_quiet_zone() {
        let lines = lines("otpauth://totp/AWS:alice@123456789012?secret=ABC&issuer=AWS").unwrap();
        let width = lines[0].chars().filter(|c| " ▀▄█".contains(*c)).count();
        // Version 3 or more: 29+ modules and 8 of quiet zone, two modules a line.
        assert!(width >= 37, "{width}");
        assert!(lines.len() * 2 >= width && lines.len() * 2 <= width + 1);
        assert!(lines[0].contains("\x1b[30;107m") && lines[0].ends_with("\x1b[0m"));
        // The top quiet zone is blank, the finder pattern starts below it.
        assert!(lines[0].chars().all(|c| c != '█'));
        assert!(lines[2].contains('█'));
    }
}
