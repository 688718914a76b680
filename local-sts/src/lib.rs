//! A fake AWS STS on 127.0.0.1 speaking the Query wire protocol (form-encoded POST, AWS-shaped
//! XML answers and `<ErrorResponse>` errors). It validates what it receives the way STS does —
//! Action, SerialNumber, TokenCode against a real RFC 6238 TOTP secret (a code works once),
//! DurationSeconds bounds, RoleArn, RoleSessionName, the signing key — records every request,
//! and can be told to answer with given values, errors or faults.
//!
//! Shared by mfa-env's integration tests (with the `tls` feature: HTTPS with a throwaway CA) and
//! the demo binary, `cargo run -p local-sts`, which needs nothing else to build.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use totp_rs::{Algorithm, TOTP};

pub mod demo;
mod oauth;
mod signin;
mod sso;

pub const ACCOUNT: &str = "123456789012";

/// The code an authenticator app shows at `unix` seconds for a Base32 secret (as AWS gives a
/// virtual MFA device's seed), or None when it is not Base32.
pub fn code_for_base32(seed: &str, unix: u64) -> Option<String> {
    let bytes = totp_rs::Secret::Encoded(seed.to_string()).to_bytes().ok()?;
    Some(TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes).generate(unix))
}

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub mfa_serial: String,
    pub totp_secret: Vec<u8>,
}

impl User {
    pub fn new(name: &str, n: u32) -> User {
        User {
            name: name.to_string(),
            access_key_id: format!("AKIAFAKE{:012}", n),
            // Shaped like a real one (40 characters of base64), so `keys add` accepts it.
            secret_access_key: format!("fakeSecret/{name}/{n:0width$}", width = 28 - name.len()),
            mfa_serial: format!("arn:aws:iam::{ACCOUNT}:mfa/{name}"),
            totp_secret: format!("totp-secret-of-{name}-{n:08}").into_bytes(),
        }
    }

    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:user/{}", self.name)
    }

    /// The user's unique id, as GetCallerIdentity reports it (`AIDA…`).
    pub fn user_id(&self) -> String {
        self.access_key_id.replacen("AKIA", "AIDA", 1)
    }

    /// `[profile]` with this user's long-term keys, as a credentials file holds them.
    pub fn credentials_section(&self, profile: &str) -> String {
        format!(
            "[{profile}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            self.access_key_id, self.secret_access_key
        )
    }

    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, self.totp_secret.clone())
    }

    /// The code the user's authenticator shows at `unix` seconds.
    pub fn code_at(&self, unix: u64) -> String {
        self.totp().generate(unix)
    }

    pub fn code_now(&self) -> String {
        self.code_at(now())
    }

    /// A code AWS still accepts but that differs from `code_now` (the next window's).
    pub fn next_code(&self) -> String {
        self.code_at(now() + 30)
    }

    pub fn otpauth_uri(&self, issuer: &str) -> String {
        let secret = totp_rs::Secret::Raw(self.totp_secret.clone()).to_encoded();
        let secret = match secret {
            totp_rs::Secret::Encoded(s) => s,
            totp_rs::Secret::Raw(_) => String::new(),
        };
        format!(
            "otpauth://totp/{issuer}:{}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
            self.name
        )
    }
}

#[derive(Clone, Debug)]
pub struct Role {
    pub arn: String,
    /// AssumeRole needs MFA: MFA in the call, or a caller whose session came from MFA.
    pub require_mfa: bool,
    pub external_id: Option<String>,
    pub max_session: u32,
    /// Users (by access key id) allowed to assume it; empty = everyone.
    pub trusted: Vec<String>,
}

impl Role {
    /// The role's unique id (`AROA…`); a session of it is `AROA…:session-name`.
    pub fn id(&self) -> String {
        let name = self.arn.rsplit('/').next().unwrap_or("");
        let letters: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .chain(std::iter::repeat('0'))
            .take(13)
            .collect();
        format!("AROAFAKE{letters}")
    }

    pub fn new(name: &str) -> Role {
        Role {
            arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            require_mfa: true,
            external_id: None,
            max_session: 43_200,
            trusted: Vec::new(),
        }
    }
}

