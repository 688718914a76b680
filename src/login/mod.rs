//! AWS Sign-In sessions (`login_session`): the console session a user signs in to in a browser
//! (with a passkey, a security key or a code), handed to developer tools as short-lived
//! credentials plus a refresh token bound to a P-256 key (DPoP).
//!
//! The session lives in the AWS CLI's cache, one file per `login_session` value, so that `aws
//! login`, the SDKs and mfa-env share one sign-in: `$AWS_LOGIN_CACHE_DIRECTORY`, else
//! `~/.aws/login/cache`, named by the SHA-256 of the value, private to the user (0600).
//!
//! Why not aws-config's `LoginCredentialsProvider` (its `credentials-login` feature): it reads
//! and refreshes that cache, but `mfa-env login` must write a new session (the authorization
//! code exchange, a fresh DPoP key), which it has no API for, so the DPoP proof and the token
//! call are needed here anyway; it can only refresh inside its own 5-minute window (no
//! `--refresh`, no `mfa-env-refresh`, no renewal ahead by the credentials endpoint); it
//! rewrites the cache in place rather than atomically and without the lock mfa-env takes, so
//! two runs could both spend the same refresh token; and it panics on an answer without
//! credentials. With the code here the refresh is the same call `login` makes, the file is
//! replaced at once under mfa-env's lock, and the format stays the one the SDKs read (tested
//! against botocore and the JavaScript SDK).

pub mod dpop;
pub mod oauth;

use std::path::PathBuf;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{fail, Exit};
use crate::sts::Credentials;

/// Where `aws login` and the SDKs keep login sessions, unless `AWS_LOGIN_CACHE_DIRECTORY`
/// says.
pub const CACHE_DIR_VAR: &str = "AWS_LOGIN_CACHE_DIRECTORY";

/// How long a sign-in can be refreshed at most (AWS: "up to 12 hours").
pub const SIGN_IN_MAX: i64 = 12 * 3600;
/// A login session's credentials are refreshed this long before they end, as the SDKs do.
pub const REFRESH_AHEAD: i64 = 300;

/// Anything larger is not a login session (they are about 4 KiB).
const READ_CAP: u64 = 256 * 1024;

/// The cache directory, as the SDKs find it.
pub fn cache_dir() -> PathBuf {
    let env = aws_types::os_shim_internal::Env::real();
    match env.get(CACHE_DIR_VAR) {
        Ok(dir) if !dir.is_empty() => crate::aws_files::sdk_path(&env, &dir),
        _ => crate::aws_files::sdk_path(&env, "~/.aws/login/cache"),
    }
}

/// The file of one session: the SHA-256 (hex) of the `login_session` value, trimmed.
pub fn cache_path(session: &str) -> PathBuf {
    use sha2::Digest;
    let name = crate::digest::hex(&sha2::Sha256::digest(session.trim().as_bytes()));
    cache_dir().join(format!("{name}.json"))
}

/// One cached login session: its current credentials, and what renews them.
pub struct Token {
    pub credentials: Credentials,
    pub account_id: String,
    pub refresh_token: Zeroizing<String>,
    pub client_id: String,
    /// The DPoP key, SEC1 PEM.
    pub dpop_key: Zeroizing<String>,
    /// Members mfa-env does not use (`tokenType`, `idToken`, anything a later CLI adds),
    /// written back as they were.
    others: Map<String, Value>,
}

impl Token {
    /// A new session's cache entry.
    pub fn new(
        session: &str,
        issued: oauth::Issued,
        client_id: &str,
        dpop_key: Zeroizing<String>,
        now: i64,
    ) -> Token {
        let mut others = Map::new();
        if let Some(t) = &issued.token_type {
            others.insert("tokenType".into(), Value::String(t.clone()));
        }
        if let Some(t) = &issued.id_token {
            others.insert("idToken".into(), Value::String(t.clone()));
        }
        Token {
            account_id: account_of(session).to_string(),
            credentials: issued.credentials(session, now),
            refresh_token: issued.refresh_token,
            client_id: client_id.to_string(),
            dpop_key,
            others,
        }
    }

    /// The session after a refresh: new credentials and refresh token, the rest kept.
    pub fn refreshed(mut self, session: &str, issued: oauth::Issued, now: i64) -> Token {
        self.credentials = issued.credentials(session, now);
        self.refresh_token = issued.refresh_token;
        self
    }

