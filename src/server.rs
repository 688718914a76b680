//! `--server`: a credentials endpoint on the loopback interface for one child (exec, shell),
//! in the protocol of the SDKs' container credentials provider
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
//!
//! SDKs fetch credentials from it and fetch again before they expire; it renews them through
//! the same `Authenticator` as export and exec — roles from the MFA session, with no code —
//! so one code carries a role for the MFA session's whole life.
//!
//! The HTTP it speaks is the little the SDKs send: `GET path` with an `Authorization`
//! header, one request per connection. Each connection has its own thread and a deadline, so
//! a slow or idle client cannot hold up another; their number is capped.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::auth::{margin, Authenticator, Origin, Request, Session};
use crate::debug;
use crate::env::{endpoint_changes, Change, EndpointVars};
use crate::error::{fail, mask_key, Exit};
use crate::shell::prompt::time_left;
use crate::sts::Credentials;

/// Credentials with less than this left are renewed before they are served: botocore's
/// advisory window (15 minutes, inside which SDKs fetch again) and one minute...
pub const FRESH_FOR: i64 = 16 * 60;

/// ...or half their life, for credentials asked to last less than 32 minutes (a role of 15
/// minutes would otherwise be renewed at every fetch).
pub fn renew_window(lifetime: i64) -> i64 {
    FRESH_FOR.min(lifetime / 2)
}
/// When renewal fails, credentials with more than this left are still served.
const STILL_USABLE: i64 = 60;
/// After a failed renewal, how long the endpoint serves what it has before trying again (an
/// SDK may ask many times a second; an `mfa_process` must not run for each).
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// How long a request with nothing usable held waits for the renewal under way.
const WAIT: Duration = Duration::from_millis(1500);
/// The whole request head must arrive within this.
const DEADLINE: Duration = Duration::from_secs(5);
/// The request head before its blank line.
const MAX_HEAD: usize = 8 * 1024;
const MAX_HEADERS: usize = 32;
/// Connections still sending their request: past this many, the oldest is closed (a client
/// that has the token sends its request at once; one that holds a connection open idle does
/// not get to keep others out).
const MAX_READING: usize = 32;
/// Connections at all, a bound on threads and memory.
const MAX_CONNECTIONS: usize = 256;
const PATH: &str = "/mfa-env/credentials";

/// `--server` asked for by flag or by `MFA_ENV_SERVER`.
pub fn wanted(flag: bool) -> anyhow::Result<bool> {
    if flag {
        return Ok(true);
    }
    crate::settings::server()
}

/// A running endpoint. It serves until the process ends (the caller returns right after its
/// child does).
pub struct Endpoint {
    pub url: String,
    token: Zeroizing<String>,
}

impl Endpoint {
    /// Authenticates `req` (asking for a code now, if one is needed, while the terminal is
    /// still ours) and starts serving. `how_to_renew` ends the message given when the MFA
    /// session ends and no `mfa_process` can supply a code.
    pub fn start(req: &Request, how_to_renew: &str) -> anyhow::Result<(Endpoint, Session)> {
        let mut auth = Authenticator::new(req.clone(), margin()?)?;
        let window = auth
            .renew_ahead()
            .unwrap_or_else(|| renew_window(auth.lifetime()));
        let (credentials, origin) = auth.credentials(window)?;
        debug!(
            "credentials from {}",
            match origin {
                Origin::Cache => "the cache",
                Origin::Sts => auth.issuer(),
            }
        );
        let profile = auth.profile().to_string();
        let whose = if auth.is_role() { "behind" } else { "of" };
        let ended = format!(
            "the MFA session {whose} '{profile}' has ended (or ends within {})",
            time_left(window)
        );
        let no_code = if req.no_cache {
            format!(
                "{ended}, and with --no-cache a new one from another terminal cannot reach this \
                 endpoint: start the command again"
            )
        } else {
            format!("{ended}: {how_to_renew}")
        };
        auth.renew_without_prompt(no_code);
        debug!(
            "long-term keys {}",
            if auth.holds_long_term_keys() {
                "kept: mfa_process can renew the MFA session with them"
            } else {
                "not held: no renewal can use them without a code"
            }
        );
        let session = auth.session(credentials.clone());

        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| {
            fail(
                Exit::Other,
                format!("cannot open the credentials endpoint on 127.0.0.1: {e}"),
            )
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| fail(Exit::Other, format!("cannot read the endpoint's port: {e}")))?
            .port();
        let token = new_token()?;
        let provider = Arc::new(Provider {
            state: Mutex::new(State {
                current: credentials,
                wanted: false,
                attempts: 0,
                quiet_until: None,
                failure: None,
            }),
            window,
            wake: Condvar::new(),
            done: Condvar::new(),
        });
        let renewer = Arc::clone(&provider);
        std::thread::Builder::new()
            .name("endpoint-renewer".into())
            .spawn(move || renewer.renew_loop(auth))
            .map_err(|e| fail(Exit::Other, format!("cannot start the endpoint: {e}")))?;
        let secret = token.clone();
        std::thread::Builder::new()
            .name("endpoint".into())
            .spawn(move || accept_loop(&listener, &secret, &provider))
            .map_err(|e| fail(Exit::Other, format!("cannot start the endpoint: {e}")))?;
        let url = format!("http://127.0.0.1:{port}{PATH}");
        debug!("serving the credentials of '{profile}' at {url}");
        Ok((Endpoint { url, token }, session))
    }