/// What the next request(s) get instead of the normal answer.
#[derive(Clone, Debug)]
pub enum Scripted {
    Error {
        status: u16,
        code: String,
        message: String,
    },
    /// Valid-looking credentials with chosen values (hostile-value tests).
    Credentials {
        access_key_id: String,
        secret: String,
        token: String,
        expiration: String,
    },
    Raw {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
    /// Accept the connection and never answer.
    Hang,
    /// Close the connection after reading the request, without an answer.
    Reset,
    /// Answer one byte every `interval`, never finishing in reasonable time.
    Trickle { interval: Duration },
    /// A correct answer cut in the middle.
    Truncate,
    /// A 200 that streams without end (chunked, or with a huge Content-Length), as fast as the
    /// client reads.
    Endless { content_length: Option<u64> },
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub access_key_id: Option<String>,
    /// The region of the signature's credential scope.
    pub region: Option<String>,
    /// Which connection it came on: 1 for the first the server accepted, and so on.
    pub connection: u64,
    pub security_token: Option<String>,
}

#[derive(Clone)]
struct Issued {
    user: String,
    secret: String,
    token: String,
    expires: u64,
    mfa: bool,
    /// The user's ARN for GetSessionToken sessions, or the assumed-role ARN.
    arn: String,
    /// What GetCallerIdentity reports: the user's `AIDA…`, or `AROA…:session-name`.
    user_id: String,
}

#[derive(Default)]
pub struct State {
    users: Vec<User>,
    roles: HashMap<String, Role>,
    issued: HashMap<String, Issued>,
    used_codes: HashSet<(String, String)>,
    pub requests: Vec<Recorded>,
    script: VecDeque<Scripted>,
    always: Option<Scripted>,
    counter: u64,
    connections: u64,
    /// Credentials issued by GetSessionToken / AssumeRole live at most this many seconds,
    /// whatever was asked (renewal tests).
    pub session_lifetime: Option<u64>,
    pub role_lifetime: Option<u64>,
    /// Seconds added to the clock of its `Date` header (a server whose clock, or rather the
    /// client's, is off).
    pub clock_offset: i64,
    /// IAM's MFA devices, by serial: the little of IAM that `setup` and `device` use.
    pub devices: BTreeMap<String, Device>,
    /// IAM actions that fail with this status and error code (rotation's failure paths).
    pub iam_failures: HashMap<String, (u16, String)>,
    /// Access keys IAM created that STS does not accept (yet: new keys take a while in AWS).
    pub rejected_keys: HashSet<String>,
    /// New access keys start in `rejected_keys`.
    pub reject_new_keys: bool,
    /// Role credentials assumed with session credentials (role chaining), by access key.
    chained: HashSet<String>,
    /// The Sign-In service: sign-in tokens and console sessions it gave out.
    pub signin: signin::SigninState,
    /// Its OAuth side: authorizations, codes, refresh tokens of login sessions.
    pub oauth: oauth::OAuthState,
    /// IAM Identity Center's portal: the access tokens it knows.
    pub sso: sso::SsoState,
    /// It speaks HTTPS (the URLs DPoP proofs must name).
    pub tls: bool,
    /// Actions answered this long after the request (done at once, answered late): a client
    /// kept waiting, as by a slow endpoint.
    pub delays: HashMap<String, Duration>,
}

/// An MFA device as IAM keeps it.
#[derive(Clone, Debug)]
pub struct Device {
    pub seed: Vec<u8>,
    /// The user it is enabled for; None while it is only created.
    pub user: Option<String>,
}

pub struct FakeSts {
    pub port: u16,
    state: Arc<Mutex<State>>,
    /// Set when it speaks HTTPS: the PEM of the CA that signed its certificate.
    pub ca_pem: Option<String>,
}

/// A throwaway CA and a certificate it signed for 127.0.0.1 and localhost, for an HTTPS fake STS.
#[cfg(feature = "tls")]
pub struct TestCa {
    pub ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

#[cfg(feature = "tls")]
impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("mfa-env test CA {}", unique()));
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server params")
            .signed_by(&key, &ca)
            .expect("server certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("TLS server config");
        TestCa {
            ca_pem: ca.pem(),
            config: Arc::new(config),
        }
    }
}

#[cfg(feature = "tls")]
impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// A number no other call in this process returns.
#[cfg(feature = "tls")]
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A connection the fake STS answers on: plain TCP, or TLS over it.
trait Conn: Read + Write + Send + 'static {
    /// Cuts the connection at once (no TLS close_notify).
    fn cut(&mut self);
    /// Ends the connection cleanly after an answer.
    fn finish(&mut self) {}
}

impl Conn for TcpStream {
    fn cut(&mut self) {
        let _ = self.shutdown(Shutdown::Both);
    }
}

#[cfg(feature = "tls")]
impl Conn for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn cut(&mut self) {
        let _ = self.sock.shutdown(Shutdown::Both);
    }

    fn finish(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
    }
}

