//! The Sign-In service's token endpoint (CreateOAuth2Token, `POST /v1/token`, JSON): a new
//! session from an authorization code (`mfa-env login`), or fresh credentials from a refresh
//! token. Every call carries a DPoP proof made with the session's key.

use zeroize::Zeroizing;

use super::dpop::Key;
use crate::error::{fail, sanitize_line, Exit};
use crate::sts::{CaBundle, Credentials, Limits};

/// The token endpoint's path under the Sign-In service's base URL.
pub const TOKEN_PATH: &str = "/v1/token";

pub enum Grant<'a> {
    /// `authorization_code`: the code the browser brought back, the PKCE verifier, and the
    /// redirect URI the authorization was asked with.
    Code {
        code: &'a str,
        verifier: &'a str,
        redirect_uri: &'a str,
    },
    /// `refresh_token`.
    Refresh(&'a str),
}

/// What the endpoint issued.
pub struct Issued {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Zeroizing<String>,
    /// Seconds.
    expires_in: i64,
    pub refresh_token: Zeroizing<String>,
    pub token_type: Option<String>,
    pub id_token: Option<String>,
}

impl Issued {
    /// As credentials of `session`, issued at `now`.
    pub fn credentials(&self, session: &str, now: i64) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
            expiration: now + self.expires_in,
            identity: session.trim().to_string(),
        }
    }

    /// How long the credentials last, in seconds.
    pub fn expires_in(&self) -> i64 {
        self.expires_in
    }

    /// The `sub` of the ID token, if it carries one: the ARN the session signs in as.
    pub fn subject(&self) -> Option<String> {
        use base64::Engine;
        let claims = self.id_token.as_deref()?.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims.trim_end_matches('='))
            .ok()?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        v.get("sub")?.as_str().map(str::to_string)
    }
}

/// Why the endpoint refused, for the caller to word (the session has ended, the code expired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    /// The OAuth2 error code (`TOKEN_EXPIRED`, `AUTHCODE_EXPIRED`, ...), or the error type.
    pub code: String,
    pub message: String,
}

impl Refusal {
    /// The session cannot be refreshed any more: a new sign-in is needed.
    pub fn session_ended(&self) -> bool {
        matches!(
            self.code.as_str(),
            "TOKEN_EXPIRED" | "USER_CREDENTIALS_CHANGED" | "AUTHCODE_EXPIRED"
        ) || (self.status == 400 && self.code == "INVALID_REQUEST")
    }

    /// One line for the user, without anything the service said that could be a secret (its
    /// message is cut and stripped of control characters).
    pub fn describe(&self, endpoint: &str) -> String {
        let what = match self.code.as_str() {
            "TOKEN_EXPIRED" => "the session has expired".to_string(),
            "USER_CREDENTIALS_CHANGED" => {
                "the user's password changed since the sign-in".to_string()
            }
            "AUTHCODE_EXPIRED" => "the authorization code has expired".to_string(),
            "INSUFFICIENT_PERMISSIONS" => "the user may not call signin:CreateOAuth2Token (the \
                 AWS managed policy SignInLocalDevelopmentAccess grants it)"
                .to_string(),
            code => {
                let said = sanitize_line(&self.message, 200);
                if said.is_empty() {
                    format!("{code} (HTTP {})", self.status)
                } else {
                    format!("{code} (HTTP {}): {said}", self.status)
                }
            }
        };
        format!("the Sign-In service at {endpoint} refused: {what}")
    }
}

pub enum TokenError {
    Refused(Refusal),
    /// Unreachable, unusable answer, local failure: already worded.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for TokenError {
    fn from(e: anyhow::Error) -> Self {
        TokenError::Other(e)
    }
}

