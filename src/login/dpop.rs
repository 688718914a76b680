//! DPoP proofs (RFC 9449) for the Sign-In token endpoint: a P-256 key, kept as SEC1 PEM in the
//! login cache as the AWS CLI keeps it, and one signed JWT per request that binds it to the
//! method and URL. The refresh token is useless without the key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::SecretKey;
use zeroize::Zeroizing;

use crate::error::{fail, Exit};

/// The private key of one login session.
pub struct Key {
    secret: SecretKey,
}

impl Key {
    /// A fresh key from the OS generator (a new sign-in gets its own).
    pub fn generate() -> anyhow::Result<Key> {
        loop {
            let mut bytes = Zeroizing::new([0u8; 32]);
            getrandom::fill(&mut *bytes)
                .map_err(|e| fail(Exit::Other, format!("the OS random generator failed: {e}")))?;
            // A scalar of zero or past the group order is not a key (about 2^-32): draw again.
            if let Ok(secret) = SecretKey::from_slice(&*bytes) {
                return Ok(Key { secret });
            }
        }
    }

    /// The key of a cached session: `-----BEGIN EC PRIVATE KEY-----` (SEC1), as the AWS CLI
    /// and the SDKs write it.
    pub fn from_pem(pem: &str) -> Option<Key> {
        SecretKey::from_sec1_pem(pem)
            .ok()
            .map(|secret| Key { secret })
    }

    /// SEC1 `ECPrivateKey` with the curve named and the public key included, 121 bytes of
    /// DER, as the AWS CLI writes it: botocore's reader (the CRT's) refuses the form without
    /// the curve that `SecretKey::to_sec1_pem` gives.
    pub fn to_pem(&self) -> anyhow::Result<Zeroizing<String>> {
        /// version 1, then the 32-byte private key.
        const HEAD: [u8; 7] = [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
        /// [0] prime256v1 (1.2.840.10045.3.1.7), then [1] the 65-byte public point.
        const MIDDLE: [u8; 17] = [
            0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44,
            0x03, 0x42, 0x00,
        ];
        let point = self.secret.public_key().to_encoded_point(false);
        let mut der = Zeroizing::new(Vec::with_capacity(121));
        der.extend_from_slice(&HEAD);
        der.extend_from_slice(&Zeroizing::new(self.secret.to_bytes().into()) as &[u8; 32]);
        der.extend_from_slice(&MIDDLE);
        der.extend_from_slice(point.as_bytes());
        if der.len() != 121 {
            return Err(fail(Exit::Other, "cannot write the DPoP key"));
        }
        let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*der));
        let mut pem = Zeroizing::new(String::with_capacity(256));
        pem.push_str("-----BEGIN EC PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END EC PRIVATE KEY-----\n");
        Ok(pem)
    }

    /// The public key as a JWK's members (`x`, `y`: base64url of the coordinates).
    fn jwk(&self) -> (String, String) {
        let point = self.secret.public_key().to_encoded_point(false);
        let coordinate =
            |c: Option<&p256::FieldBytes>| c.map(|b| URL_SAFE_NO_PAD.encode(b)).unwrap_or_default();
        (coordinate(point.x()), coordinate(point.y()))
    }

    /// The `DPoP` header for `method` on `url` (the URL without query or fragment), made at
    /// `iat` (Unix seconds): a JWT with the public key in its header, signed with ES256.
    pub fn proof(&self, method: &str, url: &str, iat: i64) -> anyhow::Result<String> {
        let (x, y) = self.jwk();
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": "ES256",
            "jwk": {"kty": "EC", "x": x, "y": y, "crv": "P-256"},
        });
        let htu = url.split(['?', '#']).next().unwrap_or(url);
        let claims = serde_json::json!({
            "jti": uuid()?,
            "htm": method,
            "htu": htu,
            "iat": iat,
        });
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = SigningKey::from(&self.secret).sign(message.as_bytes());
        Ok(format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }
}