    /// The environment changes for the child.
    pub fn changes(&self, session: &Session) -> Vec<Change> {
        let hide: Vec<&'static str> = crate::profile::default_credentials_in_files()
            .into_iter()
            .map(|(var, path, key)| {
                let say = format!(
                    "the child sees no {} ({var}={}): its [default] profile has {key}, which \
                     SDKs use before the endpoint",
                    path.display(),
                    crate::env::NULL_DEVICE
                );
                if var == "AWS_CONFIG_FILE" {
                    eprintln!("mfa-env: {say}");
                } else {
                    debug!("{say}");
                }
                var
            })
            .collect();
        endpoint_changes(&EndpointVars {
            profile: &session.profile,
            url: &self.url,
            token: &self.token,
            region: session.region.as_deref(),
            renewable_until: session.renewable_until,
            identity: &session.credentials.identity,
            hide_files: &hide,
        })
    }
}

/// 256 bits from the operating system's generator, as hex (a header value needs no escaping).
fn new_token() -> anyhow::Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut bytes[..]).map_err(|e| {
        fail(
            Exit::Other,
            format!("cannot get random bytes for the endpoint's token: {e}"),
        )
    })?;
    Ok(Zeroizing::new(crate::digest::hex(&bytes[..])))
}

/// What the endpoint serves, shared by the connections and the renewer. The lock is held for
/// moments only: never across STS, an `mfa_process` or the device lock, which the renewer
/// thread alone waits on.
struct Provider {
    state: Mutex<State>,
    /// Renew when less than this is left (`renew_window`).
    window: i64,
    /// Requests to the renewer.
    wake: Condvar,
    /// From the renewer: an attempt ended.
    done: Condvar,
}

struct State {
    current: Credentials,
    /// A request saw `current` inside the window and the renewer has not started on it yet.
    wanted: bool,
    /// Attempts ended so far (a request with nothing usable waits for the next).
    attempts: u64,
    /// After a failed renewal: no STS nor `mfa_process` again until then (an SDK may ask many
    /// times a second), only the cache, where a session started elsewhere lands.
    quiet_until: Option<Instant>,
    /// Why the last renewal failed, while it stands.
    failure: Option<String>,
}