/// CreateOAuth2Token at `base` (the service's URL, no path) for `client_id`.
pub async fn create_token(
    base: &str,
    client_id: &str,
    grant: Grant<'_>,
    key: &Key,
    ca_bundle: Option<&CaBundle>,
    limits: Limits,
) -> Result<Issued, TokenError> {
    let url = format!("{}{TOKEN_PATH}", base.trim_end_matches('/'));
    let mut body = serde_json::Map::new();
    body.insert("clientId".into(), client_id.into());
    match grant {
        Grant::Code {
            code,
            verifier,
            redirect_uri,
        } => {
            body.insert("grantType".into(), "authorization_code".into());
            body.insert("code".into(), code.into());
            body.insert("codeVerifier".into(), verifier.into());
            body.insert("redirectUri".into(), redirect_uri.into());
        }
        Grant::Refresh(token) => {
            body.insert("grantType".into(), "refresh_token".into());
            body.insert("refreshToken".into(), token.into());
        }
    }
    let body = Zeroizing::new(serde_json::Value::Object(body).to_string().into_bytes());
    let proof = key.proof("POST", &url, crate::sts::now())?;
    let request = crate::http::Request {
        method: "POST",
        url: &url,
        endpoint: &url,
        headers: &[
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("dpop", &proof),
        ],
        body: Some(body),
    };
    let (status, answer) = request.send(ca_bundle, limits).await?;
    if !(200..300).contains(&status) {
        return Err(TokenError::Refused(refusal(status, &answer)));
    }
    parse_issued(&answer).ok_or_else(|| {
        TokenError::Other(fail(
            Exit::Network,
            format!("the Sign-In service at {url} answered without usable credentials"),
        ))
    })
}

fn refusal(status: u16, answer: &[u8]) -> Refusal {
    let v: serde_json::Value = serde_json::from_slice(answer).unwrap_or_default();
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Refusal {
        status,
        code: field("error")
            .or_else(|| field("__type"))
            .unwrap_or_else(|| "an error".to_string()),
        message: field("message").unwrap_or_default(),
    }
}

fn parse_issued(answer: &[u8]) -> Option<Issued> {
    let v: serde_json::Value = serde_json::from_slice(answer).ok()?;
    // The SDK model puts the output at the top; some answers wrap it in `tokenOutput`.
    let v = v.get("tokenOutput").unwrap_or(&v);
    let access = v.get("accessToken")?;
    let s = |x: &serde_json::Value, k: &str| x.get(k)?.as_str().map(str::to_string);
    let issued = Issued {
        access_key_id: s(access, "accessKeyId")?,
        secret_access_key: Zeroizing::new(s(access, "secretAccessKey")?),
        session_token: Zeroizing::new(s(access, "sessionToken")?),
        expires_in: v.get("expiresIn")?.as_i64()?,
        refresh_token: Zeroizing::new(s(v, "refreshToken")?),
        token_type: s(v, "tokenType"),
        id_token: s(v, "idToken"),
    };
    let printable = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic());
    (printable(&issued.access_key_id)
        && printable(&issued.secret_access_key)
        && printable(&issued.session_token)
        && printable(&issued.refresh_token)
        && issued.expires_in > 0)
        .then_some(issued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_and_bad_ones_do_not() {
        let good =
            br#"{"accessToken":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t"},
            "tokenType":"aws_sigv4","expiresIn":900,"refreshToken":"r",
            "idToken":"x.eyJzdWIiOiJhcm46YXdzOmlhbTo6MTExMTExMTExMTExOnVzZXIvYWxpY2UifQ.y"}"#;
        let i = parse_issued(good).unwrap();
        assert_eq!(i.credentials("arn", 100).expiration, 1000);
        assert_eq!(
            i.subject().as_deref(),
            Some("arn:aws:iam::111111111111:user/alice")
        );
        for bad in [
            &br#"{"accessToken":{"accessKeyId":"ASIA1","secretAccessKey":"s"},"expiresIn":900,"refreshToken":"r"}"#[..],
            br#"{"accessToken":{"accessKeyId":"A\nB","secretAccessKey":"s","sessionToken":"t"},"expiresIn":900,"refreshToken":"r"}"#,
            br#"{"accessToken":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t"},"expiresIn":0,"refreshToken":"r"}"#,
            b"not json",
        ] {
            assert!(parse_issued(bad).is_none());
        }
    }

    #[test]
    fn refusals_are_worded_without_what_they_carry_raw() {
        let r = refusal(
            400,
            br#"{"error":"TOKEN_EXPIRED","message":"Your session has expired"}"#,
        );
        assert!(r.session_ended());
        assert!(r
            .describe("https://x/v1/token")
            .contains("the session has expired"));
        let r = refusal(403, b"{\"error\":\"WEIRD\",\"message\":\"a\\u001b[2Jb\"}");
        assert!(!r.session_ended());
        let said = r.describe("E");
        assert!(!said.contains('\u{1b}'), "{said}");
        assert!(said.contains("WEIRD (HTTP 403)"), "{said}");
    }
}
