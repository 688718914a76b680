//! The AWS Sign-In service's federation endpoint, as `mfa-env console` uses it, and a page that
//! stands in for the console:
//!
//! - `GET /federation?Action=getSigninToken&Session={json}[&SessionDuration=N]`: role
//!   credentials this server issued (and that are still valid) get a sign-in token (JSON
//!   `SigninToken`), good for 15 minutes. Session-token credentials are refused, as AWS does, and
//!   so is a SessionDuration for role-chained credentials.
//! - `GET /federation?Action=login&Issuer=…&Destination=URL&SigninToken=T`: a valid token is
//!   spent, a console session starts (a cookie) and the browser goes to `/console?destination=…`.
//! - `GET /console?destination=…`: a page that names the signed-in role session, or says that
//!   nobody is signed in.
//! - `GET /oauth?Action=logout&redirect_uri=U`: ends the console session, then goes on to U
//!   when U is on this server.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::{now, record, Conn, Request, State};

/// What the Sign-In service gave out.
#[derive(Default)]
pub struct SigninState {
    /// Sign-in tokens: the role session's ARN, the token's end, and whether it was spent.
    tokens: HashMap<String, (String, u64, bool)>,
    /// Console sessions by cookie value: the role session's ARN.
    consoles: HashMap<String, String>,
    counter: u64,
    /// Console sign-outs seen.
    pub logouts: u64,
    /// Sign-ins completed (tokens spent), with the destination asked for.
    pub logins: Vec<(String, String)>,
}

const COOKIE: &str = "local-sts-console";

/// Answers one GET (or the OAuth token endpoint's POST); false when the connection is to end.
pub(super) fn answer<C: Conn>(
    stream: &mut C,
    req: &Request,
    connection: u64,
    state: &Arc<Mutex<State>>,
) -> bool {
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let mut rec = record(req);
    rec.connection = connection;
    st.requests.push(rec.clone());
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let params: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let cookie = req
        .headers
        .get("cookie")
        .and_then(|c| {
            c.split(';')
                .filter_map(|kv| kv.trim().split_once('='))
                .find(|(k, _)| *k == COOKIE)
                .map(|(_, v)| v.to_string())
        })
        .unwrap_or_default();
    let host = req.headers.get("host").cloned().unwrap_or_default();
    let reply = if req.method == "POST" && path == "/v1/token" {
        super::oauth::token(
            &mut st,
            &req.body,
            req.headers.get("dpop").map(String::as_str),
            &host,
        )
    } else if let Some(page) = super::oauth::page(&mut st, path, &params, &host) {
        page
    } else if let Some(page) = super::sso::page(
        &mut st,
        path,
        &params,
        req.headers
            .get("x-amz-sso_bearer_token")
            .map(String::as_str),
    ) {
        page
    } else {
        match (path, params.get("Action").map(String::as_str)) {
            ("/federation", Some("getSigninToken")) => get_signin_token(&mut st, &params),
            ("/federation", Some("login")) => login(&mut st, &params),
            ("/console", _) => console(&st, &cookie, &params),
            ("/oauth", Some("logout")) => logout(&mut st, &cookie, &params, &host),
            _ => Reply::text(404, "no such page"),
        }
    };
    drop(st);
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(reply.body.as_bytes()))
        .and_then(|()| stream.flush())
        .is_ok()
}

pub(super) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub(super) fn redirect(to: String, cookie: Option<String>) -> Reply {
        let mut headers = vec![("Location", to)];
        if let Some(cookie) = cookie {
            headers.push(("Set-Cookie", cookie));
        }
        Reply {
            status: 302,
            content_type: "text/plain; charset=utf-8",
            headers,
            body: String::new(),
        }
    }
}