impl Provider {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-written (each change is one
        // assignment): go on with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What a request gets: the credentials held while they are usable (asking the renewer
    /// for new ones when they near their end), else what a renewal brings within `WAIT`.
    fn credentials(&self) -> Result<Credentials, String> {
        let mut state = self.lock();
        let left = state.current.seconds_left();
        if left > self.window {
            return Ok(state.current.clone());
        }
        state.wanted = true;
        self.wake.notify_one();
        if left > STILL_USABLE {
            return Ok(state.current.clone());
        }
        // Nothing usable held: a renewal is under way; wait a little for it, not for long
        // (SDKs give up after 1 to 5 s).
        let seen = state.attempts;
        let deadline = Instant::now() + WAIT;
        while state.attempts == seen {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            state = self
                .done
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        // What a renewal just brought is served however short its life (a role asked to
        // last less than a minute).
        let renewed = state.attempts != seen && state.failure.is_none();
        let left = state.current.seconds_left();
        if left > STILL_USABLE || (renewed && left > 0) {
            Ok(state.current.clone())
        } else {
            Err(state.failure.clone().unwrap_or_else(|| {
                "the credentials are being renewed; ask again in a moment".to_string()
            }))
        }
    }

    /// The renewer: the only user of the `Authenticator`, woken by requests.
    fn renew_loop(&self, mut auth: Authenticator) {
        crate::process::keep_terminal_in_this_thread();
        // The terminal was told that renewal needs the user; said once until a renewal works.
        let mut noticed = false;
        loop {
            let (quiet, left) = {
                let mut state = self.lock();
                while !state.wanted {
                    state = self.wake.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                state.wanted = false;
                let left = state.current.seconds_left();
                // With nothing usable held, every request may try again.
                let quiet =
                    left > STILL_USABLE && state.quiet_until.is_some_and(|t| Instant::now() < t);
                (quiet, left)
            };
            let outcome = if left > self.window {
                // Renewed meanwhile.
                None
            } else if quiet {
                auth.cached_session(self.window)
                    .map(|c| Ok((c, Origin::Cache)))
            } else {
                Some(auth.credentials(self.window))
            };
            let mut state = self.lock();
            match outcome {
                Some(Ok((creds, origin))) => {
                    debug!(
                        "renewed the credentials: {} ({} left, from {origin:?})",
                        mask_key(&creds.access_key_id),
                        time_left(creds.seconds_left())
                    );
                    state.current = creds;
                    state.quiet_until = None;
                    state.failure = None;
                    noticed = false;
                }
                Some(Err(e)) => {
                    let message = crate::one_line(&e);
                    state.quiet_until = Some(Instant::now() + RETRY_AFTER);
                    let left = state.current.seconds_left();
                    if !noticed {
                        noticed = true;
                        let now = if left > STILL_USABLE {
                            format!(
                                " (the credentials served now have {} left)",
                                time_left(left)
                            )
                        } else {
                            String::new()
                        };
                        tell_terminal(&format!("mfa-env: {message}{now}"));
                    }
                    state.failure = Some(message);
                }
                None => {}
            }
            state.attempts += 1;
            drop(state);
            self.done.notify_all();
        }
    }
}

/// One line for the user, on the terminal even when stderr is redirected (the child's output
/// may be); on stderr when there is no terminal.
fn tell_terminal(line: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if let Ok(mut tty) = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open("/dev/tty")
        {
            if writeln!(tty, "{line}").is_ok() {
                return;
            }
        }
    }
    eprintln!("{line}");
}

fn accept_loop(listener: &TcpListener, token: &Zeroizing<String>, provider: &Arc<Provider>) {
    let host: Arc<str> = match listener.local_addr() {
        Ok(addr) => Arc::from(addr.to_string()),
        Err(_) => return,
    };
    let active = Arc::new(AtomicUsize::new(0));
    let reading: Arc<Mutex<VecDeque<(u64, TcpStream)>>> = Arc::default();
    let mut next_id = 0u64;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        next_id += 1;
        let id = next_id;
        if let (Ok(handle), Ok(mut open)) = (stream.try_clone(), reading.lock()) {
            if open.len() >= MAX_READING {
                if let Some((_, oldest)) = open.pop_front() {
                    let _ = oldest.shutdown(std::net::Shutdown::Both);
                }
            }
            open.push_back((id, handle));
        }
        let (token, host, provider, done, open) = (
            token.clone(),
            Arc::clone(&host),
            Arc::clone(provider),
            Arc::clone(&active),
            Arc::clone(&reading),
        );
        let spawned = std::thread::Builder::new()
            .name("endpoint-connection".into())
            .spawn(move || {
                let read = || {
                    if let Ok(mut open) = open.lock() {
                        open.retain(|(i, _)| *i != id);
                    }
                };
                serve(stream, token.as_bytes(), &host, &provider, read);
                done.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
            if let Ok(mut open) = reading.lock() {
                open.retain(|(i, _)| *i != id);
            }
        }
    }
}

/// An answer: status, reason, extra header, body.
struct Answer {
    status: u16,
    reason: &'static str,
    allow: bool,
    body: Zeroizing<String>,
}

impl Answer {
    fn error(status: u16, reason: &'static str, code: &str, message: &str) -> Answer {
        let body = serde_json::json!({ "Code": code, "Message": message }).to_string();
        Answer {
            status,
            reason,
            allow: status == 405,
            body: Zeroizing::new(body),
        }
    }
}

/// One connection: its request head, then the answer. `read` is called once the head is in
/// (or the connection is given up), so it no longer counts as a client still sending.
fn serve(
    mut stream: TcpStream,
    token: &[u8],
    host: &str,
    provider: &Provider,
    read: impl FnOnce(),
) {
    let _ = stream.set_write_timeout(Some(DEADLINE));
    let head = read_head(&mut stream);
    read();
    let answer = match head {
        Ok(head) => answer(&head, token, host, || provider.credentials()),
        Err(Some(a)) => a,
        // Timed out or closed: nothing to say to it.
        Err(None) => return,
    };
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n",
        answer.status,
        answer.reason,
        answer.body.len()
    );
    if answer.allow {
        out.push_str("Allow: GET\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = Zeroizing::new(out.into_bytes());
    bytes.extend_from_slice(answer.body.as_bytes());
    let _ = stream.write_all(&bytes).and_then(|()| stream.flush());
}

fn too_large() -> Answer {
    Answer::error(
        431,
        "Request Header Fields Too Large",
        "BadRequest",
        "the request head is too large",
    )
}

/// The request head (up to the blank line), read within `DEADLINE` and `MAX_HEAD` bytes.
fn read_head(stream: &mut TcpStream) -> Result<String, Option<Answer>> {
    let start = Instant::now();
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let left = DEADLINE.saturating_sub(start.elapsed());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(None);
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(None),
            Ok(n) => n,
        };
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            if end > MAX_HEAD {
                return Err(Some(too_large()));
            }
            head.truncate(end);
            return String::from_utf8(head).map_err(|_| {
                Some(Answer::error(
                    400,
                    "Bad Request",
                    "BadRequest",
                    "the request is not text",
                ))
            });
        }
        // (The blank line's four bytes may be partly in already.)
        if head.len() > MAX_HEAD + 3 {
            return Err(Some(too_large()));
        }
    }
}

