//! Plain HTTPS calls outside the SDK clients (the Sign-In service's federation and OAuth
//! endpoints): the same connector as STS (TLS, CA bundle, proxy), its timeouts, a capped answer,
//! and messages that name the endpoint, never the URL (it may carry a secret).

use std::time::Duration;

use zeroize::Zeroizing;

use crate::error::{fail, Exit};
use crate::sts::{CaBundle, Limits};

/// The answer's size cap: what these endpoints give is a few KiB.
const MAX_ANSWER: usize = 64 * 1024;

pub struct Request<'a> {
    pub method: &'a str,
    /// May hold a secret: never shown.
    pub url: &'a str,
    /// What messages call it: the URL without its query.
    pub endpoint: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Option<Zeroizing<Vec<u8>>>,
}

impl Request<'_> {
    /// Sends it with the STS limits; the status and at most `MAX_ANSWER` bytes of the body.
    pub async fn send(
        self,
        ca_bundle: Option<&CaBundle>,
        limits: Limits,
    ) -> anyhow::Result<(u16, Zeroizing<Vec<u8>>)> {
        use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
        use http_body_util::BodyExt;
        let endpoint = self.endpoint;
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(limits.connect())
            .read_timeout(limits.attempt())
            .build();
        let connector = if self.url.starts_with("http://") {
            let mut builder = aws_smithy_http_client::Connector::builder();
            builder.set_connector_settings(Some(settings));
            builder.build_http()
        } else {
            crate::sts::https_connector(ca_bundle, Some(settings), None)
        };
        let unusable = || {
            fail(
                Exit::Config,
                format!("the Sign-In endpoint {endpoint} is not a usable URL"),
            )
        };
        let mut builder = http::Request::builder().method(self.method).uri(self.url);
        for (name, value) in self.headers {
            builder = builder.header(*name, *value);
        }
        let body = match self.body {
            Some(bytes) => aws_smithy_types::body::SdkBody::from(bytes.to_vec()),
            None => aws_smithy_types::body::SdkBody::empty(),
        };
        let request = builder.body(body).map_err(|_| unusable())?;
        let request = aws_smithy_runtime_api::client::orchestrator::HttpRequest::try_from(request)
            .map_err(|_| unusable())?;
        let unreachable = |why: String| {
            fail(
                Exit::Network,
                format!(
                    "cannot reach the Sign-In service at {endpoint} ({why}); check your network, \
                     or AWS_ENDPOINT_URL_SIGNIN"
                ),
            )
        };
        let total = limits.total();
        let call = async {
            let response = connector
                .call(request)
                .await
                .map_err(|e| unreachable(crate::sts::source_chain(&e)))?;
            let status = response.status().as_u16();
            let limited = http_body_util::Limited::new(response.into_body(), MAX_ANSWER);
            let bytes = limited
                .collect()
                .await
                .map_err(|e| unreachable(format!("its answer could not be read: {e}")))?
                .to_bytes();
            Ok::<_, anyhow::Error>((status, Zeroizing::new(bytes.to_vec())))
        };
        match tokio::time::timeout(total, call).await {
            Ok(result) => result,
            Err(_) => Err(unreachable(format!(
                "no answer within {}s; raise MFA_ENV_TIMEOUT",
                Duration::as_secs_f64(&total)
            ))),
        }
    }

    /// `send` for a caller with no async runtime of its own.
    pub fn send_blocking(
        self,
        ca_bundle: Option<&CaBundle>,
        limits: Limits,
    ) -> anyhow::Result<(u16, Zeroizing<Vec<u8>>)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(Exit::Other, format!("cannot start the async runtime: {e}")))?;
        rt.block_on(self.send(ca_bundle, limits))
    }
}