fn get_signin_token(st: &mut State, params: &BTreeMap<String, String>) -> Reply {
    let Some(session) = params
        .get("Session")
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    else {
        return Reply::text(400, "Session is missing or not JSON");
    };
    let field = |name: &str| session.get(name).and_then(|v| v.as_str()).unwrap_or("");
    let id = field("sessionId");
    let Some(issued) = st.issued.get(id) else {
        return Reply::text(400, "The security token included in the request is invalid");
    };
    if issued.secret != field("sessionKey") || issued.token != field("sessionToken") {
        return Reply::text(400, "The security token included in the request is invalid");
    }
    if issued.expires <= now() {
        return Reply::text(400, "The security token included in the request is expired");
    }
    if !issued.arn.contains(":assumed-role/") {
        return Reply::text(
            400,
            "Only federation tokens or assume role tokens may be used for federated login.",
        );
    }
    if let Some(duration) = params.get("SessionDuration") {
        let Some(seconds) = duration
            .parse::<u64>()
            .ok()
            .filter(|s| (900..=43_200).contains(s))
        else {
            return Reply::text(400, "SessionDuration must be between 900 and 43200");
        };
        if st.chained.contains(id) {
            return Reply::text(
                400,
                "SessionDuration cannot be used with credentials from role chaining",
            );
        }
        let _ = seconds;
    }
    let arn = issued.arn.clone();
    let signin = &mut st.signin;
    signin.counter += 1;
    let token = format!("SIGNINTOKEN{:020}{}", signin.counter, "x".repeat(64));
    signin
        .tokens
        .insert(token.clone(), (arn, now() + 15 * 60, false));
    Reply {
        status: 200,
        content_type: "application/json",
        headers: Vec::new(),
        body: serde_json::json!({ "SigninToken": token }).to_string(),
    }
}

fn login(st: &mut State, params: &BTreeMap<String, String>) -> Reply {
    let token = params.get("SigninToken").cloned().unwrap_or_default();
    let destination = params.get("Destination").cloned().unwrap_or_default();
    let signin = &mut st.signin;
    let arn = match signin.tokens.get_mut(&token) {
        Some((arn, until, spent)) if !*spent && *until > now() => {
            *spent = true;
            arn.clone()
        }
        _ => return Reply::text(400, "The sign-in token is invalid, expired or already used"),
    };
    signin.counter += 1;
    let console = format!("console{:016}", signin.counter);
    signin.consoles.insert(console.clone(), arn.clone());
    signin.logins.push((arn, destination.clone()));
    let next = format!(
        "/console?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("destination", &destination)
            .finish()
    );
    Reply::redirect(next, Some(format!("{COOKIE}={console}; Path=/; HttpOnly")))
}

fn console(st: &State, cookie: &str, params: &BTreeMap<String, String>) -> Reply {
    let destination = html_escape(params.get("destination").map_or("", String::as_str));
    let body = match st.signin.consoles.get(cookie) {
        Some(arn) => format!(
            "<!doctype html><html><head><title>AWS console (local-sts)</title></head><body>\
             <h1>AWS console (local-sts)</h1><p>Signed in as <span id=\"identity\">{}</span></p>\
             <p>Destination: <span id=\"destination\">{destination}</span></p></body></html>",
            html_escape(arn)
        ),
        None => "<!doctype html><html><head><title>AWS console (local-sts)</title></head><body>\
                 <h1>AWS console (local-sts)</h1><p id=\"identity\">Signed out</p></body></html>"
            .to_string(),
    };
    Reply {
        status: 200,
        content_type: "text/html; charset=utf-8",
        headers: Vec::new(),
        body,
    }
}

fn logout(st: &mut State, cookie: &str, params: &BTreeMap<String, String>, host: &str) -> Reply {
    st.signin.consoles.remove(cookie);
    st.signin.logouts += 1;
    let next = params.get("redirect_uri").cloned().unwrap_or_default();
    let own = format!("http://{host}/");
    if !host.is_empty() && next.starts_with(&own) {
        Reply::redirect(next, Some(format!("{COOKIE}=; Path=/; Max-Age=0")))
    } else {
        Reply::text(400, "redirect_uri must be on this server")
    }
}

pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl super::FakeSts {
    /// The sign-ins completed at the federation endpoint: role session ARN and destination.
    pub fn console_logins(&self) -> Vec<(String, String)> {
        self.state().signin.logins.clone()
    }

    /// How many console sign-outs it saw.
    pub fn console_logouts(&self) -> u64 {
        self.state().signin.logouts
    }
}