/// The answer to a request head; `credentials` is asked only for an authorized request.
/// `host` is the address the endpoint listens on (`127.0.0.1:PORT`): a request naming another
/// host came through a name that resolved here (DNS rebinding from a web page) and is refused.
fn answer(
    head: &str,
    token: &[u8],
    host: &str,
    credentials: impl FnOnce() -> Result<Credentials, String>,
) -> Answer {
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Answer::error(400, "Bad Request", "BadRequest", "malformed request line");
    };
    if !version.starts_with("HTTP/1.") {
        return Answer::error(400, "Bad Request", "BadRequest", "HTTP/1.x only");
    }
    let headers: Vec<&str> = lines.collect();
    if headers.len() > MAX_HEADERS {
        return Answer::error(
            431,
            "Request Header Fields Too Large",
            "BadRequest",
            "too many headers",
        );
    }
    if method != "GET" {
        return Answer::error(
            405,
            "Method Not Allowed",
            "MethodNotAllowed",
            "only GET is served",
        );
    }
    if target.split('?').next() != Some(PATH) {
        return Answer::error(404, "Not Found", "NotFound", "no such path");
    }
    let mut authorization = None;
    let mut hosts = 0;
    for line in &headers {
        let Some((name, value)) = line.split_once(':') else {
            return Answer::error(400, "Bad Request", "BadRequest", "malformed header");
        };
        if name.eq_ignore_ascii_case("host") {
            hosts += 1;
            let value = value.trim();
            let plain = host.split(':').next().unwrap_or(host);
            if hosts > 1 || (value != host && value != plain) {
                debug!("the endpoint refused a request for another host");
                return Answer::error(
                    403,
                    "Forbidden",
                    "Forbidden",
                    "the Host header must name the endpoint's loopback address",
                );
            }
        }
        if name.eq_ignore_ascii_case("authorization") {
            if authorization.is_some() {
                return Answer::error(
                    400,
                    "Bad Request",
                    "BadRequest",
                    "more than one Authorization header",
                );
            }
            authorization = Some(value.trim());
        }
    }
    if hosts == 0 {
        return Answer::error(400, "Bad Request", "BadRequest", "no Host header");
    }
    let Some(given) = authorization else {
        return Answer::error(
            401,
            "Unauthorized",
            "Unauthorized",
            "no Authorization header: set AWS_CONTAINER_AUTHORIZATION_TOKEN",
        );
    };
    if !bool::from(given.as_bytes().ct_eq(token)) {
        debug!("the endpoint refused a request with a wrong token");
        return Answer::error(403, "Forbidden", "Forbidden", "wrong authorization token");
    }
    match credentials() {
        Ok(c) => {
            debug!(
                "served {} ({} left)",
                mask_key(&c.access_key_id),
                time_left(c.seconds_left())
            );
            Answer {
                status: 200,
                reason: "OK",
                allow: false,
                body: credentials_body(&c),
            }
        }
        Err(message) => Answer::error(
            503,
            "Service Unavailable",
            "CredentialsUnavailable",
            &message,
        ),
    }
}

