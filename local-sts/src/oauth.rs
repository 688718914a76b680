//! The Sign-In service's OAuth side, as `aws login` and `mfa-env login` use it, and as the SDKs
//! refresh login sessions:
//!
//! - `GET /v1/authorize?response_type=code&client_id=…&state=…&code_challenge_method=SHA-256&
//!   scope=openid&redirect_uri=…&code_challenge=…`: a sign-in page for the console user (the
//!   first user unless `signin_as` says), with one button; with `auto_approve` the button is
//!   taken as pressed (a redirect, for a browser under test). Bad parameters get a 400 page, nothing redirected.
//! - `GET /v1/authorize/approve?request=…`: the user said yes: back to the `redirect_uri` with
//!   `code` and `state`. For the cross-device client (`…/v1/sessions/confirmation` on this
//!   server) that page shows the verification code to paste: base64 of `state=…&code=…`.
//! - `POST /v1/token` (JSON, CreateOAuth2Token): `authorization_code` (the code once, within
//!   5 minutes, its client and redirect URI, the PKCE verifier against the SHA-256 challenge) or
//!   `refresh_token` (once each: a refresh rotates it; bound to the DPoP key of the first
//!   exchange; ends `refresh_lifetime` after the sign-in). Every call needs a DPoP proof:
//!   `dpop+jwt`, ES256 verified with the JWK in its header, `htm` POST, `htu` this endpoint's
//!   URL, `iat` within 5 minutes, a `jti` never seen before. Credentials come from STS's own
//!   issuer (valid for GetCallerIdentity and AssumeRole here), `expiresIn` 900 unless
//!   `login_lifetime` says. Errors: `{"error", "message"}` with `X-Amzn-ErrorType`.

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::Digest;

use super::signin::{html_escape, Reply};
use super::{now, State, ACCOUNT};

pub const SAME_DEVICE: &str = "arn:aws:signin:::devtools/same-device";
pub const CROSS_DEVICE: &str = "arn:aws:signin:::devtools/cross-device";

/// What the OAuth side gave out and saw.
#[derive(Default)]
pub struct OAuthState {
    /// Pending authorizations by request id.
    requests: HashMap<String, Authorization>,
    /// Codes by value: the authorization, when given, whether spent.
    codes: HashMap<String, (Authorization, u64, bool)>,
    /// Refresh tokens by value.
    refresh: HashMap<String, Grant>,
    /// DPoP proof ids seen.
    jtis: HashSet<String>,
    counter: u64,
    /// The page's button is taken as pressed (a browser under test).
    pub auto_approve: bool,
    /// The user the sign-in page signs in (a name of STS's users); the first user if none.
    pub signin_as: Option<String>,
    /// How long the credentials of a token answer last (900 s if none).
    pub login_lifetime: Option<u64>,
    /// How long a sign-in can be refreshed (12 h if none).
    pub refresh_lifetime: Option<u64>,
    /// Token calls answered, by grant type: what a test counts.
    pub exchanges: u64,
    pub refreshes: u64,
    /// Refusals of the token endpoint, by error code (and why, for a test's message).
    pub refusals: Vec<(String, String)>,
}

#[derive(Clone)]
struct Authorization {
    client_id: String,
    redirect_uri: String,
    state: String,
    challenge: String,
    user: String,
}

#[derive(Clone)]
struct Grant {
    client_id: String,
    user: String,
    /// The JWK (x, y) of the DPoP key the session is bound to.
    key: (String, String),
    /// When the sign-in ends: no refresh after.
    until: u64,
    spent: bool,
}

/// GET pages of the authorization; `None` when the path is not one of them.
pub(super) fn page(
    st: &mut State,
    path: &str,
    params: &BTreeMap<String, String>,
    host: &str,
) -> Option<Reply> {
    Some(match path {
        "/v1/authorize" => authorize(st, params, host),
        "/v1/authorize/approve" => approve(st, params),
        "/v1/sessions/confirmation" => confirmation(params),
        _ => return None,
    })
}

fn html(status: u16, title: &str, inner: &str) -> Reply {
    Reply {
        status,
        content_type: "text/html; charset=utf-8",
        headers: Vec::new(),
        body: format!(
            "<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>\
             {inner}</body></html>"
        ),
    }
}