/// An HTTP date (IMF-fixdate, RFC 9110): `Mon, 24 Nov 2026 00:45:00 GMT`.
pub fn http_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        names[(month - 1) as usize],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn iso8601(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let rem = unix % 86_400;
    // Civil-from-days (Howard Hinnant), valid for the Unix era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(feature = "tls")]
type TlsConfig = Arc<rustls::ServerConfig>;
/// Without the `tls` feature there is no TLS configuration to give.
#[cfg(not(feature = "tls"))]
type TlsConfig = std::convert::Infallible;

impl FakeSts {
    /// Starts on an ephemeral port with one user, `alice`, and a role `Admin`.
    pub fn start() -> FakeSts {
        Self::start_on(0)
    }

    pub fn start_on(port: u16) -> FakeSts {
        Self::serve(port, None)
    }

    /// Like `start`, speaking HTTPS with a certificate from `ca`.
    #[cfg(feature = "tls")]
    pub fn start_tls(ca: &TestCa) -> FakeSts {
        let mut sts = Self::serve(0, Some(Arc::clone(&ca.config)));
        sts.ca_pem = Some(ca.ca_pem.clone());
        sts.state().tls = true;
        sts
    }

    fn serve(port: u16, tls: Option<TlsConfig>) -> FakeSts {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local addr").port();
        let mut state = State::default();
        let alice = User::new("alice", 1);
        state.devices.insert(
            alice.mfa_serial.clone(),
            Device {
                seed: alice.totp_secret.clone(),
                user: Some(alice.name.clone()),
            },
        );
        state.users.push(alice);
        let admin = Role::new("Admin");
        state.roles.insert(admin.arn.clone(), admin);
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                match &tls {
                    None => std::thread::spawn(move || handle(stream, &shared)),
                    #[cfg(feature = "tls")]
                    Some(config) => {
                        let Ok(conn) = rustls::ServerConnection::new(Arc::clone(config)) else {
                            continue;
                        };
                        let stream = rustls::StreamOwned::new(conn, stream);
                        std::thread::spawn(move || handle(stream, &shared))
                    }
                    #[cfg(not(feature = "tls"))]
                    Some(never) => match *never {},
                };
            }
        });
        FakeSts {
            port,
            state,
            ca_pem: None,
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn user(&self, name: &str) -> User {
        self.state()
            .users
            .iter()
            .find(|u| u.name == name)
            .cloned()
            .expect("known user")
    }

    pub fn alice(&self) -> User {
        self.user("alice")
    }

    /// Another IAM user, with its MFA device enabled as alice's is.
    pub fn add_user(&self, user: User) {
        let mut state = self.state();
        state.devices.insert(
            user.mfa_serial.clone(),
            Device {
                seed: user.totp_secret.clone(),
                user: Some(user.name.clone()),
            },
        );
        state.users.push(user);
    }

    pub fn add_role(&self, role: Role) {
        self.state().roles.insert(role.arn.clone(), role);
    }

    /// The next request gets this instead of the normal answer.
    pub fn push(&self, s: Scripted) {
        self.state().script.push_back(s);
    }

    /// Every request from now on gets this.
    pub fn always(&self, s: Option<Scripted>) {
        self.state().always = s;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    pub fn count(&self, action: &str) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|r| r.action == action)
            .count()
    }

    /// Marks a code as spent, as if AWS had accepted it before.
    pub fn spend(&self, serial: &str, code: &str) {
        self.state()
            .used_codes
            .insert((serial.to_string(), code.to_string()));
    }
}

struct Request {
    method: String,
    /// The request target: path and query.
    target: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(stream: &mut BufReader<impl Read>) -> Option<Request> {
    let mut line = String::new();
    stream.read_line(&mut line).ok()?;
    if line.is_empty() {
        return None;
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let target = words.next().unwrap_or_default().to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        stream.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len.min(1 << 20)];
    stream.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// Serves one connection: requests one after another while the client keeps it open (HTTP/1.1
/// keep-alive, as STS does), each recorded with the connection's number; a scripted fault ends it.
fn handle(stream: impl Conn, state: &Arc<Mutex<State>>) {
    let connection = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.connections += 1;
        st.connections
    };
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader) {
        if !answer_one(&mut reader, req, connection, state) {
            return;
        }
    }
}