/// The JSON the SDKs read, written straight from the borrowed secrets into a buffer sized for
/// it (no intermediate value, no growth that would leave a copy behind), wiped when dropped.
fn credentials_body(c: &Credentials) -> Zeroizing<String> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Body<'a> {
        access_key_id: &'a str,
        secret_access_key: &'a str,
        token: &'a str,
        expiration: String,
    }
    let body = Body {
        access_key_id: &c.access_key_id,
        secret_access_key: &c.secret_access_key,
        token: &c.session_token,
        expiration: c.expiration_rfc3339(),
    };
    // The values are base64, ASCII and digits: JSON escapes none of them, but leave room.
    let size =
        128 + 2 * (c.access_key_id.len() + c.secret_access_key.len() + c.session_token.len());
    let mut out = Zeroizing::new(Vec::with_capacity(size));
    if serde_json::to_writer(&mut *out, &body).is_err() {
        return Zeroizing::new(String::new());
    }
    match String::from_utf8(std::mem::take(&mut *out)) {
        Ok(text) => Zeroizing::new(text),
        Err(e) => {
            drop(Zeroizing::new(e.into_bytes()));
            Zeroizing::new(String::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn creds() -> Result<Credentials, String> {
        Ok(Credentials {
            access_key_id: "ASIAEXAMPLEEXAMPLE12".into(),
            secret_access_key: Zeroizing::new("secret/key".into()),
            session_token: Zeroizing::new("token+value".into()),
            expiration: 1_800_000_000,
            identity: String::new(),
        })
    }

    const HOST: &str = "127.0.0.1:4567";

    fn status(head: &str) -> u16 {
        answer(head, TOKEN.as_bytes(), HOST, creds).status
    }

    fn get(auth: &str) -> String {
        format!("GET {PATH} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {auth}")
    }

    #[test]
    fn only_the_exact_token_gets_credentials() {
        let ok = answer(&get(TOKEN), TOKEN.as_bytes(), HOST, creds);
        assert_eq!(ok.status, 200);
        let body: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
        assert_eq!(body["AccessKeyId"], "ASIAEXAMPLEEXAMPLE12");
        assert_eq!(body["SecretAccessKey"], "secret/key");
        assert_eq!(body["Token"], "token+value");
        assert_eq!(body["Expiration"], "2027-01-15T08:00:00Z");
        let mut wrong = TOKEN.to_string();
        wrong.replace_range(63.., "0");
        for bad in [
            wrong.as_str(),
            &TOKEN[..63],
            &format!("{TOKEN}0"),
            "",
            "Bearer x",
        ] {
            let a = answer(&get(bad), TOKEN.as_bytes(), HOST, || {
                panic!("asked for credentials")
            });
            assert_eq!(a.status, 403, "{bad:?}");
            assert!(!a.body.contains("secret"), "{}", a.body.as_str());
        }
        let none = format!("GET {PATH} HTTP/1.1\r\nHost: {HOST}");
        assert_eq!(
            answer(&none, TOKEN.as_bytes(), HOST, || panic!("asked")).status,
            401
        );
        // Header names are case-insensitive; two Authorization headers are refused.
        assert_eq!(
            status(&get(TOKEN).replace("Authorization", "authorization")),
            200
        );
        assert_eq!(
            status(&format!("{}\r\nAuthorization: {TOKEN}", get(TOKEN))),
            400
        );
    }

    /// A page whose name was rebound to 127.0.0.1 sends its own name as the Host: refused
    /// before the token is even looked at, as is a request without a Host or with two.
    #[test]
    fn only_the_endpoints_own_host_is_served() {
        assert_eq!(
            status(&get(TOKEN).replace("Host: 127.0.0.1:4567", "Host: 127.0.0.1")),
            200
        );
        for other in [
            "Host: evil.example:4567",
            "Host: localhost:4567",
            "Host: 127.0.0.1:4568",
            "Host: 127.0.0.1.evil.example:4567",
            "Host: ",
        ] {
            let a = answer(
                &get(TOKEN).replace("Host: 127.0.0.1:4567", other),
                TOKEN.as_bytes(),
                HOST,
                || panic!("asked for credentials"),
            );
            assert_eq!(a.status, 403, "{other}");
        }
        let two = format!("{}\r\nHost: evil.example", get(TOKEN));
        assert_eq!(status(&two), 403);
        let none = get(TOKEN).replace("Host: 127.0.0.1:4567\r\n", "");
        assert_eq!(status(&none), 400);
    }

    #[test]
    fn only_get_on_the_path_is_served() {
        assert_eq!(status(&get(TOKEN).replacen("GET", "POST", 1)), 405);
        assert!(
            answer(
                &get(TOKEN).replacen("GET", "PUT", 1),
                TOKEN.as_bytes(),
                HOST,
                creds
            )
            .allow
        );
        assert_eq!(status(&get(TOKEN).replacen(PATH, "/", 1)), 404);
        assert_eq!(
            status(&get(TOKEN).replacen(PATH, "/mfa-env/credentials/x", 1)),
            404
        );
        assert_eq!(status(&get(TOKEN).replacen("HTTP/1.1", "HTTP/2", 1)), 400);
        assert_eq!(status("GET\r\n"), 400);
        assert_eq!(status(&format!("GET {PATH} HTTP/1.1 extra")), 400);
        let many: String = (0..MAX_HEADERS).map(|i| format!("\r\nX-{i}: y")).collect();
        assert_eq!(status(&format!("{}{many}", get(TOKEN))), 431);
        assert_eq!(status(&format!("{}\r\nno colon", get(TOKEN))), 400);
    }

    #[test]
    fn a_renewal_failure_is_an_error_answer_without_secrets() {
        let a = answer(&get(TOKEN), TOKEN.as_bytes(), HOST, || {
            Err("the MFA session for 'work' ended: run `mfa-env work --refresh`".into())
        });
        assert_eq!(a.status, 503);
        let body: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert!(body["Message"].as_str().unwrap().contains("ended"));
    }

    #[test]
    fn renewal_comes_16_minutes_ahead_or_at_half_life() {
        assert_eq!(renew_window(3600), 16 * 60);
        assert_eq!(renew_window(43_200), 16 * 60);
        assert_eq!(renew_window(900), 450);
    }

    #[test]
    fn tokens_are_256_random_bits_in_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(*a, *b);
    }
}