fn authorize(st: &mut State, params: &BTreeMap<String, String>, host: &str) -> Reply {
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    let client_id = get("client_id");
    let redirect_uri = get("redirect_uri");
    let refuse = |why: &str| {
        html(
            400,
            "Sign-in request refused (local-sts)",
            &format!("<p id=\"error\">{}</p>", html_escape(why)),
        )
    };
    if get("response_type") != "code" {
        return refuse("response_type must be code");
    }
    if get("code_challenge_method") != "SHA-256" {
        return refuse("code_challenge_method must be SHA-256");
    }
    let challenge = get("code_challenge");
    if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(&challenge).is_err() {
        return refuse("code_challenge must be the base64url SHA-256 of the verifier");
    }
    if get("scope") != "openid" || get("state").is_empty() {
        return refuse("scope openid and a state are required");
    }
    let redirect_ok = match client_id.as_str() {
        SAME_DEVICE => {
            redirect_uri.starts_with("http://127.0.0.1:")
                && redirect_uri.ends_with("/oauth/callback")
        }
        CROSS_DEVICE => {
            redirect_uri == format!("http://{host}/v1/sessions/confirmation")
                || redirect_uri == format!("https://{host}/v1/sessions/confirmation")
        }
        _ => return refuse("unknown client_id"),
    };
    if !redirect_ok {
        return refuse("redirect_uri is not allowed for this client");
    }
    let user = match &st.oauth.signin_as {
        Some(u) => u.clone(),
        None => st.users.first().map(|u| u.name.clone()).unwrap_or_default(),
    };
    st.oauth.counter += 1;
    let request = format!("req{:012}", st.oauth.counter);
    st.oauth.requests.insert(
        request.clone(),
        Authorization {
            client_id,
            redirect_uri,
            state: get("state"),
            challenge,
            user: user.clone(),
        },
    );
    if st.oauth.auto_approve {
        return Reply::redirect(format!("/v1/authorize/approve?request={request}"), None);
    }
    html(
        200,
        "AWS Sign-In (local-sts)",
        &format!(
            "<p>Allow the AWS CLI or another developer tool to get credentials for \
             <span id=\"user\">arn:aws:iam::{ACCOUNT}:user/{}</span>?</p>\
             <p>(Here, the passkey or security key is this button.)</p>\
             <form action=\"/v1/authorize/approve\" method=\"get\">\
             <input type=\"hidden\" name=\"request\" value=\"{request}\">\
             <button id=\"allow\" type=\"submit\">Allow</button></form>",
            html_escape(&user)
        ),
    )
}

fn approve(st: &mut State, params: &BTreeMap<String, String>) -> Reply {
    let request = params.get("request").cloned().unwrap_or_default();
    let Some(auth) = st.oauth.requests.remove(&request) else {
        return html(
            400,
            "Sign-in request refused (local-sts)",
            "<p id=\"error\">unknown or finished request</p>",
        );
    };
    st.oauth.counter += 1;
    let code = format!("AUTHCODE{:012}{}", st.oauth.counter, "c".repeat(24));
    let next = format!(
        "{}?{}",
        auth.redirect_uri,
        form_urlencoded::Serializer::new(String::new())
            .append_pair("code", &code)
            .append_pair("state", &auth.state)
            .finish()
    );
    st.oauth.codes.insert(code, (auth, now(), false));
    Reply::redirect(next, None)
}

fn confirmation(params: &BTreeMap<String, String>) -> Reply {
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    let pasted = STANDARD.encode(format!("state={}&code={}", get("state"), get("code")));
    html(
        200,
        "Signed in (local-sts)",
        &format!(
            "<p>Enter this code where you started the sign-in:</p>\
             <pre id=\"verification\">{pasted}</pre>"
        ),
    )
}

/// POST /v1/token.
pub(super) fn token(st: &mut State, body: &[u8], dpop: Option<&str>, host: &str) -> Reply {
    match try_token(st, body, dpop, host) {
        Ok(reply) => reply,
        Err((status, kind, code, why)) => {
            st.oauth.refusals.push((code.to_string(), why.clone()));
            Reply {
                status,
                content_type: "application/json",
                headers: vec![("X-Amzn-ErrorType", kind.to_string())],
                body: serde_json::json!({"error": code, "message": why}).to_string(),
            }
        }
    }
}

