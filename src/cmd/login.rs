//! `mfa-env login [PROFILE] [--remote]`: a session from AWS Sign-In, so that a user whose MFA
//! is a passkey or a security key (which STS's GetSessionToken cannot take) gets what a code
//! gives: exports, exec, the countdown shell, the credentials endpoint, roles on top.
//!
//! The flow the AWS CLI's `aws login` uses (OAuth 2.0 with PKCE): the browser signs in at the
//! Sign-In service's authorization page and comes back to a one-time listener on 127.0.0.1 with
//! a code (`--remote`: the page shows a code to paste here instead), which is exchanged, with a
//! DPoP proof of a new P-256 key, for credentials and a refresh token. The session is cached
//! where the AWS CLI and the SDKs read it; `login_session` goes into the profile after the user
//! has seen the change.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::auth::default_profile;
use crate::cli::LoginArgs;
use crate::config_edit;
use crate::error::{fail, sanitize_line, Exit};
use crate::login::dpop::{self, Key};
use crate::login::oauth::{self, Grant, TokenError};
use crate::profile::Profiles;
use crate::sts::{CaBundle, Limits};

/// The Sign-In service's public clients for developer tools.
pub const SAME_DEVICE: &str = "arn:aws:signin:::devtools/same-device";
pub const CROSS_DEVICE: &str = "arn:aws:signin:::devtools/cross-device";

