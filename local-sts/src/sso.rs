//! IAM Identity Center's portal, the one call the SDKs' SSO credentials provider makes:
//! `GET /federation/credentials?role_name=R&account_id=A` with the access token `aws sso login`
//! cached in `x-amz-sso_bearer_token`. A token this server gave out (`sso_token`) and still
//! valid gets credentials from STS's own issuer (an `AWSReservedSSO_R` role session, valid
//! for GetCallerIdentity and AssumeRole here); anything else is a 401 UnauthorizedException.

use std::collections::{BTreeMap, HashMap};

use super::signin::Reply;
use super::{now, State, ACCOUNT};

#[derive(Default)]
pub struct SsoState {
    /// Access tokens: the user they are for, and their end.
    tokens: HashMap<String, (String, u64)>,
    counter: u64,
    /// Role credentials handed out.
    pub calls: u64,
}

/// GET /federation/credentials; `None` for another path.
pub(super) fn page(
    st: &mut State,
    path: &str,
    params: &BTreeMap<String, String>,
    token: Option<&str>,
) -> Option<Reply> {
    if path != "/federation/credentials" {
        return None;
    }
    let refuse = |status: u16, kind: &str, message: &str| Reply {
        status,
        content_type: "application/json",
        headers: vec![("X-Amzn-ErrorType", kind.to_string())],
        body: serde_json::json!({ "message": message }).to_string(),
    };
    let user = match token.and_then(|t| st.sso.tokens.get(t)) {
        Some((user, until)) if *until > now() => user.clone(),
        Some(_) => {
            return Some(refuse(
                401,
                "UnauthorizedException",
                "Session token not found or invalid",
            ))
        }
        None => {
            return Some(refuse(
                401,
                "UnauthorizedException",
                "Session token not found or invalid",
            ))
        }
    };
    let (Some(account), Some(role)) = (params.get("account_id"), params.get("role_name")) else {
        return Some(refuse(
            400,
            "InvalidRequestException",
            "account_id and role_name are required",
        ));
    };
    if account != ACCOUNT {
        return Some(refuse(403, "ForbiddenException", "No access"));
    }
    let arn = format!(
        "arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_{role}_0123456789abcdef/{user}"
    );
    let user_id = format!("AROAFAKESSO{:09}:{user}", st.sso.calls);
    let (id, secret, session_token, expires) = st.issue(&user, 3600, true, arn, user_id);
    st.sso.calls += 1;
    Some(Reply {
        status: 200,
        content_type: "application/json",
        headers: Vec::new(),
        body: serde_json::json!({
            "roleCredentials": {
                "accessKeyId": id,
                "secretAccessKey": secret,
                "sessionToken": session_token,
                "expiration": expires * 1000,
            }
        })
        .to_string(),
    })
}

impl super::FakeSts {
    /// An access token for `user` as `aws sso login` would cache it, good for `seconds`.
    pub fn sso_token(&self, user: &str, seconds: u64) -> String {
        let mut st = self.state();
        st.sso.counter += 1;
        let token = format!("SSOTOKEN{:08}{}", st.sso.counter, "t".repeat(32));
        st.sso
            .tokens
            .insert(token.clone(), (user.to_string(), now() + seconds));
        token
    }

    /// How many role credentials the portal gave out.
    pub fn sso_calls(&self) -> u64 {
        self.state().sso.calls
    }
}