/// Answers one request; false when the connection is to end.
fn answer_one<C: Conn>(
    reader: &mut BufReader<C>,
    req: Request,
    connection: u64,
    state: &Arc<Mutex<State>>,
) -> bool {
    if req.method == "GET" || req.target.starts_with("/v1/") {
        // The Sign-In service (federation and OAuth) and a stand-in for the console.
        return signin::answer(reader.get_mut(), &req, connection, state);
    }
    let (scripted, answer, clock_offset, delay) = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        let clock_offset = st.clock_offset;
        let mut rec = record(&req);
        let delay = st.delays.get(&rec.action).copied();
        rec.connection = connection;
        st.requests.push(rec.clone());
        let scripted = st.script.pop_front().or_else(|| st.always.clone());
        let answer = match &scripted {
            None => st.answer(&rec),
            Some(Scripted::Credentials {
                access_key_id,
                secret,
                token,
                expiration,
            }) => (
                200,
                credentials_xml(
                    &rec.action,
                    access_key_id,
                    secret,
                    token,
                    expiration,
                    &format!("arn:aws:sts::{ACCOUNT}:assumed-role/Admin/x"),
                    "AROAFAKEADMIN00000000:x",
                ),
            ),
            Some(Scripted::Error {
                status,
                code,
                message,
            }) => (*status, error_xml(code, message)),
            Some(_) => (200, st.answer(&rec).1),
        };
        (scripted, answer, clock_offset, delay)
    };
    if let Some(delay) = delay {
        std::thread::sleep(delay);
    }
    let (status, body) = answer;
    let stream = reader.get_mut();
    match scripted {
        Some(Scripted::Hang) => {
            std::thread::sleep(Duration::from_secs(120));
        }
        Some(Scripted::Reset) => stream.cut(),
        Some(Scripted::Trickle { interval }) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
                body.len() + 100_000
            );
            let _ = stream.write_all(head.as_bytes());
            for b in body.bytes().chain(std::iter::repeat(b' ')).take(2_000) {
                if stream.write_all(&[b]).is_err() {
                    return false;
                }
                std::thread::sleep(interval);
            }
        }
        Some(Scripted::Endless { content_length }) => {
            let length = match content_length {
                Some(n) => format!("Content-Length: {n}\r\n"),
                None => "Transfer-Encoding: chunked\r\n".to_string(),
            };
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n{length}\r\n<GetSessionTokenResponse>");
            let _ = stream.write_all(head.as_bytes());
            let chunk = vec![b'x'; 64 * 1024];
            let framed = [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk.clone(),
                b"\r\n".to_vec(),
            ]
            .concat();
            // Bounded: at most 4 GiB, and it stops as soon as the client goes away.
            for _ in 0..65_536 {
                let piece = if content_length.is_some() {
                    &chunk
                } else {
                    &framed
                };
                if stream.write_all(piece).is_err() {
                    return false;
                }
            }
        }
        Some(Scripted::Truncate) => {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body.as_bytes()[..body.len() / 2]);
            stream.cut();
        }
        Some(Scripted::Raw {
            status,
            content_type,
            body,
        }) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
        _ => {
            let reason = if status == 200 { "OK" } else { "Error" };
            let date = http_date(now() as i64 + clock_offset);
            let out = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: text/xml\r\nDate: {date}\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            return stream
                .write_all(out.as_bytes())
                .and_then(|()| stream.flush())
                .is_ok();
        }
    }
    stream.finish();
    false
}

fn record(req: &Request) -> Recorded {
    let query = req.target.split_once('?').map_or("", |(_, q)| q);
    let params: BTreeMap<String, String> = if req.method == "GET" {
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    } else {
        form_urlencoded::parse(&req.body).into_owned().collect()
    };
    let scope = |i: usize| {
        req.headers.get("authorization").and_then(|a| {
            let cred = a.split("Credential=").nth(1)?;
            Some(cred.split(['/', ',']).nth(i)?.to_string())
        })
    };
    Recorded {
        action: params.get("Action").cloned().unwrap_or_default(),
        params,
        access_key_id: scope(0),
        region: scope(2),
        connection: 0,
        security_token: req.headers.get("x-amz-security-token").cloned(),
    }
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>00000000-0000-0000-0000-000000000000</RequestId>\n</ErrorResponse>\n",
        xml_escape(code),
        xml_escape(message)
    )
}

fn credentials_xml(
    action: &str,
    id: &str,
    secret: &str,
    token: &str,
    expiration: &str,
    role_arn: &str,
    assumed_role_id: &str,
) -> String {
    let creds = format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        xml_escape(id),
        xml_escape(secret),
        xml_escape(token),
        xml_escape(expiration)
    );
    let extra = if action == "AssumeRole" {
        format!(
            "<AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>",
            xml_escape(assumed_role_id),
            xml_escape(role_arn)
        )
    } else {
        String::new()
    };
    format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>{creds}{extra}</{action}Result><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></{action}Response>"
    )
}

fn denied(msg: &str) -> (u16, String) {
    (403, error_xml("AccessDenied", msg))
}