    /// When the sign-in happened: the `iat` of its ID token, which is issued by the code
    /// exchange and kept by every refresh (the AWS CLI's and the SDKs'). No signature is
    /// checked: it only bounds a countdown, it decides nothing.
    pub fn signed_in_at(&self) -> Option<i64> {
        use base64::Engine;
        let id_token = self.others.get("idToken")?.as_str()?;
        let claims = id_token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims.trim_end_matches('='))
            .ok()?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        v.get("iat")?.as_i64()
    }

    /// Until when the session can be refreshed at most: 12 hours after the sign-in, when the
    /// ID token says when that was; else the credentials' own end.
    pub fn renewable_until(&self) -> i64 {
        self.signed_in_at()
            .map(|t| t + SIGN_IN_MAX)
            .filter(|end| *end > self.credentials.expiration)
            .unwrap_or(self.credentials.expiration)
    }

    /// Reads a cache file's text; `None` if it is not a login session this code can use.
    pub fn parse(bytes: &[u8], session: &str) -> Option<Token> {
        let Value::Object(mut all) = serde_json::from_slice::<Value>(bytes).ok()? else {
            return None;
        };
        let mut take = |k: &str| match all.remove(k) {
            Some(Value::String(s)) => Some(Zeroizing::new(s)),
            _ => None,
        };
        let refresh_token = take("refreshToken")?;
        let client_id = take("clientId")?;
        let dpop_key = take("dpopKey")?;
        let Some(Value::Object(mut access)) = all.remove("accessToken") else {
            return None;
        };
        let mut get = |k: &str| match access.remove(k) {
            Some(Value::String(s)) => Some(Zeroizing::new(s)),
            _ => None,
        };
        let access_key_id = get("accessKeyId")?;
        let secret_access_key = get("secretAccessKey")?;
        let session_token = get("sessionToken")?;
        let expires_at = get("expiresAt")?;
        let account_id = get("accountId").map(|a| a.to_string()).unwrap_or_default();
        let expiration = time::OffsetDateTime::parse(
            &expires_at,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?
        .unix_timestamp();
        Some(Token {
            credentials: Credentials {
                access_key_id: access_key_id.to_string(),
                secret_access_key,
                session_token,
                expiration,
                identity: session.trim().to_string(),
            },
            account_id,
            refresh_token,
            client_id: client_id.to_string(),
            dpop_key,
            others: all,
        })
    }

    /// The cache file's text, in the AWS CLI's layout.
    pub fn to_json(&self) -> Zeroizing<String> {
        let c = &self.credentials;
        let mut access = Map::new();
        access.insert("accessKeyId".into(), Value::String(c.access_key_id.clone()));
        access.insert(
            "secretAccessKey".into(),
            Value::String(c.secret_access_key.to_string()),
        );
        access.insert(
            "sessionToken".into(),
            Value::String(c.session_token.to_string()),
        );
        access.insert("accountId".into(), Value::String(self.account_id.clone()));
        access.insert("expiresAt".into(), Value::String(c.expiration_rfc3339()));
        let mut all = Map::new();
        all.insert("accessToken".into(), Value::Object(access));
        for (k, v) in &self.others {
            all.insert(k.clone(), v.clone());
        }
        all.insert(
            "refreshToken".into(),
            Value::String(self.refresh_token.to_string()),
        );
        all.insert("clientId".into(), Value::String(self.client_id.clone()));
        all.insert("dpopKey".into(), Value::String(self.dpop_key.to_string()));
        let value = Value::Object(all);
        let text = Zeroizing::new(value.to_string());
        // The copies of the secrets in `value` are dropped without a wipe: serde_json's
        // strings cannot be zeroed in place; what is written is.
        text
    }
}

/// The account ID in an ARN (`arn:aws:iam::123456789012:user/alice`), or empty.
pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// The cached session of `session`: `None` when there is none; an error when the file is
/// there but unusable (unreadable, not a session), which says what to do.
pub fn read(session: &str, profile: &str) -> anyhow::Result<Option<Token>> {
    use std::io::Read;
    let path = cache_path(session);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(fail(
                Exit::Config,
                format!(
                    "cannot read the AWS Sign-In session of '{profile}' ({}: {e})",
                    path.display()
                ),
            ))
        }
    };
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(READ_CAP).read_to_end(&mut bytes).map_err(|e| {
        fail(
            Exit::Config,
            format!(
                "cannot read the AWS Sign-In session of '{profile}' ({}: {e})",
                path.display()
            ),
        )
    })?;
    Token::parse(&bytes, session).map(Some).ok_or_else(|| {
        fail(
            Exit::Config,
            format!(
                "{} is not an AWS Sign-In session mfa-env can read: sign in again with `mfa-env \
                 login {}` (it replaces the file)",
                path.display(),
                crate::shell::hint::arg(profile)
            ),
        )
    })
}

