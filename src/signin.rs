//! The AWS Sign-In service's federation endpoint: a sign-in token for role credentials, and the
//! console URLs built on it (`mfa-env console`).
//!
//! The endpoint follows the SDKs' naming for the service (`AWS_ENDPOINT_URL_SIGNIN`, the
//! `services` section's `signin`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`), else the
//! partition's host. It speaks plain HTTPS GET with a JSON answer, so it is called through the
//! same connector as STS (TLS, CA bundle, proxy), not an SDK client.

use zeroize::Zeroizing;

use crate::error::{fail, Exit};
use crate::sts::{CaBundle, Credentials, Limits};

/// The hosts of one AWS partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hosts {
    pub signin: &'static str,
    pub console: &'static str,
}

/// The Sign-In and console hosts of `partition`, or `None` where there is no public console.
pub fn hosts(partition: &str) -> Option<Hosts> {
    match partition {
        "aws" => Some(Hosts {
            signin: "https://signin.aws.amazon.com",
            console: "https://console.aws.amazon.com",
        }),
        "aws-us-gov" => Some(Hosts {
            signin: "https://signin.amazonaws-us-gov.com",
            console: "https://console.amazonaws-us-gov.com",
        }),
        "aws-cn" => Some(Hosts {
            signin: "https://signin.amazonaws.cn",
            console: "https://console.amazonaws.cn",
        }),
        _ => None,
    }
}

/// The Sign-In service's regional base URL for OAuth (the authorization page and the token
/// endpoint of login sessions): `endpoint_url` when one is set (`AWS_ENDPOINT_URL_SIGNIN` and
/// the rest, as for the federation endpoint), else the partition's host in `region`
/// (us-east-1 when none is set, as the AWS CLI's default).
pub fn oauth_base(region: Option<&str>, endpoint_url: Option<&str>) -> anyhow::Result<String> {
    if let Some(url) = endpoint_url {
        return Ok(url.trim_end_matches('/').to_string());
    }
    let region = region.unwrap_or("us-east-1");
    let domain = match crate::sts::partition(Some(region)) {
        "aws" => "signin.aws.amazon.com",
        "aws-cn" => "signin.amazonaws.cn",
        "aws-us-gov" => "signin.amazonaws-us-gov.com",
        other => {
            return Err(crate::error::fail(
                crate::error::Exit::Config,
                format!(
                    "AWS Sign-In sessions are not offered in partition {other} (region \
                     {region}); set AWS_ENDPOINT_URL_SIGNIN if yours has a Sign-In endpoint"
                ),
            ))
        }
    };
    Ok(format!("https://{region}.{domain}"))
}

/// Where the console lands: a service's home, a path under the console, or its home page; in
/// `region` when one is known.
pub fn destination(
    console: &str,
    service: Option<&str>,
    path: Option<&str>,
    region: Option<&str>,
) -> String {
    let path = match (service, path) {
        (_, Some(path)) => path.trim_start_matches('/').to_string(),
        (Some(service), None) => format!("{}/home", service.trim_matches('/')),
        (None, None) => "console/home".to_string(),
    };
    let Some(region) = region else {
        return format!("{console}/{path}");
    };
    // The region goes in the query, before any fragment (`ec2/home#Instances:`).
    let (before, fragment) = match path.split_once('#') {
        Some((before, fragment)) => (before.to_string(), format!("#{fragment}")),
        None => (path, String::new()),
    };
    let join = if before.contains('?') { '&' } else { '?' };
    let region = form_urlencoded::byte_serialize(region.as_bytes()).collect::<String>();
    format!("{console}/{before}{join}region={region}{fragment}")
}

/// The URL that signs in with `token` and lands on `destination`.
pub fn login_url(signin: &str, token: &str, destination: &str) -> Zeroizing<String> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "login")
        .append_pair("Issuer", "mfa-env")
        .append_pair("Destination", destination)
        .append_pair("SigninToken", token)
        .finish();
    Zeroizing::new(format!(
        "{}/federation?{query}",
        signin.trim_end_matches('/')
    ))
}

/// The console's sign-out, then on to `next` (the console holds one session per browser: the
/// new role replaces the one signed in before).
pub fn logout_then(signin: &str, next: &str) -> Zeroizing<String> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "logout")
        .append_pair("redirect_uri", next)
        .finish();
    Zeroizing::new(format!("{}/oauth?{query}", signin.trim_end_matches('/')))
}

