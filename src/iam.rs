//! The IAM calls of `keys rotate`, through the SDK's IAM client with the settings of every AWS
//! call of mfa-env: the endpoint rules (`AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL`, the
//! profile's `services`), the timeouts, retries and answer-size cap of STS, and errors in the
//! same plain words.

use aws_sdk_iam::config::{BehaviorVersion, Region};
use zeroize::Zeroizing;

use crate::profile::LongTermKeys;
use crate::sts::{classify, credentials_provider, AnswerLimit, Limits, Signer, StsError};

/// IAM's home region: its one endpoint in the global partition signs for us-east-1.
const FALLBACK_REGION: &str = "us-east-1";

/// Where IAM calls go: the configured endpoint, else the partition's global one.
pub fn endpoint(region: Option<&str>, endpoint_url: Option<&str>) -> String {
    if let Some(url) = endpoint_url {
        return url.to_string();
    }
    match crate::auth::partition(region) {
        "aws-cn" => "https://iam.cn-north-1.amazonaws.com.cn".to_string(),
        "aws-us-gov" => "https://iam.us-gov.amazonaws.com".to_string(),
        "aws" => "https://iam.amazonaws.com".to_string(),
        other => format!("the IAM endpoint of partition {other}"),
    }
}

/// One access key of a user, as ListAccessKeys shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub access_key_id: String,
    pub active: bool,
}

pub struct Iam {
    client: aws_sdk_iam::Client,
    endpoint: String,
    session: bool,
}

impl Iam {
    pub fn new(
        signer: &Signer<'_>,
        region: Option<&str>,
        endpoint_url: Option<&str>,
        ca_bundle: Option<&crate::sts::CaBundle>,
        limits: Limits,
    ) -> Self {
        let endpoint = endpoint(region, endpoint_url);
        let mut builder = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.unwrap_or(FALLBACK_REGION).to_string()))
            .credentials_provider(credentials_provider(signer))
            .timeout_config(limits.timeouts())
            .retry_config(limits.retries())
            .interceptor(AnswerLimit)
            .http_client(crate::sts::http_client(&endpoint, ca_bundle));
        if let Some(url) = endpoint_url {
            builder = builder.endpoint_url(url);
        }
        Iam {
            client: aws_sdk_iam::Client::from_conf(builder.build()),
            endpoint,
            session: signer.session_token.is_some(),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn classify<E>(
        &self,
        err: aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
    ) -> StsError
    where
        E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        classify(&self.endpoint, "IAM", self.session, err)
    }

    fn malformed(&self, what: &str) -> StsError {
        StsError::Malformed {
            endpoint: self.endpoint.clone(),
            detail: what.to_string(),
        }
    }

    /// The access keys of `user`.
    pub async fn list_access_keys(&self, user: &str) -> Result<Vec<KeyInfo>, StsError> {
        let out = self
            .client
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        Ok(out
            .access_key_metadata()
            .iter()
            .filter_map(|k| {
                Some(KeyInfo {
                    access_key_id: k.access_key_id()?.to_string(),
                    active: k.status() == Some(&aws_sdk_iam::types::StatusType::Active),
                })
            })
            .collect())
    }

    /// A new access key for `user`.
    pub async fn create_access_key(&self, user: &str) -> Result<LongTermKeys, StsError> {
        let out = self
            .client
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        let key = out
            .access_key()
            .ok_or_else(|| self.malformed("the answer has no AccessKey"))?;
        let secret = Zeroizing::new(key.secret_access_key().to_string());
        if key.access_key_id().is_empty() || secret.is_empty() {
            return Err(self.malformed("the answer has an empty access key"));
        }
        Ok(LongTermKeys {
            access_key_id: key.access_key_id().to_string(),
            secret_access_key: secret,
        })
    }

    pub async fn delete_access_key(&self, user: &str, access_key_id: &str) -> Result<(), StsError> {
        self.client
            .delete_access_key()
            .user_name(user)
            .access_key_id(access_key_id)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// The MFA devices of `user`: serial numbers (ARNs for virtual devices).
    pub async fn list_mfa_devices(&self, user: &str) -> Result<Vec<String>, StsError> {
        let out = self
            .client
            .list_mfa_devices()
            .user_name(user)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        Ok(out
            .mfa_devices()
            .iter()
            .map(|d| d.serial_number().to_string())
            .collect())
    }

    /// A new virtual MFA device: its serial (ARN) and its secret, the Base32 seed.
    pub async fn create_virtual_mfa_device(
        &self,
        name: &str,
    ) -> Result<(String, Zeroizing<String>), StsError> {
        let out = self
            .client
            .create_virtual_mfa_device()
            .virtual_mfa_device_name(name)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        let device = out
            .virtual_mfa_device()
            .ok_or_else(|| self.malformed("the answer has no VirtualMFADevice"))?;
        let seed = device
            .base32_string_seed()
            .map(|b| Zeroizing::new(String::from_utf8_lossy(b.as_ref()).into_owned()))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| self.malformed("the answer has no Base32StringSeed"))?;
        Ok((device.serial_number().to_string(), seed))
    }

    /// Virtual MFA devices of the account that no user has enabled (an enrollment left
    /// unfinished): their serials.
    pub async fn unassigned_virtual_mfa_devices(&self) -> Result<Vec<String>, StsError> {
        let out = self
            .client
            .list_virtual_mfa_devices()
            .assignment_status(aws_sdk_iam::types::AssignmentStatusType::Unassigned)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        Ok(out
            .virtual_mfa_devices()
            .iter()
            .map(|d| d.serial_number().to_string())
            .collect())
    }

    pub async fn enable_mfa_device(
        &self,
        user: &str,
        serial: &str,
        codes: (&str, &str),
    ) -> Result<(), StsError> {
        self.client
            .enable_mfa_device()
            .user_name(user)
            .serial_number(serial)
            .authentication_code1(codes.0)
            .authentication_code2(codes.1)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    pub async fn deactivate_mfa_device(&self, user: &str, serial: &str) -> Result<(), StsError> {
        self.client
            .deactivate_mfa_device()
            .user_name(user)
            .serial_number(serial)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    pub async fn delete_virtual_mfa_device(&self, serial: &str) -> Result<(), StsError> {
        self.client
            .delete_virtual_mfa_device()
            .serial_number(serial)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        Ok(())
    }
}

/// The user name in an IAM user's ARN (`arn:aws:iam::123456789012:user/path/alice`). It is
/// shown on the terminal and passed to IAM: only a name IAM allows (1-64 characters of letters,
/// digits and `_+=,.@-`) counts, never one with control characters from a hostile endpoint.
pub fn user_name(arn: &str) -> Option<String> {
    let resource = arn.split(':').nth(5)?;
    let service = arn.split(':').nth(2)?;
    let path = resource.strip_prefix("user/")?;
    let name = path.rsplit('/').next()?;
    let allowed = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    (service == "iam" && allowed).then(|| name.to_string())
}