fn validation(msg: &str) -> (u16, String) {
    (400, error_xml("ValidationError", msg))
}

const INVALID_CODE: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code. ";
const BAD_SERIAL: &str = "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.";

fn valid_session_name(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

fn valid_serial(s: &str) -> bool {
    (9..=256).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c))
}

enum Caller {
    User(User),
    Session(Issued),
}

impl State {
    fn caller(&self, rec: &Recorded) -> Result<Caller, (u16, String)> {
        let invalid = || {
            (
                403,
                error_xml(
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.",
                ),
            )
        };
        if rec
            .access_key_id
            .as_deref()
            .is_some_and(|id| self.rejected_keys.contains(id))
        {
            return Err(invalid());
        }
        let id = rec.access_key_id.as_deref().ok_or_else(|| {
            (
                403,
                error_xml(
                    "MissingAuthenticationToken",
                    "Request is missing Authentication Token",
                ),
            )
        })?;
        if let Some(u) = self.users.iter().find(|u| u.access_key_id == id) {
            if rec.security_token.is_some() {
                return Err(invalid());
            }
            return Ok(Caller::User(u.clone()));
        }
        let issued = self.issued.get(id).ok_or_else(invalid)?;
        if rec.security_token.as_deref() != Some(issued.token.as_str()) {
            return Err(invalid());
        }
        if issued.expires <= now() {
            return Err((
                403,
                error_xml(
                    "ExpiredToken",
                    "The security token included in the request is expired",
                ),
            ));
        }
        Ok(Caller::Session(issued.clone()))
    }

