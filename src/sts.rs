//! GetSessionToken / AssumeRole against the endpoint the SDK's rules pick, with bounded
//! timeouts and retries, and STS errors mapped to plain words.

use std::time::Duration;

use aws_sdk_sts::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeDeserializationInterceptorContextRef,
};
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region, SharedCredentialsProvider};
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sts::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_smithy_types::body::SdkBody;
use zeroize::Zeroizing;

use crate::error::{fail, mask_key, sanitize_line, Exit};

/// Temporary credentials from STS.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
    pub session_token: Zeroizing<String>,
    /// Unix seconds.
    pub expiration: i64,
    /// The assumed-role ARN, or the MFA device for a session token.
    pub identity: String,
}

/// One role to assume, from a profile with `role_arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub duration: Option<u32>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credentials({}, expires {})",
            mask_key(&self.access_key_id),
            self.expiration
        )
    }
}

impl Credentials {
    pub fn expiration_rfc3339(&self) -> String {
        rfc3339(self.expiration)
    }

    pub fn seconds_left(&self) -> i64 {
        self.expiration - now()
    }
}

/// The AWS partition a region belongs to (credentials never cross partitions).
pub fn partition(region: Option<&str>) -> &'static str {
    let region = region.unwrap_or("");
    const PREFIXES: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `2026-11-23T22:00:00Z`: whole seconds, UTC, as botocore and starship read it.
pub fn rfc3339(unix: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// What signs a call: long-term keys, or the session from GetSessionToken.
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
}

/// Limits that bound every call: see README "Timeouts".
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub attempt: Duration,
}

impl Limits {
    /// `MFA_ENV_TIMEOUT` (seconds, default 10) bounds one attempt; connecting gets at most 3 s;
    /// 3 attempts; the whole call at most 2.5 times the attempt limit.
    pub fn from_env() -> anyhow::Result<Self> {
        let attempt = crate::settings::timeout()?;
        Ok(Limits { attempt })
    }

    pub(crate) fn connect(self) -> Duration {
        self.attempt.min(Duration::from_secs(3))
    }

    pub(crate) fn attempt(self) -> Duration {
        self.attempt
    }

    pub(crate) fn total(self) -> Duration {
        self.attempt.mul_f64(2.5)
    }

    /// The timeouts of every AWS call (STS and IAM alike).
    pub(crate) fn timeouts(self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect())
            .read_timeout(self.attempt)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.total())
            .build()
    }

    /// The retries of every AWS call: 3 attempts, backing off from 200 ms to 2 s.
    pub(crate) fn retries(self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(2))
    }
}

/// The credentials that sign a call, for an SDK client's config.
pub(crate) fn credentials_provider(signer: &Signer<'_>) -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(aws_sdk_sts::config::Credentials::new(
        signer.access_key_id,
        signer.secret_access_key,
        signer.session_token.map(str::to_string),
        None,
        "mfa-env",
    ))
}

/// STS answers are a few kilobytes; the SDK buffers the whole body before parsing it, so a
/// hostile or broken endpoint streaming without end would otherwise grow memory until the
/// timeout. Bodies beyond this are cut off and the answer reported as unusable.
pub const MAX_ANSWER: usize = 1 << 20;
const TOO_LARGE: &str = "the answer is larger than";

#[derive(Debug)]
pub(crate) struct AnswerLimit;

impl Intercept for AnswerLimit {
    fn name(&self) -> &'static str {
        "mfa-env answer size limit"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = std::mem::replace(context.response_mut().body_mut(), SdkBody::taken());
        if body.content_length().is_some_and(|n| n > MAX_ANSWER as u64) {
            return Err(format!("{TOO_LARGE} {MAX_ANSWER} bytes").into());
        }
        *context.response_mut().body_mut() =
            SdkBody::from_body_1_x(http_body_util::Limited::new(body, MAX_ANSWER));
        Ok(())
    }
}

/// Keeps the `Date` header of the last answer: the server's clock, for `doctor`.
#[derive(Debug, Clone, Default)]
struct ServerDate(std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "mfa-env server date"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(date) = context.response().headers().get("date") {
            if let Ok(mut seen) = self.0.lock() {
                *seen = Some(date.to_string());
            }
        }
        Ok(())
    }
}

