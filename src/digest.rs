//! Short stable names and hex: cache keys, record fingerprints, tokens. No secret goes in a
//! digest that is written anywhere.

use sha2::{Digest, Sha256};

/// Stable short name for a list of parts (none of them a secret): the first 128 bits of the
/// SHA-256 of the parts, each followed by a NUL, in hex.
pub fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex(&h.finalize()[..16])
}

/// Lower-case hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    // By table: `list` makes a few digests per profile, thousands of profiles in some configs,
    // and a `format!` per byte was a fifth of its time.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_stable_and_separates_parts() {
        assert_eq!(digest(&["a", "b"]), digest(&["a", "b"]));
        assert_ne!(digest(&["ab", ""]), digest(&["a", "b"]));
        assert_eq!(digest(&["x"]).len(), 32);
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff, 0x10]), "000fa5ff10");
    }
}
