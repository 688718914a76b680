//! The endpoint and CA bundle of a profile's AWS calls, by the SDK's precedence.

use super::*;

/// Where the STS calls of a profile's keys go.
#[derive(Debug, Clone)]
pub struct StsPlace {
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub ca_bundle: Option<String>,
}

/// The environment variables `endpoint_url` reads (their names and values, sorted): what a
/// resolution depends on besides the files.
pub fn endpoint_environment() -> Vec<String> {
    let mut out: Vec<String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| {
            k.starts_with("AWS_ENDPOINT_URL") || k == "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out.sort();
    out
}

/// The services whose endpoint a profile's resolution gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Service {
    Sts,
    Iam,
    Signin,
    Sso,
}

impl Service {
    const ALL: [Service; 4] = [Service::Sts, Service::Iam, Service::Signin, Service::Sso];

    /// Its name in a `services` section and, upper-cased, in `AWS_ENDPOINT_URL_<NAME>`.
    fn name(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::Iam => "iam",
            Service::Signin => "signin",
            Service::Sso => "sso",
        }
    }
}

/// What the environment gives `endpoint_url` and `ca_bundle`, read once for a set of files
/// rather than for each profile: `list` resolves every profile, and each variable looked up
/// scans the whole environment (it was a tenth of a first `list` among 12,000 profiles).
#[derive(Debug, Clone)]
pub(super) struct EndpointEnv {
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, when set: it decides over a profile's setting.
    ignore: Option<bool>,
    /// `AWS_ENDPOINT_URL_<SERVICE>` for each of `Service::ALL`, in that order.
    services: [Option<String>; 4],
    /// `AWS_ENDPOINT_URL`.
    any: Option<String>,
    /// `AWS_CA_BUNDLE`.
    ca_bundle: Option<String>,
}

impl EndpointEnv {
    /// Unset and blank variables count as unset, as the SDK has them.
    pub(super) fn read(env: &Env) -> EndpointEnv {
        let get = |k: &str| env.get(k).ok().filter(|v| !v.trim().is_empty());
        EndpointEnv {
            ignore: get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
                .map(|v| v.trim().eq_ignore_ascii_case("true")),
            services: Service::ALL.map(|s| {
                get(&format!(
                    "AWS_ENDPOINT_URL_{}",
                    s.name().to_ascii_uppercase()
                ))
            }),
            any: get("AWS_ENDPOINT_URL"),
            ca_bundle: get("AWS_CA_BUNDLE").map(|v| v.trim().to_string()),
        }
    }

    fn service(&self, service: Service) -> Option<&String> {
        let at = Service::ALL.iter().position(|s| *s == service)?;
        self.services[at].as_ref()
    }
}

/// A service's endpoint by the SDK's precedence: `AWS_ENDPOINT_URL_<SERVICE>`,
/// `AWS_ENDPOINT_URL`, the profile's `services` section, the profile's `endpoint_url`; none when
/// configured endpoints are switched off.
pub(super) fn endpoint_url(
    env: &EndpointEnv,
    profile: Option<&Profile>,
    set: &ProfileSet,
    service: Service,
) -> Option<String> {
    let ignore = env
        .ignore
        .or_else(|| {
            profile
                .and_then(|p| p.get("ignore_configured_endpoint_urls"))
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().eq_ignore_ascii_case("true"))
        })
        .unwrap_or(false);
    if ignore {
        return None;
    }
    if let Some(url) = env.service(service).or(env.any.as_ref()) {
        return Some(url.clone());
    }
    let profile = profile?;
    let from_services = profile.get("services").and_then(|services| {
        let key = PropertiesKey::builder()
            .section_key("services")
            .section_name(services)
            .property_name(service.name())
            .sub_property_name("endpoint_url")
            .build()
            .ok()?;
        set.other_sections().get(&key).cloned()
    });
    from_services.or_else(|| profile.get("endpoint_url").map(str::to_string))
}

/// The CA bundle for STS as the AWS CLI finds it: `AWS_CA_BUNDLE`, else the profile's
/// `ca_bundle`; an empty value counts as unset. `~` is expanded as for the AWS files.
pub(super) fn ca_bundle(
    env: &Env,
    endpoints: &EndpointEnv,
    profile: Option<&Profile>,
) -> Option<String> {
    let set = |v: &str| Some(v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let path = endpoints
        .ca_bundle
        .clone()
        .or_else(|| profile?.get("ca_bundle").and_then(set))?;
    Some(sdk_path(env, &path).to_string_lossy().into_owned())
}
