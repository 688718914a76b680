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

/// The STS endpoint by the SDK's precedence: `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the
/// profile's `services` section, the profile's `endpoint_url`; none when configured endpoints
/// are switched off.
pub(super) fn endpoint_url(
    env: &Env,
    profile: Option<&Profile>,
    set: &ProfileSet,
    service: &str,
) -> Option<String> {
    let env = |k: &str| env.get(k).ok().filter(|v| !v.trim().is_empty());
    let ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| {
            profile
                .and_then(|p| p.get("ignore_configured_endpoint_urls"))
                .map(str::to_string)
        })
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    let variable = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
    if let Some(url) = env(&variable).or_else(|| env("AWS_ENDPOINT_URL")) {
        return Some(url);
    }
    let profile = profile?;
    let from_services = profile.get("services").and_then(|services| {
        let key = PropertiesKey::builder()
            .section_key("services")
            .section_name(services)
            .property_name(service)
            .sub_property_name("endpoint_url")
            .build()
            .ok()?;
        set.other_sections().get(&key).cloned()
    });
    from_services.or_else(|| profile.get("endpoint_url").map(str::to_string))
}

/// The CA bundle for STS as the AWS CLI finds it: `AWS_CA_BUNDLE`, else the profile's
/// `ca_bundle`; an empty value counts as unset. `~` is expanded as for the AWS files.
pub(super) fn ca_bundle(env: &Env, profile: Option<&Profile>) -> Option<String> {
    let set = |v: &str| Some(v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let path = env
        .get("AWS_CA_BUNDLE")
        .ok()
        .and_then(|v| set(&v))
        .or_else(|| profile?.get("ca_bundle").and_then(set))?;
    Some(sdk_path(env, &path).to_string_lossy().into_owned())
}