/// Unix seconds of an HTTP date (`Tue, 24 Nov 2026 00:45:00 GMT`).
pub fn parse_http_date(text: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

pub struct Sts {
    client: aws_sdk_sts::Client,
    date: ServerDate,
    endpoint: String,
    /// Signed with temporary (session) credentials rather than long-term keys.
    session: bool,
}

/// STS's default region when none is configured: the global partition's home.
const FALLBACK_REGION: &str = "us-east-1";

/// The CA certificates of a `ca_bundle` / `AWS_CA_BUNDLE` file as the TLS context that trusts
/// them alone, checked to be usable as trust anchors first (the HTTP client would abort on a bad
/// one).
#[derive(Clone)]
pub struct CaBundle {
    context: aws_smithy_http_client::tls::TlsContext,
}

impl CaBundle {
    pub fn load(path: &str) -> anyhow::Result<CaBundle> {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let bad = |why: String| fail(Exit::Config, format!("CA bundle {path}: {why}"));
        let pem = std::fs::read(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("not a PEM file of certificates ({e})")))?;
        if certs.is_empty() {
            return Err(bad("holds no PEM certificate".to_string()));
        }
        let mut roots = rustls::RootCertStore::empty();
        for (i, cert) in certs.into_iter().enumerate() {
            roots
                .add(cert)
                .map_err(|e| bad(format!("certificate {} is unusable: {e}", i + 1)))?;
        }
        let trust = aws_smithy_http_client::tls::TrustStore::empty().with_pem_certificate(pem);
        let context = aws_smithy_http_client::tls::TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .map_err(|e| bad(format!("cannot be used for TLS: {e}")))?;
        crate::debug!("trusting only the {} CA(s) in {path}", roots.len());
        Ok(CaBundle { context })
    }
}

/// The HTTPS client: what the SDK's `default-https-client` builds (hyper 1, rustls, the system's
/// root certificates, `HTTPS_PROXY`/`NO_PROXY` from the environment), with ring as rustls' crypto
/// provider, and a CA bundle in place of the system's roots when one is configured. Building it
/// here lets the binary carry one HTTP stack and one crypto library: the SDK's default features
/// add a second (legacy) stack and aws-lc, whose start-up code runs on every invocation, cache
/// hits included.
fn https_client(ca_bundle: Option<&CaBundle>) -> aws_sdk_sts::config::SharedHttpClient {
    let ca_bundle = ca_bundle.cloned();
    aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        https_connector(
            ca_bundle.as_ref(),
            settings.cloned(),
            components.and_then(|c| c.sleep_impl()),
        )
    })
}

/// The HTTPS connector of `https_client`, also for plain requests outside the SDK (the
/// Sign-In service's federation endpoint): the same TLS, roots, CA bundle and proxy rules.
pub(crate) fn https_connector(
    ca_bundle: Option<&CaBundle>,
    settings: Option<aws_smithy_runtime_api::client::http::HttpConnectorSettings>,
    sleep: Option<aws_smithy_async::rt::sleep::SharedAsyncSleep>,
) -> aws_smithy_http_client::Connector {
    use aws_smithy_http_client::{proxy::ProxyConfig, tls, ConnectorBuilder};
    let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
        tls::rustls_provider::CryptoMode::Ring,
    ));
    if let Some(bundle) = ca_bundle {
        conn.set_tls_context(bundle.context.clone());
    }
    conn.set_connector_settings(settings);
    conn.set_sleep_impl(sleep);
    conn.set_proxy_config(Some(ProxyConfig::from_env()));
    conn.build()
}

/// Where the calls of a run go: the configured endpoint, else the region's.
pub fn endpoint(region: Option<&str>, endpoint_url: Option<&str>) -> String {
    match endpoint_url {
        Some(url) => url.to_string(),
        None => format!(
            "https://sts.{}.amazonaws.com",
            region.unwrap_or(FALLBACK_REGION)
        ),
    }
}

/// The one HTTP client of a run, shared by every STS call in it, so that calls made one after
/// another (GetSessionToken, then AssumeRole for each role of a chain) reuse one connection:
/// one TCP and one TLS handshake instead of one per call.
pub fn http_client(
    endpoint: &str,
    ca_bundle: Option<&CaBundle>,
) -> aws_sdk_sts::config::SharedHttpClient {
    if endpoint.starts_with("http://") {
        // A plain-HTTP endpoint (a local STS) needs no TLS stack: skip loading the system's
        // root certificates, which costs more than the call itself.
        aws_smithy_http_client::Builder::new().build_http()
    } else {
        https_client(ca_bundle)
    }
}