pub fn run(args: &LoginArgs) -> anyhow::Result<i32> {
    let name = default_profile(args.profile_arg());
    let profiles = Profiles::load()?;
    let target = profiles.login_target(&name)?;
    if let Some(what) = target.conflict {
        // A role on a login profile: the sign-in is its source's.
        if let Some(source) = profiles
            .resolve(&name)
            .ok()
            .filter(|r| r.is_role() && matches!(r.source, crate::profile::Source::Login(_)))
            .map(|r| r.source_profile)
        {
            return Err(fail(
                Exit::Config,
                format!(
                    "profile '{name}' is a role on the AWS Sign-In session of '{source}': sign \
                     in there, `mfa-env login {}`",
                    crate::shell::hint::arg(&source)
                ),
            ));
        }
        return Err(fail(
            Exit::Config,
            format!(
                "profile '{name}' gets its credentials from {what}; a login_session in it would \
                 take their place in every SDK: sign in under a profile of its own, such as \
                 `mfa-env login {}` (a role can name it as its source_profile)",
                crate::shell::hint::arg(&format!("{name}-signin"))
            ),
        ));
    }
    if let Some(region) = &args.region {
        crate::profile::validate_region(region, &name)?;
    }
    // The profile is written after the user says yes: ask whether they can before the sign-in,
    // not after it.
    if !args.yes && target.login_session.is_none() && !crate::tty::available() {
        return Err(fail(
            Exit::Config,
            format!(
                "login shows the line it adds to profile '{name}' and asks before writing it, \
                 and there is no terminal to ask on: pass --yes, or run it in a terminal"
            ),
        ));
    }
    let region = args.region.clone().or_else(|| target.region.clone());
    let base = crate::signin::oauth_base(region.as_deref(), target.signin_endpoint_url.as_deref())?;
    let ca = target
        .ca_bundle
        .as_deref()
        .map(CaBundle::load)
        .transpose()?;
    let limits = Limits::from_env()?;
    let (verifier, challenge) = dpop::pkce()?;
    let state = dpop::uuid()?;
    let wait = crate::settings::wait(crate::settings::LOGIN_TIMEOUT)?;
    let (client_id, redirect_uri, code) = if args.remote {
        remote(&base, &challenge, &state, &name)?
    } else {
        same_device(&base, &challenge, &state, &name, wait)?
    };

    let key = Key::generate()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(Exit::Other, format!("cannot start the async runtime: {e}")))?;
    let issued = rt.block_on(oauth::create_token(
        &base,
        client_id,
        Grant::Code {
            code: &code,
            verifier: &verifier,
            redirect_uri: &redirect_uri,
        },
        &key,
        ca.as_ref(),
        limits,
    ));
    let issued = match issued {
        Ok(issued) => issued,
        Err(TokenError::Refused(r)) => {
            let again = match r.code.as_str() {
                "AUTHCODE_EXPIRED" => format!(
                    ": run `mfa-env login {}` again and finish within a few minutes",
                    crate::shell::hint::arg(&name)
                ),
                "INVALID_REQUEST" if args.remote => format!(
                    " (a code mistyped, or already used): run `mfa-env login --remote {}` again \
                     and paste the whole code its page shows",
                    crate::shell::hint::arg(&name)
                ),
                _ => String::new(),
            };
            return Err(fail(
                Exit::Denied,
                format!(
                    "{}{again}",
                    r.describe(&format!("{base}{}", oauth::TOKEN_PATH))
                ),
            ));
        }
        Err(TokenError::Other(e)) => return Err(e),
    };
    // Who signed in: the ID token's subject, as the AWS CLI reads it.
    let session = issued
        .subject()
        .filter(|s| s.starts_with("arn:") && s.len() < 2048 && !s.chars().any(char::is_control))
        .ok_or_else(|| {
            fail(
                Exit::Network,
                format!(
                    "the Sign-In service at {base} did not say who signed in (no usable ID \
                     token): nothing saved"
                ),
            )
        })?;
    let lifetime = issued.expires_in();
    let token = crate::login::Token::new(
        &session,
        issued,
        client_id,
        key.to_pem()?,
        crate::sts::now(),
    );
    crate::login::write(&session, &token)?;
    drop(token);
    eprintln!(
        "mfa-env: signed in as {session}; its credentials last {} at a time and are renewed \
         without the browser until the sign-in ends",
        crate::duration::human(u32::try_from(lifetime).unwrap_or(u32::MAX))
    );

    // The profile names the session (and the region, when one was given for a profile with
    // none), after the user has seen the change.
    if let Some(old) = target.login_session.as_deref().filter(|o| *o != session) {
        eprintln!("mfa-env: profile '{name}' named the session of {old} until now");
    }
    let mut keys = vec![("login_session", session.clone())];
    if let (Some(region), None) = (&args.region, &target.region) {
        keys.push(("region", region.clone()));
    }
    let rerun = format!("mfa-env login {}", crate::shell::hint::arg(&name));
    let outcome = config_edit::propose(&[(name.clone(), keys)], args.yes, &rerun).map_err(|e| {
        fail(
            Exit::Config,
            format!(
                "{}; the session is saved: add `login_session = {session}` to [profile {name}] \
                 yourself, or run `{rerun} --yes`",
                crate::one_line(&e)
            ),
        )
    })?;
    let path = crate::profile::config_file_path();
    let try_it = crate::shell::hint::apply(crate::shell::detect(), Some(&name));
    match outcome {
        config_edit::Outcome::Unchanged => eprintln!(
            "mfa-env: {} already names this session; try it: {try_it}",
            path.display()
        ),
        config_edit::Outcome::Declined => eprintln!(
            "mfa-env: nothing written; the session is saved: add `login_session = {session}` to \
             [profile {name}] yourself to use it"
        ),
        config_edit::Outcome::Written => {
            eprintln!("mfa-env: wrote {}; try it: {try_it}", path.display())
        }
    }
    Ok(0)
}

/// The authorization page's URL, as the AWS CLI asks it (its parameter order; the method
/// named `SHA-256`).
pub fn authorize_url(
    base: &str,
    client_id: &str,
    state: &str,
    challenge: &str,
    redirect_uri: &str,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("state", state)
        .append_pair("code_challenge_method", "SHA-256")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_challenge", challenge)
        .finish();
    format!("{}/v1/authorize?{query}", base.trim_end_matches('/'))
}