type Refusal = (u16, &'static str, &'static str, String);

fn invalid(why: impl Into<String>) -> Refusal {
    (400, "ValidationException", "INVALID_REQUEST", why.into())
}

fn try_token(
    st: &mut State,
    body: &[u8],
    dpop: Option<&str>,
    host: &str,
) -> Result<Reply, Refusal> {
    let key = check_proof(st, dpop, host)?;
    let input: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| invalid("the body is not JSON"))?;
    let field = |k: &str| input.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let client_id = field("clientId").ok_or_else(|| invalid("clientId is required"))?;
    let (user, until) = match field("grantType").as_deref() {
        Some("authorization_code") => {
            let code = field("code").ok_or_else(|| invalid("code is required"))?;
            let (auth, given, spent) = st
                .oauth
                .codes
                .get_mut(&code)
                .ok_or_else(|| invalid("The provided authorization grant is invalid"))?;
            if *spent {
                return Err(invalid("the authorization code was already used"));
            }
            *spent = true;
            if now() > *given + 300 {
                return Err((
                    401,
                    "AccessDeniedException",
                    "AUTHCODE_EXPIRED",
                    "the authorization code has expired".into(),
                ));
            }
            if auth.client_id != client_id {
                return Err(invalid("clientId differs from the authorization's"));
            }
            if field("redirectUri").as_deref() != Some(auth.redirect_uri.as_str()) {
                return Err(invalid("redirectUri differs from the authorization's"));
            }
            let verifier = field("codeVerifier").unwrap_or_default();
            let ok_chars = verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
            if !(43..=128).contains(&verifier.len()) || !ok_chars || challenge != auth.challenge {
                return Err(invalid("codeVerifier does not match the code_challenge"));
            }
            st.oauth.exchanges += 1;
            let lifetime = st.oauth.refresh_lifetime.unwrap_or(12 * 3600);
            (auth.user.clone(), now() + lifetime)
        }
        Some("refresh_token") => {
            let token = field("refreshToken").ok_or_else(|| invalid("refreshToken is required"))?;
            let grant = st
                .oauth
                .refresh
                .get_mut(&token)
                .ok_or_else(|| invalid("The provided refresh token is invalid"))?;
            if grant.spent {
                return Err(invalid("the refresh token was already used"));
            }
            if now() >= grant.until {
                return Err((
                    401,
                    "AccessDeniedException",
                    "TOKEN_EXPIRED",
                    "The refresh token has expired.".into(),
                ));
            }
            if grant.client_id != client_id {
                return Err(invalid("clientId differs from the sign-in's"));
            }
            if grant.key != key {
                return Err(invalid(
                    "the DPoP key is not the one the session is bound to",
                ));
            }
            grant.spent = true;
            st.oauth.refreshes += 1;
            (grant.user.clone(), grant.until)
        }
        _ => {
            return Err(invalid(
                "grantType must be authorization_code or refresh_token",
            ))
        }
    };
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/{user}");
    let user_id = st
        .users
        .iter()
        .find(|u| u.name == user)
        .map(|u| u.user_id())
        .unwrap_or_default();
    let lifetime = st.oauth.login_lifetime.unwrap_or(900);
    let (id, secret, session_token, _) = st.issue(&user, lifetime, true, arn.clone(), user_id);
    st.oauth.counter += 1;
    let refresh = format!("REFRESH{:012}{}", st.oauth.counter, "r".repeat(40));
    st.oauth.refresh.insert(
        refresh.clone(),
        Grant {
            client_id,
            user,
            key,
            until,
            spent: false,
        },
    );
    let id_token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"ES384","kid":"local-sts"}"#),
        URL_SAFE_NO_PAD.encode(
            serde_json::json!({
                "sub": arn, "session_arn": arn, "iss": format!("http://{host}/signin"),
                "iat": now(), "exp": now() + lifetime,
            })
            .to_string()
        ),
        URL_SAFE_NO_PAD.encode("not-signed-by-local-sts")
    );
    Ok(Reply {
        status: 200,
        content_type: "application/json",
        headers: Vec::new(),
        body: serde_json::json!({
            "accessToken": {
                "accessKeyId": id,
                "secretAccessKey": secret,
                "sessionToken": session_token,
            },
            "tokenType": "aws_sigv4",
            "expiresIn": lifetime,
            "refreshToken": refresh,
            "idToken": id_token,
        })
        .to_string(),
    })
}