impl Sts {
    pub fn new(
        signer: &Signer<'_>,
        region: Option<&str>,
        endpoint_url: Option<&str>,
        http: &aws_sdk_sts::config::SharedHttpClient,
        limits: Limits,
    ) -> Self {
        let endpoint = endpoint(region, endpoint_url);
        let region = region.unwrap_or(FALLBACK_REGION).to_string();
        let date = ServerDate::default();
        let mut builder = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .credentials_provider(credentials_provider(signer))
            .timeout_config(limits.timeouts())
            .retry_config(limits.retries())
            .interceptor(AnswerLimit)
            .interceptor(date.clone());
        if let Some(url) = endpoint_url {
            builder = builder.endpoint_url(url);
        }
        builder = builder.http_client(http.clone());
        Sts {
            client: aws_sdk_sts::Client::from_conf(builder.build()),
            date,
            endpoint,
            session: signer.session_token.is_some(),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The server's clock, from the `Date` header of its last answer (Unix seconds).
    pub fn server_date(&self) -> Option<i64> {
        let seen = self.date.0.lock().ok()?.clone()?;
        parse_http_date(&seen)
    }

    pub async fn get_session_token(
        &self,
        serial: &str,
        code: &str,
        duration: u32,
    ) -> Result<Credentials, StsError> {
        let out = self
            .client
            .get_session_token()
            .serial_number(serial)
            .token_code(code)
            .duration_seconds(duration as i32)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        let creds = out
            .credentials
            .ok_or_else(|| self.malformed("the answer has no Credentials"))?;
        self.convert(creds, serial.to_string())
    }

    /// GetCallerIdentity: the ARN of whoever signs (it needs no permission, and works
    /// without MFA).
    pub async fn caller_arn(&self) -> Result<String, StsError> {
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        out.arn
            .filter(|a| !a.is_empty())
            .ok_or_else(|| self.malformed("the answer has no Arn"))
    }

    /// AssumeRole, with the MFA code when the caller's keys are long-term (direct path).
    pub async fn assume_role(
        &self,
        role: &RoleSpec,
        session_name: &str,
        mfa: Option<(&str, &str)>,
        duration: u32,
    ) -> Result<Credentials, StsError> {
        let mut req = self
            .client
            .assume_role()
            .role_arn(&role.role_arn)
            .role_session_name(session_name)
            .duration_seconds(duration as i32)
            .set_external_id(role.external_id.clone());
        if let Some((serial, code)) = mfa {
            req = req.serial_number(serial).token_code(code);
        }
        let out = req.send().await.map_err(|e| self.classify(e))?;
        let identity = out
            .assumed_role_user
            .map(|u| u.arn)
            .unwrap_or_else(|| role.role_arn.clone());
        let creds = out
            .credentials
            .ok_or_else(|| self.malformed("the answer has no Credentials"))?;
        self.convert(creds, identity)
    }

    fn convert(
        &self,
        c: aws_sdk_sts::types::Credentials,
        identity: String,
    ) -> Result<Credentials, StsError> {
        if c.access_key_id.is_empty()
            || c.secret_access_key.is_empty()
            || c.session_token.is_empty()
        {
            return Err(self.malformed("the answer has empty credentials"));
        }
        let expiration = c.expiration.secs();
        if expiration <= now() {
            return Err(self.malformed(&format!(
                "the credentials it returned expired already ({}); check the clock of this machine",
                rfc3339(expiration)
            )));
        }
        Ok(Credentials {
            access_key_id: c.access_key_id,
            secret_access_key: Zeroizing::new(c.secret_access_key),
            session_token: Zeroizing::new(c.session_token),
            expiration,
            identity,
        })
    }

    fn malformed(&self, what: &str) -> StsError {
        StsError::Malformed {
            endpoint: self.endpoint.clone(),
            detail: what.to_string(),
        }
    }

    fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        err: SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
    ) -> StsError {
        classify(&self.endpoint, "STS", self.session, err)
    }
}

/// An SDK error of a call to `service` (STS, IAM) at `endpoint`, in plain words. `session`: the
/// call was signed with session credentials, not long-term keys.
pub(crate) fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    endpoint: &str,
    service: &'static str,
    session: bool,
    err: SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
) -> StsError {
    let endpoint = endpoint.to_string();
    {
        match err {
            SdkError::TimeoutError(_) => StsError::Timeout { endpoint, service },
            SdkError::DispatchFailure(d) => {
                if d.is_timeout() {
                    StsError::Timeout { endpoint, service }
                } else {
                    let chain = d
                        .as_connector_error()
                        .map(|c| source_chain(c))
                        .unwrap_or_else(|| "connection failed".to_string());
                    StsError::Unreachable {
                        endpoint,
                        detail: unreachable_detail(&chain, service),
                    }
                }
            }
            SdkError::ResponseError(ref r) => {
                let chain = source_chain(&err);
                let too_large =
                    chain.contains(TOO_LARGE) || chain.contains("length limit exceeded");
                StsError::Malformed {
                    detail: if too_large {
                        format!("{TOO_LARGE} {MAX_ANSWER} bytes")
                    } else {
                        format!("HTTP {}: {chain}", r.raw().status().as_u16())
                    },
                    endpoint,
                }
            }
            SdkError::ServiceError(se) => {
                let status = se.raw().status().as_u16();
                let body = se
                    .raw()
                    .body()
                    .bytes()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                // Some servers (moto's auth layer) wrap errors as
                // <ErrorResponse><Errors><Error>, which the SDK cannot read: read them here.
                let code = se
                    .err()
                    .code()
                    .map(str::to_string)
                    .or_else(|| xml_tag(&body, "Code"));
                let message = se
                    .err()
                    .message()
                    .map(str::to_string)
                    .or_else(|| xml_tag(&body, "Message"))
                    .unwrap_or_default();
                if (200..300).contains(&status) {
                    return StsError::Malformed {
                        endpoint,
                        detail: format!(
                            "HTTP {status} with a body that is not an {service} answer"
                        ),
                    };
                }
                from_code(endpoint, service, status, code, &message, session)
            }
            other => StsError::Other {
                endpoint,
                detail: sanitize_line(&source_chain(&other), 300),
            },
        }
    }
}