    /// Checks SerialNumber + TokenCode for `user`; a code is accepted once, one window either side.
    fn check_mfa(&mut self, user: &User, serial: &str, code: &str) -> Result<(), (u16, String)> {
        if !valid_serial(serial) {
            return Err(validation(
                "1 validation error detected: Value at 'serialNumber' failed to satisfy constraint",
            ));
        }
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(validation("1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must have length less than or equal to 6"));
        }
        // The device IAM has enabled for this user under that serial (`setup` may have enrolled
        // a new one since the server started).
        let device = self
            .devices
            .get(serial)
            .filter(|d| d.user.as_deref() == Some(user.name.as_str()))
            .ok_or_else(|| denied(BAD_SERIAL))?;
        let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, device.seed.clone());
        let t = now();
        let ok = [t.saturating_sub(30), t, t + 30]
            .iter()
            .any(|at| totp.generate(*at) == code);
        if !ok
            || !self
                .used_codes
                .insert((serial.to_string(), code.to_string()))
        {
            return Err(denied(INVALID_CODE));
        }
        Ok(())
    }

    fn issue(
        &mut self,
        user: &str,
        duration: u64,
        mfa: bool,
        arn: String,
        user_id: String,
    ) -> (String, String, String, u64) {
        self.counter += 1;
        let id = format!("ASIAFAKE{:012}", self.counter);
        let secret = format!("tempSecret{:030}", self.counter);
        let token = format!("FwoGZXIvYXdzEFAKE//////////{:0100}", self.counter);
        let expires = now() + duration;
        self.issued.insert(
            id.clone(),
            Issued {
                user: user.to_string(),
                secret: secret.clone(),
                token: token.clone(),
                expires,
                mfa,
                arn,
                user_id,
            },
        );
        (id, secret, token, expires)
    }

    fn answer(&mut self, rec: &Recorded) -> (u16, String) {
        match self.try_answer(rec) {
            Ok(body) => (200, body),
            Err(e) => e,
        }
    }

    fn try_answer(&mut self, rec: &Recorded) -> Result<String, (u16, String)> {
        if rec.params.get("Version").map(String::as_str) == Some("2010-05-08") {
            return self.try_iam(rec);
        }
        if rec.params.get("Version").map(String::as_str) != Some("2011-06-15") {
            return Err((
                400,
                error_xml("InvalidAction", "Could not find operation for version"),
            ));
        }
        let p = &rec.params;
        let caller = self.caller(rec)?;
        let duration = |default: u64| -> Result<u64, (u16, String)> {
            match p.get("DurationSeconds") {
                None => Ok(default),
                Some(d) => d
                    .parse()
                    .map_err(|_| validation("DurationSeconds is not a number")),
            }
        };
        match rec.action.as_str() {
            "GetSessionToken" => {
                let user = match caller {
                    Caller::User(u) => u,
                    Caller::Session(_) => {
                        return Err(denied(
                            "Cannot call GetSessionToken with session credentials",
                        ))
                    }
                };
                let d = duration(43_200)?;
                if !(900..=129_600).contains(&d) {
                    return Err(validation("1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 129600"));
                }
                let mfa = match (p.get("SerialNumber"), p.get("TokenCode")) {
                    (Some(s), Some(c)) => {
                        self.check_mfa(&user, s, c)?;
                        true
                    }
                    (None, None) => false,
                    _ => return Err(validation("SerialNumber and TokenCode go together")),
                };
                let (id, secret, token, exp) = self.issue(
                    &user.access_key_id,
                    self.session_lifetime.map_or(d, |cap| d.min(cap)),
                    mfa,
                    user.arn(),
                    user.user_id(),
                );
                Ok(credentials_xml(
                    "GetSessionToken",
                    &id,
                    &secret,
                    &token,
                    &iso8601(exp),
                    "",
                    "",
                ))
            }
            "AssumeRole" => {
                let arn = p.get("RoleArn").cloned().unwrap_or_default();
                let name = p.get("RoleSessionName").cloned().unwrap_or_default();
                if arn.len() < 20 || !arn.starts_with("arn:aws:iam::") || !arn.contains(":role/") {
                    return Err(validation("1 validation error detected: Value at 'roleArn' failed to satisfy constraint"));
                }
                if !valid_session_name(&name) {
                    return Err(validation("1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"));
                }
                let d = duration(3600)?;
                if !(900..=43_200).contains(&d) {
                    return Err(validation("1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200"));
                }
                let (user_key, chained, mut mfa) = match &caller {
                    Caller::User(u) => (u.access_key_id.clone(), false, false),
                    Caller::Session(s) => (s.user.clone(), true, s.mfa),
                };
                if chained && d > 3600 {
                    return Err(validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."));
                }
                if let (Some(s), Some(c)) = (p.get("SerialNumber"), p.get("TokenCode")) {
                    let user = self
                        .users
                        .iter()
                        .find(|u| u.access_key_id == user_key)
                        .cloned();
                    let Some(user) = user else {
                        return Err(denied(BAD_SERIAL));
                    };
                    self.check_mfa(&user, s, c)?;
                    mfa = true;
                }
                let role = self.roles.get(&arn).cloned();
                let not_authorized = || {
                    denied(&format!("User: arn:aws:iam::{ACCOUNT}:user/x is not authorized to perform: sts:AssumeRole on resource: {arn}"))
                };
                let Some(role) = role else {
                    return Err(not_authorized());
                };
                if (role.require_mfa && !mfa)
                    || (!role.trusted.is_empty() && !role.trusted.contains(&user_key))
                {
                    return Err(not_authorized());
                }
                if role.external_id.as_deref() != p.get("ExternalId").map(String::as_str) {
                    return Err(not_authorized());
                }
                if d > u64::from(role.max_session) {
                    return Err(validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
                }
                let role_name = arn.rsplit('/').next().unwrap_or("role");
                let assumed = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{name}");
                let role_user_id = format!("{}:{name}", role.id());
                let (id, secret, token, exp) = self.issue(
                    &user_key,
                    self.role_lifetime.map_or(d, |cap| d.min(cap)),
                    mfa,
                    assumed.clone(),
                    role_user_id.clone(),
                );
                if chained {
                    self.chained.insert(id.clone());
                }
                Ok(credentials_xml(
                    "AssumeRole",
                    &id,
                    &secret,
                    &token,
                    &iso8601(exp),
                    &assumed,
                    &role_user_id,
                ))
            }
            "GetCallerIdentity" => {
                let (arn, user_id) = match caller {
                    Caller::User(u) => (u.arn(), u.user_id()),
                    Caller::Session(s) => (s.arn.clone(), s.user_id.clone()),
                };
                Ok(format!(
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                    xml_escape(&arn),
                    xml_escape(&user_id)
                ))
            }
            _ => Err((
                400,
                error_xml(
                    "InvalidAction",
                    "The action or operation requested is invalid.",
                ),
            )),
        }
    }
}

impl State {
    /// The access keys of IAM user `name` (one `User` per key).
    pub fn users_named(&self, name: &str) -> Vec<User> {
        self.users
            .iter()
            .filter(|u| u.name == name)
            .cloned()
            .collect()
    }
}

impl State {
    /// The IAM actions of MFA devices, signed with a user's long-term key or a session of it.
    fn try_iam(&mut self, rec: &Recorded) -> Result<String, (u16, String)> {
        let p = &rec.params;
        let caller = self.caller(rec)?;
        let caller_name = match &caller {
            Caller::User(u) => u.name.clone(),
            Caller::Session(s) => self
                .users
                .iter()
                .find(|u| u.access_key_id == s.user)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
        };
        let param = |k: &str| p.get(k).cloned().unwrap_or_default();
        let user = p.get("UserName").cloned().unwrap_or(caller_name);
        let iam_xml = |action: &str, result: &str| {
            format!(
                "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></{action}Response>"
            )
        };
        let no_entity = |what: &str| (404, error_xml("NoSuchEntity", what));
        if let Some((status, code)) = self.iam_failures.get(&rec.action) {
            return Err((*status, error_xml(code, "scripted failure")));
        }
        match rec.action.as_str() {
            "ListAccessKeys" => {
                let members: String = self
                    .users
                    .iter()
                    .filter(|u| u.name == user)
                    .map(|u| {
                        format!(
                            "<member><UserName>{}</UserName><AccessKeyId>{}</AccessKeyId><Status>Active</Status></member>",
                            xml_escape(&u.name),
                            xml_escape(&u.access_key_id)
                        )
                    })
                    .collect();
                Ok(iam_xml(
                    "ListAccessKeys",
                    &format!("<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>"),
                ))
            }
            "CreateAccessKey" => {
                let Some(owner) = self.users.iter().find(|u| u.name == user).cloned() else {
                    return Err(no_entity("The user cannot be found."));
                };
                if self.users.iter().filter(|u| u.name == user).count() >= 2 {
                    return Err((
                        409,
                        error_xml(
                            "LimitExceeded",
                            "Cannot exceed quota for AccessKeysPerUser: 2",
                        ),
                    ));
                }
                self.counter += 1;
                let n = 100 + self.counter as u32;
                let fresh = User::new(&owner.name, n);
                let key = User {
                    mfa_serial: owner.mfa_serial.clone(),
                    totp_secret: owner.totp_secret.clone(),
                    ..fresh
                };
                if self.reject_new_keys {
                    self.rejected_keys.insert(key.access_key_id.clone());
                }
                let answer = iam_xml(
                    "CreateAccessKey",
                    &format!(
                        "<AccessKey><UserName>{}</UserName><AccessKeyId>{}</AccessKeyId><Status>Active</Status><SecretAccessKey>{}</SecretAccessKey></AccessKey>",
                        xml_escape(&key.name),
                        xml_escape(&key.access_key_id),
                        xml_escape(&key.secret_access_key)
                    ),
                );
                self.users.push(key);
                Ok(answer)
            }
            "DeleteAccessKey" => {
                let id = param("AccessKeyId");
                let before = self.users.len();
                self.users
                    .retain(|u| !(u.name == user && u.access_key_id == id));
                if self.users.len() == before {
                    return Err(no_entity("The Access Key with id cannot be found."));
                }
                Ok(iam_xml("DeleteAccessKey", ""))
            }
            "ListMFADevices" => {
                let members: String = self
                    .devices
                    .iter()
                    .filter(|(_, d)| d.user.as_deref() == Some(user.as_str()))
                    .map(|(serial, _)| {
                        format!(
                            "<member><UserName>{}</UserName><SerialNumber>{}</SerialNumber><EnableDate>2026-01-01T00:00:00Z</EnableDate></member>",
                            xml_escape(&user),
                            xml_escape(serial)
                        )
                    })
                    .collect();
                Ok(iam_xml(
                    "ListMFADevices",
                    &format!("<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated>"),
                ))
            }
            "ListVirtualMFADevices" => {
                let want = p
                    .get("AssignmentStatus")
                    .map(String::as_str)
                    .unwrap_or("Any");
                let members: String = self
                    .devices
                    .iter()
                    .filter(|(serial, d)| {
                        serial.contains(":mfa/")
                            && match want {
                                "Assigned" => d.user.is_some(),
                                "Unassigned" => d.user.is_none(),
                                _ => true,
                            }
                    })
                    .map(|(serial, _)| {
                        format!(
                            "<member><SerialNumber>{}</SerialNumber></member>",
                            xml_escape(serial)
                        )
                    })
                    .collect();
                Ok(iam_xml(
                    "ListVirtualMFADevices",
                    &format!("<VirtualMFADevices>{members}</VirtualMFADevices><IsTruncated>false</IsTruncated>"),
                ))
            }
            "CreateVirtualMFADevice" => {
                let name = param("VirtualMFADeviceName");
                let serial = format!("arn:aws:iam::{ACCOUNT}:mfa/{name}");
                if self.devices.contains_key(&serial) {
                    return Err((
                        409,
                        error_xml(
                            "EntityAlreadyExists",
                            "MFADevice entity at the same path and name already exists.",
                        ),
                    ));
                }
                self.counter += 1;
                let seed = format!("virtual-seed-{name}-{:08}", self.counter).into_bytes();
                let base32 = match totp_rs::Secret::Raw(seed.clone()).to_encoded() {
                    totp_rs::Secret::Encoded(s) => s,
                    totp_rs::Secret::Raw(_) => String::new(),
                };
                self.devices
                    .insert(serial.clone(), Device { seed, user: None });
                Ok(iam_xml(
                    "CreateVirtualMFADevice",
                    &format!(
                        "<VirtualMFADevice><SerialNumber>{}</SerialNumber><Base32StringSeed>{}</Base32StringSeed><QRCodePNG>{}</QRCodePNG></VirtualMFADevice>",
                        xml_escape(&serial),
                        base64(base32.as_bytes()),
                        base64(b"not a PNG")
                    ),
                ))
            }
            "EnableMFADevice" => {
                let serial = param("SerialNumber");
                let (one, two) = (param("AuthenticationCode1"), param("AuthenticationCode2"));
                let device = self
                    .devices
                    .get_mut(&serial)
                    .ok_or_else(|| no_entity("MFA device not found"))?;
                let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, device.seed.clone());
                let t = now();
                // Two consecutive codes of a recent window.
                let ok = (0..4u64).any(|back| {
                    let at = t.saturating_sub(30 * back);
                    totp.generate(at) == one && totp.generate(at + 30) == two
                });
                if !ok {
                    return Err((
                        403,
                        error_xml(
                            "InvalidAuthenticationCode",
                            "Authentication code for device is not valid.",
                        ),
                    ));
                }
                device.user = Some(user);
                Ok(iam_xml("EnableMFADevice", ""))
            }
            "DeactivateMFADevice" => {
                let serial = param("SerialNumber");
                let device = self
                    .devices
                    .get_mut(&serial)
                    .ok_or_else(|| no_entity("MFA device not found"))?;
                device.user = None;
                Ok(iam_xml("DeactivateMFADevice", ""))
            }
            "DeleteVirtualMFADevice" => {
                let serial = param("SerialNumber");
                match self.devices.get(&serial) {
                    None => Err(no_entity("VirtualMFADevice not found")),
                    Some(d) if d.user.is_some() => Err((
                        409,
                        error_xml("DeleteConflict", "MFA device is still in use"),
                    )),
                    Some(_) => {
                        self.devices.remove(&serial);
                        Ok(iam_xml("DeleteVirtualMFADevice", ""))
                    }
                }
            }
            _ => Err((
                400,
                error_xml(
                    "InvalidAction",
                    "The action or operation requested is invalid.",
                ),
            )),
        }
    }
}