/// Replaces the cached session of `session` at once (a reader sees the old file or the new),
/// private to the user.
pub fn write(session: &str, token: &Token) -> anyhow::Result<()> {
    let path = cache_path(session);
    let failed = |e: std::io::Error| {
        fail(
            Exit::Config,
            format!(
                "cannot write the AWS Sign-In session to {}: {e}",
                path.display()
            ),
        )
    };
    if let Some(dir) = path.parent() {
        crate::cache::create_private_dirs(dir).map_err(failed)?;
    }
    crate::cache::write_atomic(&path, token.to_json().as_bytes(), 0o600).map_err(failed)
}

/// Deletes the cached session of `session`; whether there was one.
pub fn remove(session: &str) -> anyhow::Result<bool> {
    let path = cache_path(session);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(fail(
            Exit::Config,
            format!("cannot delete {}: {e}", path.display()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLI: &str = r#"{
      "accessToken": {
        "accessKeyId": "ASIAEXAMPLE",
        "secretAccessKey": "secret/key",
        "sessionToken": "token+",
        "accountId": "012345678901",
        "expiresAt": "2025-09-14T04:05:45Z"
      },
      "tokenType": "aws_sigv4",
      "refreshToken": "<opaque string>",
      "idToken": "eyJ.x.y",
      "clientId": "arn:aws:signin:::devtools/same-device",
      "dpopKey": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFDZHUzOG1Pzq+6F0mjMlOSp1syN9LRPBuHMoCFXTcXhoAoGCCqGSM49\nAwEHoUQDQgAE9qhj+KtcdHj1kVgwxWWWw++tqoh7H7UHs7oXh8jBbgF47rrYGC+t\ndjiIaHK3dBvvdE7MGj5HsepzLm3Kj91bqA==\n-----END EC PRIVATE KEY-----\n",
      "laterField": {"kept": true}
    }"#;

    #[test]
    fn the_clis_cache_file_reads_and_writes_back_whole() {
        let arn = "arn:aws:iam::012345678901:user/alice";
        let t = Token::parse(CLI.as_bytes(), arn).unwrap();
        assert_eq!(t.credentials.access_key_id, "ASIAEXAMPLE");
        assert_eq!(t.credentials.expiration, 1_757_822_745);
        assert_eq!(t.credentials.identity, arn);
        assert_eq!(t.client_id, "arn:aws:signin:::devtools/same-device");
        assert!(dpop::Key::from_pem(&t.dpop_key).is_some());
        let back: Value = serde_json::from_str(&t.to_json()).unwrap();
        let orig: Value = serde_json::from_str(CLI).unwrap();
        assert_eq!(back, orig);
        // Missing what a refresh needs: not a session.
        for k in ["refreshToken", "dpopKey", "clientId", "accessToken"] {
            let mut v = orig.clone();
            v.as_object_mut().unwrap().remove(k);
            assert!(Token::parse(v.to_string().as_bytes(), arn).is_none(), "{k}");
        }
        assert!(Token::parse(b"[]", arn).is_none());
    }

    #[test]
    fn the_sign_in_ends_12_hours_after_the_id_tokens_iat() {
        use base64::Engine;
        let arn = "arn:aws:iam::012345678901:user/alice";
        let mut v: Value = serde_json::from_str(CLI).unwrap();
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"sub":"arn:aws:iam::012345678901:user/alice","iat":1757822000}"#);
        v["idToken"] = Value::String(format!("eyJhbGciOiJFUzM4NCJ9.{claims}.sig"));
        let t = Token::parse(v.to_string().as_bytes(), arn).unwrap();
        assert_eq!(t.signed_in_at(), Some(1_757_822_000));
        assert_eq!(t.renewable_until(), 1_757_822_000 + 12 * 3600);
        // Without a readable ID token: the credentials' own end.
        let t = Token::parse(CLI.as_bytes(), arn).unwrap();
        assert_eq!(t.signed_in_at(), None);
        assert_eq!(t.renewable_until(), t.credentials.expiration);
    }

    #[test]
    fn the_file_name_is_the_sha256_of_the_trimmed_session() {
        // sha256("arn:aws:iam::0123456789012:user/Admin"), as the SDKs' tests name it.
        let p = cache_path(" arn:aws:iam::0123456789012:user/Admin ");
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        // As Python's hashlib gives it.
        let want = "36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726";
        assert_eq!(name, format!("{want}.json"));
    }
}