/// A connection failure in plain words, with what to check: hyper's chain ("client error
/// (Connect): tcp connect error: Connection refused (os error 111)") says what, not why.
fn unreachable_detail(chain: &str, service: &str) -> String {
    if chain.contains("invalid peer certificate") {
        return format!("{chain}{UNTRUSTED_HINT}");
    }
    let lower = chain.to_lowercase();
    let what = if lower.contains("connection refused") {
        "the connection was refused (nothing listens there)"
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        "its name does not resolve (DNS)"
    } else if lower.contains("network is unreachable") || lower.contains("no route to host") {
        "no route to it"
    } else {
        chain
    };
    format!(
        "{what}; check the network or VPN, and the endpoint (AWS_ENDPOINT_URL_{service}, the \
         profile's endpoint_url or region)"
    )
}

/// Said after a certificate the system's roots do not vouch for: the usual cause is a proxy that
/// inspects TLS with its own CA.
const UNTRUSTED_HINT: &str = " (if a proxy on this network inspects TLS, set AWS_CA_BUNDLE, the \
     profile's ca_bundle or SSL_CERT_FILE to a PEM file with its CA)";

pub(crate) fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    sanitize_line(&parts.join(": "), 300)
}

/// The text of the first `<tag>…</tag>` in an XML body, entity-decoded for the basic five.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&close)?;
    let text = body[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(text)
}

/// `session`: the request was signed with session credentials, not long-term keys.
fn from_code(
    endpoint: String,
    service: &'static str,
    status: u16,
    code: Option<String>,
    message: &str,
    session: bool,
) -> StsError {
    let message = sanitize_line(message, 300);
    let lower = message.to_lowercase();
    match code.as_deref() {
        Some("AccessDenied")
            if lower.contains("unable to validate mfa code") || lower.contains("serial number") =>
        {
            StsError::BadSerial
        }
        Some("AccessDenied") if lower.contains("multifactorauthentication failed") => {
            StsError::InvalidCode
        }
        Some(
            "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
            | "AuthFailure",
        ) => StsError::InvalidKeys {
            code: code.unwrap_or_default(),
            session,
        },
        Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => StsError::Expired,
        Some(
            "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException",
        ) => StsError::Throttled { endpoint },
        Some("AccessDenied" | "AccessDeniedException" | "RegionDisabledException") => {
            StsError::Denied { message }
        }
        Some("ValidationError" | "InvalidParameterValue" | "MalformedPolicyDocument") => {
            StsError::Invalid { service, message }
        }
        Some(code) => StsError::Http {
            endpoint,
            status,
            detail: format!("{} {message}", sanitize_line(code, 80))
                .trim()
                .to_string(),
        },
        None => StsError::Http {
            endpoint,
            status,
            detail: if message.is_empty() {
                "no error code or message in the answer".to_string()
            } else {
                message
            },
        },
    }
}