/// The browser on this machine: it comes back to a one-time listener on 127.0.0.1.
fn same_device(
    base: &str,
    challenge: &str,
    state: &str,
    profile: &str,
    wait: Duration,
) -> anyhow::Result<(&'static str, String, Zeroizing<String>)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| {
        fail(
            Exit::Other,
            format!("cannot open a local address for the browser to come back to: {e}"),
        )
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| fail(Exit::Other, format!("cannot read the local port: {e}")))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/oauth/callback");
    let url = authorize_url(base, SAME_DEVICE, state, challenge, &redirect_uri);
    eprintln!(
        "mfa-env: sign in to AWS in the browser (with your passkey, security key or code). If it \
         does not open, open this URL on this machine:\n\n  {url}\n\n(no browser here? `mfa-env \
         login --remote {}`)",
        crate::shell::hint::arg(profile)
    );
    eprintln!(
        "mfa-env: waiting for the sign-in (up to {}; Ctrl-C to stop)…",
        crate::duration::human(u32::try_from(wait.as_secs()).unwrap_or(u32::MAX))
    );
    listener
        .set_nonblocking(true)
        .map_err(|e| fail(Exit::Other, format!("cannot wait for the browser: {e}")))?;
    // The browser is started beside the wait, not before it: a browser that never asks for
    // the page must not keep the callback from being answered (the user may open the URL
    // by hand meanwhile).
    let mut browser = match crate::browser::Launch::start(&url) {
        Ok(launch) => Some(launch),
        Err(e) => {
            crate::debug!("no browser: {}", crate::one_line(&e));
            None
        }
    };
    let deadline = Instant::now() + wait;
    loop {
        if let Some(launch) = browser.as_mut() {
            match launch.poll() {
                Ok(crate::browser::Poll::Waiting) => {}
                Ok(crate::browser::Poll::Fetched) => {
                    crate::debug!("the browser opened the authorization page");
                    browser = None;
                }
                Ok(crate::browser::Poll::NoBrowser) | Err(_) => {
                    eprintln!(
                        "mfa-env: no browser could be started (BROWSER, the system's opener): \
                         open the URL above yourself"
                    );
                    browser = None;
                }
            }
        }
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(code) = callback(stream, state)? {
                    return Ok((SAME_DEVICE, redirect_uri, code));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => {
                return Err(fail(
                    Exit::Other,
                    format!("cannot wait for the browser: {e}"),
                ))
            }
        }
        if Instant::now() > deadline {
            return Err(fail(
                Exit::Mfa,
                format!(
                    "no sign-in came back within {}: run `mfa-env login {}` again (raise \
                     MFA_ENV_LOGIN_TIMEOUT for more time)",
                    crate::duration::human(u32::try_from(wait.as_secs()).unwrap_or(u32::MAX)),
                    crate::shell::hint::arg(profile)
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One request to the listener: the code when it is the callback of this sign-in; an error
/// when the Sign-In service said the sign-in failed; None for anything else (answered, ignored).
fn callback(mut stream: TcpStream, state: &str) -> anyhow::Result<Option<Zeroizing<String>>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut head = Zeroizing::new(Vec::with_capacity(2048));
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.split(' ');
    let (method, target) = (words.next(), words.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let reply = |stream: &mut TcpStream, status: &str, title: &str, said: &str| {
        let body = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1 id=\"title\">{title}</h1><p id=\"said\">{said}</p></body></html>"
        );
        let _ = stream
            .write_all(
                format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: \
                     no-referrer\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
            .and_then(|()| stream.flush());
    };
    if method != Some("GET") || path != "/oauth/callback" {
        reply(&mut stream, "404 Not Found", "Not found", "");
        return Ok(None);
    }
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(error) = get("error") {
        let said = sanitize_line(
            &format!(
                "{error}{}",
                get("error_description")
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            200,
        );
        reply(
            &mut stream,
            "200 OK",
            "Sign-in failed",
            "mfa-env did not get credentials; see your terminal.",
        );
        return Err(fail(
            Exit::Denied,
            format!("the Sign-In service refused the sign-in: {said}"),
        ));
    }
    match (get("code"), get("state")) {
        (Some(code), Some(got)) if got == state && !code.is_empty() => {
            reply(
                &mut stream,
                "200 OK",
                "Signed in",
                "mfa-env has the sign-in: you may close this tab.",
            );
            Ok(Some(Zeroizing::new(code.to_string())))
        }
        (Some(_), _) => {
            // Not this sign-in's answer (another tab's, or a forged one): not used.
            reply(
                &mut stream,
                "400 Bad Request",
                "Not this sign-in",
                "This answer is not for the sign-in mfa-env is waiting for.",
            );
            eprintln!(
                "mfa-env: ignored an answer that is not for this sign-in (its state differs)"
            );
            Ok(None)
        }
        _ => {
            reply(&mut stream, "400 Bad Request", "Not a sign-in", "");
            Ok(None)
        }
    }
}

/// No browser here: the URL for another device, and the code its page shows (base64 of
/// `state=…&code=…`), typed back.
fn remote(
    base: &str,
    challenge: &str,
    state: &str,
    profile: &str,
) -> anyhow::Result<(&'static str, String, Zeroizing<String>)> {
    let redirect_uri = format!("{}/v1/sessions/confirmation", base.trim_end_matches('/'));
    let url = authorize_url(base, CROSS_DEVICE, state, challenge, &redirect_uri);
    eprintln!(
        "mfa-env: open this URL on a device with a browser and sign in (with your passkey, \
         security key or code):\n\n  {url}\n"
    );
    let ask = crate::tty::Ask {
        noun: "code from the browser",
        no_terminal: "run `mfa-env login --remote` in a terminal, or sign in on this machine \
                      without --remote",
        exit: Exit::Mfa,
        echo: true,
    };
    // Three tries, as for an MFA code: a paste cut short is easily made.
    let mut tries = 0;
    loop {
        tries += 1;
        let pasted = crate::tty::read_line("Enter the code the page shows: ", &ask)?;
        match parse_pasted(&pasted, state, profile) {
            Ok(code) => return Ok((CROSS_DEVICE, redirect_uri, code)),
            Err(e) if tries < crate::mfa::PROMPT_TRIES => {
                eprintln!(
                    "mfa-env: {}; try again ({} left)",
                    crate::one_line(&e),
                    crate::mfa::PROMPT_TRIES - tries
                );
            }
            Err(e) => return Err(e),
        }
    }
}

/// The code out of what the confirmation page showed: base64 of `state=…&code=…`, its state
/// this sign-in's.
fn parse_pasted(pasted: &str, state: &str, profile: &str) -> anyhow::Result<Zeroizing<String>> {
    use base64::Engine;
    let compact: Zeroizing<String> =
        Zeroizing::new(pasted.chars().filter(|c| !c.is_whitespace()).collect());
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(compact.as_bytes()))
        .ok()
        .map(Zeroizing::new);
    let unusable = || {
        fail(
            Exit::Mfa,
            format!(
                "that is not the code the sign-in page shows (copy all of it; else run `mfa-env \
                 login --remote {}` again)",
                crate::shell::hint::arg(profile)
            ),
        )
    };
    let decoded = decoded.ok_or_else(unusable)?;
    let params: Vec<(String, String)> = form_urlencoded::parse(&decoded).into_owned().collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (Some(code), Some(got)) = (get("code"), get("state")) else {
        return Err(unusable());
    };
    if got != state {
        return Err(fail(
            Exit::Mfa,
            "that code is from another sign-in (its state differs): open the URL shown above and \
             paste the code its page gives",
        ));
    }
    if code.is_empty() {
        return Err(unusable());
    }
    Ok(Zeroizing::new(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorize_url_is_the_clis() {
        let url = authorize_url(
            "https://us-east-1.signin.aws.amazon.com/",
            SAME_DEVICE,
            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "_-BU_nrgy23GXDr5th1SCfQ5hR20PQulmXM33xVGaOs",
            "http://127.0.0.1:53127/oauth/callback",
        );
        assert_eq!(
            url,
            "https://us-east-1.signin.aws.amazon.com/v1/authorize?response_type=code&\
             client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device&\
             state=3fa85f64-5717-4562-b3fc-2c963f66afa6&code_challenge_method=SHA-256&\
             scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A53127%2Foauth%2Fcallback&\
             code_challenge=_-BU_nrgy23GXDr5th1SCfQ5hR20PQulmXM33xVGaOs"
        );
    }

    #[test]
    fn pasted_codes_are_checked_against_the_state() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let code =
            parse_pasted(&format!(" {} \n", b64("state=s1&code=abc%2Bd")), "s1", "p").unwrap();
        assert_eq!(code.as_str(), "abc+d");
        let err = parse_pasted(&b64("state=other&code=abc"), "s1", "p").unwrap_err();
        assert!(format!("{err}").contains("another sign-in"));
        for bad in ["abc", &b64("code=abc"), &b64("state=s1&code="), "!!!"] {
            let err = parse_pasted(bad, "s1", "p").unwrap_err();
            assert!(
                format!("{err}").contains("mfa-env login --remote p"),
                "{bad}"
            );
        }
    }
}