/// A sign-in token for role credentials (`getSigninToken`). `session_duration`: the console
/// session's length, which AWS accepts only for roles assumed with long-term keys.
pub fn signin_token(
    signin: &str,
    credentials: &Credentials,
    session_duration: Option<u32>,
    ca_bundle: Option<&CaBundle>,
    limits: Limits,
) -> anyhow::Result<Zeroizing<String>> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Session<'a> {
        session_id: &'a str,
        session_key: &'a str,
        session_token: &'a str,
    }
    let session = Zeroizing::new(
        serde_json::to_string(&Session {
            session_id: &credentials.access_key_id,
            session_key: &credentials.secret_access_key,
            session_token: &credentials.session_token,
        })
        .map_err(|e| fail(Exit::Other, format!("cannot write the session: {e}")))?,
    );
    // Sized for the encoded session (each byte at most three), so that growing leaves no copy.
    let mut url = Zeroizing::new(String::with_capacity(256 + 3 * session.len()));
    url.push_str(signin.trim_end_matches('/'));
    url.push_str("/federation?");
    let start = url.len();
    {
        let mut query = form_urlencoded::Serializer::for_suffix(&mut *url, start);
        query.append_pair("Action", "getSigninToken");
        if let Some(seconds) = session_duration {
            query.append_pair("SessionDuration", &seconds.to_string());
        }
        query.append_pair("Session", &session);
        query.finish();
    }
    let endpoint = format!("{}/federation", signin.trim_end_matches('/'));
    let request = crate::http::Request {
        method: "GET",
        url: &url,
        endpoint: &endpoint,
        headers: &[("accept", "application/json")],
        body: None,
    };
    let (status, body) = request.send_blocking(ca_bundle, limits)?;
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        let said = crate::error::sanitize_line(&text, 200);
        let hint = if said.contains("Only federation tokens or assume role tokens") {
            " (it takes role credentials only)"
        } else {
            ""
        };
        return Err(fail(
            Exit::Denied,
            format!("the Sign-In service at {endpoint} refused the session (HTTP {status}{hint}): {said}"),
        ));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
        fail(
            Exit::Network,
            format!("the Sign-In service at {endpoint} answered without a sign-in token"),
        )
    })?;
    let token = Zeroizing::new(answer.signin_token);
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(fail(
            Exit::Network,
            format!("the Sign-In service at {endpoint} answered with an unusable sign-in token"),
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_take_a_service_a_path_and_a_region() {
        let c = "https://console.aws.amazon.com";
        assert_eq!(
            destination(c, None, None, None),
            "https://console.aws.amazon.com/console/home"
        );
        assert_eq!(
            destination(c, Some("s3"), None, Some("eu-west-1")),
            "https://console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        assert_eq!(
            destination(c, None, Some("/ec2/home#Instances:"), Some("us-east-2")),
            "https://console.aws.amazon.com/ec2/home?region=us-east-2#Instances:"
        );
        assert_eq!(
            destination(c, None, Some("cloudwatch/home?x=1"), Some("eu-west-1")),
            "https://console.aws.amazon.com/cloudwatch/home?x=1&region=eu-west-1"
        );
    }

    #[test]
    fn partitions_have_their_own_hosts() {
        assert_eq!(
            hosts("aws-us-gov").unwrap().console,
            "https://console.amazonaws-us-gov.com"
        );
        assert_eq!(
            hosts("aws-cn").unwrap().signin,
            "https://signin.amazonaws.cn"
        );
        assert!(hosts("aws-iso").is_none());
    }

    #[test]
    fn the_login_url_carries_the_token_and_an_encoded_destination() {
        let url = login_url(
            "https://signin.aws.amazon.com/",
            "tok+en/=",
            "https://console.aws.amazon.com/s3/home?region=eu-west-1",
        );
        assert_eq!(
            url.as_str(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=mfa-env&\
             Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Deu-west-1&\
             SigninToken=tok%2Ben%2F%3D"
        );
        let out = logout_then("https://signin.aws.amazon.com", "https://x/?a=b&c");
        assert_eq!(
            out.as_str(),
            "https://signin.aws.amazon.com/oauth?Action=logout&redirect_uri=https%3A%2F%2Fx%2F%3Fa%3Db%26c"
        );
    }
}