/// STS failures, each with what the user should do.
#[derive(Debug, thiserror::Error)]
pub enum StsError {
    #[error("the MFA code was rejected: it is wrong, expired, or was already used (each code works once)")]
    InvalidCode,
    #[error("AWS could not validate the MFA code against this device: check that mfa_serial is the ARN of an MFA device of the IAM user whose keys the profile holds")]
    BadSerial,
    #[error("{}", invalid_keys(code, *session))]
    InvalidKeys { code: String, session: bool },
    #[error(
        "the credentials used to sign the request have expired; run again to start a new session"
    )]
    Expired,
    #[error("access denied: {message}")]
    Denied { message: String },
    #[error("{service} refused the request: {message}")]
    Invalid {
        service: &'static str,
        message: String,
    },
    #[error("{endpoint} is throttling requests (rate exceeded) after 3 tries; wait a moment and try again")]
    Throttled { endpoint: String },
    #[error("no answer from {endpoint} in time; check the network or VPN and the endpoint (AWS_ENDPOINT_URL_{service}, the profile's endpoint_url or region), or raise MFA_ENV_TIMEOUT")]
    Timeout {
        endpoint: String,
        service: &'static str,
    },
    #[error("cannot reach {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error("unusable answer from {endpoint}: {detail}")]
    Malformed { endpoint: String, detail: String },
    #[error("{endpoint} answered HTTP {status}: {detail}")]
    Http {
        endpoint: String,
        status: u16,
        detail: String,
    },
    #[error("calling {endpoint} failed: {detail}")]
    Other { endpoint: String, detail: String },
}

fn invalid_keys(code: &str, session: bool) -> String {
    if session {
        format!(
            "STS rejected the MFA session credentials ({code}) used to assume the role; \
             run again with --refresh-mfa (or mfa-env logout) to start a new MFA session"
        )
    } else {
        format!(
            "AWS rejected the long-term keys ({code}): they are invalid, deactivated or deleted; \
             check the keys of the profile (`mfa-env doctor` names where they come from)"
        )
    }
}

impl StsError {
    pub fn exit(&self) -> Exit {
        match self {
            StsError::InvalidCode | StsError::BadSerial => Exit::Mfa,
            StsError::InvalidKeys { .. }
            | StsError::Expired
            | StsError::Denied { .. }
            | StsError::Invalid { .. } => Exit::Denied,
            StsError::Http { status, .. } if (400..500).contains(status) && *status != 429 => {
                Exit::Denied
            }
            StsError::Throttled { .. }
            | StsError::Timeout { .. }
            | StsError::Unreachable { .. }
            | StsError::Malformed { .. }
            | StsError::Http { .. }
            | StsError::Other { .. } => Exit::Network,
        }
    }

    pub fn into_failure(self) -> anyhow::Error {
        fail(self.exit(), self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(code: &str, msg: &str) -> StsError {
        from_code("http://x".into(), "STS", 403, Some(code.into()), msg, false)
    }

    #[test]
    fn maps_sts_error_texts() {
        assert!(matches!(
            classify(
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code."
            ),
            StsError::InvalidCode
        ));
        assert!(matches!(
            classify("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user."),
            StsError::BadSerial
        ));
        assert!(matches!(
            classify("InvalidClientTokenId", "x"),
            StsError::InvalidKeys { .. }
        ));
        assert!(matches!(classify("ExpiredToken", "x"), StsError::Expired));
        assert!(matches!(
            classify("Throttling", "Rate exceeded"),
            StsError::Throttled { .. }
        ));
        assert!(matches!(
            classify("AccessDenied", "not authorized"),
            StsError::Denied { .. }
        ));
        let none = from_code("http://x".into(), "STS", 403, None, "", false);
        assert!(none.to_string().contains("HTTP 403"), "{none}");
        assert!(!none.to_string().contains("unknown"));
    }

    #[test]
    fn reads_wrapped_error_bodies() {
        let body = "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token &amp; stuff</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            xml_tag(body, "Code").as_deref(),
            Some("InvalidClientTokenId")
        );
        assert_eq!(
            xml_tag(body, "Message").as_deref(),
            Some("The security token & stuff")
        );
    }

    #[test]
    fn parses_http_dates() {
        assert_eq!(
            parse_http_date("Tue, 24 Nov 2026 00:45:00 GMT"),
            Some(1_795_481_100)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(1_800_000_000), "2027-01-15T08:00:00Z");
    }
}