/// Standard base64 with padding (IAM's blobs in XML).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl FakeSts {
    /// The codes an authenticator shows now for each MFA device: (serial, enabled, current code,
    /// next code).
    pub fn device_codes(&self) -> Vec<(String, bool, String, String)> {
        let t = now();
        self.state()
            .devices
            .iter()
            .map(|(serial, d)| {
                let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, d.seed.clone());
                (
                    serial.clone(),
                    d.user.is_some(),
                    totp.generate(t),
                    totp.generate(t + 30),
                )
            })
            .collect()
    }
}

impl FakeSts {
    /// Every secret and token this server handed out or knows (for leak checks).
    pub fn secrets(&self) -> Vec<String> {
        let st = self.state();
        let mut out: Vec<String> = st
            .users
            .iter()
            .map(|u| u.secret_access_key.clone())
            .collect();
        for i in st.issued.values() {
            out.push(i.secret.clone());
            out.push(i.token.clone());
        }
        out.extend(st.oauth.secrets());
        out
    }
}

impl FakeSts {
    /// The secret and session token this server issued with `access_key_id`.
    pub fn session_of(&self, access_key_id: &str) -> Option<(String, String)> {
        let st = self.state();
        st.issued
            .get(access_key_id)
            .map(|i| (i.secret.clone(), i.token.clone()))
    }

    /// The ARN of whoever this server issued `access_key_id` to (a user, or an assumed role).
    pub fn arn_of(&self, access_key_id: &str) -> Option<String> {
        self.state()
            .issued
            .get(access_key_id)
            .map(|i| i.arn.clone())
    }

    /// Forgets every session it issued, as if AWS had revoked them.
    pub fn revoke_sessions(&self) {
        self.state().issued.clear();
    }
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn base64_as_the_standard_has_it() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn http_dates() {
        assert_eq!(super::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            super::http_date(1_795_481_100),
            "Tue, 24 Nov 2026 00:45:00 GMT"
        );
        assert_eq!(
            super::http_date(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
    }
}