/// A random UUID (version 4): a proof's unique id, an authorization's `state`, as the SDKs
/// and the AWS CLI make them.
pub fn uuid() -> anyhow::Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)
        .map_err(|e| fail(Exit::Other, format!("the OS random generator failed: {e}")))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::digest::hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// PKCE (RFC 7636): a verifier of 43+ characters from 32 random bytes, and its S256 challenge.
pub fn pkce() -> anyhow::Result<(Zeroizing<String>, String)> {
    let mut b = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut *b)
        .map_err(|e| fail(Exit::Other, format!("the OS random generator failed: {e}")))?;
    let verifier = Zeroizing::new(URL_SAFE_NO_PAD.encode(*b));
    let challenge = challenge(&verifier);
    Ok((verifier, challenge))
}

/// The S256 challenge of a PKCE verifier.
pub fn challenge(verifier: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;

    fn part(jwt: &str, i: usize) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(i).unwrap())
            .unwrap()
    }

    #[test]
    fn a_proof_verifies_with_the_key_in_its_header_and_names_the_request() {
        let key = Key::generate().unwrap();
        let proof = key
            .proof(
                "POST",
                "https://us-east-1.signin.aws.amazon.com/v1/token?x=1",
                1_700_000_000,
            )
            .unwrap();
        let header: serde_json::Value = serde_json::from_slice(&part(&proof, 0)).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&part(&proof, 1)).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(claims["htm"], "POST");
        assert_eq!(
            claims["htu"],
            "https://us-east-1.signin.aws.amazon.com/v1/token"
        );
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
        // Verify with the public key rebuilt from the JWK alone.
        let mut point = vec![4u8];
        point.extend(
            URL_SAFE_NO_PAD
                .decode(header["jwk"]["x"].as_str().unwrap())
                .unwrap(),
        );
        point.extend(
            URL_SAFE_NO_PAD
                .decode(header["jwk"]["y"].as_str().unwrap())
                .unwrap(),
        );
        let public = VerifyingKey::from_sec1_bytes(&point).unwrap();
        let signature = Signature::from_slice(&part(&proof, 2)).unwrap();
        let message = proof.rsplit_once('.').unwrap().0;
        public.verify(message.as_bytes(), &signature).unwrap();
        // Another proof has another id.
        let other = key.proof("POST", "https://x/v1/token", 1).unwrap();
        let other: serde_json::Value = serde_json::from_slice(&part(&other, 1)).unwrap();
        assert_ne!(other["jti"], claims["jti"]);
    }

    #[test]
    fn the_key_survives_its_pem() {
        let key = Key::generate().unwrap();
        let pem = key.to_pem().unwrap();
        assert!(
            pem.starts_with("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI"),
            "{}",
            *pem
        );
        assert!(pem.ends_with("\n-----END EC PRIVATE KEY-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let back = Key::from_pem(&pem).unwrap();
        assert_eq!(back.jwk(), key.jwk());
        assert!(Key::from_pem(
            "-----BEGIN EC PRIVATE KEY-----\nnope\n-----END EC PRIVATE KEY-----\n"
        )
        .is_none());
        // The AWS CLI's documented example key reads.
        let cli = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFDZHUzOG1Pzq+6F0mjMlOSp1syN9LRPBuHMoCFXTcXhoAoGCCqGSM49\nAwEHoUQDQgAE9qhj+KtcdHj1kVgwxWWWw++tqoh7H7UHs7oXh8jBbgF47rrYGC+t\ndjiIaHK3dBvvdE7MGj5HsepzLm3Kj91bqA==\n-----END EC PRIVATE KEY-----\n";
        assert!(Key::from_pem(cli).is_some());
    }

    #[test]
    fn pkce_challenges_are_s256() {
        // base64url(SHA-256(verifier)) without padding, as Python's hashlib and base64 give it.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU-p1r8W1gmIEjWgFjM"),
            "mgh6_DIlehhxv9ggLkEyXJiikJ7yV1bhbbSir5L8Rj4"
        );
        let (verifier, challenge_) = pkce().unwrap();
        assert_eq!(verifier.len(), 43);
        assert_eq!(challenge(&verifier), challenge_);
    }
}