/// Checks the DPoP proof; the JWK coordinates of its key.
fn check_proof(
    st: &mut State,
    dpop: Option<&str>,
    host: &str,
) -> Result<(String, String), Refusal> {
    let proof = dpop.ok_or_else(|| invalid("the DPoP header is required"))?;
    let mut parts = proof.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("DPoP: not a compact JWS"));
    };
    let json = |part: &str| -> Option<serde_json::Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    let header = json(h).ok_or_else(|| invalid("DPoP: unreadable header"))?;
    let claims = json(c).ok_or_else(|| invalid("DPoP: unreadable claims"))?;
    let text = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
    };
    if text(&header, "typ") != "dpop+jwt" || text(&header, "alg") != "ES256" {
        return Err(invalid("DPoP: typ must be dpop+jwt and alg ES256"));
    }
    let jwk = header.get("jwk").cloned().unwrap_or_default();
    if text(&jwk, "kty") != "EC" || text(&jwk, "crv") != "P-256" {
        return Err(invalid("DPoP: the jwk must be an EC P-256 key"));
    }
    let (x, y) = (text(&jwk, "x"), text(&jwk, "y"));
    let mut point = vec![4u8];
    for coordinate in [&x, &y] {
        match URL_SAFE_NO_PAD.decode(coordinate) {
            Ok(bytes) if bytes.len() == 32 => point.extend(bytes),
            _ => return Err(invalid("DPoP: bad jwk coordinates")),
        }
    }
    let public =
        VerifyingKey::from_sec1_bytes(&point).map_err(|_| invalid("DPoP: not a P-256 point"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or_else(|| invalid("DPoP: the signature is not 64 bytes of r and s"))?;
    public
        .verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| invalid("DPoP: the signature does not verify"))?;
    if text(&claims, "htm") != "POST" {
        return Err(invalid("DPoP: htm must be POST"));
    }
    let htu = text(&claims, "htu");
    let scheme = if st.tls { "https" } else { "http" };
    if htu != format!("{scheme}://{host}/v1/token") {
        return Err(invalid(format!("DPoP: htu {htu} is not this endpoint")));
    }
    let iat = claims.get("iat").and_then(|v| v.as_i64()).unwrap_or(0);
    if (iat - now() as i64).abs() > 300 {
        return Err(invalid("DPoP: iat is more than 5 minutes from now"));
    }
    let jti = text(&claims, "jti");
    if jti.is_empty() || !st.oauth.jtis.insert(jti) {
        return Err(invalid("DPoP: the jti was used before"));
    }
    Ok((x, y))
}

impl OAuthState {
    /// The refresh tokens and codes it gave out.
    pub(super) fn secrets(&self) -> Vec<String> {
        self.refresh
            .keys()
            .chain(self.codes.keys())
            .cloned()
            .collect()
    }
}

impl super::FakeSts {
    /// The authorization page signs in by itself (for a browser under test).
    pub fn auto_approve(&self, yes: bool) {
        self.state().oauth.auto_approve = yes;
    }

    /// Every refresh token given so far has ended (the sign-in's 12 hours are over).
    pub fn end_sign_ins(&self) {
        for grant in self.state().oauth.refresh.values_mut() {
            grant.until = 0;
        }
    }

    /// (code exchanges, refreshes) answered.
    pub fn token_calls(&self) -> (u64, u64) {
        let st = self.state();
        (st.oauth.exchanges, st.oauth.refreshes)
    }

    /// The token endpoint's refusals: error code and why.
    pub fn token_refusals(&self) -> Vec<(String, String)> {
        self.state().oauth.refusals.clone()
    }

    /// Credentials of login sessions last this long.
    pub fn set_login_lifetime(&self, seconds: u64) {
        self.state().oauth.login_lifetime = Some(seconds);
    }
}
